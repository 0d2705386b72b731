"""The referrals API, endpoint by endpoint, as each persona: the sending
caseworker and supervisor, the receiving referral officer, the receiving
caseworker (nothing until a case is opened for them), and strangers (404
everywhere). Idempotent creation, all-or-nothing sending, every refusal,
filters, the service directory and its HSDS import and export; bad input
always names the field."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import IdempotencyRecord, Notification
from casework import services as casework_services
from referrals import services as referral_services
from referrals.hsds import stable_id
from referrals.models import (
    Referral,
    ReferralEvent,
    ReferralGroupObjectPermission,
    ReferralMessage,
    ReferralPacket,
    ReferralUserObjectPermission,
    Service,
)
from tests.factories import (
    make_case,
    make_client,
    make_consent,
    make_referral,
    make_service,
)
from tests.helpers import assert_problem, error_fields

pytestmark = pytest.mark.django_db

REFERRALS = "/api/v1/referrals/"
SERVICES = "/api/v1/services/"


# --- Helpers ---------------------------------------------------------------------------


def id_set(response) -> set[str]:
    """The ids of a page of results, as a set (fails unless the page was served)."""
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def url(referral, suffix="") -> str:
    return f"{REFERRALS}{referral.pk}/{suffix}"


def in_days(days: int) -> str:
    return (timezone.now().date() + timedelta(days=days)).isoformat()


def create_body(case, **changes) -> dict:
    body = {"case": str(case.pk), "purpose": "Legal advice on the asylum appeal"}
    body["respond_by"] = in_days(14)
    body.update(changes)
    return body


def grant_rows() -> int:
    return (
        ReferralGroupObjectPermission.objects.count() + ReferralUserObjectPermission.objects.count()
    )


def nothing_created() -> bool:
    return not (
        Referral.objects.exists()
        or ReferralPacket.objects.exists()
        or ReferralEvent.objects.exists()
        or grant_rows()
    )


@pytest.fixture
def service(partner_agency):
    """Casa's legal counselling: needs identity, contact and legal status."""
    return make_service(partner_agency)


@pytest.fixture
def sent(caseworker, case, consent, partner_agency, referral_officer):
    return make_referral(caseworker, case, partner_agency)


# --- Creating and reading, as the sender -----------------------------------------------


def test_caseworker_refers_a_client_to_a_service(
    as_user, caseworker, case, consent, service, referral_officer
):
    api = as_user(caseworker)
    response = api.post(REFERRALS, create_body(case, service=str(service.pk), message="Hello"))
    assert response.status_code == 201, response.content
    body = response.json()
    assert response["Location"] == f"http://testserver{REFERRALS}{body['id']}/"
    assert response["ETag"] == f'"{body["version"]}"'
    assert body["state"] == "sent"
    assert body["reference"].startswith("R-")
    # Nothing chosen: what the service needs and the consent covers.
    assert body["data_categories"] == ["identity", "contact", "legal_status"]
    assert body["direction"] == "outgoing"
    assert body["case"] == {"id": str(case.pk), "number": case.number}
    assert body["consent"] == str(consent.pk)
    assert body["override"] is None
    assert body["service"] == {"id": str(service.pk), "name": service.name, "category": "legal"}
    assert body["to_agency"]["name"] == "Casa Comune"
    assert body["from_agency"]["name"] == "Amal Refugee Support"
    assert body["from_user"]["display_name"] == "Layla Caseworker"
    assert body["message"] == "Hello"
    assert body["allowed_actions"] == ["withdraw", "message"]
    assert [event["kind"] for event in body["timeline"]] == ["created", "sent"]
    assert body["timeline"][1]["actor"] == "Layla Caseworker"
    assert body["timeline"][1]["agency"] == "Amal Refugee Support"
    assert (body["timeline"][1]["from_state"], body["timeline"][1]["to_state"]) == ("draft", "sent")

    detail = api.get(f"{REFERRALS}{body['id']}/")
    assert detail.status_code == 200
    assert detail.json() == body
    assert api.get(f"{REFERRALS}{body['id']}/packet/").status_code == 200
    outgoing = api.get(REFERRALS, {"direction": "outgoing"}).json()["results"]
    assert [(row["id"], row["case"]) for row in outgoing] == [(body["id"], body["case"])]


