"""The period of the statistics and of the disclosure register: parsed once
(``reports.periods``), in the agency's days whoever reads, and refused with a
400 naming the field for a year out of range (never a 500 on ``9999-12``)."""

import csv
import datetime
import io
import re
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from hypothesis import example, given
from hypothesis import strategies as st

from accounts.tracking import untracked
from casework.models import Case
from config.errors import InvalidInput
from referrals.models import Referral
from reports.api.periods import current_period_pattern
from reports.kinds import report_kind
from reports.models import ReportJob
from reports.periods import MIN_YEAR, Period, parse_period, period_bound_pattern
from tests.factories import make_case, make_referral
from tests.helpers import error_fields

pytestmark = pytest.mark.django_db

STATISTICS_API = "/api/v1/reports/statistics/"
REGISTER_API = "/api/v1/reports/disclosure-register/"
JOBS = "/api/v1/reports/jobs/"

# The agency is in Los Angeles; its reader sets Tokyo. 23:30 on 31 March in Los
# Angeles is already 1 April in Tokyo (and in UTC, the API's zone).
AGENCY_ZONE = "America/Los_Angeles"
READER_ZONE = "Asia/Tokyo"
LATE = datetime.datetime(2026, 3, 31, 23, 30, tzinfo=ZoneInfo(AGENCY_ZONE))
MARCH = {"from": "2026-03", "to": "2026-03"}


def _parse(from_value, to_value, today=datetime.date(2026, 12, 3)):
    return parse_period(
        from_value, to_value, today=today, default_start=today.replace(day=1), max_years=5
    )


# --- The parser ---------------------------------------------------------------------------


def test_months_and_days_and_defaults():
    assert _parse("2026-02", "2026-02") == Period(
        datetime.date(2026, 2, 1), datetime.date(2026, 2, 28)
    )
    assert _parse("", None) == Period(datetime.date(2026, 12, 1), datetime.date(2026, 12, 3))
    # The last year allowed is next year; the bounds of its last day do not overflow.
    period = _parse("2027-12", "2027-12")
    assert period.bounds(ZoneInfo("UTC"))[1] == datetime.datetime(
        2028, 1, 1, tzinfo=ZoneInfo("UTC")
    )


@pytest.mark.parametrize(
    ("from_value", "to_value", "field"),
    [
        ("9999-12", "9999-12", "from"),
        ("2026-01", "9999-12", "to"),
        ("2026-01", "9999-12-31", "to"),
        ("0001-01", "2026-01", "from"),
        ("0001-01-01", "2026-01", "from"),
        (f"{MIN_YEAR - 1}-12", "2026-01", "from"),
        ("2028-01", "2028-02", "from"),
    ],
)
def test_a_year_out_of_range_names_its_field(from_value, to_value, field):
    with pytest.raises(InvalidInput) as raised:
        _parse(from_value, to_value)
    assert raised.value.field == field
    assert raised.value.code == "year_out_of_range"


def test_too_long_names_from():
    with pytest.raises(InvalidInput) as raised:
        _parse("2020-01", "2026-01")
    assert (raised.value.field, raised.value.code) == ("from", "period_too_long")
    assert "5 years" in str(raised.value.message)


# --- The schema's pattern is exactly what the parser takes -------------------------------

TODAY = datetime.date(2026, 12, 3)
PATTERN = period_bound_pattern(TODAY)


def _accepted(value: str) -> bool:
    """Whether ``value`` is a ``from`` the parser takes on its own (a ``to``
    at the end of the last year and no length limit, so that only the value
    itself can refuse it)."""
    try:
        parse_period(
            value, "2027-12", today=TODAY, default_start=datetime.date(MIN_YEAR, 1, 1), max_years=99
        )
    except InvalidInput:
        return False
    return True


@given(
    st.one_of(
        st.from_regex(PATTERN, fullmatch=True),
        st.from_regex(r"[0-9]{4}-[0-9]{2}(-[0-9]{2})?", fullmatch=True),
        st.text(alphabet="0123456789-W٠١٢T ", max_size=11),
    )
)
@example("")
@example("2024-02-29")
@example("2026-02-29")
@example("2000-02-29")
@example("2026-04-31")
@example("2026-13")
@example("2027-12-31")
@example("2028-01")
@example("1999-12-31")
@example("20260105")
@example("2026-W01-1")
@example("٢٠٢٦-٠١")
@example("2026-1")
def test_the_schemas_pattern_is_what_the_parser_accepts(value):
    # Surrounding blanks are trimmed by the parser (a form's stray space) and
    # are not in the pattern: the schema promises less, never more.
    if value != value.strip():
        return
    assert bool(re.fullmatch(PATTERN, value)) == _accepted(value), value


@pytest.mark.parametrize("path", [STATISTICS_API, REGISTER_API])
def test_the_apis_describe_from_and_to_by_that_pattern(client, path):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    parameters = {p["name"]: p["schema"] for p in schema["paths"][path]["get"]["parameters"]}
    expected = {"type": "string", "pattern": current_period_pattern()}
    assert parameters["from"] == parameters["to"] == expected


def test_a_value_the_pattern_refuses_is_a_400_naming_it(agency, dpo, as_user):
    # What schemathesis sent once: not a month nor a day.
    response = as_user(dpo).get(REGISTER_API, {"from": "d\U0004f295ÀH©"})
    assert error_fields(response) == {"from"}
    assert error_fields(as_user(dpo).get(REGISTER_API, {"to": "20261205"})) == {"to"}


