"""Consent as data (DESIGN §2.3, §4): bound to a purpose, to recipients and to
data categories, with its lawful basis; append-only except for its withdrawal.
And "do not disclose to" entries on cases."""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from accounts.models import Agency
from accounts.tracking import TrackedManager, TrackedQuerySet
from casework.models.cases import Case, Document
from casework.models.clients import Client


class DataCategory(models.TextChoices):
    """The sections of a client's file. Consents, referral packets, exports and
    serializers are all defined in terms of these."""

    IDENTITY = "identity", _("Identity")
    CONTACT = "contact", _("Contact details")
    LEGAL_STATUS = "legal_status", _("Legal status")
    HEALTH = "health", _("Health and other special-category data")
    FAMILY = "family", _("Family")
    EDUCATION_EMPLOYMENT = "education_employment", _("Education and employment")
    CASE_NOTES = "case_notes", _("Case notes")
    DOCUMENTS = "documents", _("Documents")
    INTEGRATION_PLAN = "integration_plan", _("Integration plan: the actions referred")


# GDPR Art. 9: these categories need a lawful basis *and* an Art. 9(2) condition.
SPECIAL_CATEGORIES = frozenset({DataCategory.HEALTH})


class ServiceCategory(models.TextChoices):
    """Kinds of service (the service directory's taxonomy); a consent may name
    a kind of service as recipient instead of a named agency."""

    LEGAL = "legal", _("Legal aid")
    HOUSING = "housing", _("Housing and shelter")
    HEALTH = "health", _("Health care")
    MENTAL_HEALTH = "mental_health", _("Mental health and psychosocial support")
    EDUCATION = "education", _("Education")
    EMPLOYMENT = "employment", _("Employment")
    LANGUAGE = "language", _("Language courses")
    SOCIAL = "social", _("Social support")
    CHILD_PROTECTION = "child_protection", _("Child protection")
    GBV = "gbv", _("Gender-based violence services")
    FOOD = "food", _("Food and basic needs")
    INTERPRETING = "interpreting", _("Interpreting")
    OTHER = "other", _("Other")


class ConsentQuerySet(TrackedQuerySet):
    def delete(self):
        raise ConsentIsAppendOnly()

    def with_status(self, status: str, at=None):
        """Consents in ``status`` at ``at`` (default now): the SQL twin of
        ``Consent.status_at``."""
        at = at or timezone.now()
        live = models.Q(withdrawn_at__isnull=True) | models.Q(withdrawn_at__gt=at)
        if status == Consent.Status.WITHDRAWN:
            return self.filter(withdrawn_at__lte=at)
        if status == Consent.Status.NOT_YET_VALID:
            return self.filter(live, given_at__gt=at)
        if status == Consent.Status.EXPIRED:
            return self.filter(live, given_at__lte=at, expires_at__lte=at)
        if status == Consent.Status.ACTIVE:
            return self.filter(live, given_at__lte=at).filter(
                models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=at)
            )
        raise ValueError(f"Unknown consent status {status!r}")


class ConsentIsAppendOnly(ValidationError):
    """A recorded consent changes only by its withdrawal; it is never deleted."""

    def __init__(self):
        super().__init__(
            _("A recorded consent cannot be changed or deleted; record a withdrawal instead."),
            code="append_only",
        )