def test_a_draft_is_kept_when_send_is_false(as_user, caseworker, case, partner_agency):
    """No consent is needed to draft; nothing is disclosed until it is sent."""
    response = as_user(caseworker).post(
        REFERRALS,
        create_body(
            case, to_agency=str(partner_agency.pk), send=False, data_categories=["identity"]
        ),
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["state"] == "draft"
    assert body["allowed_actions"] == ["edit", "send", "withdraw"]
    assert not ReferralPacket.objects.exists()
    assert grant_rows() == 0
    assert as_user(caseworker).get(f"{REFERRALS}{body['id']}/packet/").status_code == 404


def test_the_partner_never_learns_the_senders_case(
    as_user, sent, case, client_record, consent, referral_officer
):
    response = as_user(referral_officer).get(url(sent))
    assert response.status_code == 200
    body = response.json()
    assert body["direction"] == "incoming"
    assert body["case"] is None
    assert body["consent"] is None
    assert body["allowed_actions"] == ["accept", "decline", "message"]
    text = response.content.decode()
    for secret in (case.number, str(case.pk), str(client_record.pk), str(consent.pk)):
        assert secret not in text
    listed = as_user(referral_officer).get(REFERRALS)
    assert [row["case"] for row in listed.json()["results"]] == [None]
    for secret in (case.number, str(case.pk), str(client_record.pk)):
        assert secret not in listed.content.decode()


def test_supervisor_of_the_sender_sees_the_case_and_may_withdraw(
    as_user, sent, case, supervisor, referral_officer
):
    api = as_user(supervisor)
    body = api.get(url(sent)).json()
    assert body["case"] == {"id": str(case.pk), "number": case.number}
    assert body["allowed_actions"] == ["withdraw", "message"]
    response = api.post(url(sent, "withdraw/"), {"reason": "The client found a lawyer."})
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "withdrawn"
    assert response.json()["closed_reason"] == "The client found a lawyer."
    assert as_user(referral_officer).get(url(sent)).status_code == 404


def test_partner_caseworker_sees_nothing_until_a_case_is_opened_for_them(
    as_user, sent, caseworker, referral_officer, partner_caseworker
):
    api = as_user(partner_caseworker)
    for path in (url(sent), url(sent, "packet/"), url(sent, "messages/")):
        assert_problem(api.get(path), 404, "not_found")
    assert id_set(api.get(REFERRALS)) == set()

    officer = as_user(referral_officer)
    assert officer.post(url(sent, "accept/"), {}).status_code == 200
    assert as_user(partner_caseworker).get(url(sent)).status_code == 404

    response = as_user(referral_officer).post(
        url(sent, "open-case/"),
        {"assigned_to": str(partner_caseworker.pk), "case_type": "asylum_legal"},
    )
    assert response.status_code == 201, response.content
    opened = response.json()
    assert opened["case"]["number"].startswith("CASA-")
    assert response["Location"] == f"http://testserver/api/v1/cases/{opened['case']['id']}/"
    assert opened["referral"]["state"] == "accepted"
    # The officer holds no casework role: it does not see the new case.
    assert opened["referral"]["receiving_case"] is None
    assert "open_case" not in opened["referral"]["allowed_actions"]
    kinds = [event["kind"] for event in opened["referral"]["timeline"]]
    assert kinds == ["created", "sent", "accepted", "case_opened"]

    api = as_user(partner_caseworker)
    detail = api.get(url(sent))
    assert detail.status_code == 200
    assert detail.json()["receiving_case"] == opened["case"]
    assert detail.json()["case"] is None
    assert detail.json()["allowed_actions"] == []
    packet = api.get(url(sent, "packet/"))
    assert packet.status_code == 200
    assert set(packet.json()["data"]) == {"identity", "contact"}
    # The case owner reads the packet, and does not speak for the agency.
    assert_problem(api.get(url(sent, "messages/")), 403)
    assert as_user(caseworker).get(url(sent)).json()["receiving_case"] is None

    again = as_user(referral_officer).post(
        url(sent, "open-case/"), {"assigned_to": str(partner_caseworker.pk)}
    )
    assert_problem(again, 409, "case_exists")


@pytest.mark.parametrize("persona", ["outsider", "dpo", "agency_admin", "partner_caseworker"])
def test_strangers_get_404_everywhere(
    request, persona, as_user, sent, case, partner_agency, caseworker
):
    """Another agency's caseworker, the sender's DPO and admin (no case
    access), the partner's caseworker: the referral does not exist for them."""
    draft = make_referral(caseworker, case, partner_agency, send=False)
    user = request.getfixturevalue(persona)
    api = as_user(user)
    before = list(Referral.objects.order_by("pk").values_list("pk", "state", "version"))
    for referral in (sent, draft):
        for path in ("", "packet/", "messages/"):
            assert_problem(api.get(url(referral, path)), 404, "not_found")
        assert_problem(api.post(url(referral, "messages/"), {"body": "Hi"}), 404)
        assert_problem(api.patch(url(referral), {"purpose": "X"}, HTTP_IF_MATCH='"1"'), 404)
        for action, body in (
            ("send/", {}),
            ("accept/", {}),
            ("decline/", {"reason": "No"}),
            ("complete/", {"outcome": "Done"}),
            ("withdraw/", {}),
            ("progress/", {"note": "Seen"}),
            ("open-case/", {"assigned_to": str(user.pk)}),
        ):
            assert_problem(api.post(url(referral, action), body), 404, "not_found")
    for query in ({}, {"direction": "incoming"}, {"direction": "outgoing"}, {"state": "sent"}):
        assert id_set(api.get(REFERRALS, query)) == set()
    assert_problem(api.get(REFERRALS, {"case": case.pk}), 404, "not_found")
    check = api.get(f"{REFERRALS}check/", {"case": case.pk, "to_agency": partner_agency.pk})
    assert_problem(check, 404, "not_found")
    created = api.post(REFERRALS, create_body(case, to_agency=str(partner_agency.pk)))
    assert_problem(created, 404, "not_found")
    after = list(Referral.objects.order_by("pk").values_list("pk", "state", "version"))
    assert after == before
    assert not ReferralMessage.objects.exists()


def test_seen_but_not_allowed_is_403(as_user, sent, caseworker, referral_officer):
    """Each side sees the referral and may not do the other side's actions."""
    officer = as_user(referral_officer)
    assert_problem(officer.post(url(sent, "withdraw/"), {}), 403, "permission_denied")
    assert_problem(officer.post(url(sent, "send/"), {}), 403)
    assert_problem(officer.patch(url(sent), {"purpose": "X"}, HTTP_IF_MATCH='"2"'), 403)
    sender = as_user(caseworker)
    for action, body in (
        ("accept/", {}),
        ("decline/", {"reason": "No"}),
        ("complete/", {"outcome": "Done"}),
        ("progress/", {"note": "Seen"}),
        ("open-case/", {"assigned_to": str(caseworker.pk)}),
    ):
        assert_problem(sender.post(url(sent, action), body), 403, "permission_denied")
    sent.refresh_from_db()
    assert (sent.state, sent.version) == ("sent", 2)


# --- Idempotency and all-or-nothing ------------------------------------------------------


def test_a_retry_with_the_same_key_returns_the_first_referral(
    as_user, caseworker, case, consent, partner_agency, referral_officer
):
    api = as_user(caseworker)
    body = create_body(case, to_agency=str(partner_agency.pk))
    first = api.post(REFERRALS, body, HTTP_IDEMPOTENCY_KEY="referral-1")
    assert first.status_code == 201, first.content
    assert "Idempotent-Replayed" not in first
    second = api.post(REFERRALS, body, HTTP_IDEMPOTENCY_KEY="referral-1")
    assert second.status_code == 201, second.content
    assert second["Idempotent-Replayed"] == "true"
    assert second.json()["id"] == first.json()["id"]
    assert Referral.objects.count() == 1
    assert ReferralPacket.objects.count() == 1
    assert ReferralEvent.objects.count() == 2
    assert Notification.objects.filter(recipient=referral_officer).count() == 1

    other = api.post(
        REFERRALS, {**body, "purpose": "Something else"}, HTTP_IDEMPOTENCY_KEY="referral-1"
    )
    assert_problem(other, 409, "idempotency_key_reused")
    assert Referral.objects.count() == 1
    fresh = api.post(REFERRALS, body, HTTP_IDEMPOTENCY_KEY="referral-2")
    assert fresh.status_code == 201
    assert Referral.objects.count() == 2


@pytest.mark.parametrize("step", ["build_packet", "grant_partner_access", "notify"])
def test_a_failure_while_sending_leaves_nothing(
    monkeypatch, step, as_user, caseworker, case, consent, partner_agency, referral_officer
):
    def broken(*args, **kwargs):
        raise RuntimeError(f"{step} failed")

    monkeypatch.setattr(referral_services.sending, step, broken)
    api = as_user(caseworker)
    api.raise_request_exception = False
    body = create_body(case, to_agency=str(partner_agency.pk))
    response = api.post(REFERRALS, body, HTTP_IDEMPOTENCY_KEY="retry-me")
    assert response.status_code == 500
    assert nothing_created()
    assert not Notification.objects.exists()
    assert not IdempotencyRecord.objects.exists()

    monkeypatch.undo()
    retry = api.post(REFERRALS, body, HTTP_IDEMPOTENCY_KEY="retry-me")
    assert retry.status_code == 201, retry.content
    assert "Idempotent-Replayed" not in retry
    assert Referral.objects.get().state == "sent"


# --- Refusals ----------------------------------------------------------------------------


def test_without_consent_it_is_409_consent_missing_and_no_draft_is_left(
    as_user, caseworker, case, partner_agency, referral_officer
):
    api = as_user(caseworker)
    body = create_body(case, to_agency=str(partner_agency.pk), data_categories=["identity"])
    problem = assert_problem(api.post(REFERRALS, body), 409, "consent_missing")
    assert [reason["code"] for reason in problem["reasons"]] == ["no_consent"]
    assert problem["reasons"][0]["purpose"] == "referral"
    assert problem["detail"] == problem["reasons"][0]["message"]
    assert nothing_created()
    # Nothing chosen and no consent to propose from: nothing to share.
    unchosen = api.post(REFERRALS, create_body(case, to_agency=str(partner_agency.pk)))
    assert error_fields(unchosen) == {"data_categories"}
    assert nothing_created()


@pytest.mark.parametrize(
    "block", ["no_data_sharing_agreement", "service_not_taking_referrals", "do_not_disclose"]
)
def test_recipient_blocks_are_409_referral_refused(
    block, as_user, caseworker, supervisor, case, consent, partner_agency, service
):
    body = create_body(case, service=str(service.pk))
    if block == "no_data_sharing_agreement":
        partner_agency.data_sharing_agreement_valid_until = timezone.now().date() - timedelta(1)
        partner_agency.save(update_fields=["data_sharing_agreement_valid_until"])
    elif block == "service_not_taking_referrals":
        closed = make_service(partner_agency, name="Night clinic", status="inactive")
        body["service"] = str(closed.pk)
    else:
        casework_services.add_do_not_disclose(
            actor=caseworker, case_id=case.pk, agency=partner_agency, reason="Her ex works there"
        )
    response = as_user(caseworker).post(REFERRALS, body)
    problem = assert_problem(response, 409, "referral_refused")
    assert [reason["code"] for reason in problem["reasons"]] == [block]
    assert problem["detail"] == problem["reasons"][0]["message"]
    assert nothing_created()
    # No override lifts a block.
    overridden = as_user(supervisor).post(REFERRALS, {**body, "override_reason": "Urgent"})
    assert_problem(overridden, 409, "referral_refused")
    assert nothing_created()


def test_only_a_supervisor_overrides_and_only_with_a_reason(
    as_user, caseworker, supervisor, case, partner_agency, referral_officer
):
    body = create_body(case, to_agency=str(partner_agency.pk), data_categories=["identity"])
    refused = as_user(caseworker).post(REFERRALS, {**body, "override_reason": "Vital interests"})
    assert_problem(refused, 403, "permission_denied")
    assert nothing_created()
    no_reason = as_user(supervisor).post(REFERRALS, body)
    assert error_fields(no_reason) == {"override_reason"}
    assert nothing_created()

    response = as_user(supervisor).post(
        REFERRALS, {**body, "override_reason": "Client unconscious, shelter needed tonight"}
    )
    assert response.status_code == 201, response.content
    detail = as_user(supervisor).get(f"{REFERRALS}{response.json()['id']}/").json()
    assert detail["consent"] is None
    assert detail["override"]["reason"] == "Client unconscious, shelter needed tonight"
    assert detail["override"]["by"]["display_name"] == "Omar Supervisor"
    assert detail["override"]["at"]
    assert [event["kind"] for event in detail["timeline"]] == ["created", "consent_override"]
    partner = as_user(referral_officer).get(f"{REFERRALS}{response.json()['id']}/").json()
    assert partner["override"]["reason"] == detail["override"]["reason"]


def test_decline_needs_a_reason(as_user, sent, caseworker, referral_officer):
    officer = as_user(referral_officer)
    assert error_fields(officer.post(url(sent, "decline/"), {})) == {"reason"}
    assert error_fields(officer.post(url(sent, "decline/"), {"reason": "   "})) == {"reason"}
    sent.refresh_from_db()
    assert (sent.state, sent.version) == ("sent", 2)
    declined = officer.post(url(sent, "decline/"), {"reason": "No places until spring."})
    assert declined.status_code == 200
    assert declined.json()["decline_reason"] == "No places until spring."
    assert declined.json()["allowed_actions"] == []
    assert as_user(referral_officer).get(url(sent)).status_code == 404
    assert as_user(referral_officer).get(url(sent, "packet/")).status_code == 404
    sender = as_user(caseworker).get(url(sent)).json()
    assert sender["state"] == "declined"
    assert sender["decided_by"]["display_name"] == "Chiara Referrals"


def test_consent_withdrawal_cuts_the_partner_off_at_once(
    as_user, sent, consent, caseworker, referral_officer
):
    officer = as_user(referral_officer)
    assert officer.get(url(sent)).status_code == 200
    assert officer.get(url(sent, "packet/")).status_code == 200
    withdrawn = as_user(caseworker).post(
        f"/api/v1/consents/{consent.pk}/withdraw/", {"reason": "The client asked"}
    )
    assert withdrawn.status_code == 200, withdrawn.content
    officer = as_user(referral_officer)
    assert_problem(officer.get(url(sent, "packet/")), 404)
    assert_problem(officer.get(url(sent)), 404)
    assert_problem(officer.get(url(sent, "messages/")), 404)
    assert id_set(officer.get(REFERRALS)) == set()
    sender = as_user(caseworker).get(url(sent)).json()
    assert sender["state"] == "cancelled"
    assert sender["timeline"][-1]["kind"] == "cancelled"


# --- Bad input ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"data_categories": ["identity", "horoscope"]}, "data_categories"),
        ({"data_categories": []}, "data_categories"),
        ({"respond_by": "2001-01-01"}, "respond_by"),
        ({"respond_by": "next tuesday"}, "respond_by"),
        ({"purpose": None}, "purpose"),
        ({"purpose": "   "}, "purpose"),
        ({"urgency": "yesterday"}, "urgency"),
        ({"colour": "blue"}, "colour"),
        ({"to_agency": None}, "service"),
        ({"service": "00000000-0000-0000-0000-000000000000"}, "service"),
        ({"case": "not-a-case"}, "case"),
        ({"send": False, "override_reason": "Why not"}, "override_reason"),
    ],
)
def test_bad_input_is_400_naming_the_field(
    changes, field, as_user, caseworker, case, consent, partner_agency
):
    body = create_body(case, to_agency=str(partner_agency.pk))
    body.update(changes)
    body = {name: value for name, value in body.items() if value is not None}
    assert error_fields(as_user(caseworker).post(REFERRALS, body)) == {field}
    assert nothing_created()


