"""Background work of referrals: the expiry sweep. (Notice e-mail is
``accounts.tasks.email_notifications``, for every app.)"""

from celery import shared_task

from referrals.services import expire_overdue_referrals


@shared_task
def expire_overdue_referrals_task() -> int:
    """Periodic (hourly, see CELERY_BEAT_SCHEDULE): expire sent referrals past
    their respond-by date."""
    return expire_overdue_referrals()
