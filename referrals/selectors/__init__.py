"""Scoped reads of referrals and the service directory, the one rule that says
what a referral may share, and what a user may do with a referral now.

``referrals_visible_to`` is the only way a list, count or API reads
referrals. ``referral_check`` is what the send form proposes and what
``send_referral`` enforces. ``referral_actions_for`` reads the same state
rules the services check.
"""

from referrals.selectors.actions import (
    ACTIONS,
    CASE_OPENING_STATES,
    MESSAGE_STATES,
    case_opening_impossible,
    case_opening_refusal,
    draft_change_refusal,
    message_refusal,
    progress_refusal,
    referral_actions_for,
    referral_from_case_refusal,
)
from referrals.selectors.assignees import (
    agency_assignees,
    assignable_staff,
    referral_assignees,
)
from referrals.selectors.checks import (
    ReferralCheck,
    recipient_blocks,
    referral_check,
    referral_check_for,
)
from referrals.selectors.directory import (
    agencies_managed_by,
    agreement_in_force,
    get_recipient,
    get_service,
    get_service_for,
    partner_agencies,
    referral_recipients,
    services_directory,
)
from referrals.selectors.home import HOME_ROWS, referral_officer_home
from referrals.selectors.notifications import (
    UNAVAILABLE,
    new_incoming_count,
    referral_notice_links,
)
from referrals.selectors.packets import packet_sections
from referrals.selectors.referrals import (
    INBOX_ORDERING,
    expirable_referrals,
    get_packet_for,
    get_referral_for,
    in_inbox_order,
    inbox_counts,
    is_sender_side,
    local_today,
    referral_list,
    referral_messages,
    referral_timeline,
    referrals_of_case,
    referrals_relying_on,
    referrals_visible_to,
)

__all__ = [
    "ACTIONS",
    "CASE_OPENING_STATES",
    "HOME_ROWS",
    "INBOX_ORDERING",
    "MESSAGE_STATES",
    "UNAVAILABLE",
    "ReferralCheck",
    "agencies_managed_by",
    "agency_assignees",
    "agreement_in_force",
    "assignable_staff",
    "case_opening_impossible",
    "case_opening_refusal",
    "draft_change_refusal",
    "expirable_referrals",
    "get_packet_for",
    "get_recipient",
    "get_referral_for",
    "get_service",
    "get_service_for",
    "in_inbox_order",
    "inbox_counts",
    "is_sender_side",
    "local_today",
    "message_refusal",
    "new_incoming_count",
    "packet_sections",
    "partner_agencies",
    "progress_refusal",
    "recipient_blocks",
    "referral_actions_for",
    "referral_assignees",
    "referral_check",
    "referral_check_for",
    "referral_from_case_refusal",
    "referral_list",
    "referral_messages",
    "referral_notice_links",
    "referral_officer_home",
    "referral_recipients",
    "referral_timeline",
    "referrals_of_case",
    "referrals_relying_on",
    "referrals_visible_to",
    "services_directory",
]
