"""Referrals (DESIGN §4): the service directory, referrals between agencies,
the immutable packet a partner reads, the conversation and the timeline."""

import hashlib
import json
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase
from simple_history.models import HistoricalRecords

from accounts.models import Agency
from accounts.tracking import TrackedManager, TrackedQuerySet
from casework.models import Case, Consent, PlanAction, ServiceCategory


class Service(models.Model):
    """One service of an agency, shaped like Open Referral HSDS 3.0 (the
    agency is the HSDS organization; location and address are flattened)."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        INACTIVE = "inactive", _("Inactive")
        DEFUNCT = "defunct", _("Defunct")
        TEMPORARILY_CLOSED = "temporarily closed", _("Temporarily closed")

    # The agency's role permissions (MANAGE_SERVICES) apply: accounts.backends.
    ROLE_SCOPED = True

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="services", verbose_name=_("agency")
    )
    name = models.CharField(_("name"), max_length=200)
    alternate_name = models.CharField(_("other name"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    category = models.CharField(
        _("kind of service"), max_length=20, choices=ServiceCategory.choices
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.ACTIVE
    )
    accepts_referrals = models.BooleanField(_("accepts referrals"), default=True)
    data_categories_needed = models.JSONField(
        _("data it needs"),
        default=list,
        blank=True,
        help_text=_("The sections of the client's file this service needs with a referral."),
    )
    languages = models.JSONField(
        _("languages"), default=list, blank=True, help_text=_("Language codes, e.g. ar, fr.")
    )
    eligibility_description = models.TextField(_("who can use it"), blank=True)
    application_process = models.TextField(_("how to apply"), blank=True)
    fees_description = models.CharField(_("fees"), max_length=200, blank=True)
    url = models.URLField(_("website"), blank=True)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    location_name = models.CharField(_("place"), max_length=200, blank=True)
    address = models.CharField(_("street address"), max_length=200, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()
    objects = TrackedManager()

    class Meta:
        verbose_name = _("service")
        verbose_name_plural = _("services")
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["category", "status"], name="service_category_status")]
        constraints = [
            models.UniqueConstraint(fields=["agency", "name"], name="service_name_per_agency"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def takes_referrals(self) -> bool:
        return self.status == self.Status.ACTIVE and self.accepts_referrals


class Referral(models.Model):
    class State(models.TextChoices):
        # A context of their own: in French a referral is feminine, a consent not.
        DRAFT = "draft", pgettext_lazy("referral state", "Draft")
        SENT = "sent", pgettext_lazy("referral state", "Sent")
        ACCEPTED = "accepted", pgettext_lazy("referral state", "Accepted")
        DECLINED = "declined", pgettext_lazy("referral state", "Declined")
        COMPLETED = "completed", pgettext_lazy("referral state", "Completed")
        WITHDRAWN = "withdrawn", pgettext_lazy("referral state", "Withdrawn")
        EXPIRED = "expired", pgettext_lazy("referral state", "Expired")
        CANCELLED = "cancelled", pgettext_lazy("referral state", "Cancelled")

    class Urgency(models.TextChoices):
        ROUTINE = "routine", _("Routine")
        URGENT = "urgent", _("Urgent")
        EMERGENCY = "emergency", _("Emergency")

    class Action(models.TextChoices):
        SEND = "send", _("Send")
        ACCEPT = "accept", _("Accept")
        DECLINE = "decline", _("Decline")
        COMPLETE = "complete", _("Complete")
        WITHDRAW = "withdraw", _("Withdraw")
        EXPIRE = "expire", _("Expire")
        CANCEL = "cancel", _("Cancel")

    # The lifecycle, and nothing else: (action, from state) -> to state.
    TRANSITIONS: dict[tuple[str, str], str] = {
        (Action.SEND, State.DRAFT): State.SENT,
        (Action.ACCEPT, State.SENT): State.ACCEPTED,
        (Action.DECLINE, State.SENT): State.DECLINED,
        (Action.COMPLETE, State.ACCEPTED): State.COMPLETED,
        (Action.WITHDRAW, State.DRAFT): State.WITHDRAWN,
        (Action.WITHDRAW, State.SENT): State.WITHDRAWN,
        (Action.WITHDRAW, State.ACCEPTED): State.WITHDRAWN,
        (Action.EXPIRE, State.SENT): State.EXPIRED,
        (Action.CANCEL, State.DRAFT): State.CANCELLED,
        (Action.CANCEL, State.SENT): State.CANCELLED,
        (Action.CANCEL, State.ACCEPTED): State.CANCELLED,
    }
    OPEN_STATES = frozenset({State.DRAFT, State.SENT, State.ACCEPTED})
    # States in which the receiving agency holds no grant on the referral.
    CLOSED_TO_PARTNER = frozenset(
        {State.DRAFT, State.DECLINED, State.WITHDRAWN, State.EXPIRED, State.CANCELLED}
    )

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="referrals")
    from_agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="+", verbose_name=_("from")
    )
    from_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    to_agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="+", verbose_name=_("to")
    )
    service = models.ForeignKey(
        Service,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="referrals",
        verbose_name=_("service"),
    )
    # Snapshots at creation: the names as they were when the referral was made.
    from_agency_name = models.CharField(max_length=200, editable=False)
    to_agency_name = models.CharField(max_length=200, editable=False)
    service_name = models.CharField(max_length=200, blank=True, editable=False)
    service_category = models.CharField(max_length=20, blank=True, editable=False)

    purpose = models.CharField(
        _("purpose"), max_length=300, help_text=_("What the client needs from this service.")
    )
    urgency = models.CharField(
        _("urgency"), max_length=10, choices=Urgency.choices, default=Urgency.ROUTINE
    )
    respond_by = models.DateField(_("respond by"))
    message = models.TextField(_("message to the partner"), blank=True)
    # Empty in a draft that waits for a supervisor to choose (and override).
    data_categories = models.JSONField(_("data shared"), default=list, blank=True)

    consent = models.ForeignKey(
        Consent,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="referrals",
        editable=False,
    )
    override_reason = models.TextField(_("reason for sending without consent"), blank=True)
    override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    override_at = models.DateTimeField(null=True, blank=True, editable=False)

    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.DRAFT, editable=False
    )
    sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    decided_at = models.DateTimeField(null=True, blank=True, editable=False)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    decline_reason = models.TextField(_("reason for declining"), blank=True, editable=False)
    completed_at = models.DateTimeField(null=True, blank=True, editable=False)
    outcome = models.TextField(_("outcome"), blank=True, editable=False)
    closed_at = models.DateTimeField(null=True, blank=True, editable=False)
    closed_reason = models.TextField(blank=True, editable=False)
    receiving_case = models.ForeignKey(
        Case,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    # The action of the case's integration plan this referral carries out: its
    # answer, progress and completion move the action on.
    plan_action = models.ForeignKey(
        PlanAction,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="referrals",
        editable=False,
        verbose_name=_("integration plan action"),
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()
    objects = TrackedManager()

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["from_agency", "state", "-created_at"], name="referral_from_state"
            ),
            models.Index(fields=["to_agency", "state", "respond_by"], name="referral_to_state"),
            models.Index(fields=["state", "respond_by"], name="referral_state_respond_by"),
            models.Index(fields=["case", "-created_at"], name="referral_case_created"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(from_agency=models.F("to_agency")),
                name="referral_to_another_agency",
            ),
            models.CheckConstraint(
                condition=~models.Q(state="declined") | ~models.Q(decline_reason=""),
                name="referral_decline_has_reason",
            ),
        ]
        permissions = [
            ("respond_referral", "Accept, decline and report on a referral"),
            ("view_packet", "Read a referral's packet"),
            ("message_referral", "Write messages on a referral"),
            ("override_consent", "Send a referral without a covering consent"),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        """A short handle for people (no personal data): R-1A2B3C4D."""
        return f"R-{self.pk.hex[:8].upper()}"

    @property
    def is_open(self) -> bool:
        return self.state in self.OPEN_STATES

    @property
    def is_overdue(self) -> bool:
        return self.state == self.State.SENT and self.respond_by < timezone.now().date()

    @property
    def is_override(self) -> bool:
        return self.override_by_id is not None

    @classmethod
    def target_of(cls, action: str, state: str) -> str | None:
        return cls.TRANSITIONS.get((action, state))


class ReferralUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Referral, on_delete=models.CASCADE)


class ReferralGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Referral, on_delete=models.CASCADE)


class PacketIsImmutable(ValidationError):
    def __init__(self):
        super().__init__(_("A sent packet never changes."), code="immutable")


class ReferralPacketQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PacketIsImmutable()

    def delete(self):
        raise PacketIsImmutable()

    def bulk_update(self, objs, *args, **kwargs):
        raise PacketIsImmutable()


class ReferralPacket(models.Model):
    """Exactly the shared sections of the client's file, frozen at send time:
    the partner reads this, never the live case."""

    referral = models.OneToOneField(
        Referral, on_delete=models.PROTECT, primary_key=True, related_name="packet"
    )
    data_categories = models.JSONField(default=list)
    data = models.JSONField(default=dict)
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)

    objects = models.Manager.from_queryset(ReferralPacketQuerySet)()

    class Meta:
        verbose_name = _("referral packet")
        verbose_name_plural = _("referral packets")

    def __str__(self) -> str:
        return str(self.pk)

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PacketIsImmutable()
        self.sha256 = self.digest(self.data)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PacketIsImmutable()

    @staticmethod
    def digest(data) -> str:
        canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()


class ReferralMessage(models.Model):
    """The conversation between the two agencies about one referral."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    author_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("message"))
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    history = HistoricalRecords()
    objects = TrackedManager()

    class Meta:
        verbose_name = _("referral message")
        verbose_name_plural = _("referral messages")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["referral", "created_at"], name="message_referral_created")]

    def __str__(self) -> str:
        return str(self.pk)


