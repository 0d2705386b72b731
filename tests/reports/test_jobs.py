"""Report jobs: asked for, made (inline without a broker), followed, downloaded
by their owner only, checked again at every step, expired.

A tiny fake kind stands in for the real ones (registered under the
``statistics`` kind for the test's length, the real one restored after), so
these tests exercise the machinery and nothing else."""

import logging
import threading
import time
from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from accounts.models import AccessLog
from accounts.permissions import Perm
from accounts.selectors import agencies_of, holds_anywhere
from casework import selectors as casework_selectors
from casework import services as casework_services
from config.errors import Forbidden, InvalidInput
from reports import kinds
from reports.kinds import ReportKind
from reports.models import ReportJob
from reports.services import (
    delete_expired_report_files,
    download_report,
    request_report,
    run_report_job,
)
from tests.factories import make_case
from tests.helpers import assert_problem, error_fields, run_together

pytestmark = pytest.mark.django_db

KIND = ReportJob.Kind.STATISTICS
JOBS = "/api/v1/reports/jobs/"
SECRET_NAME = "Mohammed Al-Secret"


class Fake:
    """What the fake kind saw: builds, progress as stored while building."""

    def __init__(self):
        self.builds = []
        self.progress_seen = []
        self.lock = threading.Lock()


def _fake_kind(fake: Fake) -> ReportKind:
    def check(actor, parameters):
        if not holds_anywhere(actor, Perm.VIEW_CASE):
            raise Forbidden()
        if not isinstance(parameters.get("n", 1), int):
            # Named as the kind's pages name it; the job machinery puts it in ``parameters``.
            raise InvalidInput("Give a number.", field="n")
        if parameters.get("case"):
            # A report about one case: 404 for a case the actor does not see.
            case = casework_selectors.get_case_for(actor, parameters["case"])
            return case.agency, dict(parameters)
        return agencies_of(actor).first(), dict(parameters)

    def build(job, progress):
        with fake.lock:
            fake.builds.append(job.pk)
        if job.parameters.get("slow"):
            time.sleep(0.3)
        if job.parameters.get("boom"):
            raise ValueError(f"client {SECRET_NAME} broke it")
        for percent in (10, 50, 90):
            progress(percent)
            fake.progress_seen.append(ReportJob.objects.get(pk=job.pk).progress)
        return f"n,{job.parameters.get('n', 1)}\n".encode(), "fake.csv"

    return ReportKind(kind=KIND, formats=("csv",), check=check, build=build)


@pytest.fixture
def fake(monkeypatch):
    fake = Fake()
    monkeypatch.setitem(kinds._KINDS, KIND, _fake_kind(fake))
    return fake


def _ask(actor, **parameters) -> ReportJob:
    return request_report(actor=actor, kind=KIND, format="csv", parameters=parameters)


@pytest.fixture
def done_job(fake, caseworker, django_capture_on_commit_callbacks) -> ReportJob:
    with django_capture_on_commit_callbacks(execute=True):
        job = _ask(caseworker, n=3)
    job.refresh_from_db()
    return job


# --- Asking, running ------------------------------------------------------------------


