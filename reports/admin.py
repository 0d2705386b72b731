"""Django admin for platform operators: report jobs as metadata only (who
asked for which kind, when, and how it went); no parameters (a search may be
a client's name), no file."""

from django.contrib import admin

from accounts.admin import ReadOnlyAdmin
from reports.models import ReportJob


@admin.register(ReportJob)
class ReportJobAdmin(ReadOnlyAdmin):
    list_display = ["kind", "format", "state", "agency", "requested_by", "created_at"]
    list_filter = ["kind", "format", "state"]
    fields = [
        "requested_by",
        "agency",
        "kind",
        "format",
        "language",
        "state",
        "progress",
        "error_code",
        "size",
        "created_at",
        "started_at",
        "finished_at",
        "expires_at",
    ]
