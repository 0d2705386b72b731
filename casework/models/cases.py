"""Cases and what happens in them: notes, follow-ups, documents; the case-number counter."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from accounts.models import Agency
from accounts.permissions import Perm
from accounts.tracking import TrackedManager
from casework.models.clients import Client


class Case(models.Model):
    """One line of support for a client, owned by one agency."""

    class Type(models.TextChoices):
        ASYLUM_LEGAL = "asylum_legal", _("Asylum / legal")
        HOUSING = "housing", _("Housing")
        HEALTH = "health", _("Health")
        EMPLOYMENT = "employment", _("Employment")
        EDUCATION = "education", _("Education")
        LANGUAGE = "language", _("Language")
        FAMILY_REUNIFICATION = "family_reunification", _("Family reunification")
        CHILD_PROTECTION = "child_protection", _("Child protection")
        GBV = "gbv", _("Gender-based violence")
        SOCIAL_SUPPORT = "social_support", _("Social support")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        ON_HOLD = "on_hold", _("On hold")
        CLOSED = "closed", _("Closed")

    class Risk(models.TextChoices):
        LOW = "low", _("Low")
        MEDIUM = "medium", _("Medium")
        HIGH = "high", _("High")
        CRITICAL = "critical", _("Critical")

    class ClosureReason(models.TextChoices):
        GOALS_MET = "goals_met", _("Goals met")
        REFERRED = "referred", _("Referred elsewhere")
        CLIENT_WITHDREW = "client_withdrew", _("Client withdrew")
        LOST_CONTACT = "lost_contact", _("Lost contact")
        MOVED_AWAY = "moved_away", _("Moved away")
        NOT_ELIGIBLE = "not_eligible", _("Not eligible")
        DECEASED = "deceased", _("Deceased")
        OTHER = "other", _("Other")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # The common facts of the access rule live on the case itself (indexed):
    # owning agency, restricted flag, assignee. Guardian rows hold the exceptions.
    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="cases", verbose_name=_("owning agency")
    )
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="cases")
    number = models.CharField(_("case number"), max_length=40, editable=False)
    case_type = models.CharField(_("type"), max_length=24, choices=Type.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    closure_reason = models.CharField(
        _("closure reason"), max_length=20, choices=ClosureReason.choices, blank=True
    )
    risk_level = models.CharField(
        _("risk level"), max_length=10, choices=Risk.choices, default=Risk.LOW
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_cases",
        verbose_name=_("assigned caseworker"),
    )
    is_restricted = models.BooleanField(
        _("restricted"),
        default=False,
        help_text=_("Only the assigned caseworker and supervisors see a restricted case."),
    )
    summary = models.TextField(_("summary"), blank=True)
    opened_at = models.DateTimeField(_("opened"), default=timezone.now, editable=False)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True, editable=False)
    # Set when retention (or the client's erasure) removed the case's free text.
    anonymised_at = models.DateTimeField(null=True, blank=True, editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()
    objects = TrackedManager()

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        constraints = [
            models.UniqueConstraint(fields=["agency", "number"], name="case_number_per_agency"),
            models.CheckConstraint(
                condition=~models.Q(status="closed") | ~models.Q(closure_reason=""),
                name="closed_case_has_reason",
            ),
        ]
        indexes = [
            # Keyset pagination of the list (whole agency, or all visible cases).
            models.Index(fields=["agency", "-updated_at", "-id"], name="case_agency_updated"),
            # Whose open cases (the team, a caseload count: index-only with the agency).
            models.Index(
                fields=["assigned_to", "status", "agency"], name="case_assignee_status_agency"
            ),
            models.Index(fields=["-updated_at", "-id"], name="case_updated"),
        ]
        permissions = [
            ("view_all_cases", "See every case of the agency, restricted ones included"),
            ("assign_case", "Assign a case to a caseworker"),
            ("restrict_case", "Mark a case restricted or unrestricted"),
            ("close_case", "Close and reopen a case"),
            ("view_case_history", "See the field-level history of a case"),
        ]

    def __str__(self) -> str:
        return self.number

    # --- State rules ---------------------------------------------------------------
    # What the case's status allows, each said once: the services refuse the
    # rest on the locked row (409), and ``casework.selectors.case_actions_for``
    # reads the same rules to decide which actions a page offers.

    @property
    def is_closed(self) -> bool:
        return self.status == self.Status.CLOSED

    @property
    def can_be_edited(self) -> bool:
        """Type, risk level and summary change until the case is closed."""
        return not self.is_closed

    @property
    def accepts_follow_ups(self) -> bool:
        """New follow-ups are offered until the case is closed."""
        return not self.is_closed

    @property
    def can_be_put_on_hold(self) -> bool:
        return self.status == self.Status.OPEN

    @property
    def can_be_closed(self) -> bool:
        return self.status in (self.Status.OPEN, self.Status.ON_HOLD)

    @property
    def can_be_reopened(self) -> bool:
        return self.status in (self.Status.CLOSED, self.Status.ON_HOLD)

    @property
    def can_be_assigned(self) -> bool:
        return self.status in (self.Status.OPEN, self.Status.ON_HOLD)

    @property
    def reopen_permission(self) -> Perm:
        """Reopening a closed case undoes a closure (CLOSE_CASE); resuming one on
        hold undoes a pause (CHANGE_CASE)."""
        return Perm.CLOSE_CASE if self.is_closed else Perm.CHANGE_CASE


class CaseCounter(models.Model):
    """The last case number used by an agency in a year (no history: a counter)."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    last_value = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["agency", "year"], name="case_counter_agency_year"),
        ]

    def __str__(self) -> str:
        return str(self.pk)


