"""Background work of casework: reminders of follow-ups coming due."""

from celery import shared_task

from casework.services import notify_follow_ups_due


@shared_task
def notify_follow_ups_due_task() -> int:
    """Hourly (see CELERY_BEAT_SCHEDULE): tell assignees of follow-ups due
    tomorrow or overdue, in their own time zone (a day begins at a different
    hour in each); each notice is written once, however often this runs."""
    return notify_follow_ups_due()
