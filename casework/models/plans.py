"""Integration plans (DESIGN §4): the goals a client sets with the caseworker
on a case, the actions under each goal, and the client's agreement to each
version of the plan.

A plan belongs to one case and is case content: the case's scope, history,
the access log, subject access, erasure and retention cover it. Its
``version`` counts changes of what the plan says (goals and actions added,
changed or dropped); progress (an action started or done, a referral's
answer) does not make a new version. Each version asks for the client's
agreement again, or for the reason it was not obtained (``PlanAgreement``).
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from accounts.models import Agency
from accounts.tracking import TrackedManager
from casework.models.cases import Case, CaseNote, Document


class PlanDomain(models.TextChoices):
    LANGUAGE = "language", _("Language")
    HOUSING = "housing", _("Housing")
    EMPLOYMENT_TRAINING = "employment_training", _("Employment and training")
    EDUCATION = "education", _("Education")
    HEALTH = "health", _("Health")
    LEGAL_STATUS = "legal_status", _("Legal status and documents")
    SOCIAL_FAMILY = "social_family", _("Social and family")
    OTHER = "other", _("Other")


# A goal about health is special-category data (GDPR Art. 9): it follows the
# rules of the client's health section (VIEW_SENSITIVE on the case).
SPECIAL_DOMAINS = frozenset({PlanDomain.HEALTH})


class IntegrationPlan(models.Model):
    """The plan of one case: a versioned document of goals and actions."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.OneToOneField(Case, on_delete=models.PROTECT, related_name="plan")
    # v1, v2…: one more for each change of what the plan says.
    version = models.PositiveIntegerField(default=1, editable=False)
    # The language the client reads the printed plan in (beside the agency's).
    client_language = models.CharField(_("client's language"), max_length=10, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()
    objects = TrackedManager()

    class Meta:
        verbose_name = _("integration plan")
        verbose_name_plural = _("integration plans")
        permissions = [("change_plan", "Draw up and change a case's integration plan")]

    def __str__(self) -> str:
        return str(self.pk)


class PlanAgreement(models.Model):
    """The client's agreement to one version of the plan, or why it was not
    obtained. Append-only: a later record for the same version supersedes."""

    class Method(models.TextChoices):
        SIGNED_FORM = "signed_form", _("Signed form")
        VERBAL = "verbal", _("Verbal, in a language the client speaks")
        VERBAL_INTERPRETER = "verbal_interpreter", _("Verbal, with an interpreter")
        LEGAL_GUARDIAN = "legal_guardian", _("Through a legal guardian")
        NOT_OBTAINED = "not_obtained", _("Not obtained")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    plan = models.ForeignKey(
        IntegrationPlan,
        on_delete=models.PROTECT,
        related_name="agreements",
        verbose_name=_("integration plan"),
    )
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="+")
    plan_version = models.PositiveIntegerField(_("plan version"))
    method = models.CharField(_("how"), max_length=20, choices=Method.choices)
    agreed_at = models.DateTimeField(_("agreed on"), null=True, blank=True)
    # Why the agreement was not obtained, or a remark on how it was.
    reason = models.TextField(_("reason or remark"), blank=True)
    document = models.ForeignKey(
        Document,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("signed form"),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)

    history = HistoricalRecords()
    objects = TrackedManager()

    class Meta:
        verbose_name = _("plan agreement")
        verbose_name_plural = _("plan agreements")
        ordering = ["-plan_version", "-recorded_at", "-id"]
        indexes = [models.Index(fields=["plan", "-plan_version"], name="agreement_plan_version")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(method="not_obtained") | models.Q(agreed_at__isnull=False),
                name="plan_agreement_has_date",
            ),
            models.CheckConstraint(
                condition=~models.Q(method="not_obtained") | ~models.Q(reason=""),
                name="plan_agreement_not_obtained_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return str(self.pk)

    @property
    def is_agreed(self) -> bool:
        return self.method != self.Method.NOT_OBTAINED


class PlanGoal(models.Model):
    """A goal of the plan in one domain, in the client's own words and in the
    agency's language."""

    class Priority(models.TextChoices):
        HIGH = "high", _("High")
        MEDIUM = "medium", _("Medium")
        LOW = "low", _("Low")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        ACHIEVED = "achieved", _("Achieved")
        DROPPED = "dropped", _("Dropped")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    plan = models.ForeignKey(
        IntegrationPlan,
        on_delete=models.PROTECT,
        related_name="goals",
        verbose_name=_("integration plan"),
    )
    # The case again: scope, erasure and retention find a goal from its case.
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="plan_goals")
    domain = models.CharField(_("domain"), max_length=24, choices=PlanDomain.choices)
    statement = models.TextField(_("goal"), help_text=_("In the agency's language."))
    statement_client = models.TextField(
        _("in the client's words"), blank=True, help_text=_("As the client says it, any script.")
    )
    target_date = models.DateField(_("target date"), null=True, blank=True)
    priority = models.CharField(
        _("priority"), max_length=8, choices=Priority.choices, default=Priority.MEDIUM
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    status_reason = models.TextField(_("why"), blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()
    objects = TrackedManager()

    class Meta:
        verbose_name = _("goal")
        verbose_name_plural = _("goals")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["case", "created_at"], name="goal_case_created")]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="dropped") | ~models.Q(status_reason=""),
                name="dropped_goal_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return str(self.pk)

    @property
    def is_special_category(self) -> bool:
        return self.domain in SPECIAL_DOMAINS

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.ACTIVE


