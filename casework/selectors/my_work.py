"""A caseworker's own work: their open follow-ups by when they are due, grouped
by case, and their open cases. The caseworker's section of the home page and
the case list's "my follow-ups" filter read the same rules here, so that every
count on the home page is the number of rows of the list it links to."""

from dataclasses import dataclass
from datetime import date, timedelta

from django.db import models
from django.db.models import Case as SqlCase
from django.db.models import (
    CharField,
    Count,
    Exists,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from casework.models import Case, FollowUp
from casework.selectors.scope import cases_visible_to

# The days after today that "next days" covers (tomorrow up to today + 7).
NEXT_DAYS = 7
# How many cases each part of the home page shows before it links to the case list.
HOME_ROWS = 10


class FollowUpPeriod(models.TextChoices):
    """When an open follow-up is due, measured against the user's local date."""

    OVERDUE = "overdue", _("Overdue")
    TODAY = "today", _("Due today")
    NEXT_DAYS = "next_days", _("Due in the next 7 days")


def period_condition(period: str, today: date, prefix: str = "") -> Q:
    """The follow-ups due in ``period`` (a ``FollowUpPeriod``) seen from ``today``."""
    field = f"{prefix}due_on"
    if period == FollowUpPeriod.OVERDUE:
        return Q(**{f"{field}__lt": today})
    if period == FollowUpPeriod.TODAY:
        return Q(**{field: today})
    if period == FollowUpPeriod.NEXT_DAYS:
        return Q(**{f"{field}__gt": today, f"{field}__lte": today + timedelta(days=NEXT_DAYS)})
    raise ValueError(period)


def _period_of(today: date) -> SqlCase:
    """A follow-up's ``FollowUpPeriod`` as a column (NULL: later)."""
    return SqlCase(
        *[When(period_condition(period, today), then=Value(period)) for period in FollowUpPeriod],
        default=None,
        output_field=CharField(),
    )


def my_open_follow_ups(actor: User) -> QuerySet[FollowUp]:
    """The open follow-ups assigned to ``actor`` on cases they see that are not
    closed (a closed case needs nothing more). Records the case list read."""
    cases = cases_visible_to(actor).exclude(status=Case.Status.CLOSED)
    return FollowUp.objects.filter(
        assigned_to=actor, done_at__isnull=True, case_id__in=cases.values("pk")
    )


def with_my_follow_ups_due(cases: QuerySet[Case], actor: User, period: str, today: date):
    """``cases`` (already scoped) narrowed to those not closed with an open
    follow-up assigned to ``actor`` due in ``period``: the case list's "my
    follow-ups" filter, the same cases as the home page's groups."""
    due = FollowUp.objects.filter(
        period_condition(period, today),
        case_id=OuterRef("pk"),
        assigned_to=actor,
        done_at__isnull=True,
    )
    return cases.exclude(status=Case.Status.CLOSED).filter(Exists(due))


@dataclass(frozen=True)
class CaseFollowUps:
    """One case and the user's follow-ups on it due in one period."""

    case: Case
    follow_ups: list[FollowUp]


@dataclass(frozen=True)
class DueFollowUps:
    """The user's follow-ups due in one period: how many, on how many cases,
    and the first ``HOME_ROWS`` cases with their follow-ups."""

    period: str
    follow_up_count: int
    case_count: int
    cases: list[CaseFollowUps]

    @property
    def more(self) -> bool:
        return self.case_count > len(self.cases)


@dataclass(frozen=True)
class MyWork:
    today: date
    last_day: date
    overdue: DueFollowUps
    due_today: DueFollowUps
    next_days: DueFollowUps
    open_cases: list[Case]
    open_case_count: int

    @property
    def tomorrow(self) -> date:
        return self.today + timedelta(days=1)

    @property
    def periods(self) -> list[DueFollowUps]:
        return [self.overdue, self.due_today, self.next_days]


def _first_cases(follow_ups: QuerySet[FollowUp], period: str, today: date) -> list:
    """The ids of the first ``HOME_ROWS`` cases with follow-ups due in
    ``period``: the longest overdue (or soonest due) first, then by number."""
    return list(
        follow_ups.filter(period_condition(period, today))
        .order_by()
        .values("case_id")
        .annotate(first_due=Min("due_on"), number=Min("case__number"))
        .order_by("first_due", "number")
        .values_list("case_id", flat=True)[:HOME_ROWS]
    )


def my_open_cases(actor: User) -> QuerySet[Case]:
    """The open cases assigned to ``actor`` that they see (the case list's
    ``?mine=on&status=open``), in the case list's order."""
    return cases_visible_to(actor).filter(assigned_to=actor, status=Case.Status.OPEN)


def my_work(actor: User, today: date) -> MyWork:
    """What needs ``actor`` now, seen from ``today`` (their local date): their
    open follow-ups overdue, due today and due in the next ``NEXT_DAYS`` days,
    each grouped by case, and their open cases (the first ``HOME_ROWS``, with
    each case's next open follow-up date). Only cases ``actor`` sees, and no
    follow-up of a closed case. A fixed number of queries whatever the number
    of cases and follow-ups. Records the case list read."""
    last_day = today + timedelta(days=NEXT_DAYS)
    mine = my_open_follow_ups(actor).filter(due_on__lte=last_day)
    periods = list(FollowUpPeriod)
    aggregates = {}
    for period in periods:
        condition = period_condition(period, today)
        aggregates[f"{period}_follow_ups"] = Count("pk", filter=condition)
        aggregates[f"{period}_cases"] = Count("case_id", filter=condition, distinct=True)
    counts = mine.order_by().aggregate(**aggregates)

    first_cases = {
        period: _first_cases(mine, period, today) if counts[f"{period}_cases"] else []
        for period in periods
    }
    shown = {case_id for ids in first_cases.values() for case_id in ids}
    rows = (
        list(
            mine.filter(case_id__in=shown)
            .annotate(period=_period_of(today))
            .select_related("case", "case__client")
            .order_by("due_on", "created_at", "pk")
        )
        if shown
        else []
    )
    groups = {}
    for period in periods:
        by_case: dict = {case_id: [] for case_id in first_cases[period]}
        cases = {}
        for follow_up in rows:
            if follow_up.period == period and follow_up.case_id in by_case:
                follow_up.days_overdue = (today - follow_up.due_on).days
                by_case[follow_up.case_id].append(follow_up)
                cases[follow_up.case_id] = follow_up.case
        groups[period] = DueFollowUps(
            period=period,
            follow_up_count=counts[f"{period}_follow_ups"],
            case_count=counts[f"{period}_cases"],
            cases=[
                CaseFollowUps(cases[case_id], follow_ups)
                for case_id, follow_ups in by_case.items()
                if follow_ups
            ],
        )

    open_cases = my_open_cases(actor)
    next_follow_up = (
        FollowUp.objects.filter(case_id=OuterRef("pk"), done_at__isnull=True)
        .order_by("due_on")
        .values("due_on")[:1]
    )
    return MyWork(
        today=today,
        last_day=last_day,
        overdue=groups[FollowUpPeriod.OVERDUE],
        due_today=groups[FollowUpPeriod.TODAY],
        next_days=groups[FollowUpPeriod.NEXT_DAYS],
        open_cases=list(
            open_cases.select_related("client")
            .annotate(next_follow_up_on=Subquery(next_follow_up))
            .order_by("-updated_at", "-id")[:HOME_ROWS]
        ),
        open_case_count=open_cases.count(),
    )
