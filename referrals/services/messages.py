"""A referral's conversation between the two agencies."""

from uuid import UUID

from django.db import transaction
from django.utils.translation import gettext_noop

from accounts.audit import save_with_history
from accounts.models import User
from accounts.permissions import Perm
from referrals.models import ReferralMessage
from referrals.selectors import get_referral_for, message_refusal
from referrals.services.notifications import notify, receivers, senders
from referrals.services.parsing import MESSAGE_MAX_LENGTH, parse_text


@transaction.atomic
def post_referral_message(*, actor: User, referral_id: UUID | str, body: str) -> ReferralMessage:
    """Write on a referral's conversation (MESSAGE_REFERRAL, either side) while
    both agencies hold it (sent, accepted, completed: ``message_refusal``, else
    409 ``messages_closed``). Writes the history; the other side is told."""
    referral = get_referral_for(actor, referral_id, Perm.MESSAGE_REFERRAL, lock=True)
    body = parse_text(body, "body", required=True, max_length=MESSAGE_MAX_LENGTH)
    refusal = message_refusal(referral)
    if refusal is not None:
        raise refusal
    sender_side = actor.has_perm(Perm.SEND_REFERRAL, referral)
    message = ReferralMessage(
        referral=referral,
        author=actor,
        author_agency_id=referral.from_agency_id if sender_side else referral.to_agency_id,
        body=body,
    )
    save_with_history(message, actor=actor, reason=gettext_noop("message written"))
    if sender_side:
        others = [user for user in receivers(referral) if user.pk != actor.pk]
        notify(referral, "message", receiving_side=others)
    else:
        others = [user for user in senders(referral) if user.pk != actor.pk]
        notify(referral, "message", sending_side=others)
    return message
