"""Referral writes, one function per use case: the service directory, drafting
and sending, the lifecycle after sending, messages, opening the partner's own
case, and who is told (through ``accounts.services.notify_users``).

Every transition is one transaction: lock the referral, check the table in
``Referral.TRANSITIONS`` or the state rule of ``referrals.selectors``
(anything else is a 409 naming the current state), write the referral with
its history, append a timeline event, grant or revoke the receiving agency's
access, write the in-app notifications; e-mail goes out only after the
commit.
"""

from referrals.services.directory import (
    SERVICE_FIELDS,
    create_service,
    import_services,
    update_service,
)
from referrals.services.errors import InvalidTransition, ReferralRefused
from referrals.services.grants import (
    grant_case_owner_access,
    grant_partner_access,
    revoke_partner_access,
)
from referrals.services.intake import open_case_from_referral
from referrals.services.lifecycle import (
    accept_referral,
    cancel_referrals_relying_on,
    complete_referral,
    decline_referral,
    expire_overdue_referrals,
    report_referral_progress,
    withdraw_referral,
)
from referrals.services.messages import post_referral_message
from referrals.services.notifications import notify
from referrals.services.parsing import MESSAGE_MAX_LENGTH
from referrals.services.sending import (
    build_packet,
    create_and_send_referral,
    create_referral,
    send_referral,
    update_referral_draft,
)

__all__ = [
    "MESSAGE_MAX_LENGTH",
    "SERVICE_FIELDS",
    "InvalidTransition",
    "ReferralRefused",
    "accept_referral",
    "build_packet",
    "cancel_referrals_relying_on",
    "complete_referral",
    "create_and_send_referral",
    "create_referral",
    "create_service",
    "decline_referral",
    "expire_overdue_referrals",
    "grant_case_owner_access",
    "grant_partner_access",
    "import_services",
    "notify",
    "open_case_from_referral",
    "post_referral_message",
    "report_referral_progress",
    "revoke_partner_access",
    "send_referral",
    "update_referral_draft",
    "update_service",
    "withdraw_referral",
]
