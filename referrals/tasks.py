"""Background work of referrals: notification e-mail and the expiry sweep."""

import logging
import smtplib

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone

from accounts.models import Notification

logger = logging.getLogger(__name__)


@shared_task
def email_notifications(notification_ids: list[str]) -> int:
    """E-mail in-app notices (after the commit that wrote them). The mail says
    what the notice says — agencies and a reference, never a client — and
    links to Sanad, where access is checked."""
    sent = 0
    notices = Notification.objects.filter(
        pk__in=notification_ids, emailed_at__isnull=True
    ).select_related("recipient")
    for notice in notices:
        try:
            send_mail(
                subject=f"Sanad: {notice.message}"[:150],
                message=f"{notice.message}\n\n{settings.SITE_URL}{notice.url}\n",
                from_email=None,
                recipient_list=[notice.recipient.email],
            )
        except (OSError, smtplib.SMTPException):
            # The in-app notice is there already; a mail server that is down
            # must not turn a committed referral into an error page.
            logger.exception("Notice %s could not be e-mailed", notice.pk)
            continue
        notice.emailed_at = timezone.now()
        notice.save(update_fields=["emailed_at"])
        sent += 1
    return sent


@shared_task
def expire_overdue_referrals_task() -> int:
    """Periodic (hourly, see CELERY_BEAT_SCHEDULE): expire sent referrals past
    their respond-by date."""
    from referrals.services import expire_overdue_referrals

    return expire_overdue_referrals()
