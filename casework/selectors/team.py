"""A supervisor's view of the team: per caseworker, their open cases, the
high-risk ones, those with overdue follow-ups and those without activity.

The supervisor's section of the home page counts with the conditions below and
every number links to the case list filtered by the same conditions
(``casework.selectors.filter_cases``): a count is the number of rows its list
shows, by construction.

**Activity.** A case's last activity is the latest of: a change to the case
itself (``updated_at``: an edit, a status change, a reassignment, a
restriction), a note written, a follow-up scheduled or marked done, a document
uploaded. A case is *inactive* when it is not closed and nothing of that
happened in the last ``Agency.inactivity_days`` days (the case's agency's
setting, default 14), counted back from now. Reading a case is not activity,
nor is a follow-up's due date passing.

**Overdue.** A case is *overdue* when it is not closed and has an open
follow-up due before the reader's local today (the zone their pages show; UTC
in the API).
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from uuid import UUID

from django.db.models import (
    BooleanField,
    Count,
    DateTimeField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    Func,
    OuterRef,
    Q,
    Value,
)
from django.utils.translation import gettext as _

from accounts.models import Agency, Membership, User
from accounts.permissions import Perm, Role
from accounts.selectors import agencies_of, agencies_where
from casework.models import Case, CaseNote, Document, FollowUp
from casework.selectors.scope import cases_visible_to, is_uuid

# The case list's and the API's value of ``assignee`` for cases assigned to no one.
UNASSIGNED = "unassigned"

HIGH_RISK_LEVELS = (Case.Risk.HIGH, Case.Risk.CRITICAL)


class _Days(Func):
    """An integer expression (an agency's ``inactivity_days``) as a duration of
    that many days, in each database's own terms: PostgreSQL multiplies an
    interval; SQLite, where Django keeps a duration as microseconds, an integer."""

    arity = 1
    output_field = DurationField()
    template = "(%(expressions)s * INTERVAL '1 day')"

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler, connection, template="(%(expressions)s * 86400000000)", **extra_context
        )


def high_risk_condition() -> Q:
    """Cases whose risk level is high or critical."""
    return Q(risk_level__in=HIGH_RISK_LEVELS)


def overdue_condition(today: date) -> Q:
    """Cases not closed with an open follow-up due before ``today`` (the
    reader's local date)."""
    late = FollowUp.objects.filter(case_id=OuterRef("pk"), done_at__isnull=True, due_on__lt=today)
    return ~Q(status=Case.Status.CLOSED) & Q(Exists(late))


def _inactive_since(now: datetime, days) -> ExpressionWrapper:
    """``now`` minus ``days`` (an expression naming the agency's inactivity_days) days."""
    return ExpressionWrapper(
        Value(now, output_field=DateTimeField()) - _Days(days), output_field=DateTimeField()
    )


def inactive_condition(now: datetime) -> Q:
    """Cases not closed without activity (see the module's docstring) since
    ``now`` minus their agency's ``inactivity_days``. One statement: the
    cut-off is computed in SQL from each case's agency."""
    since = _inactive_since(now, OuterRef("agency__inactivity_days"))
    notes = CaseNote.objects.filter(case_id=OuterRef("pk"), created_at__gte=since)
    follow_ups = FollowUp.objects.filter(
        Q(created_at__gte=since) | Q(done_at__gte=since), case_id=OuterRef("pk")
    )
    documents = Document.objects.filter(case_id=OuterRef("pk"), uploaded_at__gte=since)
    return (
        ~Q(status=Case.Status.CLOSED)
        & Q(updated_at__lt=_inactive_since(now, F("agency__inactivity_days")))
        & ~Q(Exists(notes))
        & ~Q(Exists(follow_ups))
        & ~Q(Exists(documents))
    )


def assignee_condition(assignee: UUID | str) -> Q:
    """Cases assigned to the user ``assignee`` (an id), or to no one for ``UNASSIGNED``."""
    if assignee == UNASSIGNED:
        return Q(assigned_to__isnull=True)
    return Q(assigned_to_id=assignee)


def case_filter_choices(actor: User, assignee: str = "") -> dict:
    """The choices of the case list's ``agency`` and ``assignee`` filters:
    ``agencies``, (slug, name) of ``actor``'s agencies by name; ``people``,
    (user id, label) of those who may hold their cases (active caseworkers
    and supervisors) by name, and ``assignee`` (the person the list is
    narrowed to) when they are or were a member of one of those agencies,
    labelled as no longer active if so. Staff names only. Two queries."""
    agencies = list(agencies_of(actor).order_by("name").values_list("pk", "slug", "name"))
    if not agencies:
        return {"agencies": [], "people": []}
    holds_cases = Q(
        role__in=[Role.CASEWORKER, Role.SUPERVISOR], is_active=True, user__is_active=True
    )
    wanted = (holds_cases | Q(user_id=assignee)) if is_uuid(assignee) else holds_cases
    memberships = (
        Membership.objects.filter(wanted, agency_id__in=[pk for pk, _slug, _name in agencies])
        .annotate(holds_cases=ExpressionWrapper(holds_cases, output_field=BooleanField()))
        .values_list("user_id", "user__display_name", "holds_cases")
    )
    people: dict[UUID, list] = {}
    for user_id, name, active in memberships:
        person = people.setdefault(user_id, [name, False])
        person[1] = person[1] or active
    return {
        "agencies": [(slug, name) for _pk, slug, name in agencies],
        "people": [
            (
                str(user_id),
                name if active else _("%(name)s (no longer active)") % {"name": name},
            )
            for user_id, (name, active) in sorted(
                people.items(), key=lambda item: (item[1][0].casefold(), str(item[0]))
            )
        ],
    }


# --- The team overview ------------------------------------------------------------


@dataclass
class TeamRow:
    """One line of the team table: a person (``user_id`` None: the cases
    assigned to no one; ``is_total``: the whole agency) and their open cases."""

    user_id: UUID | None
    name: str = ""
    is_active_member: bool = True
    is_total: bool = False
    open_cases: int = 0
    high_risk: int = 0
    overdue: int = 0
    inactive: int = 0

    COUNTS = ("open_cases", "high_risk", "overdue", "inactive")

    @property
    def assignee(self) -> str:
        """The case list's ``assignee`` value for this row ("" for the total)."""
        if self.is_total:
            return ""
        return UNASSIGNED if self.user_id is None else str(self.user_id)

    def add(self, counts: dict) -> None:
        for name in self.COUNTS:
            setattr(self, name, getattr(self, name) + counts[name])


@dataclass
class AgencyTeam:
    """An agency's team as its supervisor sees it: one row per caseworker
    (active caseworkers, and anyone else holding open cases of the agency),
    the cases assigned to no one, and the totals (every open case)."""

    agency: Agency
    rows: list[TeamRow] = field(default_factory=list)
    unassigned: TeamRow = field(default_factory=lambda: TeamRow(user_id=None))
    total: TeamRow = field(default_factory=lambda: TeamRow(user_id=None, is_total=True))

    @property
    def inactivity_days(self) -> int:
        return self.agency.inactivity_days


def team_overview(
    actor: User, agencies: Iterable[Agency], *, today: date, now: datetime
) -> list[AgencyTeam]:
    """For each of ``agencies`` where ``actor`` sees every case
    (VIEW_ALL_CASES: supervisors), the team table (``AgencyTeam``) counted
    within ``actor``'s case scope, as the case list counts. ``today`` is the
    reader's local date (overdue), ``now`` the moment inactivity is measured
    from. Two queries whatever the size of the team; records the case list read."""
    sees_all = agencies_where(actor, Perm.VIEW_ALL_CASES)
    teams = {agency.pk: AgencyTeam(agency=agency) for agency in agencies if agency.pk in sees_all}
    if not teams:
        return []
    counts = list(
        cases_visible_to(actor)
        .filter(agency_id__in=list(teams), status=Case.Status.OPEN)
        .order_by()
        .values("agency_id", "assigned_to_id", "assigned_to__display_name")
        .annotate(
            open_cases=Count("pk"),
            high_risk=Count("pk", filter=high_risk_condition()),
            overdue=Count("pk", filter=overdue_condition(today)),
            inactive=Count("pk", filter=inactive_condition(now)),
        )
    )
    holding = {(row["agency_id"], row["assigned_to_id"]) for row in counts if row["assigned_to_id"]}
    members = (
        Membership.objects.filter(agency_id__in=list(teams))
        .filter(
            Q(role=Role.CASEWORKER, is_active=True, user__is_active=True)
            | Q(user_id__in={user_id for _agency_id, user_id in holding})
        )
        .order_by()
        .values_list(
            "agency_id", "user_id", "user__display_name", "role", "is_active", "user__is_active"
        )
    )
    people: dict[tuple[UUID, UUID], TeamRow] = {}
    for agency_id, user_id, name, role, is_active, user_is_active in members:
        key = (agency_id, user_id)
        active = is_active and user_is_active
        if not (role == Role.CASEWORKER and active) and key not in holding:
            continue  # holds cases in another of the agencies only
        row = people.setdefault(key, TeamRow(user_id=user_id, name=name, is_active_member=False))
        row.is_active_member = row.is_active_member or active
    for counted in counts:
        team = teams[counted["agency_id"]]
        team.total.add(counted)
        if counted["assigned_to_id"] is None:
            team.unassigned.add(counted)
            continue
        key = (counted["agency_id"], counted["assigned_to_id"])
        # Someone holding a case without any membership of the agency (never
        # expected) still has their line, so that the lines add up to the total.
        row = people.setdefault(
            key,
            TeamRow(
                user_id=counted["assigned_to_id"],
                name=counted["assigned_to__display_name"],
                is_active_member=False,
            ),
        )
        row.add(counted)
    for (agency_id, _user_id), row in people.items():
        teams[agency_id].rows.append(row)
    for team in teams.values():
        team.rows.sort(key=lambda row: (row.name.casefold(), str(row.user_id)))
    return sorted(teams.values(), key=lambda team: (team.agency.name, team.agency.slug))
