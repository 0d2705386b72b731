"""Report jobs: ask for a report, make it in the background, hand over its
file, delete the file when it expires.

The machinery knows no kind by name: each kind (``reports.kinds``) says which
formats it offers, checks a request and builds the file. Permission is checked
three times, because it may change while a job waits or its file sits in
storage: when the job is asked for, when it runs (as the person who asked)
and when its file is downloaded.

Outside a request (a Celery worker) the builders' reads act for nobody and
leave no access-log row; what leaves the system is the download, and that is
logged as an export or a download.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from uuid import UUID

from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from accounts.access import Action, record_access
from accounts.models import User
from casework.selectors import cases_visible_to, is_uuid
from config.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound
from reports import http
from reports.kinds import report_kind
from reports.models import ReportJob
from reports.selectors.jobs import get_report_job_for

logger = logging.getLogger(__name__)

CONTENT_TYPES = {
    ReportJob.Format.PDF: http.PDF,
    ReportJob.Format.CSV: http.CSV,
    ReportJob.Format.XLSX: http.XLSX,
}
# A report about one case (a PDF document of it) is a download of that case;
# lists, statistics and registers are exports. Kind -> the parameter naming the case.
_ABOUT_ONE_CASE = {ReportJob.Kind.CASE_FILE: "case"}
# Free text a person typed (a search may be a client's name): kept while the
# file is, dropped when the job expires, like the access log never keeps it.
_FREE_TEXT_PARAMETERS = ("q",)
# Progress is written at most this often (seconds) unless it moved this much.
_PROGRESS_SECONDS = 1.0
_PROGRESS_STEP = 10


class ReportExpired(DomainError):
    """410: the job's file was deleted when it expired (``REPORT_FILE_DAYS``)."""

    status = 410
    code = "report_expired"
    default_message = _("This report has expired and its file was deleted. Ask for it again.")


def _languages() -> set[str]:
    return {code for code, _name in settings.LANGUAGES}


@transaction.atomic
def request_report(
    *, actor: User, kind: str, format: str, parameters: dict, language: str = ""
) -> ReportJob:
    """Ask for a report of ``kind`` in ``format``. The kind checks the
    parameters and the actor's permission (400 naming the field, 403, 404).
    The job is queued; after commit a worker makes it (inline in the embedded
    default, so it is done when this returns to a view)."""
    report = report_kind(kind) if isinstance(kind, str) else None
    if report is None:
        raise InvalidInput(_("There is no report of this kind."), code="invalid", field="kind")
    if format not in report.formats:
        raise InvalidInput(
            _("This report comes in these formats: %(formats)s.")
            % {"formats": ", ".join(report.formats)},
            code="format_not_offered",
            field="format",
        )
    if not isinstance(parameters, dict):
        raise InvalidInput(_("Give the parameters as an object."), field="parameters")
    language = language or actor.preferred_language or translation.get_language() or ""
    language = language.split("-")[0]
    if language not in _languages():
        raise InvalidInput(
            _("Choose one of these languages: %(languages)s.")
            % {"languages": ", ".join(sorted(_languages()))},
            field="language",
        )
    try:
        agency, cleaned = report.check(actor, parameters)
    except InvalidInput as error:
        # The kinds name their own fields (``case``, ``from``: the names the
        # pages use); here they sit inside ``parameters``.
        if not error.field or error.field.startswith("parameters"):
            raise
        raise InvalidInput(
            error.message, code=error.code, field=f"parameters.{error.field}"
        ) from error
    job = ReportJob.objects.create(
        requested_by=actor,
        agency=agency,
        kind=kind,
        format=format,
        parameters=cleaned,
        language=language,
        expires_at=timezone.now() + timedelta(days=settings.REPORT_FILE_DAYS),
    )
    from reports.tasks import run_report_job_task

    job_id = str(job.pk)
    transaction.on_commit(lambda: run_report_job_task.delay(job_id))
    return job


def _timeout() -> timedelta:
    return timedelta(minutes=settings.REPORT_JOB_TIMEOUT_MINUTES)


