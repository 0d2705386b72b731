"""The access log shows a partner's DPO only what the partner knows (issue 9):
on its own staff's reads of a referral's packet, the receiving agency's DPO
sees the referral, never the sending agency's client or case id — on the page
and in the API — and filtering by those ids finds nothing. The sending
agency's DPO still sees them."""

import uuid

import pytest
from django.urls import reverse

from accounts.models import AccessLog
from accounts.permissions import Role
from tests.factories import make_consent, make_member, make_referral

pytestmark = pytest.mark.django_db

LOG_API = "/api/v1/audit/access-log/"
LOG_PAGE = reverse("privacy:access_log")


@pytest.fixture
def partner_dpo(partner_agency):
    return make_member(partner_agency, Role.DPO, display_name="Marta Partner DPO")


@pytest.fixture
def packet_read_in_both(as_user, caseworker, case, partner_agency, referral_officer):
    """The partner's referral officer read the packet, once in the API and once on the page."""
    make_consent(caseworker, case.client, recipient_agencies=[partner_agency])
    referral = make_referral(caseworker, case, partner_agency)
    api = as_user(referral_officer)
    assert api.get(f"/api/v1/referrals/{referral.pk}/packet/").status_code == 200
    assert api.get(reverse("referrals:packet", args=[referral.pk])).status_code == 200
    rows = AccessLog.objects.filter(
        actor_id=referral_officer.pk, object_type="referrals.referralpacket"
    )
    # Stored with the sender's ids: the sender's DPO and "who accessed this" need them.
    assert {(row.client_id, row.case_id) for row in rows} == {(case.client_id, case.pk)}
    assert rows.count() == 2
    return referral


def packet_rows(response) -> list[dict]:
    assert response.status_code == 200, response.content
    return [r for r in response.json()["results"] if r["object_type"] == "referrals.referralpacket"]


def test_the_partners_dpo_sees_the_referral_not_the_senders_ids_in_the_api(
    as_user, partner_dpo, case, packet_read_in_both
):
    response = as_user(partner_dpo).get(LOG_API)
    rows = packet_rows(response)
    assert len(rows) == 2
    for row in rows:
        assert row["referral_id"] == row["object_id"] == str(packet_read_in_both.pk)
        assert (row["client_id"], row["case_id"]) == (None, None)
        assert row["actor"]["display_name"] == "Chiara Referrals"
    content = response.content.decode()
    assert str(case.client_id) not in content and str(case.pk) not in content


def test_the_senders_dpo_still_sees_the_ids_in_the_api(as_user, dpo, case, packet_read_in_both):
    rows = packet_rows(as_user(dpo).get(LOG_API))
    assert len(rows) == 2
    for row in rows:
        assert (row["client_id"], row["case_id"]) == (str(case.client_id), str(case.pk))
        assert row["referral_id"] == str(packet_read_in_both.pk)


def test_the_partners_dpo_sees_the_referral_not_the_senders_ids_on_the_page(
    client_as, partner_dpo, case, packet_read_in_both
):
    response = client_as(partner_dpo).get(LOG_PAGE)
    assert response.status_code == 200
    content = response.content.decode()
    assert str(packet_read_in_both.pk) in content and "Chiara Referrals" in content
    assert str(case.client_id) not in content and str(case.pk) not in content
    assert "Another agency&#x27;s record" in content or "Another agency's record" in content


def test_the_senders_dpo_still_sees_the_ids_on_the_page(client_as, dpo, case, packet_read_in_both):
    content = client_as(dpo).get(LOG_PAGE).content.decode()
    assert str(case.client_id) in content and str(case.pk) in content
    assert str(packet_read_in_both.pk) in content
    assert reverse("privacy:client_accesses", args=[case.client_id]) in content


def test_filtering_by_the_senders_ids_finds_nothing(
    as_user, client_as, partner_dpo, dpo, case, packet_read_in_both
):
    api = as_user(partner_dpo)
    for params in ({"client": str(case.client_id)}, {"case": str(case.pk)}):
        foreign = api.get(LOG_API, params)
        unknown = api.get(LOG_API, {name: str(uuid.uuid4()) for name in params})
        assert foreign.status_code == unknown.status_code == 200
        assert foreign.json()["results"] == unknown.json()["results"] == []
    page = client_as(partner_dpo).get(LOG_PAGE, {"client": str(case.client_id)})
    assert page.status_code == 200
    assert "No access matches these filters." in page.content.decode()
    # The sender's DPO finds the partner's reads by the client's id.
    rows = packet_rows(as_user(dpo).get(LOG_API, {"client": str(case.client_id)}))
    assert len(rows) == 2
