"""Background work of reports: making report jobs' files, deleting expired ones."""

from celery import shared_task


@shared_task(acks_late=True)
def run_report_job_task(job_id: str) -> str:
    """Make one report job's file (queued by ``request_report`` after commit).
    Safe to deliver twice: only one run claims the job."""
    from reports.services import run_report_job

    job = run_report_job(job_id)
    return job.state if job is not None else "not_claimed"


@shared_task
def delete_expired_report_files_task() -> int:
    """Hourly (see CELERY_BEAT_SCHEDULE): delete the files of expired report jobs."""
    from reports.services import delete_expired_report_files

    return delete_expired_report_files()