def test_a_job_is_made_after_commit_with_its_file_and_progress(
    fake, caseworker, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        job = _ask(caseworker, n=3)
        assert ReportJob.objects.get(pk=job.pk).state == "queued"
    job.refresh_from_db()
    assert job.state == "done"
    assert job.progress == 100
    assert fake.progress_seen == [10, 50, 90]  # each write visible while building
    assert (job.filename, job.content_type, job.size) == ("fake.csv", "text/csv; charset=utf-8", 4)
    assert job.file.name == f"reports/{job.created_at:%Y/%m}/{job.pk}.csv"
    assert default_storage.open(job.file.name).read() == b"n,3\n"
    assert job.agency_id == caseworker.memberships.get().agency_id
    assert job.expires_at - job.finished_at == timedelta(days=7)
    assert job.language == "en"


@pytest.mark.django_db(transaction=True)
def test_post_answers_202_and_without_a_broker_the_job_is_done(fake, caseworker, as_user):
    http = as_user(caseworker)
    response = http.post(JOBS, {"kind": KIND, "format": "csv", "parameters": {"n": 2}}, "json")
    assert response.status_code == 202, response.content
    body = response.json()
    assert response["Location"].endswith(f"{JOBS}{body['id']}/")
    assert (body["state"], body["progress"], body["error_code"]) == ("done", 100, "")
    assert body["download"].endswith(f"{JOBS}{body['id']}/download/")
    assert body["parameters"] == {"n": 2}

    download = http.get(body["download"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"n,2\n"
    assert download["Content-Disposition"] == 'attachment; filename="fake.csv"'
    assert download["Cache-Control"] == "private, no-store"


def test_an_idempotency_key_makes_one_job(
    fake, caseworker, as_user, django_capture_on_commit_callbacks
):
    http = as_user(caseworker)
    body = {"kind": KIND, "format": "csv", "parameters": {"n": 2}}
    with django_capture_on_commit_callbacks(execute=True):
        first = http.post(JOBS, body, "json", HTTP_IDEMPOTENCY_KEY="k-1")
    second = http.post(JOBS, body, "json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == second.status_code == 202, (first.content, second.content)
    assert first.json()["id"] == second.json()["id"]
    assert second["Idempotent-Replayed"] == "true"
    assert second.json()["state"] == "done"
    assert ReportJob.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "nonsense", "format": "csv"}, "kind"),
        ({"kind": KIND, "format": "xlsx"}, "format"),
        ({"kind": KIND, "format": "csv", "parameters": {"n": "x"}}, "parameters.n"),
        ({"kind": KIND, "format": "csv", "parameters": []}, "parameters"),
        ({"kind": KIND, "format": "csv", "language": "xx"}, "language"),
    ],
)
def test_a_bad_request_is_a_400_naming_the_field(fake, caseworker, as_user, body, field):
    response = as_user(caseworker).post(JOBS, body, "json")
    assert field in error_fields(response)
    assert not ReportJob.objects.exists()


@pytest.mark.parametrize(
    ("kind", "parameters", "field"),
    [
        ("case_file", {"case": "12"}, "parameters.case"),
        ("statistics", {"from": "2026-13"}, "parameters.from"),
        ("statistics", {"agency": {"slug": "x"}}, "parameters.agency"),
        ("disclosure_register", {"agency": ["x"]}, "parameters.agency"),
    ],
)
def test_a_kinds_field_is_named_inside_parameters(
    supervisor, dpo, as_user, kind, parameters, field
):
    actor = dpo if kind == "disclosure_register" else supervisor
    body = {"kind": kind, "format": "pdf", "parameters": parameters}
    response = as_user(actor).post(JOBS, body, "json")
    assert_problem(response, 400)
    assert error_fields(response) == {field}
    assert not ReportJob.objects.exists()


def test_a_job_is_asked_for_in_json_only(fake, caseworker, as_user):
    # A form body cannot carry `parameters` (an object) without flattening it.
    body = f"kind={KIND}&format=csv&n=2"
    response = as_user(caseworker).post(
        JOBS, body, content_type="application/x-www-form-urlencoded"
    )
    assert_problem(response, 415)
    assert not ReportJob.objects.exists()


def test_a_kind_not_registered_is_a_400_naming_kind(monkeypatch, caseworker):
    monkeypatch.delitem(kinds._KINDS, KIND, raising=False)
    with pytest.raises(InvalidInput) as refused:
        _ask(caseworker)
    assert refused.value.field == "kind"


def test_the_kind_check_refuses_before_any_job(fake, referral_officer, as_user):
    response = as_user(referral_officer).post(JOBS, {"kind": KIND, "format": "csv"}, "json")
    assert_problem(response, 403)
    assert not ReportJob.objects.exists()


def test_a_build_that_fails_fails_the_job_without_personal_data(
    fake, caseworker, django_capture_on_commit_callbacks, caplog
):
    caplog.set_level(logging.DEBUG, logger="reports")
    with django_capture_on_commit_callbacks(execute=True):
        job = _ask(caseworker, boom=True)
    job.refresh_from_db()
    assert (job.state, job.error_code) == ("failed", "build_failed")
    assert job.error and SECRET_NAME not in job.error
    assert not job.file and job.finished_at is not None
    assert "ValueError" in caplog.text and str(job.pk) in caplog.text
    assert SECRET_NAME not in caplog.text
    assert "Traceback" not in caplog.text


