"""Django admin for platform operators: the directory, and referrals as
metadata only (no packet, no messages, no free text about the client)."""

from django.contrib import admin

from accounts.admin import ReadOnlyAdmin
from referrals.models import Referral, Service


@admin.register(Service)
class ServiceAdmin(ReadOnlyAdmin):
    list_display = ["name", "agency", "category", "status", "accepts_referrals"]
    list_filter = ["category", "status", "accepts_referrals"]
    search_fields = ["name", "agency__name"]


@admin.register(Referral)
class ReferralAdmin(ReadOnlyAdmin):
    list_display = ["reference", "from_agency", "to_agency", "state", "urgency", "respond_by"]
    list_filter = ["state", "urgency"]
    fields = [
        "from_agency",
        "to_agency",
        "service",
        "state",
        "urgency",
        "respond_by",
        "data_categories",
        "sent_at",
        "decided_at",
        "completed_at",
        "closed_at",
    ]