class ReferralEventQuerySet(TrackedQuerySet):
    def delete(self):
        raise ValidationError(_("The timeline is append-only."))


class ReferralEvent(models.Model):
    """The referral's timeline: every transition and report, who, when, why."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Drafted")
        SENT = "sent", _("Sent")
        CONSENT_OVERRIDE = "consent_override", _("Sent without consent (override)")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        PROGRESS = "progress", _("Progress reported")
        COMPLETED = "completed", _("Completed")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        EXPIRED = "expired", _("Expired")
        CANCELLED = "cancelled", _("Cancelled")
        CASE_OPENED = "case_opened", _("Case opened by the partner")
        ACCESS_REVOKED = "access_revoked", _("Partner's access removed (consent withdrawn)")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    from_state = models.CharField(max_length=10, blank=True)
    to_state = models.CharField(max_length=10, blank=True)
    # None for what Sanad does by itself (expiry).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    actor_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, null=True, related_name="+")
    note = models.TextField(blank=True)
    at = models.DateTimeField(default=timezone.now)

    objects = models.Manager.from_queryset(ReferralEventQuerySet)()

    class Meta:
        verbose_name = _("referral event")
        verbose_name_plural = _("referral events")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["referral", "at"], name="event_referral_at")]

    def __str__(self) -> str:
        return self.kind

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValidationError(_("The timeline is append-only."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("The timeline is append-only."))
