"""Reads of report jobs. A job is personal: only the person who asked for it
sees it, so anyone else's job answers 404 like one that does not exist."""

from uuid import UUID

from django.db.models import QuerySet

from accounts.models import User
from casework.selectors import is_uuid
from config.errors import NotFound
from reports.models import ReportJob


def report_jobs_of(actor: User) -> QuerySet[ReportJob]:
    """The actor's own report jobs, newest first. No personal data (kinds,
    states, dates), so no access-log row."""
    return ReportJob.objects.filter(requested_by=actor).order_by("-created_at", "-id")


def get_report_job_for(actor: User, job_id: UUID | str) -> ReportJob:
    """The actor's own job ``job_id``; NotFound for anyone else's or none."""
    job = report_jobs_of(actor).filter(pk=job_id).first() if is_uuid(job_id) else None
    if job is None:
        raise NotFound()
    return job