def test_the_job_runs_as_its_requester_as_things_stand_then(
    fake, caseworker, second_caseworker, supervisor, django_capture_on_commit_callbacks
):
    case = make_case(caseworker)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job = _ask(caseworker, case=str(case.pk))
    # Before it runs, the case is restricted and given to someone else.
    casework_services.set_case_restricted(actor=supervisor, case_id=case.pk, restricted=True)
    casework_services.assign_case(actor=supervisor, case_id=case.pk, assignee=second_caseworker)
    for callback in callbacks:
        callback()
    job.refresh_from_db()
    assert (job.state, job.error_code) == ("failed", "forbidden")
    assert fake.builds == []


def test_a_job_runs_once(done_job, fake):
    assert run_report_job(done_job.pk) is None
    assert run_report_job("not-a-uuid") is None
    assert fake.builds == [done_job.pk]


@pytest.mark.django_db(transaction=True)
def test_two_workers_claiming_one_job_build_it_once(fake, caseworker):
    from django.db import transaction

    with transaction.atomic():
        job = _ask(caseworker, slow=True)
    # In transaction=True tests on_commit callbacks run: the eager task made it already.
    ReportJob.objects.filter(pk=job.pk).update(state="queued", progress=0, file="")
    fake.builds.clear()

    results = run_together(lambda: run_report_job(job.pk), lambda: run_report_job(job.pk))
    assert sorted(result is None for result in results) == [False, True], results
    assert fake.builds == [job.pk]
    job.refresh_from_db()
    assert job.state == "done"


def _stale(job: ReportJob, minutes: int) -> None:
    """As a worker that died ``minutes`` ago mid-job leaves it."""
    ReportJob.objects.filter(pk=job.pk).update(
        state="running", progress=40, started_at=timezone.now() - timedelta(minutes=minutes)
    )


def test_a_job_left_running_past_the_timeout_is_taken_again(fake, caseworker, settings):
    settings.REPORT_JOB_TIMEOUT_MINUTES = 30
    job = _ask(caseworker, n=4)  # its on_commit never runs here
    _stale(job, minutes=10)
    assert run_report_job(job.pk) is None  # maybe still working: left alone
    assert fake.builds == []
    _stale(job, minutes=31)
    assert run_report_job(job.pk).state == "done"  # the redelivered task takes it again
    assert fake.builds == [job.pk]
    assert run_report_job(job.pk) is None


@pytest.mark.django_db(transaction=True)
def test_two_workers_retaking_a_stale_job_build_it_once(fake, caseworker):
    from django.db import transaction

    with transaction.atomic():
        job = _ask(caseworker, slow=True)
    ReportJob.objects.filter(pk=job.pk).update(progress=0, file="")
    _stale(job, minutes=60)
    fake.builds.clear()

    results = run_together(lambda: run_report_job(job.pk), lambda: run_report_job(job.pk))
    assert sorted(result is None for result in results) == [False, True], results
    assert fake.builds == [job.pk]


def test_a_run_overtaken_by_the_timeout_writes_nothing(
    fake, caseworker, monkeypatch, django_capture_on_commit_callbacks
):
    """A worker thought dead that wakes up after the sweep failed its job."""
    fake_build = kinds._KINDS[KIND].build

    def build_then_time_out(job, progress):
        _stale(job, minutes=60)
        delete_expired_report_files()  # the sweep fails it meanwhile
        return fake_build(job, progress)

    monkeypatch.setitem(
        kinds._KINDS,
        KIND,
        ReportKind(
            kind=KIND,
            formats=("csv",),
            check=kinds._KINDS[KIND].check,
            build=build_then_time_out,
        ),
    )
    with django_capture_on_commit_callbacks(execute=True):
        job = _ask(caseworker)
    job.refresh_from_db()
    assert (job.state, job.error_code, job.file.name) == ("failed", "timed_out", "")
    assert job.error and job.finished_at is not None
    assert fake.builds == [job.pk]  # it did build, and its file was not kept
    assert not default_storage.exists(f"reports/{job.created_at:%Y/%m}/{job.pk}.csv")


