"""Report job pages: ask for a report (a POST from any page that offers one),
follow its progress, download its file."""

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from config.errors import DomainError, Forbidden, NotFound
from config.http.pages import keyset_page
from reports.http import stream_response
from reports.models import ReportJob
from reports.selectors.jobs import get_report_job_for, report_jobs_of
from reports.services import download_report, request_report
from reports.views.index import index_context

# Form fields that are not the report's parameters.
_NOT_PARAMETERS = frozenset({"csrfmiddlewaretoken", "kind", "format"})
RUNNING_STATES = (ReportJob.State.QUEUED, ReportJob.State.RUNNING)


def _back(request: HttpRequest) -> str:
    """The page the request came from, when it is one of ours."""
    referer = request.headers.get("Referer", "")
    if referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return referer
    return ""


@require_POST
@login_required
def job_request(request: HttpRequest) -> HttpResponse:
    """Ask for a report: ``kind``, ``format`` and the kind's parameters (every
    other field). Then the job's page; a refusal: the message, 4xx."""
    parameters = {
        name: values[0] if len(values) == 1 else values
        for name, values in request.POST.lists()
        if name not in _NOT_PARAMETERS
    }
    try:
        job = request_report(
            actor=request.user,
            kind=request.POST.get("kind", ""),
            format=request.POST.get("format", ""),
            parameters=parameters,
            language=request.LANGUAGE_CODE,
        )
    except (NotFound, Forbidden):
        raise
    except DomainError as error:
        messages.error(request, str(error.message))
        # The reports page with the message and a way back, answering 4xx.
        context = {**index_context(request.user), "back": _back(request)}
        return render(request, "reports/index.html", context, status=error.status)
    return redirect("reports:job", job_id=job.pk)


@never_cache
@require_safe
@login_required
def jobs(request: HttpRequest) -> HttpResponse:
    """The user's own report jobs, newest first."""
    page = keyset_page(report_jobs_of(request.user), request.GET.get("after", ""), "created_at")
    return render(request, "reports/jobs.html", {"page": page, "section": "reports"})


def _job_page(request: HttpRequest, job: ReportJob, status: int = 200) -> HttpResponse:
    context = {"job": job, "running": job.state in RUNNING_STATES, "section": "reports"}
    if request.htmx:
        # The polled part only: it stops polling once the job is no longer running.
        return render(request, "reports/_job_state.html", context, status=status)
    return render(request, "reports/job.html", context, status=status)


@never_cache
@require_safe
@login_required
def job(request: HttpRequest, job_id: UUID) -> HttpResponse:
    """One of the user's jobs: state, progress, the file when ready."""
    return _job_page(request, get_report_job_for(request.user, job_id))


@never_cache
@require_safe
@login_required
def job_download(request: HttpRequest, job_id: UUID) -> HttpResponse:
    """The job's file, as an attachment, never cached; logged as an export."""
    try:
        job, handle = download_report(actor=request.user, job_id=job_id)
    except (NotFound, Forbidden):
        raise
    except DomainError as error:
        # A file gone from storage is a ReportExpired (410) here too.
        messages.error(request, str(error.message))
        return _job_page(request, get_report_job_for(request.user, job_id), error.status)
    return stream_response(handle, filename=job.filename, content_type=job.content_type)