class CaseNote(models.Model):
    class Kind(models.TextChoices):
        NOTE = "note", _("Note")
        CALL = "call", _("Phone call")
        MEETING = "meeting", _("Meeting")
        HOME_VISIT = "home_visit", _("Home visit")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.NOTE)
    body = models.TextField(_("note"))
    is_confidential = models.BooleanField(
        _("confidential"),
        default=False,
        help_text=_("Only you and the supervisors will see this note."),
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    history = HistoricalRecords()
    objects = TrackedManager()

    class Meta:
        verbose_name = _("case note")
        verbose_name_plural = _("case notes")
        permissions = [("view_confidential_note", "See other people's confidential notes")]
        indexes = [models.Index(fields=["case", "-created_at"], name="note_case_created")]

    def __str__(self) -> str:
        return str(self.pk)


class FollowUp(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="follow_ups")
    title = models.CharField(_("what to do"), max_length=200)
    due_on = models.DateField(_("due on"))
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="follow_ups",
        verbose_name=_("assigned to"),
    )
    done_at = models.DateTimeField(_("done"), null=True, blank=True, editable=False)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    history = HistoricalRecords()
    objects = TrackedManager()

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        ordering = ["due_on"]
        indexes = [
            models.Index(fields=["assigned_to", "done_at", "due_on"], name="followup_assignee_due"),
            models.Index(fields=["case", "done_at", "due_on"], name="followup_case_due"),
        ]

    def __str__(self) -> str:
        return str(self.pk)

    @property
    def is_overdue(self) -> bool:
        # Against the local date: a page's (the user's zone), the API's (UTC).
        return self.done_at is None and self.due_on < timezone.localdate()


def document_path(instance, filename):
    # The stored name never comes from the client: a fresh UUID, no extension.
    return f"documents/{instance.case.agency_id}/{uuid.uuid4().hex}"


class Document(models.Model):
    class Category(models.TextChoices):
        IDENTITY = "identity", _("Identity")
        LEGAL = "legal", _("Legal / immigration")
        MEDICAL = "medical", _("Medical")
        EDUCATION = "education", _("Education / employment")
        CONSENT = "consent", _("Consent form")
        CORRESPONDENCE = "correspondence", _("Correspondence")
        OTHER = "other", _("Other")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="documents")
    file = models.FileField(upload_to=document_path, max_length=200)
    category = models.CharField(_("category"), max_length=16, choices=Category.choices)
    description = models.CharField(_("description"), max_length=200, blank=True)
    content_type = models.CharField(max_length=100, editable=False)
    extension = models.CharField(max_length=10, editable=False)
    size = models.PositiveIntegerField(editable=False)
    sha256 = models.CharField(max_length=64, editable=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    uploaded_at = models.DateTimeField(default=timezone.now, editable=False)

    history = HistoricalRecords()
    objects = TrackedManager()

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["-uploaded_at"]

    def __str__(self) -> str:
        return str(self.pk)

    @property
    def download_name(self) -> str:
        return f"{self.case.number}-{str(self.pk)[:8]}.{self.extension}"

    @property
    def is_sensitive(self) -> bool:
        return self.category == self.Category.MEDICAL