class Consent(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        EXPIRED = "expired", _("Expired")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        NOT_YET_VALID = "not_yet_valid", _("Not yet valid")

    class Purpose(models.TextChoices):
        CASE_MANAGEMENT = "case_management", _("Case management")
        REFERRAL = "referral", _("Referral and sharing with other agencies")
        STATISTICS = "statistics", _("Statistics")
        CONTACT = "contact", _("Contact by phone, SMS or e-mail")

    class LawfulBasis(models.TextChoices):
        CONSENT = "consent", _("Consent (Art. 6(1)(a))")
        CONTRACT = "contract", _("Contract (Art. 6(1)(b))")
        LEGAL_OBLIGATION = "legal_obligation", _("Legal obligation (Art. 6(1)(c))")
        VITAL_INTERESTS = "vital_interests", _("Vital interests (Art. 6(1)(d))")
        PUBLIC_TASK = "public_task", _("Public task (Art. 6(1)(e))")
        LEGITIMATE_INTERESTS = "legitimate_interests", _("Legitimate interests (Art. 6(1)(f))")

    class SpecialCategoryCondition(models.TextChoices):
        EXPLICIT_CONSENT = "explicit_consent", _("Explicit consent (Art. 9(2)(a))")
        SOCIAL_PROTECTION = (
            "social_protection",
            _("Employment, social security and social protection law (Art. 9(2)(b))"),
        )
        VITAL_INTERESTS = (
            "vital_interests",
            _("Vital interests, person unable to consent (Art. 9(2)(c))"),
        )
        NOT_FOR_PROFIT = "not_for_profit", _("Not-for-profit body, own members (Art. 9(2)(d))")
        LEGAL_CLAIMS = "legal_claims", _("Legal claims (Art. 9(2)(f))")
        SUBSTANTIAL_PUBLIC_INTEREST = (
            "substantial_public_interest",
            _("Substantial public interest (Art. 9(2)(g))"),
        )
        HEALTH_OR_SOCIAL_CARE = "health_or_social_care", _("Health or social care (Art. 9(2)(h))")

    class GivenBy(models.TextChoices):
        CLIENT = "client", _("The client")
        GUARDIAN = "guardian", _("Parent or legal guardian")
        OTHER = "other", _("Someone else (named)")

    class Method(models.TextChoices):
        VERBAL = "verbal", _("Verbal")
        WRITTEN = "written", _("Written (signed form)")
        DIGITAL = "digital", _("Digital")

    # Purposes a client may refuse without losing any support.
    OPTIONAL_PURPOSES = frozenset({Purpose.STATISTICS, Purpose.CONTACT})
    # The only fields that change after recording: the withdrawal.
    WITHDRAWAL_FIELDS = ("withdrawn_at", "withdrawn_by", "withdrawal_reason")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="consents")
    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="+", verbose_name=_("collecting agency")
    )
    purpose = models.CharField(_("purpose"), max_length=20, choices=Purpose.choices)
    lawful_basis = models.CharField(_("lawful basis"), max_length=24, choices=LawfulBasis.choices)
    special_category_condition = models.CharField(
        _("Art. 9(2) condition"),
        max_length=32,
        choices=SpecialCategoryCondition.choices,
        blank=True,
        help_text=_("Needed when health or other special-category data is covered."),
    )
    data_categories = models.JSONField(_("data categories"), default=list)
    recipient_agencies = models.ManyToManyField(
        Agency, blank=True, related_name="+", verbose_name=_("recipient agencies")
    )
    recipient_service_categories = models.JSONField(
        _("recipient kinds of service"), default=list, blank=True
    )
    given_by = models.CharField(_("given by"), max_length=10, choices=GivenBy.choices)
    given_by_name = models.CharField(
        _("name of the person who gave it"), max_length=200, blank=True
    )
    method = models.CharField(_("how"), max_length=10, choices=Method.choices)
    evidence = models.ForeignKey(
        Document,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("evidence (signed form)"),
    )
    notice_version = models.CharField(_("information notice version"), max_length=40)
    explanation_language = models.CharField(_("language of the explanation"), max_length=16)
    interpreter_used = models.BooleanField(_("an interpreter was used"), default=False)
    given_at = models.DateTimeField(_("given on"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires on"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("withdrawn on"), null=True, blank=True, editable=False)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        editable=False,
    )
    withdrawal_reason = models.TextField(_("reason for withdrawal"), blank=True, editable=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)
    # Transcribed from the agency's paper record by a spreadsheet import (the
    # importing user is ``recorded_by``): the file gave its date, how it was
    # given and its purpose, not a signed form.
    from_paper_record = models.BooleanField(
        _("transcribed from a paper record"), default=False, editable=False
    )

    history = HistoricalRecords()
    objects = models.Manager.from_queryset(ConsentQuerySet)()

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        ordering = ["-given_at"]
        indexes = [models.Index(fields=["client", "purpose"], name="consent_client_purpose")]
        permissions = [("withdraw_consent", "Record the withdrawal of a consent")]

    def __str__(self) -> str:
        return str(self.pk)

    def save(self, *args, **kwargs):
        if not self._state.adding:
            self._refuse_edits()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        # The one exception: undoing the import that transcribed it takes back
        # a transcription, not a client's decision (casework.services.imports).
        if self.from_paper_record and getattr(self, "_undoing_import", False):
            return super().delete(*args, **kwargs)
        raise ConsentIsAppendOnly()

    def status_at(self, at=None) -> str:
        """active, expired, withdrawn or not_yet_valid at ``at`` (default now)."""
        at = at or timezone.now()
        if self.withdrawn_at is not None and self.withdrawn_at <= at:
            return self.Status.WITHDRAWN
        if self.given_at > at:
            return self.Status.NOT_YET_VALID
        if self.expires_at is not None and self.expires_at <= at:
            return self.Status.EXPIRED
        return self.Status.ACTIVE

    @property
    def status(self) -> str:
        return self.status_at()

    def _refuse_edits(self) -> None:
        stored = type(self).objects.filter(pk=self.pk).values().first()
        if stored is None:
            return
        for field in self._meta.concrete_fields:
            if field.attname in self.WITHDRAWAL_FIELDS or field.name in self.WITHDRAWAL_FIELDS:
                continue
            if stored[field.attname] != getattr(self, field.attname):
                raise ConsentIsAppendOnly()
        if stored["withdrawn_at"] is not None and stored["withdrawn_at"] != self.withdrawn_at:
            raise ConsentIsAppendOnly()  # a withdrawal is final too


class DoNotDisclose(models.Model):
    """An agency or a person who must never learn anything about this case's client."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="do_not_disclose")
    agency = models.ForeignKey(
        Agency,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("agency"),
    )
    person_name = models.CharField(_("person"), max_length=200, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    history = HistoricalRecords()
    objects = TrackedManager()

    class Meta:
        verbose_name = _("do-not-disclose entry")
        verbose_name_plural = _("do-not-disclose entries")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(agency__isnull=False) | ~models.Q(person_name=""),
                name="do_not_disclose_names_someone",
            ),
            models.UniqueConstraint(
                fields=["case", "agency"],
                condition=models.Q(agency__isnull=False),
                name="do_not_disclose_agency_once_per_case",
            ),
        ]

    def __str__(self) -> str:
        return str(self.pk)


def refuse_recipient_changes(sender, instance, action, **kwargs):
    """Recipients are set once, by the service that records the consent."""
    if action in ("pre_add", "pre_remove", "pre_clear") and not getattr(
        instance, "_recording", False
    ):
        raise ConsentIsAppendOnly()


models.signals.m2m_changed.connect(
    refuse_recipient_changes,
    sender=Consent.recipient_agencies.through,
    dispatch_uid="casework.consent.refuse_recipient_changes",
)
