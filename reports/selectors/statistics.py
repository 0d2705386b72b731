"""A supervisor's statistics of one agency, every figure already suppressed.

``agency_statistics`` counts, for one agency and period, what DESIGN.md §4
lists: the caseload per caseworker, cases by type, risk, nationality and
month (each by status), the referral funnel with the median time to a
response (sent and received) and the overdue follow-ups. Every count goes
through ``reports.suppression`` with the agency's ``small_cell_threshold``
before it leaves this module: the page, the API, the PDF, CSV and XLSX all
read the ``Table``s built here and cannot show a number that was hidden.

What the period means: cases and referrals are counted when they were
*opened* / *sent* within it (from the first day 00:00 to the end of the last
day, in the agency's time zone whoever reads them: ``reports.periods``), with
their status or state today. The caseload and the overdue follow-ups are
today's (the agency's today), whatever the period.

Reads go through the scoped selectors (``cases_visible_to``,
``referrals_visible_to``) restricted to the agency; a supervisor sees every
case of the agency, so the counts are the agency's. The one exception is
said where it is made (referrals received).
"""

from __future__ import annotations

import datetime
import statistics as pystats
from collections import Counter
from dataclasses import dataclass

from django.db.models import Count, QuerySet
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import TruncDate
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_countries import countries

from accounts.models import Agency, User
from accounts.permissions import Perm, Role
from accounts.selectors import agencies_of, agencies_where, members_of
from casework.models import Case, FollowUp
from casework.selectors import cases_visible_to
from referrals.models import Referral
from referrals.selectors.referrals import referrals_visible_to
from reports.periods import (
    Period,
    agency_today,
    agency_zone,
    get_report_agency,
    months_back,
    parse_agency_period,
)
from reports.suppression import Table, suppress_counts, suppress_linked_tables

# At most five years: the month table has one row per month.
MAX_YEARS = 5
# Nationalities listed one by one; the rest are "Other".
TOP_NATIONALITIES = 8
UNASSIGNED = "unassigned"
NOT_RECORDED = "none"
OTHER = "other"

# The funnel's rows: what became of the referrals sent in the period.
FUNNEL_STATES = (
    Referral.State.SENT,
    Referral.State.ACCEPTED,
    Referral.State.COMPLETED,
    Referral.State.DECLINED,
    Referral.State.EXPIRED,
    Referral.State.CANCELLED,
    Referral.State.WITHDRAWN,
)


@dataclass(frozen=True)
class ResponseTime:
    """The median time from sending to acceptance or decline. ``hours`` is
    None (and ``shown`` says why) when fewer than k referrals had a response:
    a median of two is nearly the two themselves."""

    hours: float | None
    shown: str

    @property
    def hidden(self) -> bool:
        return self.hours is None

    def as_json(self) -> dict:
        return {"shown": self.shown, "hours": self.hours, "hidden": self.hidden}


@dataclass(frozen=True)
class StatTable:
    """A suppressed table with its key (API, file names), title and what its
    rows are; ``row_keys`` are machine values (codes, months, user ids)."""

    key: str
    title: str
    row_header: str
    row_keys: list[str]
    table: Table
    chart: str  # "rows" (chart the row totals) or "cells" (a one-column table)


@dataclass(frozen=True)
class AgencyStatistics:
    agency: Agency
    period: Period
    k: int
    tables: list[StatTable]
    response_sent: ResponseTime
    response_received: ResponseTime

    def table(self, key: str) -> StatTable:
        return next(table for table in self.tables if table.key == key)


# --- The request: agency and period -------------------------------------------------------


def default_period(today: datetime.date) -> Period:
    """The last twelve months: from the first day of the month eleven months
    ago up to today (so the month table has twelve rows)."""
    return Period(start=months_back(today, 12), end=today)


