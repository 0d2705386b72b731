"""Background work of casework: reminders of follow-ups coming due, spreadsheet
imports and the deletion of their files."""

from celery import shared_task

from casework.services import notify_follow_ups_due


@shared_task
def notify_follow_ups_due_task() -> int:
    """Hourly (see CELERY_BEAT_SCHEDULE): tell assignees of follow-ups due
    tomorrow or overdue, in their own time zone (a day begins at a different
    hour in each); each notice is written once, however often this runs."""
    return notify_follow_ups_due()


@shared_task(acks_late=True)
def run_import_task(import_id: str) -> str:
    """Write a spreadsheet import (queued by ``start_import`` after commit),
    batch by batch. Safe to deliver twice: each batch locks the import and
    skips the rows already written, so a redelivery resumes."""
    from casework.services.imports import run_import

    client_import = run_import(import_id)
    return client_import.state if client_import is not None else "not_found"


@shared_task
def delete_expired_import_files_task() -> int:
    """Hourly (see CELERY_BEAT_SCHEDULE): delete the uploaded files imports no
    longer need, and fail the runs whose worker died."""
    from casework.services.imports import delete_expired_import_files

    return delete_expired_import_files()