def test_the_sweep_fails_jobs_running_past_the_timeout(fake, caseworker, client_as, settings):
    settings.REPORT_JOB_TIMEOUT_MINUTES = 30
    stale, recent, queued = _ask(caseworker), _ask(caseworker), _ask(caseworker)
    _stale(stale, minutes=45)
    _stale(recent, minutes=5)
    delete_expired_report_files()
    states = dict(ReportJob.objects.values_list("pk", "state"))
    assert (states[stale.pk], states[recent.pk], states[queued.pk]) == (
        "failed",
        "running",
        "queued",
    )
    stale.refresh_from_db()
    assert stale.error_code == "timed_out"
    assert run_report_job(stale.pk) is None  # a late redelivery does not revive it
    page = client_as(caseworker).get(f"/reports/jobs/{stale.pk}/").content.decode()
    assert stale.error in page and "hx-trigger" not in page


# --- Reading and downloading ----------------------------------------------------------


def test_jobs_are_personal(done_job, caseworker, second_caseworker, supervisor, as_user):
    url = f"{JOBS}{done_job.pk}/"
    assert as_user(caseworker).get(url).status_code == 200
    for other in (second_caseworker, supervisor):
        http = as_user(other)
        assert_problem(http.get(url), 404)
        assert_problem(http.get(f"{url}download/"), 404)
        assert http.get(JOBS).json()["results"] == []
    listed = as_user(caseworker).get(JOBS).json()["results"]
    assert [row["id"] for row in listed] == [str(done_job.pk)]


def test_a_job_not_ready_is_a_409(fake, caseworker, as_user):
    job = _ask(caseworker)  # its on_commit never runs in this test's transaction
    http = as_user(caseworker)
    body = http.get(f"{JOBS}{job.pk}/").json()
    assert (body["state"], body["download"]) == ("queued", None)
    assert_problem(http.get(f"{JOBS}{job.pk}/download/"), 409, "report_not_ready")


def test_a_failed_job_is_a_409(
    fake, caseworker, as_user, client_as, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        job = _ask(caseworker, boom=True)
    assert_problem(as_user(caseworker).get(f"{JOBS}{job.pk}/download/"), 409, "report_failed")
    job.refresh_from_db()
    page = client_as(caseworker).get(f"/reports/jobs/{job.pk}/").content.decode()
    assert job.error in page and "hx-trigger" not in page


def test_a_download_is_logged_as_an_export(done_job, caseworker, as_user):
    response = as_user(caseworker).get(f"{JOBS}{done_job.pk}/download/")
    assert response.status_code == 200
    row = AccessLog.objects.exclude(action__in=["login", "logout"]).latest("id")
    assert (row.action, row.actor_id, row.object_type, row.object_id) == (
        "export",
        caseworker.pk,
        "reports.reportjob",
        str(done_job.pk),
    )


def test_a_file_gone_from_storage_is_a_410_and_logs_nothing(
    done_job, caseworker, as_user, client_as
):
    default_storage.delete(done_job.file.name)
    before = AccessLog.objects.filter(action="export").count()
    assert_problem(as_user(caseworker).get(f"{JOBS}{done_job.pk}/download/"), 410, "report_expired")
    assert client_as(caseworker).get(f"/reports/jobs/{done_job.pk}/download/").status_code == 410
    assert AccessLog.objects.filter(action="export").count() == before


def test_the_download_checks_the_permission_again(
    fake, caseworker, second_caseworker, supervisor, as_user, django_capture_on_commit_callbacks
):
    case = make_case(caseworker)
    with django_capture_on_commit_callbacks(execute=True):
        job = _ask(caseworker, case=str(case.pk))
    http = as_user(caseworker)
    assert http.get(f"{JOBS}{job.pk}/download/").status_code == 200
    casework_services.set_case_restricted(actor=supervisor, case_id=case.pk, restricted=True)
    casework_services.assign_case(actor=supervisor, case_id=case.pk, assignee=second_caseworker)
    assert_problem(http.get(f"{JOBS}{job.pk}/download/"), 404)
    with pytest.raises(Exception) as refused:
        download_report(actor=caseworker, job_id=job.pk)
    assert getattr(refused.value, "status", None) == 404


# --- Expiry ---------------------------------------------------------------------------


def test_expired_jobs_lose_their_files_and_keep_their_rows(
    done_job, caseworker, as_user, client_as
):
    name = done_job.file.name
    ReportJob.objects.filter(pk=done_job.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1), parameters={"n": 3, "q": "Mohammed"}
    )
    assert delete_expired_report_files() == 1
    assert delete_expired_report_files() == 0
    done_job.refresh_from_db()
    assert done_job.state == "expired"
    assert not done_job.file
    assert not default_storage.exists(name)
    assert done_job.parameters == {"n": 3}  # the typed search text goes with the file
    assert_problem(as_user(caseworker).get(f"{JOBS}{done_job.pk}/download/"), 410, "report_expired")
    page = client_as(caseworker).get(f"/reports/jobs/{done_job.pk}/download/")
    assert page.status_code == 410