def _claim(job_id: UUID | str) -> bool:
    """Queued -> running, for exactly one caller; or a job left running past
    ``REPORT_JOB_TIMEOUT_MINUTES`` (its worker died: killed for memory on a
    long case file) taken again when Celery redelivers it (acks_late).

    A conditional UPDATE on the state *and* ``started_at`` is atomic on both
    databases (PostgreSQL re-checks the WHERE on the locked row, where the
    winner has already moved ``started_at`` to now; SQLite has one writer at a
    time), so when Celery delivers the task twice or two workers race, one wins
    and the other finds nothing to do. ReportJob has no simple-history, so
    ``update()`` hides no history here."""
    now = timezone.now()
    takeable = Q(state=ReportJob.State.QUEUED) | Q(
        state=ReportJob.State.RUNNING, started_at__lt=now - _timeout()
    )
    return bool(
        ReportJob.objects.filter(takeable, pk=job_id).update(
            state=ReportJob.State.RUNNING, started_at=now, progress=0
        )
    )


def _still_ours(job: ReportJob):
    """The job as this run claimed it: still running since our ``started_at``.
    A worker thought dead that wakes up after its job was taken again or timed
    out finds nothing here and writes nothing."""
    return ReportJob.objects.filter(
        pk=job.pk, state=ReportJob.State.RUNNING, started_at=job.started_at
    )


def _finish_failed(job: ReportJob, code: str, message) -> ReportJob:
    job.state = ReportJob.State.FAILED
    job.error_code = code
    job.error = str(message)[:300]
    job.finished_at = timezone.now()
    _still_ours(job).update(
        state=job.state, error_code=job.error_code, error=job.error, finished_at=job.finished_at
    )
    return job


def _progress_writer(job: ReportJob):
    """progress(percent) for the builder: each write is its own short UPDATE
    (the build holds no transaction), at most once a second unless it moved
    ten points, so a page polling the job sees it move."""
    last = {"percent": 0, "at": 0.0}

    def progress(percent: int) -> None:
        percent = max(0, min(100, int(percent)))
        now = time.monotonic()
        if percent <= last["percent"]:
            return
        if percent - last["percent"] < _PROGRESS_STEP and now - last["at"] < _PROGRESS_SECONDS:
            return
        last.update(percent=percent, at=now)
        _still_ours(job).update(progress=percent)

    return progress


def run_report_job(job_id: UUID | str) -> ReportJob | None:
    """Make the job's file (the Celery task's body). Claims the job first:
    None when it is not queued (already taken, done or gone) nor left running
    past the timeout, or when it was taken from this run meanwhile. Checks the
    request again as the person who asked; a refusal or any error fails the
    job with a code and a message safe to show, never the exception's text
    (it may quote personal data)."""
    if not is_uuid(job_id) or not _claim(job_id):
        return None
    job = ReportJob.objects.select_related("requested_by").get(pk=job_id)
    report = report_kind(job.kind)
    if report is None:
        return _finish_failed(job, "unknown_kind", _("This kind of report is no longer offered."))
    requester = job.requested_by
    try:
        if not requester.is_active:
            raise Forbidden()
        report.check(requester, job.parameters)
    except (NotFound, Forbidden):
        return _finish_failed(
            job, "forbidden", _("You may no longer make this report, so it was not made.")
        )
    except DomainError:
        return _finish_failed(
            job, "invalid_parameters", _("The report's parameters are no longer valid.")
        )
    except Exception as error:  # never leave the job running
        logger.error("report job %s: check failed: %s", job.pk, type(error).__name__)
        return _finish_failed(
            job, "build_failed", _("The report could not be made. Try again later.")
        )
    progress = _progress_writer(job)
    try:
        with translation.override(job.language or settings.LANGUAGE_CODE):
            content, filename = report.build(job, progress)
        job.file.save(filename, ContentFile(content), save=False)
    except Exception as error:  # any failure must end the job, not leave it running
        # The type and the id only: an exception's text or traceback may quote client data.
        logger.error("report job %s failed: %s", job.pk, type(error).__name__)
        return _finish_failed(
            job, "build_failed", _("The report could not be made. Try again later.")
        )
    job.state = ReportJob.State.DONE
    job.progress = 100
    job.filename = filename
    job.content_type = CONTENT_TYPES.get(job.format, "application/octet-stream")
    job.size = len(content)
    job.finished_at = timezone.now()
    # The days count from when the file is ready (a job that waited keeps them all).
    job.expires_at = job.finished_at + timedelta(days=settings.REPORT_FILE_DAYS)
    finished = _still_ours(job).update(
        expires_at=job.expires_at,
        file=job.file.name,
        state=job.state,
        progress=job.progress,
        filename=job.filename,
        content_type=job.content_type,
        size=job.size,
        finished_at=job.finished_at,
    )
    if not finished:
        # Taken again or timed out while this run was slow: the other run's file counts.
        job.file.delete(save=False)
        return None
    return job


