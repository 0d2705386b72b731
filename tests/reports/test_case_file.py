"""The full case file, a report job: its check and its build, called directly
with a fake progress (one test goes through the job service)."""

import io
from datetime import timedelta

import pytest
from django.utils import timezone
from pypdf import PdfReader

from casework import services as casework_services
from config.errors import Forbidden, InvalidInput, NotFound
from reports.documents.case_file import build_case_file, check_case_file
from reports.kinds import report_kind
from reports.models import ReportJob
from tests.factories import make_follow_up

pytestmark = pytest.mark.django_db


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(content)).pages)


@pytest.fixture
def busy_case(caseworker, supervisor, case):
    """Twelve notes (more than a summary shows), one confidential, a done follow-up."""
    for number in range(1, 12):
        casework_services.add_note(actor=caseworker, case_id=case.pk, body=f"Visit report {number}")
    casework_services.add_note(
        actor=supervisor, case_id=case.pk, body="Supervisor only remark", is_confidential=True
    )
    done = make_follow_up(
        caseworker, case, due_on=timezone.now().date() + timedelta(days=2), title="Errand done"
    )
    casework_services.complete_follow_up(actor=caseworker, case_id=case.pk, follow_up_id=done.pk)
    return case


def _build(user, case, language="en") -> tuple[bytes, str, list[int]]:
    job = ReportJob(
        requested_by=user,
        agency=case.agency,
        kind=ReportJob.Kind.CASE_FILE,
        format=ReportJob.Format.PDF,
        parameters={"case": str(case.pk)},
        language=language,
    )
    steps: list[int] = []
    content, filename = build_case_file(job, steps.append)
    return content, filename, steps


def test_the_kind_is_registered():
    kind = report_kind(ReportJob.Kind.CASE_FILE)
    assert kind is not None
    assert kind.formats == ("pdf",)
    assert kind.check is check_case_file
    assert kind.build is build_case_file


@pytest.mark.parametrize("parameters", [{}, {"case": ""}, {"case": "12"}, {"case": ["x"]}])
def test_check_names_the_case_field(caseworker, parameters):
    with pytest.raises(InvalidInput) as error:
        check_case_file(caseworker, parameters)
    assert error.value.field == "case"


def test_check_answers_the_agency_and_clean_parameters(caseworker, case):
    agency, parameters = check_case_file(caseworker, {"case": str(case.pk).upper(), "x": 1})
    assert agency == case.agency
    assert parameters == {"case": str(case.pk)}


def test_check_404_for_unseen_and_403_for_a_grant_without_notes(
    outsider, second_caseworker, restricted_case, viewer, case
):
    with pytest.raises(NotFound):
        check_case_file(outsider, {"case": str(case.pk)})
    with pytest.raises(NotFound):
        check_case_file(second_caseworker, {"case": str(restricted_case.pk)})
    with pytest.raises(Forbidden):
        check_case_file(viewer, {"case": str(case.pk)})


def test_a_supervisor_gets_every_note_follow_up_and_the_history(supervisor, busy_case):
    content, filename, steps = _build(supervisor, busy_case)

    assert filename == f"case-{busy_case.number}-file.pdf"
    assert steps and steps == sorted(steps) and steps[-1] <= 100
    text = pdf_text(content)
    for number in range(1, 12):
        assert f"Visit report {number}\n" in text or text.endswith(f"Visit report {number}")
    assert "Supervisor only remark" in text
    assert "Errand done" in text
    assert "History" in text
    assert "Layla Caseworker" in text


def test_a_caseworker_gets_no_history_and_no_confidential_note(caseworker, busy_case):
    content, _filename, _steps = _build(caseworker, busy_case)

    text = pdf_text(content)
    assert "Visit report 1" in text
    assert "Visit report 11" in text
    assert "Supervisor only remark" not in text
    assert "Every change to the case" not in text  # the history section's caption


def test_through_the_job_service(caseworker, case, django_capture_on_commit_callbacks):
    from reports.services.jobs import request_report

    casework_services.add_note(actor=caseworker, case_id=case.pk, body="Made by the job")
    with django_capture_on_commit_callbacks(execute=True):
        job = request_report(
            actor=caseworker,
            kind="case_file",
            format="pdf",
            parameters={"case": str(case.pk)},
            language="en",
        )
    job.refresh_from_db()
    assert job.state == ReportJob.State.DONE, (job.error_code, job.error)
    assert job.filename == f"case-{case.number}-file.pdf"
    with job.file.open("rb") as handle:
        assert "Made by the job" in pdf_text(handle.read())


def test_the_case_page_offers_the_case_file_only_to_who_may(client_as, caseworker, viewer, case):
    from django.urls import reverse

    page = reverse("casework:case_detail", args=[case.pk])
    offered = client_as(caseworker).get(page).content.decode()
    assert 'name="kind" value="case_file"' in offered
    assert f'name="case" value="{case.pk}"' in offered
    assert reverse("reports:job_request") in offered
    refused = client_as(viewer).get(page).content.decode()
    assert 'value="case_file"' not in refused
