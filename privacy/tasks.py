"""Background work of privacy: the retention sweep."""

from celery import shared_task


@shared_task
def apply_retention_task() -> dict:
    """Daily (see CELERY_BEAT_SCHEDULE): anonymise what retention says has expired."""
    from privacy.services import apply_retention

    return apply_retention()
