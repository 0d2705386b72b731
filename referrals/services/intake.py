"""Opening the receiving agency's own case from a referral: the client is
registered from the packet (only what it holds) through casework's services."""

from typing import Any
from uuid import UUID

from django.db import transaction
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.audit import save_with_history
from accounts.models import Agency, User
from accounts.permissions import Perm
from casework.models import Case, DataCategory, ServiceCategory
from casework.sections import CLIENT_FIELDS
from casework.services.cases import check_assignee, save_new_case
from casework.services.clients import save_new_client
from config.errors import InvalidInput
from referrals.models import ReferralEvent, ReferralPacket
from referrals.selectors import case_opening_refusal, get_referral_for
from referrals.services.grants import grant_case_owner_access
from referrals.services.lifecycle import add_event
from referrals.services.notifications import notify, senders
from referrals.services.parsing import parse_choice

_CASE_TYPE_OF_SERVICE = {
    ServiceCategory.LEGAL: Case.Type.ASYLUM_LEGAL,
    ServiceCategory.HOUSING: Case.Type.HOUSING,
    ServiceCategory.HEALTH: Case.Type.HEALTH,
    ServiceCategory.MENTAL_HEALTH: Case.Type.HEALTH,
    ServiceCategory.EDUCATION: Case.Type.EDUCATION,
    ServiceCategory.EMPLOYMENT: Case.Type.EMPLOYMENT,
    ServiceCategory.LANGUAGE: Case.Type.LANGUAGE,
    ServiceCategory.SOCIAL: Case.Type.SOCIAL_SUPPORT,
    ServiceCategory.CHILD_PROTECTION: Case.Type.CHILD_PROTECTION,
    ServiceCategory.GBV: Case.Type.GBV,
    ServiceCategory.FOOD: Case.Type.SOCIAL_SUPPORT,
}

# The packet sections that become the partner's own client record: their
# fields named in ``CLIENT_FIELDS`` (identity documents and special-category
# data are written as their own rows).
_PACKET_CLIENT_SECTIONS = (
    DataCategory.IDENTITY,
    DataCategory.CONTACT,
    DataCategory.LEGAL_STATUS,
    DataCategory.FAMILY,
    DataCategory.EDUCATION_EMPLOYMENT,
)


def _client_values(packet: ReferralPacket) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for category in _PACKET_CLIENT_SECTIONS:
        section = packet.data.get(category)
        if section:
            values.update({name: section[name] for name in CLIENT_FIELDS if name in section})
    if values.get("date_of_birth"):
        values["date_of_birth"] = parse_date(values["date_of_birth"])
    return values


@transaction.atomic
def open_case_from_referral(
    *,
    actor: User,
    referral_id: UUID | str,
    assigned_to: User | None,
    case_type: str = "",
) -> Case:
    """The receiving agency registers the client from the packet (only what
    the packet holds) and opens its own case, assigned to one of its
    caseworkers, linked to the referral. Needs RESPOND_REFERRAL; the referral
    must be accepted or completed, once, and its packet must hold identity
    data (``case_opening_refusal``, else 409). Client, documents,
    special-category section and case are written by casework's services with
    the history reason "registered from a referral"; the assignee may then
    read the packet; the sending side is notified."""
    referral = get_referral_for(actor, referral_id, Perm.RESPOND_REFERRAL, lock=True)
    packet = ReferralPacket.objects.filter(referral=referral).first()
    refusal = case_opening_refusal(referral, frozenset(packet.data) if packet is not None else None)
    if refusal is not None:
        raise refusal
    if assigned_to is None:
        raise InvalidInput(_("Choose who takes the case."), code="required", field="assigned_to")
    check_assignee(referral.to_agency_id, assigned_to)
    if case_type:
        case_type = parse_choice(case_type, Case.Type.values, "case_type")
    else:
        case_type = _CASE_TYPE_OF_SERVICE.get(referral.service_category, Case.Type.OTHER)
    reason = gettext_noop("registered from a referral")
    # RESPOND_REFERRAL on this referral is the permission: the receiving
    # agency's officers hold neither ADD_CLIENT nor ADD_CASE, and what is
    # registered is exactly what the sender chose to share.
    client = save_new_client(
        actor=actor,
        agency=Agency.objects.get(pk=referral.to_agency_id),
        data=_client_values(packet),
        documents=[
            dict(document) for document in packet.data[DataCategory.IDENTITY]["identity_documents"]
        ],
        sensitive=packet.data.get(DataCategory.HEALTH),
        reason=reason,
    )
    case = save_new_case(
        actor=actor,
        client=client,
        case_type=case_type,
        summary=referral.purpose,
        assigned_to=assigned_to,
        reason=reason,
    )
    referral.receiving_case = case
    referral.version += 1
    save_with_history(
        referral,
        actor=actor,
        reason=gettext_noop("case opened from referral"),
        update_fields=["receiving_case", "version"],
    )
    grant_case_owner_access(referral, assigned_to)
    add_event(referral, ReferralEvent.Kind.CASE_OPENED, actor, referral.to_agency_id)
    notify(referral, ReferralEvent.Kind.CASE_OPENED, sending_side=senders(referral))
    return case
