"""The case list as CSV and XLSX: the same rows as ``GET /api/v1/cases/`` for
the same user and filters, formula-looking names neutralised, the download
logged as an export."""

import csv
import datetime
import io
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from accounts.models import AccessLog
from accounts.selectors import time_zone_of
from casework import services as casework_services
from reports.models import ReportJob
from reports.tabular import neutralise
from tests.factories import make_case, make_client
from tests.helpers import assert_problem, error_fields

pytestmark = pytest.mark.django_db

JOBS = "/api/v1/reports/jobs/"
FORMULA_NAME = '=HYPERLINK("http://x")'


@pytest.fixture
def cases(caseworker, second_caseworker, supervisor, outsider):
    """A case whose client's name is a formula, a housing case of another
    caseworker, a restricted case of that caseworker, a closed legal case and
    a case of another agency."""
    formula = make_case(
        caseworker,
        make_client(caseworker, name=FORMULA_NAME, name_latin="-2+3"),
        case_type="asylum_legal",
    )
    others = make_case(supervisor, assigned_to=second_caseworker)
    restricted = make_case(
        supervisor, assigned_to=second_caseworker, is_restricted=True, case_type="gbv"
    )
    closed = make_case(caseworker, case_type="asylum_legal")
    casework_services.close_case(actor=caseworker, case_id=closed.pk, closure_reason="goals_met")
    foreign = make_case(outsider)
    return {
        "formula": formula,
        "others": others,
        "restricted": restricted,
        "closed": closed,
        "foreign": foreign,
    }


def _export(http, fmt: str, capture, **parameters):
    with capture(execute=True):
        response = http.post(
            JOBS, {"kind": "case_list", "format": fmt, "parameters": parameters}, "json"
        )
    assert response.status_code == 202, response.content
    job = http.get(f"{JOBS}{response.json()['id']}/").json()
    assert job["state"] == "done", job
    download = http.get(job["download"])
    assert download.status_code == 200
    return job, b"".join(download.streaming_content)


def _api_rows(http, query: str = "") -> list[dict]:
    response = http.get(f"/api/v1/cases/?page_size=100&{query}")
    assert response.status_code == 200
    assert response.json()["next"] is None
    return response.json()["results"]


def _flat(row: dict) -> list:
    """An API row in the export's column order."""
    assignee = row["assigned_to"] or {}
    return [
        row["id"],
        row["number"],
        row["client"]["id"],
        row["client"]["name"],
        row["client"]["name_latin"],
        row["case_type"],
        row["status"],
        row["risk_level"],
        assignee.get("id"),
        assignee.get("display_name"),
        row["is_restricted"],
        row["opened_at"],
        row["updated_at"],
        row["version"],
        row["can_edit"],
    ]


def _as_csv_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(neutralise(value))


