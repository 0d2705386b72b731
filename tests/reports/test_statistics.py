"""The supervisor's statistics: the figures are right, every output (page,
API, CSV, XLSX, PDF) shows the same suppressed strings and never a hidden
count, the personas see what they may, bad dates are 400 naming the field,
and the number of queries does not grow with the data."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from accounts.models import AccessLog
from casework.models import Case
from referrals import services as referral_services
from reports.selectors.statistics import agency_statistics, default_period
from reports.suppression import suppress_counts, suppress_linked_tables
from tests.factories import make_case, make_client, make_consent, make_follow_up, make_referral
from tests.helpers import error_fields, field_errors, page

pytestmark = pytest.mark.django_db

PAGE = "/reports/statistics/"
API = "/api/v1/reports/statistics/"


def download_url(fmt: str, **query) -> str:
    address = reverse("reports:statistics_download", kwargs={"fmt": fmt})
    return address + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def set_k(agency, k: int) -> None:
    from accounts.models import Membership
    from accounts.services import set_agency_small_cell_threshold

    admin = Membership.objects.filter(agency=agency, role="agency_admin").first().user
    set_agency_small_cell_threshold(actor=admin, agency=agency, small_cell_threshold=k)
    agency.refresh_from_db()


@pytest.fixture
def data(agency, partner_agency, caseworker, second_caseworker, referral_officer, supervisor):
    """12 open housing cases of Layla (Syrian clients, medium risk), 3 open
    health cases of the second caseworker (Afghan clients, high risk), 6
    referrals sent to the partner (2 accepted, 1 declined, 3 awaiting), 7
    overdue follow-ups of Layla."""
    import datetime

    from django.utils import timezone

    housing = []
    for _ in range(12):
        housing.append(make_case(caseworker, case_type="housing", risk_level="medium"))
    for _ in range(3):
        client = make_client(second_caseworker, nationalities=["AF"])
        make_case(second_caseworker, client, case_type="health", risk_level="high")
    consent = make_consent(caseworker, housing[0].client, recipient_agencies=[partner_agency])
    assert consent
    referrals = [make_referral(caseworker, housing[0], partner_agency) for _ in range(6)]
    for referral in referrals[:2]:
        referral_services.accept_referral(actor=referral_officer, referral_id=referral.pk)
    referral_services.decline_referral(
        actor=referral_officer, referral_id=referrals[2].pk, reason="No capacity"
    )
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    for case in housing[:7]:
        make_follow_up(caseworker, case, due_on=yesterday)
    return {"housing": housing}


def figures(supervisor, agency):
    from django.utils import timezone

    return agency_statistics(supervisor, agency, default_period(timezone.localdate()))


# --- The figures ---------------------------------------------------------------------------


def test_the_figures_are_counted_right(data, agency, supervisor, caseworker, second_caseworker):
    set_k(agency, 2)
    stats = figures(supervisor, agency)
    k = 2
    statuses = [str(s.label) for s in Case.Status]

    caseload = stats.table("caseload")
    people = sorted([caseworker, second_caseworker], key=lambda u: u.display_name.casefold())
    expected = {caseworker.pk: 12, second_caseworker.pk: 3}
    assert caseload.row_keys == [*(str(p.pk) for p in people), "unassigned"]
    assert caseload.table == suppress_counts(
        [*(p.display_name for p in people), "Unassigned"],
        [*(expected[p.pk] for p in people), 0],
        k=k,
        title="Open cases",
    )
    shown = {label: cells[0].shown for label, cells, _total in caseload.table.rows}
    assert shown[caseworker.display_name] == "12"
    assert caseload.table.total.shown == "15"

    # The four tables of cases opened share their status totals: suppressed together.
    type_grid = [[0, 0, 0] for _ in Case.Type]
    type_grid[list(Case.Type).index(Case.Type.HOUSING)][0] = 12
    type_grid[list(Case.Type).index(Case.Type.HEALTH)][0] = 3
    risk_grid = [[0, 0, 0] for _ in Case.Risk]
    risk_grid[list(Case.Risk).index(Case.Risk.MEDIUM)][0] = 12
    risk_grid[list(Case.Risk).index(Case.Risk.HIGH)][0] = 3
    month_grid = [[0, 0, 0] for _ in range(11)] + [[15, 0, 0]]  # all opened this month
    months = stats.table("by_month")
    expected_tables = suppress_linked_tables(
        [
            ([str(t.label) for t in Case.Type], statuses, type_grid),
            ([str(r.label) for r in Case.Risk], statuses, risk_grid),
            (
                ["Afghanistan", "Syria", "Other nationalities", "Not recorded"],
                statuses,
                [[3, 0, 0], [12, 0, 0], [0, 0, 0], [0, 0, 0]],
            ),
            (months.table.row_labels, statuses, month_grid),
        ],
        k=k,
    )
    by_type = stats.table("by_type")
    assert by_type.table == expected_tables[0]
    assert by_type.table.column_totals[0].shown == "15"  # all 15 are open
    assert stats.table("by_risk").table == expected_tables[1]
    nationality = stats.table("by_nationality")
    assert nationality.row_keys == ["AF", "SY", "other", "none"]
    assert nationality.table == expected_tables[2]
    assert len(months.row_keys) == 12
    assert months.table == expected_tables[3]
    # Each status total is published alike in all four.
    for key in ("by_risk", "by_nationality", "by_month"):
        assert stats.table(key).table.column_totals == by_type.table.column_totals
        assert stats.table(key).table.total == by_type.table.total

    sent = stats.table("referrals_sent")
    assert sent.row_keys[:4] == ["sent", "accepted", "completed", "declined"]
    assert sent.table == suppress_counts(
        sent.table.row_labels, [3, 2, 0, 1, 0, 0, 0], k=k, title="Referrals"
    )
    assert sent.table.total.shown == "6"
    assert stats.response_sent.hours is not None  # 3 responses ≥ k = 2
    assert stats.response_received.hidden  # none received

    overdue = stats.table("overdue_follow_ups")
    assert overdue.table == suppress_counts(
        [p.display_name for p in people],
        [7 if p == caseworker else 0 for p in people],
        k=k,
        title="Overdue follow-ups",
    )


def test_with_k_5_the_small_figures_are_hidden(data, agency, supervisor, second_caseworker):
    set_k(agency, 5)
    stats = figures(supervisor, agency)
    caseload = stats.table("caseload").table
    shown = {label: cells[0] for label, cells, _total in caseload.rows}
    cell = shown[second_caseworker.display_name]  # 3 open cases
    assert cell.hidden and cell.shown == "<5" and cell.count is None
    # Three responses: fewer than k, so no median.
    assert stats.response_sent.hidden and stats.response_sent.hours is None
    sent = stats.table("referrals_sent").table
    assert all(cells[0].hidden for _label, cells, _total in sent.rows)
    assert sent.total.shown == "6"


# --- Every output shows the same suppressed strings ----------------------------------------


def _api_cells(body: dict) -> dict[str, list[list[str]]]:
    """{table key: rows of shown strings (cells then total)} from the API."""
    return {
        table["key"]: [
            [cell["shown"] for cell in row["cells"]] + [row["total"]["shown"]]
            for row in table["rows"]
        ]
        + [[cell["shown"] for cell in table["column_totals"]] + [table["total"]["shown"]]]
        for table in body["tables"]
    }


def test_page_api_csv_xlsx_and_pdf_show_the_same_suppressed_figures(
    data, agency, supervisor, second_caseworker, client_as, as_user
):
    set_k(agency, 5)
    api = as_user(supervisor).get(API)
    assert api.status_code == 200, api.content
    body = api.json()
    assert body["k"] == 5
    # No hidden cell carries a number, anywhere in the JSON.
    for table in body["tables"]:
        cells = [c for row in table["rows"] for c in (*row["cells"], row["total"])]
        cells += [*table["column_totals"], table["total"]]
        for cell in cells:
            assert (cell["count"] is None) == cell["hidden"], cell
            if cell["hidden"]:
                assert cell["shown"] in ("<5", "×")
    caseload = next(t for t in body["tables"] if t["key"] == "caseload")
    row = next(r for r in caseload["rows"] if r["key"] == str(second_caseworker.pk))
    assert row["cells"][0] == {"shown": "<5", "count": None, "hidden": True, "reason": "small"}
    assert body["response_time_sent"]["hours"] is None
    expected = _api_cells(body)

    web = client_as(supervisor)
    html = page(web.get(PAGE))
    for key, rows in expected.items():
        table_html = re.search(
            rf'<table class="stat-table" id="stat-{key}">(.*?)</table>', html, re.S
        )
        assert table_html, key
        cells = re.findall(r"<td[^>]*>(.*?)</td>", table_html.group(1), re.S)
        one_column = len(rows[0]) == 2
        flat = [s for r in rows for s in (r[:1] if one_column else r)]
        assert [c.replace("&lt;", "<").strip() for c in cells] == flat, key
    # The second caseworker's 3 is "<5" in the chart too, with a fixed-width empty bar.
    assert 'role="img"' in html and "<title" in html
    assert 'class="bar-hidden"' in html

    response = web.get(download_url("csv"))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="statistics-amal-')
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    start = next(i for i, line in enumerate(lines) if line and line[0].startswith("Caseload"))
    caseload_rows = lines[start + 2 : start + 2 + len(expected["caseload"])]
    assert [line[1] for line in caseload_rows] == [r[0] for r in expected["caseload"]]
    name_row = next(line for line in caseload_rows if line[0] == second_caseworker.display_name)
    assert name_row[1] == "<5"

    response = web.get(download_url("xlsx"))
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.content), read_only=True)
    sheet = workbook["Caseload"]
    values = [[cell for cell in row] for row in sheet.iter_rows(values_only=True)]
    assert [str(row[1]) for row in values[1:]] == [r[0] for r in expected["caseload"]]
    by_type = [[str(v) for v in row[1:]] for row in workbook["By type"].iter_rows(values_only=True)]
    assert by_type[1:] == expected["by_type"]

    response = web.get(download_url("pdf"))
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    assert "Caseload per caseworker" in text
    line = next(
        line
        for line in text.splitlines()
        if second_caseworker.display_name in line and "<5" in line
    )
    assert "3" not in line.replace(second_caseworker.display_name, "")
    assert "fewer than 5 responses" in text

    # Each download is one export row in the access log.
    exports = AccessLog.objects.filter(action="export", object_type="reports.statistics")
    assert exports.count() == 3
    assert set(exports.values_list("actor_id", flat=True)) == {supervisor.pk}


# --- Who may see them ----------------------------------------------------------------------


def test_personas(agency, supervisor, caseworker, outsider, client_as, as_user):
    assert client_as(supervisor).get(PAGE).status_code == 200
    assert as_user(supervisor).get(API).status_code == 200
    for user, status in ((caseworker, 403), (outsider, 404)):
        query = f"?agency={agency.slug}"
        assert client_as(user).get(PAGE + query).status_code == status
        assert as_user(user).get(API + query).status_code == status
        assert client_as(user).get(download_url("csv", agency=agency.slug)).status_code == status
    # Without the parameter an outsider member of another agency without the permission: 403.
    assert as_user(outsider).get(API).status_code == 403


@pytest.mark.parametrize("field,query", [("from", "from=2026-13-01"), ("to", "to=yesterday")])
def test_bad_dates_are_400_naming_the_field(agency, supervisor, client_as, as_user, field, query):
    assert error_fields(as_user(supervisor).get(f"{API}?{query}")) == {field}
    response = client_as(supervisor).get(f"{PAGE}?{query}")
    assert response.status_code == 400
    assert field_errors(page(response), f"id_{field}")
    response = client_as(supervisor).get(download_url("csv") + f"?{query}")
    assert response.status_code == 400
    assert field_errors(page(response), f"id_{field}")


def test_an_end_before_the_start_names_to(supervisor, as_user):
    assert error_fields(as_user(supervisor).get(f"{API}?from=2026-05-01&to=2026-04-01")) == {"to"}


# --- Queries do not grow with the data ----------------------------------------------------


def test_the_number_of_queries_does_not_grow_with_the_data(
    agency, partner_agency, supervisor, caseworker, second_caseworker, referral_officer
):
    from django.utils import timezone

    period = default_period(timezone.localdate())

    def count() -> int:
        fresh = type(supervisor).objects.get(pk=supervisor.pk)
        with CaptureQueriesContext(connection) as queries:
            agency_statistics(fresh, agency, period)
        return len(queries)

    make_case(caseworker)
    few = count()
    for _ in range(4):
        make_case(second_caseworker, make_client(second_caseworker, nationalities=["ER"]))
    case = make_case(caseworker, case_type="gbv")
    make_consent(caseworker, case.client, recipient_agencies=[partner_agency])
    make_referral(caseworker, case, partner_agency)
    assert count() == few
    assert few <= 10


# --- As a report job ----------------------------------------------------------------------


def test_the_statistics_kind_checks_and_builds(agency, supervisor, caseworker):
    from config.errors import Forbidden
    from reports.kinds import report_kind
    from reports.models import ReportJob

    kind = report_kind(ReportJob.Kind.STATISTICS)
    assert kind is not None and set(kind.formats) == {"pdf", "csv", "xlsx"}
    found, parameters = kind.check(supervisor, {"agency": agency.slug, "from": "2026-01"})
    assert found == agency and parameters["from"] == "2026-01-01"
    with pytest.raises(Forbidden):
        kind.check(caseworker, {"agency": agency.slug})
    job = ReportJob(requested_by=supervisor, agency=agency, format="csv", parameters=parameters)
    steps = []
    content, name = kind.build(job, steps.append)
    assert name.startswith("statistics-amal-2026-01-01-") and name.endswith(".csv")
    assert "Caseload per caseworker" in content.decode("utf-8-sig") and steps[-1] == 95
