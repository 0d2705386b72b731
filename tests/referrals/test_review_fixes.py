"""Special-category data in packets follows the case's rule; the partner does
not see the sender's consent; withdrawal reaches completed referrals; a send
racing a withdrawal never leaves a partner holding withdrawn data."""

import pytest
from django.urls import reverse

from casework.services import update_client_sensitive, withdraw_consent
from config.errors import Forbidden
from referrals import services
from referrals.models import Referral, ReferralEvent
from referrals.selectors import get_packet_for, get_referral_for
from tests.factories import make_consent, make_referral

pytestmark = pytest.mark.django_db

SHARED = ["identity", "contact", "health"]


@pytest.fixture
def health_consent(caseworker, case, partner_agency):
    """The client's health is on file and the consent shares it with the partner
    (explicit consent, the Art. 9 condition), with identity and contact."""
    update_client_sensitive(
        actor=caseworker, client_id=case.client_id, changes={"health": "Diabetes"}
    )
    return make_consent(
        caseworker,
        case.client,
        recipient_agencies=[partner_agency],
        data_categories=SHARED,
        special_category_condition="explicit_consent",
    )


def test_only_who_sees_health_data_may_share_it(
    second_caseworker, case, health_consent, partner_agency
):
    with pytest.raises(Forbidden):
        make_referral(second_caseworker, case, partner_agency, data_categories=SHARED)
    # Without a choice, the proposal leaves health data out for them.
    draft = make_referral(second_caseworker, case, partner_agency, send=False, data_categories=None)
    assert "health" not in draft.data_categories


def test_colleagues_read_the_packet_as_they_read_the_case(
    caseworker, second_caseworker, case, health_consent, partner_agency, referral_officer, client_as
):
    referral = make_referral(caseworker, case, partner_agency, data_categories=SHARED)
    assert get_packet_for(caseworker, referral.pk).data["health"]["health"] == "Diabetes"
    assert get_packet_for(referral_officer, referral.pk).data["health"]["health"] == "Diabetes"
    colleague = get_packet_for(second_caseworker, referral.pk)
    assert set(colleague.data) == {"identity", "contact"}
    assert colleague.withheld == ("health",)
    page = client_as(second_caseworker).get(reverse("referrals:packet", args=[referral.pk]))
    assert page.status_code == 200
    assert b"Diabetes" not in page.content and b'data-section="health"' not in page.content


def test_the_partner_page_does_not_show_the_senders_consent(
    caseworker, case, health_consent, partner_agency, referral_officer, client_as
):
    referral = make_referral(caseworker, case, partner_agency, data_categories=["identity"])
    detail = reverse("referrals:referral_detail", args=[referral.pk])
    assert b"data-consent" not in client_as(referral_officer).get(detail).content
    assert b"data-consent" in client_as(caseworker).get(detail).content


def test_withdrawal_removes_access_to_a_completed_referral(
    caseworker, case, health_consent, partner_agency, referral_officer
):
    referral = make_referral(caseworker, case, partner_agency, data_categories=["identity"])
    services.accept_referral(actor=referral_officer, referral_id=referral.pk)
    services.complete_referral(actor=referral_officer, referral_id=referral.pk, outcome="Done")
    withdraw_consent(actor=caseworker, consent_id=health_consent.pk, reason="Changed her mind")
    referral.refresh_from_db()
    assert referral.state == Referral.State.COMPLETED
    assert referral.events.last().kind == ReferralEvent.Kind.ACCESS_REVOKED
    from config.errors import NotFound

    with pytest.raises(NotFound):
        get_referral_for(referral_officer, referral.pk)
