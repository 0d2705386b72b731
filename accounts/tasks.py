"""Background work of accounts: notice e-mail and the access log's checkpoints."""

import logging
import smtplib

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import Notification
from accounts.notices import notice_links, render_notice
from config.http.calendars import display_of

logger = logging.getLogger(__name__)


# Named as when referrals held it: mail queued in the broker before an upgrade
# still finds its task (a notice whose mail is lost is never sent again).
@shared_task(name="referrals.tasks.email_notifications")
def email_notifications(notification_ids: list[str]) -> int:
    """E-mail in-app notices (after the commit that wrote them); returns how
    many were sent. The mail says what the notice says, in the recipient's
    preferred language — agencies, case numbers and references, never a
    client — and links to the notice in Sanad (opening it there marks it read
    and checks access again). A notice already e-mailed is not sent again."""
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
        recipient = notice.recipient
        with translation.override(recipient.preferred_language or None), display_of(recipient):
            text = render_notice(notice, isolate=True)
            # A partner told of a withdrawal or expiry has lost the referral
            # already: the mail says so instead of linking to a 404.
            link = links[notice.pk]
            if link.unavailable:
                footer = str(link.unavailable_note)
            elif link.url:
                footer = settings.SITE_URL + reverse("accounts:notice_open", args=[notice.pk])
            else:
                footer = ""
        try:
            send_mail(
                subject=f"Sanad: {text}"[:150],
                message=f"{text}\n\n{footer}\n" if footer else f"{text}\n",
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
def checkpoint_access_log_task() -> int:
    """Every ACCESS_LOG_CHECKPOINT_MINUTES (see CELERY_BEAT_SCHEDULE): write the
    access log's chain heads outside the database; returns the chains recorded.
    Fails with ``CheckpointRefusedError`` (already logged at ERROR and e-mailed)
    when the log no longer holds what the previous checkpoint recorded: the
    task is then failed, and nothing is written."""
    from accounts.access_log import write_checkpoint

    return len(write_checkpoint().heads)
