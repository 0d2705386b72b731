"""What referrals hold about a client, for the data-protection rights:
the subject-access export's referral sections, and erasure of the
referrals' personal data (texts, packets, messages, timelines). Connected to
``casework.signals`` in ``referrals.apps``."""

from django.utils.translation import gettext_noop

from accounts.permissions import Role
from referrals.models import (
    Referral,
    ReferralEvent,
    ReferralMessage,
    ReferralPacket,
)

ERASED = "[erased]"


def collect_referrals(sender, *, client, case_ids, **kwargs) -> dict:
    """The client's referrals with their packets, messages and timelines, and
    the disclosures they made: to whom, when, what, on which basis."""
    from casework.services.protection import history_rows, row

    referrals = list(
        Referral.objects.filter(case_id__in=case_ids)
        .select_related("packet")
        .order_by("created_at")
    )
    sections = []
    disclosures = []
    for referral in referrals:
        packet = getattr(referral, "packet", None)
        sections.append(
            {
                **row(referral),
                "packet": row(packet) if packet is not None else None,
                "messages": [row(m) for m in ReferralMessage.objects.filter(referral=referral)],
                "events": [row(e) for e in ReferralEvent.objects.filter(referral=referral)],
            }
        )
        if packet is not None:
            disclosures.append(
                {
                    "referral": str(referral.pk),
                    "to_agency": referral.to_agency_name,
                    "to_agency_id": str(referral.to_agency_id),
                    "service": referral.service_name,
                    "sent_at": referral.sent_at.isoformat() if referral.sent_at else None,
                    "data_categories": list(packet.data_categories),
                    "consent": str(referral.consent_id) if referral.consent_id else None,
                    "override_reason": referral.override_reason,
                    "state": referral.state,
                }
            )
    received = Referral.objects.filter(receiving_case_id__in=case_ids).select_related("packet")
    return {
        "referrals": sections,
        # Referrals through which this client came to the agency: the packet received.
        "referrals_received": [
            {
                "referral": str(referral.pk),
                "from_agency": referral.from_agency_name,
                "purpose": referral.purpose,
                "received_at": referral.sent_at.isoformat() if referral.sent_at else None,
                "packet": row(referral.packet) if hasattr(referral, "packet") else None,
            }
            for referral in received
        ],
        "disclosures": disclosures,
        "referral_history": history_rows(Referral, Referral.objects.filter(case_id__in=case_ids))
        + history_rows(
            ReferralMessage, ReferralMessage.objects.filter(referral__case_id__in=case_ids)
        ),
    }


def erase_referrals(sender, *, client, case_ids, whole_client, actor, **kwargs) -> list:
    """Replace the personal data of these cases' referrals (their texts, the
    packets' contents, the messages, the timeline notes) in the rows and their
    history. On a whole erasure, the agencies that received a packet are told
    (without naming the client) and their ids returned."""
    from casework.services.protection import notify_agency_members as notify_agency
    from casework.services.protection import scrub

    referrals = list(Referral.objects.filter(case_id__in=case_ids))
    ids = [referral.pk for referral in referrals]
    for referral in referrals:
        values = {"purpose": ERASED, "message": "", "outcome": "", "closed_reason": ""}
        if referral.decline_reason:
            values["decline_reason"] = ERASED
        if referral.override_reason:
            values["override_reason"] = ERASED
        if referral.outcome:
            values["outcome"] = ERASED
        scrub(Referral, [referral.pk], values)
    empty = ReferralPacket.digest({})
    ReferralPacket._base_manager.filter(referral_id__in=ids).update(data={}, sha256=empty)
    messages = list(
        ReferralMessage.objects.filter(referral_id__in=ids).values_list("pk", flat=True)
    )
    scrub(ReferralMessage, messages, {"body": ERASED})
    ReferralEvent._base_manager.filter(referral_id__in=ids).exclude(note="").update(note="")
    if not whole_client:
        return []
    notified = []
    for referral in referrals:
        if referral.sent_at is None or referral.to_agency_id in notified:
            continue
        notify_agency(
            referral.to_agency_id,
            [Role.REFERRAL_OFFICER, Role.SUPERVISOR, Role.DPO],
            "referral.erased",
            gettext_noop(
                "The person referred to you in referral %(reference)s asked %(agency)s to "
                "erase their data. Check what your agency keeps from that referral."
            ),
            {"reference": referral.reference, "agency": referral.from_agency_name},
            url="",
        )
        notified.append(referral.to_agency_id)
    return notified