def _is_expired(job: ReportJob) -> bool:
    return job.state == ReportJob.State.EXPIRED or job.expires_at <= timezone.now()


def download_report(*, actor: User, job_id: UUID | str) -> tuple[ReportJob, File]:
    """The actor's own finished job and its file, opened (the caller hands the
    handle over and it is closed with the response). Another person's job:
    404 (jobs are personal). Not ready:
    409 ``report_not_ready``; failed: 409 ``report_failed``; expired: 410
    ``report_expired``. The kind checks the request again, as it stands now
    (403/404: a caseworker moved off the case does not download its file).
    Logged as an export (a list, statistics, a register) or, for a document
    about one case, a download of that case — only once the file is open, so
    a file gone from storage (410 ``report_expired``) logs nothing that was
    not served."""
    job = get_report_job_for(actor, job_id)
    if _is_expired(job):
        raise ReportExpired()
    if job.state == ReportJob.State.FAILED:
        raise Conflict(_("This report could not be made."), code="report_failed")
    if job.state != ReportJob.State.DONE or not job.file:
        raise Conflict(_("This report is not ready yet."), code="report_not_ready")
    report = report_kind(job.kind)
    if report is None:
        raise ReportExpired()
    report.check(actor, job.parameters)
    try:
        handle = job.file.open("rb")
    except FileNotFoundError as error:
        raise ReportExpired() from error
    case_parameter = _ABOUT_ONE_CASE.get(job.kind)
    if case_parameter:
        case_id = job.parameters.get(case_parameter)
        client_id = (
            cases_visible_to(actor).filter(pk=case_id).values_list("client_id", flat=True).first()
            if is_uuid(case_id)
            else None
        )
        record_access(
            actor,
            Action.DOWNLOAD,
            job,
            case_id=case_id if is_uuid(case_id) else None,
            client_id=client_id,
        )
    else:
        record_access(actor, Action.EXPORT, job)
    return job, handle


def fail_timed_out_report_jobs() -> int:
    """Mark jobs running longer than ``REPORT_JOB_TIMEOUT_MINUTES`` failed
    (``timed_out``): their worker died and no redelivery took them again, and
    the person who asked should not watch a job that never ends. One
    conditional UPDATE: a job a worker takes again meanwhile (``started_at``
    moved to now) is left alone. Returns how many."""
    now = timezone.now()
    return ReportJob.objects.filter(
        state=ReportJob.State.RUNNING, started_at__lt=now - _timeout()
    ).update(
        state=ReportJob.State.FAILED,
        error_code="timed_out",
        error=str(_("The report took too long and was stopped. Ask for it again."))[:300],
        finished_at=now,
    )


def delete_expired_report_files() -> int:
    """Delete the files of jobs past ``expires_at`` and mark them expired. The
    row stays (who asked for what, when); free text in its parameters goes.
    Also fails jobs left running past the timeout (``fail_timed_out_report_jobs``).
    Returns how many jobs expired. Hourly (CELERY_BEAT_SCHEDULE) or
    ``manage.py delete_expired_reports`` from cron."""
    fail_timed_out_report_jobs()
    now = timezone.now()
    expired = 0
    due = (
        ReportJob.objects.filter(expires_at__lte=now)
        .exclude(state=ReportJob.State.EXPIRED)
        .values_list("pk", flat=True)
    )
    for job_id in list(due):
        with transaction.atomic():
            job = (
                ReportJob.objects.select_for_update()
                .filter(pk=job_id)
                .exclude(state=ReportJob.State.EXPIRED)
                .first()
            )
            if job is None:
                continue
            if job.file:
                # A file already gone (a previous run stopped half-way) is fine.
                job.file.delete(save=False)
            job.state = ReportJob.State.EXPIRED
            job.parameters = {
                key: value
                for key, value in job.parameters.items()
                if key not in _FREE_TEXT_PARAMETERS
            }
            job.save(update_fields=["file", "state", "parameters"])
            expired += 1
    return expired