def test_a_referral_to_ones_own_agency_is_refused(as_user, caseworker, case, agency):
    response = as_user(caseworker).post(REFERRALS, create_body(case, to_agency=str(agency.pk)))
    assert error_fields(response) == {"to_agency"}
    assert nothing_created()


# --- Changing a draft --------------------------------------------------------------------


def test_a_draft_changes_with_if_match_and_then_is_sent(
    as_user, caseworker, case, consent, partner_agency
):
    draft = make_referral(caseworker, case, partner_agency, send=False)
    api = as_user(caseworker)
    assert_problem(api.patch(url(draft), {"purpose": "New"}), 428, "precondition_required")
    assert_problem(api.patch(url(draft), {"purpose": "New"}, HTTP_IF_MATCH='"7"'), 412)
    draft.refresh_from_db()
    assert (draft.purpose, draft.version) == ("Legal advice on the asylum appeal", 1)
    bad = api.patch(url(draft), {"data_categories": ["gossip"]}, HTTP_IF_MATCH='"1"')
    assert error_fields(bad) == {"data_categories"}
    assert error_fields(api.patch(url(draft), {}, HTTP_IF_MATCH='"1"')) == {None}

    changed = api.patch(
        url(draft),
        {"purpose": "Housing", "urgency": "urgent", "data_categories": ["identity"]},
        HTTP_IF_MATCH='"1"',
    )
    assert changed.status_code == 200, changed.content
    assert changed["ETag"] == '"2"'
    assert changed.json()["purpose"] == "Housing"
    assert changed.json()["urgency"] == "urgent"
    assert changed.json()["data_categories"] == ["identity"]

    sent = api.post(url(draft, "send/"), {})
    assert sent.status_code == 200, sent.content
    assert sent.json()["state"] == "sent"
    assert ReferralPacket.objects.get(referral=draft).data_categories == ["identity"]
    late = api.patch(url(draft), {"purpose": "Too late"}, HTTP_IF_MATCH='"3"')
    assert_problem(late, 409, "not_a_draft")