class PlanAction(models.Model):
    """One step towards a goal: what, who does it, by when, how it went."""

    class Responsible(models.TextChoices):
        CLIENT = "client", _("The client")
        STAFF = "staff", _("A staff member of the agency")
        PARTNER = "partner", _("A partner agency")

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        IN_PROGRESS = "in_progress", _("In progress")
        DONE = "done", _("Done")
        DROPPED = "dropped", _("Dropped")
        BLOCKED = "blocked", _("Blocked")

    OPEN_STATUSES = frozenset({Status.PLANNED, Status.IN_PROGRESS, Status.BLOCKED})

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    goal = models.ForeignKey(
        PlanGoal, on_delete=models.PROTECT, related_name="actions", verbose_name=_("goal")
    )
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="plan_actions")
    description = models.TextField(_("what"))
    responsible = models.CharField(
        _("who is responsible"), max_length=10, choices=Responsible.choices
    )
    responsible_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="plan_actions",
        verbose_name=_("staff member"),
    )
    responsible_agency = models.ForeignKey(
        Agency,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("partner agency"),
    )
    due_on = models.DateField(_("due on"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.PLANNED
    )
    # Why it was dropped or is blocked; what a referral's answer said.
    status_reason = models.TextField(_("why"), blank=True)
    evidence_document = models.ForeignKey(
        Document,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("evidence: a document"),
    )
    evidence_note = models.ForeignKey(
        CaseNote,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("evidence: a note"),
    )
    # The state of the referral that carries the action out, as the referrals
    # app last reported it (blank: never referred). Written only by
    # ``casework.services.follow_referral``.
    referral_state = models.CharField(
        _("state of its referral"), max_length=10, blank=True, editable=False
    )
    # The last time someone moved it on: what "stalled" is measured from.
    progressed_at = models.DateTimeField(_("last moved on"), default=timezone.now, editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()
    objects = TrackedManager()

    class Meta:
        verbose_name = _("action")
        verbose_name_plural = _("actions")
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["case", "created_at"], name="action_case_created"),
            models.Index(fields=["status", "progressed_at"], name="action_status_progressed"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="dropped") | ~models.Q(status_reason=""),
                name="dropped_action_has_reason",
            ),
            models.CheckConstraint(
                condition=~models.Q(responsible="partner")
                | models.Q(responsible_agency__isnull=False),
                name="partner_action_names_agency",
            ),
            models.CheckConstraint(
                condition=~models.Q(responsible="staff") | models.Q(responsible_user__isnull=False),
                name="staff_action_names_user",
            ),
        ]

    def __str__(self) -> str:
        return str(self.pk)

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    @property
    def is_overdue(self) -> bool:
        return self.is_open and self.due_on is not None and self.due_on < timezone.localdate()

    @property
    def is_referred(self) -> bool:
        """A referral for it is open (drafted, sent or accepted)."""
        return self.referral_state in ("draft", "sent", "accepted")

    @property
    def is_referable(self) -> bool:
        """A new referral may carry it out: open, for a partner agency, not
        referred already (what ``casework.services.check_action_referable``
        asks of it, the recipient aside)."""
        return (
            self.is_open
            and self.responsible == self.Responsible.PARTNER
            and self.responsible_agency_id is not None
            and not self.is_referred
        )
