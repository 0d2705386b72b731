"""The integration plan at a glance, for the case page's panel: its version,
the client's agreement, and how many of the actions the reader sees are open,
done and overdue, without reading the goals and actions themselves."""

from dataclasses import dataclass

from django.db.models import Count, OuterRef, Q, Subquery
from django.utils import timezone

from accounts.models import User
from accounts.permissions import Perm
from casework.models import Case, IntegrationPlan, PlanAction, PlanAgreement
from casework.selectors.plans import PlanView, actions_visible_to


@dataclass(frozen=True)
class PlanSummary:
    """``view``: the plan and its latest agreement record (no goals), so
    ``view.is_agreed`` and ``view.awaits_agreement`` answer as on the plan
    page; the counts are of the actions the reader sees."""

    view: PlanView
    open_actions: int = 0
    done_actions: int = 0
    overdue_actions: int = 0


def plan_summary_for(actor: User, case: Case) -> PlanSummary | None:
    """The plan of a case the actor sees, summed up (None without VIEW_PLAN).
    Two statements: the plan with its latest agreement record, then the
    counts of the actions (none when the case has no plan). Actions under a
    goal about health count only for who holds VIEW_SENSITIVE on the case."""
    if not actor.has_perm(Perm.VIEW_PLAN, case):
        return None
    can_change = actor.has_perm(Perm.CHANGE_PLAN, case) and case.can_be_edited
    latest = PlanAgreement.objects.filter(plan=OuterRef("pk")).order_by(
        "-plan_version", "-recorded_at", "-id"
    )
    plan = (
        IntegrationPlan.objects.filter(case=case)
        .annotate(
            agreement_version=Subquery(latest.values("plan_version")[:1]),
            agreement_method=Subquery(latest.values("method")[:1]),
            agreement_at=Subquery(latest.values("agreed_at")[:1]),
            agreement_reason=Subquery(latest.values("reason")[:1]),
        )
        .first()
    )
    if plan is None:
        return PlanSummary(view=PlanView(case=case, plan=None, can_change=can_change))
    agreement = None
    if plan.agreement_version is not None:
        # What the panel says of it; the record itself is on the plan page.
        agreement = PlanAgreement(
            plan=plan,
            case=case,
            plan_version=plan.agreement_version,
            method=plan.agreement_method,
            agreed_at=plan.agreement_at,
            reason=plan.agreement_reason,
        )
    is_open = Q(status__in=PlanAction.OPEN_STATUSES)
    counts = (
        actions_visible_to(actor, case)
        .select_related(None)
        .order_by()
        .aggregate(
            open=Count("pk", filter=is_open),
            done=Count("pk", filter=Q(status=PlanAction.Status.DONE)),
            overdue=Count("pk", filter=is_open & Q(due_on__lt=timezone.localdate())),
        )
    )
    return PlanSummary(
        view=PlanView(case=case, plan=plan, agreement=agreement, can_change=can_change),
        open_actions=counts["open"],
        done_actions=counts["done"],
        overdue_actions=counts["overdue"],
    )
