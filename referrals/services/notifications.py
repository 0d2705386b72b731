"""Who is told of what happens to a referral, and in which words. The notices
are written by ``accounts.services.notify_users`` (the one writer)."""

from collections.abc import Iterable

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_noop

from accounts.models import Notification, User
from accounts.permissions import Role
from accounts.selectors import active_members_in_roles
from accounts.services import notify_users
from referrals.models import Referral, ReferralEvent

_NOTICES = {
    ReferralEvent.Kind.SENT: gettext_noop("New referral %(reference)s from %(from)s."),
    ReferralEvent.Kind.CONSENT_OVERRIDE: gettext_noop("New referral %(reference)s from %(from)s."),
    ReferralEvent.Kind.ACCEPTED: gettext_noop("Referral %(reference)s was accepted by %(to)s."),
    ReferralEvent.Kind.DECLINED: gettext_noop("Referral %(reference)s was declined by %(to)s."),
    ReferralEvent.Kind.PROGRESS: gettext_noop(
        "%(to)s reported progress on referral %(reference)s."
    ),
    ReferralEvent.Kind.COMPLETED: gettext_noop("Referral %(reference)s was completed by %(to)s."),
    ReferralEvent.Kind.CASE_OPENED: gettext_noop(
        "%(to)s opened a case for referral %(reference)s."
    ),
    ReferralEvent.Kind.WITHDRAWN: gettext_noop("Referral %(reference)s was withdrawn by %(from)s."),
    ReferralEvent.Kind.EXPIRED: gettext_noop("Referral %(reference)s expired without an answer."),
    ReferralEvent.Kind.CANCELLED: gettext_noop(
        "Referral %(reference)s was cancelled: the consent it relied on was withdrawn."
    ),
    ReferralEvent.Kind.ACCESS_REVOKED: gettext_noop(
        "The consent behind referral %(reference)s was withdrawn: %(to)s no longer has access."
    ),
    "message": gettext_noop("New message on referral %(reference)s."),
}


def receivers(referral: Referral) -> list[User]:
    """Who is told on the receiving side: its referral officers, else its
    supervisors (active members only)."""
    officers = active_members_in_roles(referral.to_agency_id, [Role.REFERRAL_OFFICER])
    return officers or active_members_in_roles(referral.to_agency_id, [Role.SUPERVISOR])


def senders(referral: Referral) -> list[User]:
    """Who is told on the sending side: who sent it and the case's assignee
    (active users only)."""
    users = [referral.from_user]
    assignee = referral.case.assigned_to
    if assignee is not None and assignee.pk != referral.from_user_id:
        users.append(assignee)
    return [user for user in users if user.is_active]


def notify(referral: Referral, kind: str, recipients: Iterable[User]) -> list[Notification]:
    """Tell ``recipients`` of ``kind`` (a ``ReferralEvent.Kind`` or "message")
    through ``accounts.services.notify_users``: in-app notices now, in the
    caller's transaction, each in its reader's language, e-mailed once it
    commits. Notices name the referral's reference and the agencies only,
    never the client."""
    return notify_users(
        recipients,
        kind=f"referral.{kind}",
        text=_NOTICES[kind],
        values={
            "reference": referral.reference,
            "from": referral.from_agency_name,
            "to": referral.to_agency_name,
        },
        url=reverse("referrals:referral_detail", args=[referral.pk]),
    )


@transaction.atomic
def mark_notifications_read(*, actor: User) -> int:
    """Mark every unread notice of the actor read (their own only); returns how
    many. Notices carry no history: the update touches only ``read_at``."""
    return Notification.objects.filter(recipient_id=actor.pk, read_at__isnull=True).update(
        read_at=timezone.now()
    )
