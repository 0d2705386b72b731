"""Report jobs: long reports made in the background, kept for a few days.

A job belongs to the person who asked for it: only they see its state and
download its file, and only while they still hold what the report needs
(``reports.jobs`` checks it again at download). The file lives in private
storage, is never served under a public URL and is deleted when the job
expires (``REPORT_FILE_DAYS``).
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


def report_path(job: "ReportJob", filename: str) -> str:
    # The name says nothing about the client or the case: the id only.
    extension = filename.rsplit(".", 1)[-1] if "." in filename else "bin"
    return f"reports/{job.created_at:%Y/%m}/{job.pk}.{extension}"


class ReportJob(models.Model):
    class Kind(models.TextChoices):
        CASE_FILE = "case_file", _("Case file (PDF)")
        STATISTICS = "statistics", _("Statistics")
        DISCLOSURE_REGISTER = "disclosure_register", _("Disclosure register")
        CASE_LIST = "case_list", _("Case list")

    class Format(models.TextChoices):
        PDF = "pdf", "PDF"
        CSV = "csv", "CSV"
        XLSX = "xlsx", "XLSX"

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Failed")
        EXPIRED = "expired", _("Expired")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="report_jobs"
    )
    # The agency the report is about (scoping and the small-cell threshold).
    agency = models.ForeignKey(
        "accounts.Agency", on_delete=models.PROTECT, related_name="report_jobs"
    )
    kind = models.CharField(max_length=30, choices=Kind.choices)
    format = models.CharField(max_length=10, choices=Format.choices)
    # Ids and filters only, never personal data.
    parameters = models.JSONField(default=dict, blank=True)
    language = models.CharField(max_length=10, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    # A machine code and a message safe to show (no personal data) when it failed.
    error_code = models.CharField(max_length=50, blank=True)
    error = models.CharField(max_length=300, blank=True)
    file = models.FileField(upload_to=report_path, max_length=200, blank=True)
    filename = models.CharField(max_length=200, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["requested_by", "-created_at"], name="reportjob_mine")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(progress__lte=100), name="reportjob_progress_at_most_100"
            ),
        ]
        permissions = [
            ("view_statistics", "Can see the agency's statistics"),
            ("view_disclosure_register", "Can see the agency's disclosure register"),
            ("export_cases", "Can export the case list"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.format} ({self.state})"