def parse_period(from_value: str | None, to_value: str | None, *, agency: Agency) -> Period:
    """The period of the ``from``/``to`` parameters (a date or a month each;
    default the last twelve months up to the agency's today), in the agency's
    days (``reports.periods.parse_period``: InvalidInput naming the field for
    a bad value or year, an end before the start or more than five years)."""
    return parse_agency_period(
        from_value,
        to_value,
        agency=agency,
        default_start=lambda today: default_period(today).start,
        max_years=MAX_YEARS,
    )


def statistics_agencies(actor: User) -> QuerySet[Agency]:
    """The agencies whose statistics ``actor`` may see (VIEW_STATISTICS), by name."""
    return (
        agencies_of(actor)
        .filter(pk__in=agencies_where(actor, Perm.VIEW_STATISTICS))
        .order_by("name", "slug")
    )


def get_statistics_agency(actor: User, agency: str | None = None) -> Agency:
    """The agency (slug or id; default the first of ``statistics_agencies``)
    whose statistics ``actor`` reads: NotFound when they are not a member of
    it, Forbidden when their role there lacks VIEW_STATISTICS."""
    return get_report_agency(actor, agency, perm=Perm.VIEW_STATISTICS, readable=statistics_agencies)


# --- The figures ----------------------------------------------------------------------------


def _duration(hours: float) -> str:
    if hours < 48:
        return ngettext("%(n)s hour", "%(n)s hours", round(hours)) % {"n": round(hours)}
    days = round(hours / 24, 1)
    shown = f"{days:g}"
    return ngettext("%(n)s day", "%(n)s days", round(days)) % {"n": shown}


def _response_time(
    pairs: list[tuple[datetime.datetime, datetime.datetime]], k: int
) -> ResponseTime:
    hours = [(decided - sent).total_seconds() / 3600 for sent, decided in pairs if sent and decided]
    if len(hours) < k:
        return ResponseTime(
            hours=None,
            shown=_("not shown: fewer than %(k)s responses") % {"k": k},
        )
    median = round(pystats.median(hours), 1)
    return ResponseTime(hours=median, shown=_duration(median))


def _states_and_responses(
    referrals: QuerySet[Referral],
) -> tuple[Counter, list[tuple[datetime.datetime, datetime.datetime]]]:
    """How many of ``referrals`` are in each state today, and the (sent,
    decided) times of those accepted or declined. Two queries."""
    counts = Counter(
        dict(
            referrals.order_by()
            .values_list("state")
            .annotate(n=Count("pk"))
            .values_list("state", "n")
        )
    )
    pairs = list(
        referrals.filter(decided_at__isnull=False).order_by().values_list("sent_at", "decided_at")
    )
    return counts, pairs


def _funnel(key: str, title: str, counts: Counter, k: int) -> StatTable:
    """The table of what became of referrals (sent or received), by state today."""
    labels = [
        _("Awaiting a response") if state == Referral.State.SENT else str(state.label)
        for state in FUNNEL_STATES
    ]
    return StatTable(
        key=key,
        title=title,
        row_header=_("State today"),
        row_keys=[state.value for state in FUNNEL_STATES],
        table=suppress_counts(
            labels, [counts[state] for state in FUNNEL_STATES], k=k, title=_("Referrals")
        ),
        chart="cells",
    )