# --- The check ---------------------------------------------------------------------------


def test_the_check_says_what_may_be_shared(
    as_user, caseworker, case, consent, partner_agency, service
):
    api = as_user(caseworker)
    response = api.get(f"{REFERRALS}check/", {"case": case.pk, "service": service.pk})
    assert response.status_code == 200, response.content
    check = response.json()
    everything = ["identity", "contact", "legal_status"]
    assert check["needed"] == check["covered"] == check["proposed"] == check["chosen"]
    assert check["chosen"] == everything
    assert check["can_send"] is True
    assert check["consent"] == str(consent.pk)
    assert (check["blocks"], check["consent_gaps"], check["refused_categories"]) == ([], [], {})

    health = api.get(
        f"{REFERRALS}check/",
        {"case": case.pk, "to_agency": partner_agency.pk, "data_categories": "health,identity"},
    ).json()
    assert health["chosen"] == ["identity", "health"]
    assert health["can_send"] is False
    assert health["consent"] is None
    assert list(health["refused_categories"]) == ["health"]
    assert "categories_not_covered" in [gap["code"] for gap in health["consent_gaps"]]

    closed = make_service(partner_agency, name="Closed desk", status="temporarily closed")
    blocked = api.get(f"{REFERRALS}check/", {"case": case.pk, "service": closed.pk}).json()
    assert blocked["can_send"] is False
    assert [block["code"] for block in blocked["blocks"]] == ["service_not_taking_referrals"]
    assert blocked["blocks"][0]["service"] == str(closed.pk)


