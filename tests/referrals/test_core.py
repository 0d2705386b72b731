"""The referral loop through the services: the core the API and pages call."""

import pytest

from accounts.permissions import Perm, Role
from casework.services import withdraw_consent
from config.errors import Conflict, Forbidden, InvalidInput, NotFound
from referrals import services
from referrals.models import Referral, ReferralEvent
from referrals.selectors import get_packet_for, get_referral_for, referral_list
from tests.factories import make_member, make_referral

pytestmark = pytest.mark.django_db


def test_send_accept_open_case_complete(
    caseworker,
    case,
    consent,
    partner_agency,
    referral_officer,
    django_capture_on_commit_callbacks,
    mailoutbox,
):
    partner_caseworker = make_member(partner_agency, Role.CASEWORKER)
    with django_capture_on_commit_callbacks(execute=True):
        referral = make_referral(caseworker, case, partner_agency)
    assert referral.state == Referral.State.SENT
    assert referral.consent == consent
    assert len(mailoutbox) == 1 and mailoutbox[0].to == [referral_officer.email]
    assert "Mohammed" not in mailoutbox[0].body
    packet = get_packet_for(referral_officer, referral.pk)
    assert set(packet.data) == {"identity", "contact"}
    with pytest.raises(NotFound):
        get_packet_for(partner_caseworker, referral.pk)
    assert list(referral_list(referral_officer, direction="incoming")) == [referral]

    services.accept_referral(actor=referral_officer, referral_id=referral.pk)
    with pytest.raises(Conflict) as raised:
        services.accept_referral(actor=referral_officer, referral_id=referral.pk)
    assert raised.value.code == "invalid_transition"
    new_case = services.open_case_from_referral(
        actor=referral_officer, referral_id=referral.pk, assigned_to=partner_caseworker
    )
    assert new_case.agency == partner_agency
    assert new_case.client.name == case.client.name
    assert get_packet_for(partner_caseworker, referral.pk) == packet
    services.report_referral_progress(actor=referral_officer, referral_id=referral.pk, note="Seen")
    services.complete_referral(actor=referral_officer, referral_id=referral.pk, outcome="Done")
    referral.refresh_from_db()
    assert referral.state == Referral.State.COMPLETED
    kinds = list(referral.events.values_list("kind", flat=True))
    assert kinds == ["created", "sent", "accepted", "case_opened", "progress", "completed"]


def test_consent_withdrawal_cancels_and_revokes(
    caseworker, case, consent, partner_agency, referral_officer
):
    referral = make_referral(caseworker, case, partner_agency)
    withdraw_consent(actor=caseworker, consent_id=consent.pk, reason="Client asked")
    referral.refresh_from_db()
    assert referral.state == Referral.State.CANCELLED
    with pytest.raises(NotFound):
        get_referral_for(referral_officer, referral.pk)
    assert get_referral_for(caseworker, referral.pk).state == "cancelled"


def test_override_rules(caseworker, supervisor, case, partner_agency, referral_officer):
    draft = make_referral(caseworker, case, partner_agency, send=False)
    with pytest.raises(Conflict) as raised:
        services.send_referral(actor=caseworker, referral_id=draft.pk)
    assert raised.value.code == "consent_missing"
    with pytest.raises(Forbidden):
        services.send_referral(actor=caseworker, referral_id=draft.pk, override_reason="Vital")
    with pytest.raises(InvalidInput) as raised:
        services.send_referral(actor=supervisor, referral_id=draft.pk)
    assert raised.value.field == "override_reason"
    sent = services.send_referral(actor=supervisor, referral_id=draft.pk, override_reason="Vital")
    assert sent.override_by == supervisor and sent.consent is None
    assert sent.events.filter(kind=ReferralEvent.Kind.CONSENT_OVERRIDE).exists()
    assert referral_officer.has_perm(Perm.RESPOND_REFERRAL, sent)


def test_decline_revokes(caseworker, case, consent, partner_agency, referral_officer):
    referral = make_referral(caseworker, case, partner_agency)
    with pytest.raises(InvalidInput):
        services.decline_referral(actor=referral_officer, referral_id=referral.pk, reason=" ")
    services.decline_referral(actor=referral_officer, referral_id=referral.pk, reason="Full")
    with pytest.raises(NotFound):
        get_packet_for(referral_officer, referral.pk)
    assert get_packet_for(caseworker, referral.pk).referral_id == referral.pk
