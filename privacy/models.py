"""Data protection records: legal holds, retention periods and erasures
(DESIGN §2.5, §5).

They moved here from casework with their tables: ``db_table`` and the history
tables keep casework's names, so no row moved (migrations ``privacy.0001`` and
``casework.0008`` change only Django's state and the content types). The
emergency accesses (``casework.BreakGlass``) stay in casework: its scope query
reads the running ones.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from accounts.models import Agency
from accounts.tracking import TrackedManager
from casework.models import Case, Client


class LegalHold(models.Model):
    """While a hold is active, neither erasure nor retention touches the
    client (a court case, an investigation, a pending appeal)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="legal_holds")
    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, null=True, blank=True, related_name="legal_holds"
    )
    reason = models.TextField(_("reason"))
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    placed_at = models.DateTimeField(default=timezone.now, editable=False)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    released_at = models.DateTimeField(null=True, blank=True, editable=False)

    history = HistoricalRecords(table_name="casework_historicallegalhold")
    objects = TrackedManager()

    class Meta:
        db_table = "casework_legalhold"
        verbose_name = _("legal hold")
        verbose_name_plural = _("legal holds")
        ordering = ["-placed_at"]

    def __str__(self) -> str:
        return str(self.pk)

    @property
    def is_active(self) -> bool:
        return self.released_at is None


class RetentionPolicy(models.Model):
    """How long an agency keeps a kind of record before Sanad anonymises it."""

    class Kind(models.TextChoices):
        CLOSED_CASE = "closed_case", _("Closed cases (after closure)")
        INACTIVE_CLIENT = (
            "inactive_client",
            _("Clients without an open case (after the last closure)"),
        )

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="retention_policies")
    kind = models.CharField(_("records"), max_length=20, choices=Kind.choices)
    days = models.PositiveIntegerField(_("kept for (days)"))
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(table_name="casework_historicalretentionpolicy")
    objects = TrackedManager()

    ROLE_SCOPED = True

    class Meta:
        db_table = "casework_retentionpolicy"
        verbose_name = _("retention period")
        verbose_name_plural = _("retention periods")
        constraints = [
            models.UniqueConstraint(fields=["agency", "kind"], name="retention_once_per_kind"),
            models.CheckConstraint(condition=models.Q(days__gte=30), name="retention_min_30_days"),
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.days}"


class Erasure(models.Model):
    """That a client's personal data was erased (on request or by retention),
    by whom and why. Holds no personal data itself, except what the DPO typed
    as the reason."""

    class Cause(models.TextChoices):
        REQUEST = "request", _("The person's request")
        RETENTION = "retention", _("Retention period over")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client_id = models.UUIDField(db_index=True)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    cause = models.CharField(max_length=10, choices=Cause.choices)
    reason = models.TextField(_("reason"), blank=True)
    erased_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    erased_at = models.DateTimeField(default=timezone.now)
    notified_agencies = models.JSONField(default=list)
    counts = models.JSONField(default=dict)

    class Meta:
        db_table = "casework_erasure"
        verbose_name = _("erasure")
        verbose_name_plural = _("erasures")
        ordering = ["-erased_at"]

    def __str__(self) -> str:
        return str(self.pk)


class AccessLogVerification(models.Model):
    """The verdict of one walk of the access log's chains
    (``accounts.access_log.verify``): kept so that the DPO's home says when
    the log was last verified and what was found without walking it again.
    Counts and positions only, like the verdict; no personal data. A copy of
    what the walk reported, not evidence itself: the chains and checkpoints
    are."""

    id = models.BigAutoField(primary_key=True)
    verified_at = models.DateTimeField(default=timezone.now, db_index=True)
    # Who asked on the access-log page or the API; None: the verify_access_log command.
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    # Compared with a copy of the checkpoints (verify_access_log --checkpoints).
    against_copy = models.BooleanField(default=False)
    intact = models.BooleanField()
    rows = models.PositiveBigIntegerField()
    chain = models.IntegerField(null=True)
    seq = models.BigIntegerField(null=True)
    row_id = models.BigIntegerField(null=True)
    problem = models.TextField(blank=True)
    unkeyed = models.PositiveBigIntegerField(default=0)
    checkpoint_at = models.DateTimeField(null=True)

    class Meta:
        verbose_name = _("access log verification")
        verbose_name_plural = _("access log verifications")
        ordering = ["-verified_at", "-id"]

    def __str__(self) -> str:
        return str(self.pk)