def test_a_job_past_its_expiry_is_refused_before_the_sweep(done_job, caseworker, as_user):
    ReportJob.objects.filter(pk=done_job.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert_problem(as_user(caseworker).get(f"{JOBS}{done_job.pk}/download/"), 410, "report_expired")


def test_the_command_expires_jobs(done_job):
    from io import StringIO

    from django.core.management import call_command

    ReportJob.objects.filter(pk=done_job.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    out = StringIO()
    call_command("delete_expired_reports", stdout=out)
    assert "1 report job(s) expired." in out.getvalue()


# --- Pages ----------------------------------------------------------------------------


def test_asking_from_a_page_leads_to_the_job_page(
    fake, caseworker, client_as, django_capture_on_commit_callbacks
):
    http = client_as(caseworker)
    with django_capture_on_commit_callbacks(execute=True):
        response = http.post("/reports/jobs/new/", {"kind": KIND, "format": "csv", "n": "x"})
    # Form fields arrive as text: the fake kind wants a number.
    assert response.status_code == 400
    assert "Give a number." in response.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = http.post("/reports/jobs/new/", {"kind": KIND, "format": "csv"})
    job = ReportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/reports/jobs/{job.pk}/"
    page = http.get(response["Location"]).content.decode()
    assert f'href="/reports/jobs/{job.pk}/download/"' in page
    assert "hx-trigger" not in page  # done: no more polling


def test_a_running_job_page_polls_and_offers_a_refresh_link(fake, caseworker, client_as):
    job = _ask(caseworker)  # queued: its on_commit never runs here
    ReportJob.objects.filter(pk=job.pk).update(state="running", progress=40)
    http = client_as(caseworker)
    page = http.get(f"/reports/jobs/{job.pk}/").content.decode()
    assert 'hx-trigger="every 2s"' in page
    assert '<progress id="job-progress" max="100" value="40">' in page
    assert f'<a href="/reports/jobs/{job.pk}/">' in page  # the refresh link, without JS
    partial = http.get(f"/reports/jobs/{job.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert partial.lstrip().startswith('<div id="job-state"')
    assert "<html" not in partial
    assert http.get(f"/reports/jobs/{job.pk}/download/").status_code == 409


def test_job_pages_are_personal(done_job, second_caseworker, client_as):
    http = client_as(second_caseworker)
    assert http.get(f"/reports/jobs/{done_job.pk}/").status_code == 404
    assert http.get(f"/reports/jobs/{done_job.pk}/download/").status_code == 404
    assert str(done_job.pk) not in http.get("/reports/jobs/").content.decode()


def test_the_reports_page_and_nav_follow_the_permissions(
    done_job, caseworker, supervisor, referral_officer, client_as
):
    page = client_as(caseworker).get("/reports/").content.decode()
    assert 'href="/reports/"' in page  # the nav entry (EXPORT_CASES)
    assert f"/reports/jobs/{done_job.pk}/" in page  # recent jobs
    assert f'href="{reverse("casework:case_list")}"' in page
    supervisor_page = client_as(supervisor).get("/reports/").content.decode()
    assert "Disclosure register" in supervisor_page
    home = client_as(referral_officer).get(reverse("accounts:home")).content.decode()
    assert 'href="/reports/"' not in home