def test_the_check_without_consent_says_why(as_user, caseworker, case, partner_agency):
    check = as_user(caseworker).get(
        f"{REFERRALS}check/", {"case": case.pk, "to_agency": partner_agency.pk}
    )
    assert check.status_code == 200, check.content
    body = check.json()
    assert (body["covered"], body["proposed"], body["chosen"]) == ([], [], [])
    assert body["can_send"] is False
    assert [gap["code"] for gap in body["consent_gaps"]] == ["no_categories", "no_consent"]
    assert body["blocks"] == []


def test_the_check_refuses_bad_questions(
    as_user, caseworker, case, consent, partner_agency, viewer, referral_officer
):
    api = as_user(caseworker)
    check = f"{REFERRALS}check/"
    assert error_fields(api.get(check, {"case": case.pk})) == {"service"}
    unknown = {"case": case.pk, "service": "00000000-0000-0000-0000-000000000000"}
    assert error_fields(api.get(check, unknown)) == {"service"}
    bad_category = {"case": case.pk, "to_agency": partner_agency.pk, "data_categories": "x"}
    assert error_fields(api.get(check, bad_category)) == {"data_categories"}
    assert error_fields(api.get(check, {"to_agency": partner_agency.pk})) == {"case"}
    # Sees the case, may not refer from it.
    question = {"case": case.pk, "to_agency": partner_agency.pk}
    assert_problem(as_user(viewer).get(check, question), 403)
    assert_problem(as_user(referral_officer).get(check, question), 404)


# --- Lists -------------------------------------------------------------------------------


def test_filters_by_direction_state_overdue_and_case(
    monkeypatch,
    as_user,
    caseworker,
    supervisor,
    case,
    consent,
    agency,
    partner_agency,
    referral_officer,
    partner_caseworker,
):
    sent = make_referral(caseworker, case, partner_agency)
    draft = make_referral(caseworker, case, partner_agency, send=False)
    # Made ten days ago, due two days later: overdue now (not yet expired).
    real_now = timezone.now
    make_consent(
        caseworker,
        case.client,
        recipient_agencies=[partner_agency],
        given_at=real_now() - timedelta(days=20),
    )
    with monkeypatch.context() as patched:
        patched.setattr(timezone, "now", lambda: real_now() - timedelta(days=10))
        overdue = make_referral(
            caseworker,
            case,
            partner_agency,
            respond_by=(real_now() - timedelta(days=8)).date(),
        )
    # And one the other way: Casa refers its own client to Amal.
    partner_client = make_client(partner_caseworker, name="Lena", name_latin="Lena")
    partner_case = make_case(partner_caseworker, partner_client)
    make_consent(partner_caseworker, partner_client, recipient_agencies=[agency])
    incoming = make_referral(partner_caseworker, partner_case, agency)
    other_case = make_case(caseworker, make_client(caseworker, name="Other", name_latin="Other"))
    other = make_referral(caseworker, other_case, partner_agency, send=False)

    def listed(user, **query):
        return id_set(as_user(user).get(REFERRALS, query))

    every = {str(r.pk) for r in (sent, draft, overdue, other)}
    assert listed(supervisor) == every | {str(incoming.pk)}
    assert listed(supervisor, direction="outgoing") == every
    assert listed(supervisor, direction="incoming") == {str(incoming.pk)}
    assert listed(supervisor, state="draft") == {str(draft.pk), str(other.pk)}
    assert listed(supervisor, overdue="true") == {str(overdue.pk)}
    assert listed(supervisor, overdue="false") == every - {str(overdue.pk)} | {str(incoming.pk)}
    assert listed(supervisor, case=str(case.pk)) == {str(sent.pk), str(draft.pk), str(overdue.pk)}
    assert listed(referral_officer, direction="incoming") == {str(sent.pk), str(overdue.pk)}
    assert listed(referral_officer, direction="outgoing") == set()
    assert listed(referral_officer, overdue="true") == {str(overdue.pk)}
    # The partner cannot ask which referrals came from a case: it does not see it.
    assert_problem(as_user(referral_officer).get(REFERRALS, {"case": case.pk}), 404)
    # Amal's caseworker holds no grant on what Casa sends to Amal.
    assert listed(caseworker, direction="incoming") == set()

    rows = {row["id"]: row for row in as_user(supervisor).get(REFERRALS).json()["results"]}
    assert rows[str(incoming.pk)]["direction"] == "incoming"
    assert rows[str(incoming.pk)]["case"] is None
    assert rows[str(overdue.pk)]["is_overdue"] is True
    assert rows[str(sent.pk)]["is_overdue"] is False
    assert rows[str(sent.pk)]["case"] == {"id": str(case.pk), "number": case.number}

    api = as_user(supervisor)
    for query, field in (
        ({"direction": "sideways"}, "direction"),
        ({"state": "lost"}, "state"),
        ({"overdue": "maybe"}, "overdue"),
        ({"case": "123"}, "case"),
        ({"cursor": "garbage"}, "cursor"),
    ):
        assert error_fields(api.get(REFERRALS, query)) == {field}


