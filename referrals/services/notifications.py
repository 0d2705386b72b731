"""Who is told of what happens to a referral, and in which words. The notices
are written by ``accounts.services.notify_users`` (the one writer)."""

from collections.abc import Iterable

from django.urls import reverse
from django.utils.translation import gettext_noop

from accounts.models import Notification, User
from accounts.notices import notice_date, notice_label
from accounts.permissions import Role
from accounts.selectors import active_members_in_roles
from accounts.services import notify_users
from referrals.models import Referral, ReferralEvent

# What each side is told, by event ("message": a new message on the
# conversation). A notice names the referral's reference, both agencies and
# the reader's own case number, never the client: no purpose, reason or
# message text, which are free text and may name them. The sending side
# reads its case number; the receiving side never learns it, only its own
# case's once it has opened one.
_SENDING_SIDE = {
    ReferralEvent.Kind.ACCEPTED: gettext_noop(
        "%(to)s accepted referral %(reference)s (case %(number)s of %(from)s)."
    ),
    ReferralEvent.Kind.DECLINED: gettext_noop(
        "%(to)s declined referral %(reference)s (case %(number)s of %(from)s). "
        "The reason is on the referral."
    ),
    ReferralEvent.Kind.PROGRESS: gettext_noop(
        "%(to)s reported progress on referral %(reference)s (case %(number)s of %(from)s)."
    ),
    ReferralEvent.Kind.COMPLETED: gettext_noop(
        "%(to)s completed referral %(reference)s (case %(number)s of %(from)s) and reported "
        "the outcome."
    ),
    ReferralEvent.Kind.CASE_OPENED: gettext_noop(
        "%(to)s opened a case of its own for referral %(reference)s (case %(number)s of %(from)s)."
    ),
    ReferralEvent.Kind.EXPIRED: gettext_noop(
        "Referral %(reference)s (case %(number)s of %(from)s) to %(to)s expired: it was not "
        "answered by %(respond_by)s."
    ),
    ReferralEvent.Kind.CANCELLED: gettext_noop(
        "Referral %(reference)s (case %(number)s of %(from)s) to %(to)s was cancelled: the "
        "consent it relied on was withdrawn."
    ),
    ReferralEvent.Kind.ACCESS_REVOKED: gettext_noop(
        "The consent behind referral %(reference)s (case %(number)s of %(from)s) was "
        "withdrawn: %(to)s no longer has access to its packet."
    ),
    "message": gettext_noop(
        "%(to)s wrote a new message on referral %(reference)s (case %(number)s of %(from)s)."
    ),
}
_NEW_REFERRAL = gettext_noop(
    "New referral %(reference)s from %(from)s to %(to)s (%(urgency)s); answer by %(respond_by)s."
)
_RECEIVING_SIDE = {
    ReferralEvent.Kind.SENT: _NEW_REFERRAL,
    ReferralEvent.Kind.CONSENT_OVERRIDE: _NEW_REFERRAL,
    ReferralEvent.Kind.WITHDRAWN: gettext_noop(
        "%(from)s withdrew referral %(reference)s to %(to)s."
    ),
    ReferralEvent.Kind.EXPIRED: gettext_noop(
        "Referral %(reference)s from %(from)s to %(to)s expired: it was not answered by "
        "%(respond_by)s."
    ),
    ReferralEvent.Kind.CANCELLED: gettext_noop(
        "Referral %(reference)s from %(from)s to %(to)s was cancelled: the consent it relied "
        "on was withdrawn."
    ),
    ReferralEvent.Kind.ACCESS_REVOKED: gettext_noop(
        "The consent behind referral %(reference)s from %(from)s was withdrawn: %(to)s no "
        "longer has access to its packet."
    ),
    "message": gettext_noop("%(from)s wrote a new message on referral %(reference)s to %(to)s."),
}
# The same, once the receiving agency has opened its own case.
_RECEIVING_SIDE_WITH_CASE = {
    ReferralEvent.Kind.WITHDRAWN: gettext_noop(
        "%(from)s withdrew referral %(reference)s to %(to)s (case %(number)s of %(to)s)."
    ),
    ReferralEvent.Kind.CANCELLED: gettext_noop(
        "Referral %(reference)s from %(from)s to %(to)s (case %(number)s of %(to)s) was "
        "cancelled: the consent it relied on was withdrawn."
    ),
    ReferralEvent.Kind.ACCESS_REVOKED: gettext_noop(
        "The consent behind referral %(reference)s from %(from)s (case %(number)s of %(to)s) "
        "was withdrawn: %(to)s no longer has access to its packet."
    ),
    "message": gettext_noop(
        "%(from)s wrote a new message on referral %(reference)s to %(to)s (case %(number)s of "
        "%(to)s)."
    ),
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


def notify(
    referral: Referral,
    kind: str,
    *,
    sending_side: Iterable[User] = (),
    receiving_side: Iterable[User] = (),
) -> list[Notification]:
    """Tell each side of ``kind`` (a ``ReferralEvent.Kind`` or "message")
    through ``accounts.services.notify_users``: in-app notices now, in the
    caller's transaction, rendered in each reader's language, e-mailed once
    it commits. ``sending_side``: people of the sending agency (told the
    case number); ``receiving_side``: of the receiving agency (someone on
    both sides is told once, as the sender). Notices name the referral's
    reference, the agencies and case numbers, never the client."""
    url = reverse("referrals:referral_detail", args=[referral.pk])
    common = {
        "reference": referral.reference,
        "from": referral.from_agency_name,
        "to": referral.to_agency_name,
        "respond_by": notice_date(referral.respond_by),
    }
    notices: list[Notification] = []
    sending = list(sending_side)
    if sending:
        notices += notify_users(
            sending,
            kind=f"referral.{kind}",
            text=_SENDING_SIDE[kind],
            values={**common, "number": referral.case.number},
            url=url,
        )
    told = {user.pk for user in sending}
    receiving = [user for user in receiving_side if user.pk not in told]
    if receiving:
        values = {**common, "urgency": notice_label(Referral.Urgency(referral.urgency).label)}
        text = _RECEIVING_SIDE[kind]
        if referral.receiving_case_id is not None and kind in _RECEIVING_SIDE_WITH_CASE:
            text = _RECEIVING_SIDE_WITH_CASE[kind]
            values["number"] = referral.receiving_case.number
        notices += notify_users(
            receiving, kind=f"referral.{kind}", text=text, values=values, url=url
        )
    return notices
