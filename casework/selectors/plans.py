"""Integration plans as their readers may see them.

A plan is read through its case (``get_case_for``: the case's scope, the
access log). VIEW_PLAN opens it; a goal about health (``SPECIAL_DOMAINS``)
and its actions are read only by who holds VIEW_SENSITIVE on the case,
everywhere: the page, the API, the printed plan. Who may not see such a goal
is not told that one exists.
"""

import datetime
from dataclasses import dataclass, field
from uuid import UUID

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from accounts.models import User
from accounts.permissions import Perm
from accounts.selectors import agencies_where
from casework.models import (
    SPECIAL_DOMAINS,
    Case,
    IntegrationPlan,
    PlanAction,
    PlanAgreement,
    PlanDomain,
    PlanGoal,
)
from casework.selectors.scope import cases_visible_to, get_case_for, is_uuid
from config.errors import NotFound


def plan_of(case: Case) -> IntegrationPlan | None:
    """The case's plan, if one was drawn up (a system read: the caller
    checked VIEW_PLAN on the case)."""
    return IntegrationPlan.objects.filter(case=case).first()


def _sees_special(actor: User, case: Case) -> bool:
    return actor.has_perm(Perm.VIEW_SENSITIVE, case)


def goals_visible_to(actor: User, case: Case) -> QuerySet[PlanGoal]:
    """The goals of a visible case for holders of VIEW_PLAN, oldest first;
    goals about health only with VIEW_SENSITIVE on the case."""
    if not actor.has_perm(Perm.VIEW_PLAN, case):
        return PlanGoal.objects.none()
    goals = PlanGoal.objects.filter(case=case)
    if not _sees_special(actor, case):
        goals = goals.exclude(domain__in=SPECIAL_DOMAINS)
    return goals.select_related("created_by").order_by("created_at", "id")


def actions_visible_to(actor: User, case: Case) -> QuerySet[PlanAction]:
    """The actions of the goals ``goals_visible_to`` shows, oldest first."""
    if not actor.has_perm(Perm.VIEW_PLAN, case):
        return PlanAction.objects.none()
    actions = PlanAction.objects.filter(case=case)
    if not _sees_special(actor, case):
        actions = actions.exclude(goal__domain__in=SPECIAL_DOMAINS)
    return actions.select_related(
        "goal", "responsible_user", "responsible_agency", "evidence_document", "evidence_note"
    ).order_by("created_at", "id")


def get_goal_for(
    actor: User,
    case_id: UUID | str,
    goal_id: UUID | str,
    perm: Perm = Perm.VIEW_PLAN,
    *,
    lock=False,
) -> tuple[Case, PlanGoal]:
    """(case, goal) for a goal the actor may see (NotFound otherwise: a goal
    about health is not there for who may not see it), with ``perm`` on the
    case (Forbidden otherwise). ``lock`` locks the case and the goal."""
    case = get_case_for(actor, case_id, perm, lock=lock)
    goals = goals_visible_to(actor, case)
    if lock:
        goals = goals.select_for_update(of=("self",))
    goal = goals.filter(pk=goal_id).first() if is_uuid(goal_id) else None
    if goal is None:
        raise NotFound()
    return case, goal


def get_action_for(
    actor: User,
    case_id: UUID | str,
    action_id: UUID | str,
    perm: Perm = Perm.VIEW_PLAN,
    *,
    lock=False,
) -> tuple[Case, PlanAction]:
    """(case, action) as ``get_goal_for`` answers for a goal."""
    case = get_case_for(actor, case_id, perm, lock=lock)
    actions = actions_visible_to(actor, case)
    if lock:
        actions = actions.select_for_update(of=("self",))
    action = actions.filter(pk=action_id).first() if is_uuid(action_id) else None
    if action is None:
        raise NotFound()
    return case, action


def current_agreement(plan: IntegrationPlan) -> PlanAgreement | None:
    """The latest record of the client's agreement (or why not) to any version."""
    return (
        PlanAgreement.objects.filter(plan=plan)
        .select_related("recorded_by", "document")
        .order_by("-plan_version", "-recorded_at", "-id")
        .first()
    )


def agreements_of(plan: IntegrationPlan) -> QuerySet[PlanAgreement]:
    """Every agreement record of the plan, newest version first."""
    return (
        PlanAgreement.objects.filter(plan=plan)
        .select_related("recorded_by", "document")
        .order_by("-plan_version", "-recorded_at", "-id")
    )