def test_overdue_and_without_case_are_booleans(
    monkeypatch, as_user, caseworker, supervisor, case, consent, partner_agency
):
    """The schema says boolean: true and false filter, left out does not, and
    anything else is a 400 naming the parameter (not a filter ignored)."""
    on_time = make_referral(caseworker, case, partner_agency)
    real_now = timezone.now
    make_consent(
        caseworker,
        case.client,
        recipient_agencies=[partner_agency],
        given_at=real_now() - timedelta(days=20),
    )
    with monkeypatch.context() as patched:
        patched.setattr(timezone, "now", lambda: real_now() - timedelta(days=10))
        late = make_referral(
            caseworker, case, partner_agency, respond_by=(real_now() - timedelta(days=8)).date()
        )
    api = as_user(supervisor)
    both = {str(on_time.pk), str(late.pk)}
    assert id_set(api.get(REFERRALS, {"overdue": "true"})) == {str(late.pk)}
    assert id_set(api.get(REFERRALS, {"overdue": "false"})) == {str(on_time.pk)}
    assert id_set(api.get(REFERRALS)) == both
    # No case opened from either yet; false is no filter.
    assert id_set(api.get(REFERRALS, {"without_case": "true"})) == both
    assert id_set(api.get(REFERRALS, {"without_case": "false"})) == both
    for value in ("maybe", "", "2", "truee"):
        assert error_fields(api.get(REFERRALS, {"overdue": value})) == {"overdue"}, value
        assert error_fields(api.get(REFERRALS, {"without_case": value})) == {"without_case"}


@pytest.mark.parametrize("persona", ["caseworker", "supervisor", "referral_officer"])
def test_list_queries_do_not_grow_with_the_page(
    request,
    persona,
    as_user,
    django_assert_num_queries,
    caseworker,
    case,
    consent,
    partner_agency,
    referral_officer,
):
    for _ in range(6):
        make_referral(caseworker, case, partner_agency)
    api = as_user(request.getfixturevalue(persona))
    with CaptureQueriesContext(connection) as one_row:
        first = api.get(REFERRALS, {"page_size": 1})
    assert len(first.json()["results"]) == 1
    assert first.json()["next"]
    with django_assert_num_queries(len(one_row.captured_queries)):
        page = api.get(REFERRALS, {"page_size": 6})
    assert len(page.json()["results"]) == 6


def test_list_page_size_is_capped(as_user, caseworker, case, consent, partner_agency):
    for _ in range(3):
        make_referral(caseworker, case, partner_agency)
    response = as_user(caseworker).get(REFERRALS, {"page_size": 1000})
    assert len(response.json()["results"]) == 3
    first = as_user(caseworker).get(REFERRALS, {"page_size": 2}).json()
    second = as_user(caseworker).get(first["next"]).json()
    assert len(first["results"]) == 2 and len(second["results"]) == 1
    assert not {row["id"] for row in first["results"]} & {row["id"] for row in second["results"]}


# --- Messages ----------------------------------------------------------------------------


def test_both_sides_write_and_read_the_conversation(
    as_user, sent, caseworker, case, partner_agency, referral_officer
):
    officer = as_user(referral_officer)
    first = officer.post(url(sent, "messages/"), {"body": "When can she come?"})
    assert first.status_code == 201, first.content
    assert first.json()["author"]["display_name"] == "Chiara Referrals"
    assert first.json()["agency"]["name"] == "Casa Comune"
    sender = as_user(caseworker)
    reply = sender.post(url(sent, "messages/"), {"body": "Monday morning."})
    assert reply.status_code == 201
    assert reply.json()["agency"]["name"] == "Amal Refugee Support"
    bodies = [
        m["body"] for m in as_user(referral_officer).get(url(sent, "messages/")).json()["results"]
    ]
    assert bodies == ["When can she come?", "Monday morning."]
    assert error_fields(as_user(caseworker).post(url(sent, "messages/"), {"body": ""})) == {"body"}

    draft = make_referral(caseworker, case, partner_agency, send=False)
    closed = as_user(caseworker).post(url(draft, "messages/"), {"body": "Hello?"})
    assert_problem(closed, 409, "messages_closed")
    assert ReferralMessage.objects.count() == 2


def test_progress_is_reported_on_an_accepted_referral(as_user, sent, caseworker, referral_officer):
    officer = as_user(referral_officer)
    early = officer.post(url(sent, "progress/"), {"note": "Called her."})
    assert_problem(early, 409, "invalid_transition")
    assert error_fields(officer.post(url(sent, "progress/"), {})) == {"note"}
    assert officer.post(url(sent, "accept/"), {"note": "Yes"}).status_code == 200
    response = as_user(referral_officer).post(
        url(sent, "progress/"), {"note": "First meeting held."}
    )
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "accepted"
    assert response.json()["timeline"][-1]["kind"] == "progress"
    sender = as_user(caseworker).get(url(sent)).json()
    assert sender["timeline"][-1]["note"] == "First meeting held."