# --- Far dates over HTTP: 400 naming the field, never a 500 -------------------------------


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"from": "9999-12", "to": "9999-12"}, "from"),
        ({"from": "2026-01", "to": "9999-12"}, "to"),
        ({"from": "0001-01"}, "from"),
    ],
)
def test_far_dates_are_a_400_on_the_apis_pages_and_downloads(
    agency, supervisor, dpo, as_user, client_as, query, field
):
    assert error_fields(as_user(supervisor).get(STATISTICS_API, query)) == {field}
    assert error_fields(as_user(dpo).get(REGISTER_API, query)) == {field}
    http = client_as(supervisor)
    for url in (
        reverse("reports:statistics"),
        reverse("reports:statistics_download", kwargs={"fmt": "csv"}),
        reverse("reports:disclosure_register"),
        reverse("reports:disclosure_register_download", kwargs={"fmt": "csv"}),
    ):
        assert http.get(url, query).status_code == 400, url


@pytest.mark.parametrize("kind", ["statistics", "disclosure_register"])
@pytest.mark.parametrize(
    ("parameters", "field"),
    [({"from": "9999-12", "to": "9999-12"}, "from"), ({"from": "0001-01"}, "from")],
)
def test_far_dates_are_a_400_for_a_report_job(agency, supervisor, as_user, kind, parameters, field):
    body = {"kind": kind, "format": "csv", "parameters": {"agency": agency.slug, **parameters}}
    response = as_user(supervisor).post(JOBS, body, "json")
    fields = error_fields(response)
    assert fields and all(name.endswith(field) for name in fields), fields
    assert not ReportJob.objects.exists()


# --- The agency's days, whoever reads -----------------------------------------------------


@pytest.fixture
def late_cases(agency, supervisor, caseworker):
    """Two cases of each status opened at 23:30 on 31 March in the agency's
    zone (Los Angeles), read by a supervisor who chose Tokyo; k = 2, so the
    month's figures are all shown."""
    agency.time_zone = AGENCY_ZONE
    agency.small_cell_threshold = 2
    agency.save(update_fields=["time_zone", "small_cell_threshold"])
    supervisor.time_zone = READER_ZONE
    supervisor.save(update_fields=["time_zone"])
    for status in Case.Status:
        for _ in range(2):
            case = make_case(caseworker)
            with untracked():  # a test back-dating its data, not a write of the app
                Case.objects.filter(pk=case.pk).update(
                    opened_at=LATE,
                    status=status,
                    closure_reason="Resolved" if status == Case.Status.CLOSED else "",
                )
    return 2 * len(Case.Status)


def _at_least_k(cell: dict, expected: int) -> bool:
    # The exact count, or hidden as "×" (a count of k or more, hidden because the tables
    # share their totals): either way not "<k", which is what the reader's day would give.
    return cell["count"] == expected or cell["reason"] == "secondary"


def _month_total(data: dict) -> dict:
    [by_month] = [table for table in data["tables"] if table["key"] == "by_month"]
    return by_month["total"]


def test_statistics_count_a_late_case_in_the_agencys_day(
    agency, supervisor, client_as, as_user, late_cases
):
    page = client_as(supervisor).get(reverse("reports:statistics"), MARCH)
    assert page.status_code == 200
    month = page.context["statistics"].table("by_month")
    assert month.row_keys == ["2026-03"]
    assert _at_least_k(month.table.total.as_json(), late_cases)

    data = as_user(supervisor).get(STATISTICS_API, MARCH).json()
    assert _at_least_k(_month_total(data), late_cases)
    # In April (the reader's day, and UTC's) the agency opened nothing: "<2".
    april = as_user(supervisor).get(STATISTICS_API, {"from": "2026-04", "to": "2026-04"}).json()
    assert _month_total(april)["reason"] == "small"

    csv_file = client_as(supervisor).get(
        reverse("reports:statistics_download", kwargs={"fmt": "csv"}), MARCH
    )
    assert csv_file.status_code == 200


def test_a_statistics_job_counts_it_the_same(agency, supervisor, late_cases):
    kind = report_kind(ReportJob.Kind.STATISTICS)
    found, parameters = kind.check(supervisor, {"agency": agency.slug, **MARCH})
    assert (parameters["from"], parameters["to"]) == ("2026-03-01", "2026-03-31")
    job = ReportJob(requested_by=supervisor, agency=found, format="csv", parameters=parameters)
    content, _name = kind.build(job, lambda _step: None)
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    # The month table's March row; its last figure is the row total ("×": at least k).
    [march] = [row for row in rows if row[:1] == ["2026-03"]]
    assert march[-1] in {str(late_cases), "×"}, march

    _found, parameters = kind.check(supervisor, {"agency": agency.slug, "from": "2026-04"})
    job = ReportJob(requested_by=supervisor, agency=found, format="csv", parameters=parameters)
    content, _name = kind.build(job, lambda _step: None)
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    [april] = [row for row in rows if row[:1] == ["2026-04"]]
    assert april[-1] == "<2", april


def test_the_register_counts_a_late_packet_in_the_agencys_month(
    agency, dpo, caseworker, case, consent, partner_agency, as_user
):
    agency.time_zone = AGENCY_ZONE
    agency.small_cell_threshold = 2
    agency.save(update_fields=["time_zone", "small_cell_threshold"])
    dpo.time_zone = READER_ZONE
    dpo.save(update_fields=["time_zone"])
    for _ in range(2):
        referral = make_referral(caseworker, case, partner_agency, data_categories=["identity"])
        with untracked():
            Referral.objects.filter(pk=referral.pk).update(sent_at=LATE)

    def identity(query):
        [partner] = as_user(dpo).get(REGISTER_API, query).json()["partners"] or [None]
        if partner is None:
            return None
        table = partner["by_data_category"]
        index = [column["key"] for column in table["columns"]].index("identity")
        return [row["cells"][index]["count"] for row in table["rows"]]

    assert identity(MARCH) == [2]
    assert identity({"from": "2026-04", "to": "2026-04"}) is None
