"""Background work of referrals: notification e-mail and the expiry sweep."""

import logging
import smtplib

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import Notification

logger = logging.getLogger(__name__)


@shared_task
def email_notifications(notification_ids: list[str]) -> int:
    """E-mail in-app notices (after the commit that wrote them). The mail says
    what the notice says — agencies and a reference, never a client — and
    links to Sanad, where access is checked."""
    from referrals.selectors import notice_links

    sent = 0
    notices = list(
        Notification.objects.filter(
            pk__in=notification_ids, emailed_at__isnull=True
        ).select_related("recipient")
    )
    by_recipient: dict = {}
    for notice in notices:
        by_recipient.setdefault(notice.recipient_id, []).append(notice)
    # One scope query per recipient, whatever their number of notices.
    links = {}
    for recipient_notices in by_recipient.values():
        links.update(notice_links(recipient_notices[0].recipient, recipient_notices))
    for notice in notices:
        # A partner told of a withdrawal or expiry has lost the referral
        # already: the mail says so instead of linking to a 404.
        link = links[notice.pk]
        if link.unavailable:
            with translation.override(notice.recipient.preferred_language or None):
                footer = _("This referral is no longer available to your agency.")
        else:
            footer = f"{settings.SITE_URL}{link.url}" if link.url else ""
        try:
            send_mail(
                subject=f"Sanad: {notice.message}"[:150],
                message=f"{notice.message}\n\n{footer}\n" if footer else f"{notice.message}\n",
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