# --- The service directory ---------------------------------------------------------------


@pytest.fixture
def directory(agency, partner_agency, other_agency):
    return [
        make_service(partner_agency, city="Torino"),
        make_service(
            agency,
            name="Emergency shelter",
            category="housing",
            description="Beds for families",
            data_categories_needed=["identity"],
        ),
        make_service(other_agency, name="Job desk", category="employment", status="inactive"),
    ]


def test_the_directory_is_open_to_every_user(directory, as_user, outsider, api_client):
    api = as_user(outsider)
    everything = api.get(SERVICES)
    assert everything.status_code == 200
    assert [row["name"] for row in everything.json()["results"]] == [
        "Emergency shelter",
        "Job desk",
        "Legal counselling",
    ]
    # Cursor-paginated like every list: no count, no page number.
    assert "count" not in everything.json()
    assert everything.json()["next"] is None and everything.json()["next_cursor"] is None
    row = everything.json()["results"][0]
    assert row["agency"]["slug"] == "amal"
    assert row["takes_referrals"] is True
    assert row["data_categories_needed"] == ["identity"]

    def names(**query):
        return {row["name"] for row in api.get(SERVICES, query).json()["results"]}

    assert names(q="shelter") == {"Emergency shelter"}
    assert names(q="families") == {"Emergency shelter"}
    assert names(q="casa") == {"Legal counselling"}
    assert names(category="legal") == {"Legal counselling"}
    assert names(agency="city") == {"Job desk"}
    assert names(status="inactive") == {"Job desk"}
    assert names(q="nothing-like-this") == set()
    assert error_fields(api.get(SERVICES, {"category": "astrology"})) == {"category"}
    detail = api.get(f"{SERVICES}{directory[0].pk}/")
    assert detail.status_code == 200
    assert detail["ETag"] == '"1"'
    assert_problem(api.get(f"{SERVICES}00000000-0000-0000-0000-000000000000/"), 404)
    api_client.logout()
    assert api_client.get(SERVICES).status_code in (401, 403)


def test_an_agency_admin_adds_services(
    as_user, agency, agency_admin, caseworker, outsider_admin, referral_officer
):
    api = as_user(agency_admin)
    body = {
        "agency": "amal",
        "name": "Women's group",
        "category": "social",
        "data_categories_needed": ["identity", "contact"],
        "languages": ["AR", "fa"],
        "country": "it",
    }
    response = api.post(SERVICES, body)
    assert response.status_code == 201, response.content
    created = response.json()
    assert response["Location"] == f"http://testserver{SERVICES}{created['id']}/"
    assert response["ETag"] == '"1"'
    assert created["agency"]["slug"] == "amal"
    assert created["languages"] == ["ar", "fa"]
    assert created["country"] == "IT"
    by_id = api.post(SERVICES, {**body, "agency": str(agency.pk), "name": "Homework club"})
    assert by_id.status_code == 201, by_id.content
    implied = api.post(SERVICES, {"name": "Advice line", "category": "legal"})
    assert implied.status_code == 201, implied.content
    assert implied.json()["agency"]["slug"] == "amal"
    assert error_fields(api.post(SERVICES, body)) == {"name"}
    assert error_fields(api.post(SERVICES, {**body, "name": "X", "category": "magic"})) == {
        "category"
    }
    assert error_fields(api.post(SERVICES, {**body, "name": "Y", "fax": "1"})) == {"fax"}
    bad_needs = {**body, "name": "Z", "data_categories_needed": ["aura"]}
    assert error_fields(api.post(SERVICES, bad_needs)) == {"data_categories_needed"}
    assert Service.objects.count() == 3

    assert_problem(as_user(caseworker).post(SERVICES, {**body, "name": "A"}), 403)
    assert_problem(as_user(caseworker).post(SERVICES, {"name": "A", "category": "legal"}), 403)
    assert_problem(as_user(outsider_admin).post(SERVICES, {**body, "name": "B"}), 404)
    by_id = {**body, "name": "C", "agency": str(agency.pk)}
    assert_problem(as_user(outsider_admin).post(SERVICES, by_id), 404)
    assert_problem(as_user(referral_officer).post(SERVICES, {**body, "name": "D"}), 404)
    assert Service.objects.count() == 3


def test_a_service_changes_with_if_match(
    as_user, agency, agency_admin, caseworker, outsider_admin, referral_officer
):
    service = make_service(agency, name="Shelter", category="housing")
    path = f"{SERVICES}{service.pk}/"
    api = as_user(agency_admin)
    assert_problem(api.patch(path, {"status": "inactive"}), 428)
    stale = api.patch(path, {"status": "inactive"}, HTTP_IF_MATCH='"5"')
    assert_problem(stale, 412, "stale_version")
    service.refresh_from_db()
    assert (service.status, service.version) == ("active", 1)
    assert error_fields(api.patch(path, {"status": "asleep"}, HTTP_IF_MATCH='"1"')) == {"status"}

    changed = api.patch(
        path, {"status": "temporarily closed", "accepts_referrals": False}, HTTP_IF_MATCH='"1"'
    )
    assert changed.status_code == 200, changed.content
    assert changed["ETag"] == '"2"'
    assert changed.json()["status"] == "temporarily closed"
    assert changed.json()["takes_referrals"] is False

    # The directory is public: seeing a service of another agency is not a secret.
    for user, status in ((caseworker, 403), (outsider_admin, 403), (referral_officer, 403)):
        assert_problem(as_user(user).patch(path, {"name": "Mine"}, HTTP_IF_MATCH='"2"'), status)
    service.refresh_from_db()
    assert (service.name, service.version) == ("Shelter", 2)


