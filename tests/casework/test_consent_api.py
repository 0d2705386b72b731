"""The consent API: every endpoint as the allowed persona, a persona who sees
the client (or case) but holds no consent permission (403) and those who do not
see it at all (404); append-only through the API; withdrawal; validation that
names the field; the coverage question; the schema."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from casework import services
from casework.demo import PDF_BYTES
from casework.models import Consent, DoNotDisclose
from casework.selectors import consent_covering
from tests.factories import AgencyFactory, make_client, make_consent
from tests.helpers import assert_problem, error_fields, ids

pytestmark = pytest.mark.django_db


@pytest.fixture
def strangers(outsider, dpo, agency_admin, referral_officer):
    """Those who do not see client records: another agency's caseworker, and the
    owning agency's DPO and admin, and a partner's referral officer."""
    return [outsider, dpo, agency_admin, referral_officer]


@pytest.fixture
def legal_aid_consent(caseworker, client_record, partner_agency):
    """Identity and contact for the partner and for any legal-aid provider: the
    reading and coverage tests need a consent that names a kind of service."""
    return make_consent(
        caseworker,
        client_record,
        recipient_agencies=[partner_agency],
        recipient_service_categories=["legal"],
    )


def consents_url(client):
    return f"/api/v1/clients/{client.pk}/consents/"


def consent_url(consent, suffix=""):
    return f"/api/v1/consents/{consent.pk}/{suffix}"


def coverage_url(client):
    return f"/api/v1/clients/{client.pk}/consent-coverage/"


def dnd_url(case):
    return f"/api/v1/cases/{case.pk}/do-not-disclose/"


def consent_body(**changes):
    body = {
        "purpose": "referral",
        "lawful_basis": "consent",
        "data_categories": ["identity", "contact"],
        "recipient_service_categories": ["housing"],
        "given_by": "client",
        "method": "verbal",
        "notice_version": "2026-01",
        "explanation_language": "ar",
        "interpreter_used": True,
    }
    body.update(changes)
    return body


def snapshot(consent: Consent) -> tuple:
    """Everything stored about a consent, to prove a refused request changed nothing."""
    row = Consent.objects.filter(pk=consent.pk).values().get()
    recipients = sorted(
        str(pk)
        for pk in Consent.objects.get(pk=consent.pk).recipient_agencies.values_list("pk", flat=True)
    )
    return row, recipients, consent.history.count()


def refused(as_user, users, status, code, request):
    for user in users:
        assert_problem(request(as_user(user)), status, code)


# --- Access: allowed, 403, 404 for every endpoint ------------------------------------------


def test_list_access(as_user, caseworker, supervisor, viewer, strangers, client_record, consent):
    for user in (caseworker, supervisor):
        response = as_user(user).get(consents_url(client_record))
        assert response.status_code == 200, response.content
        assert ids(response) == [str(consent.pk)]
    refused(
        as_user,
        [viewer],
        403,
        "permission_denied",
        lambda api: api.get(consents_url(client_record)),
    )
    refused(as_user, strangers, 404, "not_found", lambda api: api.get(consents_url(client_record)))


def test_record_access(as_user, caseworker, viewer, strangers, client_record, partner_agency):
    body = consent_body(recipient_agencies=[str(partner_agency.pk)])

    def post(api):
        return api.post(consents_url(client_record), body, format="json")

    refused(as_user, [viewer], 403, "permission_denied", post)
    refused(as_user, strangers, 404, "not_found", post)
    assert not Consent.objects.exists()
    response = post(as_user(caseworker))
    assert response.status_code == 201, response.content
    assert Consent.objects.get().recorded_by == caseworker


def test_detail_access(as_user, caseworker, supervisor, viewer, strangers, consent):
    for user in (caseworker, supervisor):
        response = as_user(user).get(consent_url(consent))
        assert response.status_code == 200
        assert response.json()["id"] == str(consent.pk)
    refused(as_user, [viewer], 403, "permission_denied", lambda api: api.get(consent_url(consent)))
    refused(as_user, strangers, 404, "not_found", lambda api: api.get(consent_url(consent)))
    # An id that is no consent at all answers like one you may not see.
    assert_problem(
        as_user(caseworker).get("/api/v1/consents/" + str(caseworker.pk) + "/"), 404, "not_found"
    )


def test_withdraw_access(as_user, caseworker, viewer, strangers, consent):
    def post(api):
        return api.post(consent_url(consent, "withdraw/"), {"reason": "x"}, format="json")

    before = snapshot(consent)
    refused(as_user, [viewer], 403, "permission_denied", post)
    refused(as_user, strangers, 404, "not_found", post)
    assert snapshot(consent) == before
    response = post(as_user(caseworker))
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "withdrawn"


def test_withdraw_all_access(as_user, caseworker, viewer, strangers, client_record, consent):
    def post(api):
        return api.post(consents_url(client_record) + "withdraw-all/", {}, format="json")

    refused(as_user, [viewer], 403, "permission_denied", post)
    refused(as_user, strangers, 404, "not_found", post)
    assert Consent.objects.get(pk=consent.pk).withdrawn_at is None
    response = post(as_user(caseworker))
    assert response.status_code == 200, response.content
    assert [row["id"] for row in response.json()] == [str(consent.pk)]


def test_coverage_access(
    as_user, caseworker, viewer, strangers, client_record, partner_agency, consent
):
    params = {
        "recipient_agency": str(partner_agency.pk),
        "purpose": "referral",
        "data_categories": "identity",
    }

    def get(api):
        return api.get(coverage_url(client_record), params)

    refused(as_user, [viewer], 403, "permission_denied", get)
    refused(as_user, strangers, 404, "not_found", get)
    response = get(as_user(caseworker))
    assert response.status_code == 200, response.content
    assert response.json() == {"covered": True, "consent": str(consent.pk), "gaps": []}


def test_do_not_disclose_list_access(as_user, caseworker, viewer, strangers, case, partner_agency):
    entry = services.add_do_not_disclose(actor=caseworker, case_id=case.pk, agency=partner_agency)
    response = as_user(caseworker).get(dnd_url(case))
    assert response.status_code == 200
    assert ids(response) == [str(entry.pk)]
    refused(as_user, [viewer], 403, "permission_denied", lambda api: api.get(dnd_url(case)))
    refused(as_user, strangers, 404, "not_found", lambda api: api.get(dnd_url(case)))


def test_do_not_disclose_add_access(as_user, caseworker, viewer, strangers, case, partner_agency):
    def post(api):
        return api.post(
            dnd_url(case), {"agency": str(partner_agency.pk), "reason": "x"}, format="json"
        )

    refused(as_user, [viewer], 403, "permission_denied", post)
    refused(as_user, strangers, 404, "not_found", post)
    assert not DoNotDisclose.objects.exists()
    assert post(as_user(caseworker)).status_code == 201
    assert DoNotDisclose.objects.get().created_by == caseworker


def test_a_restricted_case_is_404_for_a_caseworker_not_assigned(
    as_user, caseworker, second_caseworker, supervisor, restricted_case
):
    assert as_user(caseworker).get(dnd_url(restricted_case)).status_code == 200
    assert as_user(supervisor).get(dnd_url(restricted_case)).status_code == 200
    assert_problem(as_user(second_caseworker).get(dnd_url(restricted_case)), 404, "not_found")


def test_authentication_is_needed(api_client, client_record, consent):
    assert_problem(api_client.get(consents_url(client_record)), 401, "not_authenticated")
    assert_problem(api_client.delete(consent_url(consent)), 401, "not_authenticated")


# --- Reading -------------------------------------------------------------------------------


def test_a_consent_as_read(as_user, caseworker, client_record, partner_agency, legal_aid_consent):
    body = as_user(caseworker).get(consent_url(legal_aid_consent)).json()
    assert body == {
        "id": str(legal_aid_consent.pk),
        "agency": {"id": str(client_record.agency_id), "name": "Amal Refugee Support"},
        "purpose": "referral",
        "lawful_basis": "consent",
        "special_category_condition": "",
        "data_categories": ["contact", "identity"],
        "recipient_agencies": [{"id": str(partner_agency.pk), "name": "Casa Comune"}],
        "recipient_service_categories": ["legal"],
        "given_by": "client",
        "given_by_name": "",
        "method": "verbal",
        "evidence": None,
        "notice_version": "2026-01",
        "explanation_language": "ar",
        "interpreter_used": False,
        "given_at": body["given_at"],
        "expires_at": None,
        "withdrawn_at": None,
        "withdrawn_by": None,
        "withdrawal_reason": "",
        "recorded_by": {"id": str(caseworker.pk), "display_name": "Layla Caseworker"},
        "recorded_at": body["recorded_at"],
        "status": "active",
    }
    assert body["given_at"].startswith(str(legal_aid_consent.given_at.date()))


@pytest.fixture
def consents_in_every_state(caseworker, client_record, partner_agency):
    now = timezone.now()
    active = make_consent(caseworker, client_record, recipient_agencies=[partner_agency])
    expired = make_consent(
        caseworker,
        client_record,
        recipient_agencies=[partner_agency],
        given_at=now - timedelta(days=30),
        expires_at=now - timedelta(days=1),
    )
    withdrawn = make_consent(caseworker, client_record, purpose="statistics")
    services.withdraw_consent(actor=caseworker, consent_id=withdrawn.pk)
    # A laptop clock a little ahead: within the tolerated skew, valid in two minutes.
    later = make_consent(
        caseworker,
        client_record,
        purpose="contact",
        given_at=now + timedelta(minutes=2),
    )
    return {"active": active, "expired": expired, "withdrawn": withdrawn, "not_yet_valid": later}


def test_the_status_filter_agrees_with_the_model(
    as_user, caseworker, client_record, consents_in_every_state
):
    api = as_user(caseworker)
    everything = api.get(consents_url(client_record)).json()["results"]
    assert len(everything) == 4
    for state, consent in consents_in_every_state.items():
        response = api.get(consents_url(client_record), {"status": state})
        assert response.status_code == 200
        rows = response.json()["results"]
        assert [row["id"] for row in rows] == [str(consent.pk)]
        assert rows[0]["status"] == state == Consent.objects.get(pk=consent.pk).status
    assert error_fields(api.get(consents_url(client_record), {"status": "lapsed"})) == {"status"}


def test_list_is_newest_first_and_pages_by_cursor(as_user, caseworker, client_record):
    now = timezone.now()
    made = [
        make_consent(
            caseworker,
            client_record,
            purpose="case_management",
            given_at=now - timedelta(days=days),
        )
        for days in (3, 2, 1)
    ]
    api = as_user(caseworker)
    first = api.get(consents_url(client_record), {"page_size": 2})
    assert set(first.json()) == {"next", "previous", "next_cursor", "previous_cursor", "results"}
    assert ids(first) == [str(made[2].pk), str(made[1].pk)]
    second = api.get(first.json()["next"])
    assert ids(second) == [str(made[0].pk)]
    assert second.json()["next"] is None
    assert error_fields(api.get(consents_url(client_record), {"cursor": "nope"})) == {"cursor"}


def test_list_query_count_does_not_grow_with_the_page(as_user, caseworker, client_record):
    def count() -> tuple[int, int]:
        api = as_user(caseworker)
        with CaptureQueriesContext(connection) as queries:
            response = api.get(consents_url(client_record))
        assert response.status_code == 200
        return len(queries), len(response.json()["results"])

    agencies = [AgencyFactory() for _ in range(3)]
    make_consent(caseworker, client_record, recipient_agencies=agencies[:1])
    one = count()
    for n in range(9):
        make_consent(caseworker, client_record, recipient_agencies=agencies[: 1 + n % 3])
    ten = count()
    assert (one[1], ten[1]) == (1, 10)
    assert ten[0] == one[0]


# --- Recording -----------------------------------------------------------------------------


def test_record_a_consent(as_user, caseworker, client_record, partner_agency):
    api = as_user(caseworker)
    given = timezone.now() - timedelta(hours=1)
    body = consent_body(
        recipient_agencies=[str(partner_agency.pk)],
        given_at=given.isoformat(),
        expires_at=(given + timedelta(days=365)).isoformat(),
    )
    response = api.post(consents_url(client_record), body, format="json")
    assert response.status_code == 201, response.content
    created = response.json()
    consent = Consent.objects.get(pk=created["id"])
    assert response["Location"] == f"http://testserver/api/v1/consents/{consent.pk}/"
    assert api.get(response["Location"]).json() == created
    assert created["status"] == "active"
    assert created["recipient_agencies"] == [{"id": str(partner_agency.pk), "name": "Casa Comune"}]
    assert created["recipient_service_categories"] == ["housing"]
    assert created["interpreter_used"] is True
    assert consent.given_at == given
    assert consent.expires_at == given + timedelta(days=365)
    assert consent.agency == client_record.agency
    assert consent.history.first().history_user == caseworker


def test_record_a_written_consent_with_its_signed_form(as_user, caseworker, client_record, case):
    form = services.upload_document(
        actor=caseworker,
        case_id=case.pk,
        category="consent",
        uploaded_file=SimpleUploadedFile("form.pdf", PDF_BYTES),
    )
    body = consent_body(method="written", evidence=str(form.pk))
    response = as_user(caseworker).post(consents_url(client_record), body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["evidence"] == str(form.pk)
    assert Consent.objects.get().evidence == form


def test_health_data_with_its_art_9_condition(as_user, caseworker, client_record):
    body = consent_body(
        data_categories=["identity", "health"], special_category_condition="explicit_consent"
    )
    response = as_user(caseworker).post(consents_url(client_record), body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["special_category_condition"] == "explicit_consent"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"data_categories": ["identity", "health"]}, "special_category_condition"),
        ({"method": "written"}, "evidence"),
        ({"method": "written", "evidence": "00000000-0000-0000-0000-000000000000"}, "evidence"),
        ({"purpose": "marketing"}, "purpose"),
        ({"lawful_basis": "whim"}, "lawful_basis"),
        ({"data_categories": []}, "data_categories"),
        ({"data_categories": ["identity", "dreams"]}, "data_categories"),
        ({"recipient_service_categories": ["spa"]}, "recipient_service_categories"),
        ({"recipient_service_categories": []}, "recipient_agencies"),
        (
            {"recipient_agencies": ["00000000-0000-0000-0000-000000000000"]},
            "recipient_agencies",
        ),
        ({"recipient_agencies": ["not-an-id"]}, "recipient_agencies"),
        ({"given_by": "guardian"}, "given_by_name"),
        ({"notice_version": ""}, "notice_version"),
        ({"given_at": "yesterday"}, "given_at"),
        ({"given_at": "2999-01-01T00:00:00Z"}, "given_at"),
        ({"expires_at": "2000-01-01T00:00:00Z"}, "expires_at"),
        ({"interpreter_used": "perhaps"}, "interpreter_used"),
        ({"recipients": ["casa"]}, "recipients"),
        ({"withdrawn_at": "2026-01-01T00:00:00Z"}, "withdrawn_at"),
    ],
)
def test_record_refusals_name_the_field(as_user, caseworker, client_record, changes, field):
    response = as_user(caseworker).post(
        consents_url(client_record), consent_body(**changes), format="json"
    )
    assert error_fields(response) == {field}
    assert not Consent.objects.exists()


def test_a_public_authority_cannot_rely_on_legitimate_interests(as_user, outsider, other_agency):
    public_client = make_client(outsider, other_agency)
    body = consent_body(purpose="case_management", lawful_basis="legitimate_interests")
    response = as_user(outsider).post(consents_url(public_client), body, format="json")
    assert error_fields(response) == {"lawful_basis"}
    body["lawful_basis"] = "public_task"
    assert (
        as_user(outsider).post(consents_url(public_client), body, format="json").status_code == 201
    )


# --- Append-only ---------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_a_consent_cannot_be_changed_or_deleted_through_the_api(
    as_user, caseworker, supervisor, consent, method
):
    before = snapshot(consent)
    for user in (caseworker, supervisor):
        request = getattr(as_user(user), method)
        response = request(
            consent_url(consent),
            {"purpose": "statistics", "data_categories": ["identity", "documents"]},
            format="json",
        )
        assert_problem(response, 405, "method_not_allowed")
        assert method.upper() not in response["Allow"]
    assert snapshot(consent) == before
    assert Consent.objects.filter(pk=consent.pk).exists()


def test_withdrawal_is_final_too(as_user, caseworker, consent):
    api = as_user(caseworker)
    assert api.post(consent_url(consent, "withdraw/"), {}, format="json").status_code == 200
    after = snapshot(consent)
    response = api.post(consent_url(consent, "withdraw/"), {"reason": "again"}, format="json")
    assert_problem(response, 409, "already_withdrawn")
    assert snapshot(consent) == after


# --- Withdrawal ----------------------------------------------------------------------------


def test_withdraw_takes_effect_at_once(as_user, caseworker, client_record, partner_agency, consent):
    api = as_user(caseworker)
    response = api.post(
        consent_url(consent, "withdraw/"), {"reason": "Changed her mind"}, format="json"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "withdrawn"
    assert body["withdrawal_reason"] == "Changed her mind"
    assert body["withdrawn_by"] == {"id": str(caseworker.pk), "display_name": "Layla Caseworker"}
    assert body["withdrawn_at"] is not None

    assert api.get(consent_url(consent)).json()["status"] == "withdrawn"
    assert api.get(consents_url(client_record)).json()["results"][0]["status"] == "withdrawn"
    assert ids(api.get(consents_url(client_record), {"status": "active"})) == []

    coverage = api.get(
        coverage_url(client_record),
        {
            "recipient_agency": partner_agency.pk,
            "purpose": "referral",
            "data_categories": "identity",
        },
    ).json()
    assert coverage["covered"] is False
    assert coverage["consent"] is None
    assert [gap["code"] for gap in coverage["gaps"]] == ["withdrawn"]
    consent.refresh_from_db()
    assert coverage["gaps"][0]["withdrawn_at"] == consent.withdrawn_at.isoformat()


def test_withdraw_without_a_body_and_with_a_stray_field(as_user, caseworker, consent):
    api = as_user(caseworker)
    assert error_fields(
        api.post(consent_url(consent, "withdraw/"), {"why": "x"}, format="json")
    ) == {"why"}
    assert Consent.objects.get(pk=consent.pk).withdrawn_at is None
    response = api.post(consent_url(consent, "withdraw/"))
    assert response.status_code == 200
    assert response.json()["withdrawal_reason"] == ""


def test_withdraw_all(as_user, caseworker, client_record, partner_agency, consent):
    statistics = make_consent(caseworker, client_record, purpose="statistics")
    earlier = make_consent(caseworker, client_record, purpose="contact")
    services.withdraw_consent(actor=caseworker, consent_id=earlier.pk)
    earlier.refresh_from_db()
    api = as_user(caseworker)
    response = api.post(
        consents_url(client_record) + "withdraw-all/", {"reason": "Leaving the city"}, format="json"
    )
    assert response.status_code == 200, response.content
    rows = response.json()
    assert {row["id"] for row in rows} == {str(consent.pk), str(statistics.pk)}
    assert {row["status"] for row in rows} == {"withdrawn"}
    assert {row["withdrawal_reason"] for row in rows} == {"Leaving the city"}
    assert [row["recipient_agencies"] for row in rows if row["id"] == str(consent.pk)] == [
        [{"id": str(partner_agency.pk), "name": "Casa Comune"}]
    ]
    assert not Consent.objects.filter(client=client_record, withdrawn_at__isnull=True).exists()
    assert Consent.objects.get(pk=earlier.pk).withdrawn_at == earlier.withdrawn_at  # untouched
    again = api.post(consents_url(client_record) + "withdraw-all/", {}, format="json")
    assert again.status_code == 200
    assert again.json() == []


# --- Coverage ------------------------------------------------------------------------------


@pytest.fixture
def coverage(as_user, caseworker, client_record):
    """coverage(**params) → the answer of the coverage endpoint, as the caseworker."""

    def ask(**params):
        response = as_user(caseworker).get(coverage_url(client_record), params)
        assert response.status_code == 200, response.content
        return response.json()

    return ask


def codes(answer) -> list[str]:
    return [gap["code"] for gap in answer["gaps"]]


def test_coverage_table(
    coverage, caseworker, client_record, partner_agency, case, legal_aid_consent
):
    third = AgencyFactory(name="Third agency")
    asked = {"recipient_agency": str(partner_agency.pk), "purpose": "referral"}

    covered = coverage(**asked, data_categories="identity,contact")
    assert covered == {"covered": True, "consent": str(legal_aid_consent.pk), "gaps": []}
    # The same list, as repeated parameters.
    assert coverage(**asked, data_categories=["identity", "contact"])["covered"] is True

    wrong = coverage(**{**asked, "recipient_agency": str(third.pk)}, data_categories="identity")
    assert wrong["covered"] is False
    assert wrong["consent"] is None
    assert wrong["gaps"] == [
        {
            "code": "recipient_not_covered",
            "message": "The consent does not name Third agency or this kind of service.",
            "agency": str(third.pk),
            "service_category": "",
        }
    ]
    # The consent names legal aid as a kind of service: any legal-aid provider is covered.
    by_kind = coverage(
        **{**asked, "recipient_agency": str(third.pk)},
        data_categories="identity",
        service_category="legal",
    )
    assert by_kind["covered"] is True

    missing = coverage(**asked, data_categories="identity,documents,family")
    assert codes(missing) == ["categories_not_covered"]
    assert missing["gaps"][0]["categories"] == ["documents", "family"]

    assert codes(coverage(**{**asked, "purpose": "statistics"}, data_categories="identity")) == [
        "no_consent"
    ]

    services.add_do_not_disclose(actor=caseworker, case_id=case.pk, agency=partner_agency)
    blocked = coverage(**asked, data_categories="identity")
    assert blocked["covered"] is False
    assert codes(blocked) == ["do_not_disclose"]
    assert blocked["gaps"][0]["agency"] == str(partner_agency.pk)


def test_coverage_answers_what_the_selector_says(
    coverage, caseworker, client_record, partner_agency
):
    make_consent(
        caseworker,
        client_record,
        recipient_agencies=[partner_agency],
        given_at=timezone.now() - timedelta(days=30),
        expires_at=timezone.now() - timedelta(days=1),
    )
    answer = coverage(
        recipient_agency=str(partner_agency.pk), purpose="referral", data_categories="identity"
    )
    expected = consent_covering(client_record, partner_agency, "referral", ["identity"])
    assert answer["gaps"] == [gap.as_dict() for gap in expected.gaps]
    assert codes(answer) == ["expired"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"data_categories": "identity,dreams"}, "data_categories"),
        ({"data_categories": ""}, "data_categories"),
        ({"data_categories": None}, "data_categories"),
        ({"purpose": "marketing"}, "purpose"),
        ({"purpose": None}, "purpose"),
        ({"recipient_agency": "00000000-0000-0000-0000-000000000000"}, "recipient_agency"),
        ({"recipient_agency": "casa"}, "recipient_agency"),
        ({"service_category": "spa"}, "service_category"),
        ({"data_category": "identity"}, "data_category"),
    ],
)
def test_coverage_refusals_name_the_parameter(
    as_user, caseworker, client_record, partner_agency, params, field
):
    query = {
        "recipient_agency": str(partner_agency.pk),
        "purpose": "referral",
        "data_categories": "identity",
        **params,
    }
    query = {name: value for name, value in query.items() if value is not None}
    response = as_user(caseworker).get(coverage_url(client_record), query)
    assert error_fields(response) == {field}


# --- Do not disclose -----------------------------------------------------------------------


def test_do_not_disclose_add_and_list(as_user, caseworker, case, partner_agency):
    api = as_user(caseworker)
    response = api.post(
        dnd_url(case),
        {"agency": str(partner_agency.pk), "reason": "Her brother-in-law works there"},
        format="json",
    )
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["agency"] == {"id": str(partner_agency.pk), "name": "Casa Comune"}
    assert created["created_by"]["id"] == str(caseworker.pk)
    person = api.post(dnd_url(case), {"person_name": "Former husband"}, format="json")
    assert person.status_code == 201
    assert person.json()["agency"] is None
    listed = api.get(dnd_url(case))
    assert ids(listed) == [person.json()["id"], created["id"]]
    assert listed.json()["results"][1]["reason"] == "Her brother-in-law works there"


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({}, "agency", "required"),
        ({"person_name": "   ", "reason": "x"}, "agency", "required"),
        ({"agency": "00000000-0000-0000-0000-000000000000"}, "agency", "does_not_exist"),
        ({"agency": "casa"}, "agency", "invalid"),
        ({"person": "Former husband"}, "person", "unknown_field"),
    ],
)
def test_do_not_disclose_refusals_name_the_field(as_user, caseworker, case, body, field, code):
    response = as_user(caseworker).post(dnd_url(case), body, format="json")
    assert error_fields(response) == {field}
    assert response.json()["errors"][0]["code"] == code
    assert not DoNotDisclose.objects.exists()


def test_an_agency_is_listed_once(as_user, caseworker, case, partner_agency):
    api = as_user(caseworker)
    body = {"agency": str(partner_agency.pk)}
    assert api.post(dnd_url(case), body, format="json").status_code == 201
    response = api.post(dnd_url(case), body, format="json")
    error = assert_problem(response, 400, "validation_error")["errors"][0]
    assert (error["field"], error["code"]) == ("agency", "already_listed")
    assert DoNotDisclose.objects.count() == 1


# --- Schema --------------------------------------------------------------------------------


def test_schema_validates_and_documents_consent(client, tmp_path):
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml")
    )
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    paths = schema["paths"]
    operations = {
        (method, path): operation["operationId"]
        for path, methods in paths.items()
        for method, operation in methods.items()
        if "consent" in path or "do-not-disclose" in path
    }
    assert operations == {
        ("get", "/api/v1/clients/{client_id}/consents/"): "clients_consents_list",
        ("post", "/api/v1/clients/{client_id}/consents/"): "clients_consents_create",
        ("post", "/api/v1/clients/{client_id}/consents/withdraw-all/"): (
            "clients_consents_withdraw_all"
        ),
        ("get", "/api/v1/clients/{client_id}/consent-coverage/"): "clients_consent_coverage",
        # The consent form to sign, as a PDF (reports).
        ("get", "/api/v1/clients/{client_id}/consent-form.pdf"): "clients_consent_form_pdf",
        ("get", "/api/v1/consents/{consent_id}/"): "consents_retrieve",
        ("post", "/api/v1/consents/{consent_id}/withdraw/"): "consents_withdraw",
        ("get", "/api/v1/cases/{case_id}/do-not-disclose/"): "cases_do_not_disclose_list",
        ("post", "/api/v1/cases/{case_id}/do-not-disclose/"): "cases_do_not_disclose_create",
    }
    listing = paths["/api/v1/clients/{client_id}/consents/"]["get"]
    assert {p["name"] for p in listing["parameters"]} >= {"cursor", "page_size", "status"}
    coverage = paths["/api/v1/clients/{client_id}/consent-coverage/"]["get"]
    required = {p["name"] for p in coverage["parameters"] if p.get("required")}
    assert required >= {"recipient_agency", "purpose", "data_categories"}
    consent = schema["components"]["schemas"]["ConsentOut"]["properties"]
    assert {"status", "recipient_agencies", "evidence", "withdrawn_at"} <= set(consent)