def agency_statistics(
    actor: User, agency: Agency, period: Period, *, today: datetime.date | None = None
) -> AgencyStatistics:
    """The statistics of ``agency`` over ``period`` as ``actor`` (who holds
    VIEW_STATISTICS there: ``get_statistics_agency``) may read them, every
    figure suppressed with the agency's ``small_cell_threshold``. The period's
    days and ``today`` (default the agency's, which dates the overdue
    follow-ups) are the agency's, whoever reads them. Seven queries
    whatever the amount of data; records the case and referral lists read."""
    k = agency.small_cell_threshold
    today = today or agency_today(agency)
    zone = agency_zone(agency)
    start, end = period.bounds(zone)
    cases = cases_visible_to(actor).filter(agency=agency)
    status_keys = [status.value for status in Case.Status]
    status_labels = [str(status.label) for status in Case.Status]

    # 1. Cases opened in the period: type × risk × nationality × month × status, one query.
    by_type: Counter = Counter()
    by_risk: Counter = Counter()
    by_nationality: Counter = Counter()
    by_month: Counter = Counter()
    nationality_totals: Counter = Counter()
    for row in _opened_rows(cases, start, end, zone):
        status, n = row["status"], row["n"]
        nationality = row["nationality"] or NOT_RECORDED
        by_type[row["case_type"], status] += n
        by_risk[row["risk_level"], status] += n
        by_nationality[nationality, status] += n
        nationality_totals[nationality] += n
        by_month[row["month"], status] += n

    def grid(counter: Counter, keys: list) -> list[list[int]]:
        return [[counter[key, status] for status in status_keys] for key in keys]

    type_keys = [value.value for value in Case.Type]
    risk_keys = [value.value for value in Case.Risk]
    # The most frequent nationalities, listed by name; the rest are one row.
    ranked = sorted(
        (code for code in nationality_totals if code != NOT_RECORDED),
        key=lambda code: (-nationality_totals[code], code),
    )
    top, rest = ranked[:TOP_NATIONALITIES], set(ranked[TOP_NATIONALITIES:])
    for (code, status), n in list(by_nationality.items()):
        if code in rest:
            by_nationality[OTHER, status] += n
    nationality_keys = [*sorted(top, key=lambda code: str(countries.name(code))), OTHER]
    nationality_keys.append(NOT_RECORDED)
    nationality_labels = [
        _("Other nationalities")
        if code == OTHER
        else _("Not recorded")
        if code == NOT_RECORDED
        else str(countries.name(code) or code)
        for code in nationality_keys
    ]
    months = period.months

    # 2. Today's caseload: open cases per assignee, one query; the caseworkers, one query.
    caseload = Counter()
    names: dict[str, str] = {}
    for row in (
        cases.filter(status=Case.Status.OPEN)
        .order_by()
        .values("assigned_to_id", "assigned_to__display_name")
        .annotate(n=Count("pk"))
    ):
        key = str(row["assigned_to_id"]) if row["assigned_to_id"] else UNASSIGNED
        caseload[key] += row["n"]
        if row["assigned_to_id"]:
            names[key] = row["assigned_to__display_name"]
    for user_id, name in (
        members_of(agency)
        .filter(role=Role.CASEWORKER, is_active=True, user__is_active=True)
        .values_list("user_id", "user__display_name")
    ):
        names.setdefault(str(user_id), name)

    # 3. Overdue follow-ups of the agency's cases not closed, per person, one query.
    overdue = Counter()
    for row in (
        FollowUp.objects.filter(
            case__in=cases.exclude(status=Case.Status.CLOSED).values("pk"),
            done_at__isnull=True,
            due_on__lt=today,
        )
        .order_by()
        .values("assigned_to_id", "assigned_to__display_name")
        .annotate(n=Count("pk"))
    ):
        key = str(row["assigned_to_id"])
        overdue[key] += row["n"]
        names.setdefault(key, row["assigned_to__display_name"])
    people = sorted(names, key=lambda key: (names[key].casefold(), key))

    # 4. Referrals sent in the period (scoped: the agency's cases), states and response times.
    sent = referrals_visible_to(actor).filter(
        from_agency=agency, sent_at__gte=start, sent_at__lt=end
    )
    sent_counts, sent_pairs = _states_and_responses(sent)
    # 5. Referrals received. Not scoped on purpose: the receiving side's scope
    # (guardian rows) ends when a referral is declined, expires or is withdrawn,
    # so the scoped list would count only the referrals still live. These are
    # counts of the agency's own decisions, never a row of personal data, and
    # only for a reader who holds VIEW_STATISTICS in the receiving agency.
    received = Referral.objects.filter(to_agency=agency, sent_at__gte=start, sent_at__lt=end)
    received_counts, received_pairs = _states_and_responses(received)

    # The four tables of cases opened in the period count the same cases, so they
    # share their status totals and grand total: suppressed together, or a total
    # hidden in one and printed in another would pin a hidden cell.
    month_keys = [month.strftime("%Y-%m") for month in months]
    opened = [  # key, title, row header, row keys, row labels, counts
        (
            "by_type",
            _("Cases opened in the period by type and status today"),
            _("Type"),
            type_keys,
            [str(value.label) for value in Case.Type],
            grid(by_type, type_keys),
        ),
        (
            "by_risk",
            _("Cases opened in the period by risk level and status today"),
            _("Risk level"),
            risk_keys,
            [str(value.label) for value in Case.Risk],
            grid(by_risk, risk_keys),
        ),
        (
            "by_nationality",
            _("Cases opened in the period by nationality and status today"),
            _("Nationality (first recorded)"),
            nationality_keys,
            nationality_labels,
            grid(by_nationality, nationality_keys),
        ),
        (
            "by_month",
            _("Cases opened per month by status today"),
            _("Month"),
            month_keys,
            month_keys,
            grid(by_month, months),
        ),
    ]
    opened_tables = suppress_linked_tables(
        [(labels, status_labels, counts) for *_table, labels, counts in opened], k=k
    )
    tables = [
        StatTable(
            key="caseload",
            title=_("Caseload per caseworker (open cases today)"),
            row_header=_("Caseworker"),
            row_keys=[*people, UNASSIGNED],
            table=suppress_counts(
                [*(names[key] for key in people), _("Unassigned")],
                [*(caseload[key] for key in people), caseload[UNASSIGNED]],
                k=k,
                title=_("Open cases"),
            ),
            chart="cells",
        ),
        *(
            StatTable(
                key=key, title=title, row_header=header, row_keys=keys, table=table, chart="rows"
            )
            for (key, title, header, keys, *_counts), table in zip(
                opened, opened_tables, strict=True
            )
        ),
        _funnel(
            "referrals_sent",
            _("Referrals sent in the period: what became of them"),
            sent_counts,
            k,
        ),
        _funnel(
            "referrals_received",
            _("Referrals received in the period: what became of them"),
            received_counts,
            k,
        ),
        StatTable(
            key="overdue_follow_ups",
            title=_("Overdue follow-ups per person (today)"),
            row_header=_("Assigned to"),
            row_keys=people,
            table=suppress_counts(
                [names[key] for key in people],
                [overdue[key] for key in people],
                k=k,
                title=_("Overdue follow-ups"),
            ),
            chart="cells",
        ),
    ]
    return AgencyStatistics(
        agency=agency,
        period=period,
        k=k,
        tables=tables,
        response_sent=_response_time(sent_pairs, k),
        response_received=_response_time(received_pairs, k),
    )


def _opened_rows(cases: QuerySet[Case], start, end, zone: datetime.tzinfo) -> list[dict]:
    """Counts of the cases opened in [start, end) by type, risk, status,
    first nationality and month (in ``zone``, the agency's). One query:
    grouped by the opening day in SQL (both databases), folded into months."""
    rows = (
        cases.filter(opened_at__gte=start, opened_at__lt=end)
        .order_by()
        .annotate(nationality=KeyTextTransform("0", "client__nationalities"))
        .annotate(opened_on=TruncDate("opened_at", tzinfo=zone))
        .values("case_type", "risk_level", "status", "nationality", "opened_on")
        .annotate(n=Count("pk"))
    )
    folded: Counter = Counter()
    for row in rows:
        day = row["opened_on"]
        month = day.replace(day=1) if day else None
        key = (row["case_type"], row["risk_level"], row["status"], row["nationality"], month)
        folded[key] += row["n"]
    return [
        {
            "case_type": case_type,
            "risk_level": risk,
            "status": status,
            "nationality": nationality,
            "month": month,
            "n": n,
        }
        for (case_type, risk, status, nationality, month), n in folded.items()
    ]