def test_hsds_export_and_import_round_trip(
    as_user, directory, agency, agency_admin, outsider_admin, other_agency
):
    shelter = directory[1]
    shelter.phone, shelter.city, shelter.address, shelter.location_name = (
        "+39 011 555",
        "Torino",
        "Via Po 2",
        "Casa Aperta",
    )
    shelter.languages = ["ar", "it"]
    shelter.save()
    export = as_user(outsider_admin).get(f"{SERVICES}export.hsds.json", {"agency": "amal"})
    assert export.status_code == 200, export.content
    page = export.json()
    assert page["total_items"] == 1 and len(page["contents"]) == 1
    record = page["contents"][0]
    assert record["name"] == "Emergency shelter"
    assert record["organization"]["name"] == "Amal Refugee Support"
    assert record["phones"] == [{"id": stable_id("phone", shelter.pk), "number": "+39 011 555"}]
    everything = as_user(outsider_admin).get(f"{SERVICES}export.hsds.json").json()
    assert everything["total_items"] == 3

    imported = as_user(outsider_admin).post(
        f"{SERVICES}import/", {"agency": "city", "services": page}
    )
    assert imported.status_code == 201, imported.content
    result = imported.json()
    assert (result["created"], result["updated"]) == (1, 0)
    copy = result["services"][0]
    assert copy["agency"]["slug"] == "city"
    for name in (
        "name",
        "description",
        "category",
        "status",
        "accepts_referrals",
        "data_categories_needed",
        "languages",
        "phone",
        "city",
        "address",
        "location_name",
    ):
        assert copy[name] == getattr(shelter, name), name

    again = as_user(outsider_admin).post(
        f"{SERVICES}import/", {"agency": str(other_agency.pk), "services": page["contents"]}
    )
    assert again.status_code == 200, again.content
    # The same records again: nothing to change, nothing written.
    body = again.json()
    assert (body["created"], body["updated"], body["unchanged"]) == (0, 0, 1)
    assert Service.objects.filter(agency=other_agency, name="Emergency shelter").count() == 1

    record["description"] = "Beds for families and single women"
    update = as_user(agency_admin).post(
        f"{SERVICES}import/", {"agency": "amal", "services": record}
    )
    assert update.status_code == 200, update.content
    shelter.refresh_from_db()
    assert shelter.description == "Beds for families and single women"
    assert shelter.version == 2


def test_a_bad_import_names_the_field_and_imports_nothing(
    as_user, directory, agency_admin, caseworker, outsider_admin
):
    page = as_user(agency_admin).get(f"{SERVICES}export.hsds.json").json()
    before = sorted(Service.objects.values_list("agency_id", "name", "version"))
    api = as_user(agency_admin)

    bad_status = [dict(record) for record in page["contents"]]
    bad_status[1]["status"] = "on holiday"
    response = api.post(f"{SERVICES}import/", {"agency": "amal", "services": bad_status})
    assert error_fields(response) == {"services.1.status"}

    nameless = [dict(page["contents"][0]), {"description": "No name"}]
    response = api.post(f"{SERVICES}import/", {"agency": "amal", "services": nameless})
    # HSDS requires an id, a name and a status: every missing one is named.
    assert error_fields(response) == {"services.1.id", "services.1.name", "services.1.status"}
    assert {e["code"] for e in response.json()["errors"]} == {"hsds_invalid"}

    bad_need = dict(page["contents"][0])
    bad_need["attributes"] = [
        *bad_need["attributes"],
        {
            "id": "5f0e4d6a-9a51-4a4f-9f0c-2b110b6a1c5e",
            "value": "aura",
            "taxonomy_term": {
                "id": "5f0e4d6a-9a51-4a4f-9f0c-2b110b6a1c5f",
                "name": "data_category_needed",
                "description": "Needed",
                # Sanad's files before HSDS 3.0 said "vocabulary": still read.
                "vocabulary": "sanad-referrals",
                "code": "data_category_needed",
            },
        },
    ]
    response = api.post(f"{SERVICES}import/", {"agency": "amal", "services": [bad_need]})
    assert error_fields(response) == {"services.0.attributes"}
    assert error_fields(api.post(f"{SERVICES}import/", {"agency": "amal", "services": 7})) == {
        "services"
    }
    assert error_fields(api.post(f"{SERVICES}import/", {"agency": "amal"})) == {"services"}
    assert sorted(Service.objects.values_list("agency_id", "name", "version")) == before

    body = {"agency": "amal", "services": page}
    assert_problem(as_user(caseworker).post(f"{SERVICES}import/", body), 403)
    assert_problem(as_user(outsider_admin).post(f"{SERVICES}import/", body), 404)
    assert sorted(Service.objects.values_list("agency_id", "name", "version")) == before


def test_open_case_with_an_idempotency_key_opens_one_case(
    as_user, sent, referral_officer, partner_caseworker, partner_agency
):
    """A retried open-case answers with the case the first request opened."""
    from casework.models import Case

    api = as_user(referral_officer)
    assert api.post(url(sent, "accept/"), {}).status_code == 200
    body = {"assigned_to": str(partner_caseworker.pk)}
    first = api.post(url(sent, "open-case/"), body, HTTP_IDEMPOTENCY_KEY="open-1")
    assert first.status_code == 201, first.content
    again = api.post(url(sent, "open-case/"), body, HTTP_IDEMPOTENCY_KEY="open-1")
    assert again.status_code == 201, again.content
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["case"] == first.json()["case"]
    assert Case.objects.filter(agency=partner_agency).count() == 1
    without_key = api.post(url(sent, "open-case/"), body)
    assert_problem(without_key, 409, "case_exists")