@dataclass
class PlanView:
    """A case's plan as one reader sees it: its goals (each with its visible
    actions in ``goal.visible_actions``), the agreement and what is awaited."""

    case: Case
    plan: IntegrationPlan | None
    goals: list[PlanGoal] = field(default_factory=list)
    agreement: PlanAgreement | None = None
    can_change: bool = False

    @property
    def awaits_agreement(self) -> bool:
        """The current version has no record of agreement (or why not)."""
        if self.plan is None:
            return False
        return self.agreement is None or self.agreement.plan_version < self.plan.version

    @property
    def is_agreed(self) -> bool:
        return (
            self.plan is not None
            and self.agreement is not None
            and self.agreement.plan_version == self.plan.version
            and self.agreement.is_agreed
        )

    @property
    def actions(self) -> list[PlanAction]:
        return [action for goal in self.goals for action in goal.visible_actions]

    @property
    def goals_by_domain(self) -> list[tuple[PlanDomain, list[PlanGoal]]]:
        """(domain, its goals) for each domain with goals, in the domains'
        order; goals oldest first within a domain (the page and the printed
        plan group them so)."""
        grouped: dict[str, list[PlanGoal]] = {}
        for goal in self.goals:
            grouped.setdefault(goal.domain, []).append(goal)
        return [
            (PlanDomain(domain), grouped[domain])
            for domain in PlanDomain.values
            if domain in grouped
        ]


def plan_view_for(actor: User, case: Case) -> PlanView | None:
    """The plan of a case the actor sees, as ``PlanView`` (None without
    VIEW_PLAN). Three statements: the plan, the goals with their actions,
    the agreement."""
    if not actor.has_perm(Perm.VIEW_PLAN, case):
        return None
    can_change = actor.has_perm(Perm.CHANGE_PLAN, case) and case.can_be_edited
    plan = plan_of(case)
    if plan is None:
        return PlanView(case=case, plan=None, can_change=can_change)
    goals = list(
        goals_visible_to(actor, case).prefetch_related(
            Prefetch(
                "actions",
                queryset=PlanAction.objects.select_related(
                    "responsible_user", "responsible_agency", "evidence_document", "evidence_note"
                ).order_by("created_at", "id"),
                to_attr="visible_actions",
            )
        )
    )
    return PlanView(
        case=case,
        plan=plan,
        goals=goals,
        agreement=current_agreement(plan),
        can_change=can_change,
    )


# --- Supervisors: plans that need attention ------------------------------------------


@dataclass(frozen=True)
class PlanAttention:
    case: Case
    overdue: bool
    stalled: bool


def plans_needing_attention(
    actor: User, *, stalled_days: int, now: datetime.datetime | None = None, limit: int = 20
) -> list[PlanAttention]:
    """Plans of the cases the actor sees in the agencies where they see every
    case (VIEW_ALL_CASES: supervisors) that are overdue (an open action past
    its due date, an active goal past its target date) or stalled (an open
    action nobody moved on for ``stalled_days``), of open cases, the most
    overdue first."""
    agencies = list(agencies_where(actor, Perm.VIEW_ALL_CASES))
    if not agencies:
        return []
    now = now or timezone.now()
    today = timezone.localdate(now)
    stalled_before = now - datetime.timedelta(days=stalled_days)
    open_actions = PlanAction.objects.filter(
        case=OuterRef("case"), status__in=PlanAction.OPEN_STATUSES
    )
    overdue = Exists(open_actions.filter(due_on__lt=today)) | Exists(
        PlanGoal.objects.filter(
            case=OuterRef("case"), status=PlanGoal.Status.ACTIVE, target_date__lt=today
        )
    )
    stalled = Exists(open_actions.filter(progressed_at__lt=stalled_before))
    plans = (
        IntegrationPlan.objects.filter(
            case__in=cases_visible_to(actor).filter(
                agency_id__in=agencies, status__in=[Case.Status.OPEN, Case.Status.ON_HOLD]
            )
        )
        .annotate(is_overdue=overdue, is_stalled=stalled)
        .filter(Q(is_overdue=True) | Q(is_stalled=True))
        .select_related("case__assigned_to")
        .order_by("-is_overdue", "updated_at", "id")[:limit]
    )
    return [
        PlanAttention(
            case=plan.case,
            overdue=plan.is_overdue,
            stalled=plan.is_stalled,
        )
        for plan in plans
    ]