def _csv(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


@pytest.mark.parametrize("persona", ["caseworker", "supervisor"])
def test_the_csv_has_the_api_rows(
    persona, request, cases, as_user, django_capture_on_commit_callbacks
):
    user = request.getfixturevalue(persona)
    http = as_user(user)
    api = _api_rows(http)
    job, content = _export(http, "csv", django_capture_on_commit_callbacks)
    rows = _csv(content)
    assert len(rows[0]) == 15 and rows[0][0] == "Case id"
    assert rows[1:] == [[_as_csv_text(value) for value in _flat(row)] for row in api]
    numbers = {row[1] for row in rows[1:]}
    assert cases["foreign"].number not in numbers
    assert (cases["restricted"].number in numbers) == (persona == "supervisor")
    assert cases["others"].number in numbers
    assert job["filename"].startswith("cases-amal-") and job["filename"].endswith(".csv")


def test_the_csv_neutralises_a_formula_name(
    cases, caseworker, as_user, django_capture_on_commit_callbacks
):
    _job, content = _export(as_user(caseworker), "csv", django_capture_on_commit_callbacks)
    [row] = [row for row in _csv(content) if row[1] == cases["formula"].number]
    assert row[3] == "'" + FORMULA_NAME
    assert row[4] == "'-2+3"
    assert b"\n=HYPERLINK" not in content and b",=HYPERLINK" not in content


def test_filters_are_the_api_filters(
    cases, caseworker, as_user, django_capture_on_commit_callbacks
):
    http = as_user(caseworker)
    api = _api_rows(http, "type=asylum_legal&status=closed")
    assert [row["number"] for row in api] == [cases["closed"].number]
    job, content = _export(
        http, "csv", django_capture_on_commit_callbacks, type="asylum_legal", status="closed"
    )
    assert job["parameters"] == {"type": "asylum_legal", "status": "closed"}
    assert [row[1] for row in _csv(content)[1:]] == [cases["closed"].number]
    _job, mine = _export(http, "csv", django_capture_on_commit_callbacks, assigned_to_me=True)
    assert {row[1] for row in _csv(mine)[1:]} == {
        cases["formula"].number,
        cases["closed"].number,
    }


def test_the_xlsx_has_the_api_rows_with_typed_dates(
    cases, supervisor, as_user, django_capture_on_commit_callbacks
):
    http = as_user(supervisor)
    api = _api_rows(http)
    _job, content = _export(http, "xlsx", django_capture_on_commit_callbacks)
    sheet = load_workbook(io.BytesIO(content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Case id"
    assert len(rows) == len(api) + 1
    for expected, row in zip(api, rows[1:], strict=True):
        flat = _flat(expected)
        for index, value in enumerate(row):
            if index in (11, 12):
                assert isinstance(value, datetime.datetime)
                api_time = datetime.datetime.fromisoformat(flat[index].replace("Z", "+00:00"))
                # The requester's wall-clock time (XLSX has no zones), to the millisecond.
                local = api_time.astimezone(ZoneInfo(time_zone_of(supervisor)))
                assert abs(value - local.replace(tzinfo=None)) < datetime.timedelta(seconds=1)
            elif index == 13:
                assert value == flat[index]  # the version stays a number
            else:
                assert (value or "") == _as_csv_text(flat[index]), (index, value)
    [formula] = [row for row in rows if row[1] == cases["formula"].number]
    assert formula[3] == "'" + FORMULA_NAME


def test_the_download_is_logged_as_an_export(
    cases, caseworker, as_user, django_capture_on_commit_callbacks
):
    job, _content = _export(as_user(caseworker), "csv", django_capture_on_commit_callbacks)
    row = AccessLog.objects.exclude(action__in=["login", "logout"]).latest("id")
    assert (row.action, row.actor_id, row.object_type, row.object_id, row.outcome) == (
        "export",
        caseworker.pk,
        "reports.reportjob",
        job["id"],
        "ok",
    )


def test_who_may_not_export_is_refused(cases, dpo, referral_officer, as_user):
    for user in (dpo, referral_officer):
        response = as_user(user).post(JOBS, {"kind": "case_list", "format": "csv"}, "json")
        assert_problem(response, 403)
    assert not ReportJob.objects.exists()


@pytest.mark.parametrize(
    ("parameters", "field"),
    [
        ({"status": "nonsense"}, "parameters.status"),
        ({"status": ""}, "parameters.status"),
        ({"assignee": "someone"}, "parameters.assignee"),
        ({"updated_since": "yesterday"}, "parameters.updated_since"),
        ({"colour": "red"}, "parameters.colour"),
    ],
)
def test_bad_filters_are_a_400_naming_the_filter(caseworker, as_user, parameters, field):
    response = as_user(caseworker).post(
        JOBS, {"kind": "case_list", "format": "csv", "parameters": parameters}, "json"
    )
    assert error_fields(response) == {field}


def test_pdf_is_not_a_case_list_format(caseworker, as_user):
    response = as_user(caseworker).post(JOBS, {"kind": "case_list", "format": "pdf"}, "json")
    assert error_fields(response) == {"format"}


def test_the_case_list_page_exports_its_filters(
    cases, caseworker, client_as, django_capture_on_commit_callbacks
):
    http = client_as(caseworker)
    page = http.get(reverse("casework:case_list"), {"case_type": "asylum_legal", "mine": "on"})
    content = page.content.decode()
    assert f'action="{reverse("reports:job_request")}"' in content
    assert '<input type="hidden" name="type" value="asylum_legal">' in content
    assert '<input type="hidden" name="assigned_to_me" value="true">' in content
    assert 'name="format" value="xlsx"' in content
    with django_capture_on_commit_callbacks(execute=True):
        response = http.post(
            reverse("reports:job_request"),
            {
                "kind": "case_list",
                "format": "csv",
                "type": "asylum_legal",
                "assigned_to_me": "true",
            },
        )
    job = ReportJob.objects.get()
    assert response["Location"] == reverse("reports:job", args=[job.pk])
    assert job.parameters == {"type": "asylum_legal", "assigned_to_me": True}
    download = http.get(reverse("reports:job_download", args=[job.pk]))
    numbers = {row[1] for row in _csv(b"".join(download.streaming_content))[1:]}
    assert numbers == {cases["formula"].number, cases["closed"].number}


def test_the_page_offers_no_export_to_who_may_not(cases, dpo, client_as):
    content = client_as(dpo).get(reverse("casework:case_list")).content.decode()
    assert "reports/jobs/new" not in content
