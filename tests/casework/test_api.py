"""The casework REST API: every endpoint as the allowed persona, a persona that
may see the record but not act (403) and a stranger (404); versions (ETag /
If-Match), Idempotency-Key, cursor pagination, search, duplicates, uploads."""

import base64
from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test.client import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from guardian.shortcuts import assign_perm
from rest_framework.request import Request

from accounts.models import IdempotencyRecord
from accounts.permissions import Perm, Role
from casework import services
from casework.models import Case, CaseNote, Client, ClientSensitive, Document, FollowUp
from config.http.pagination import KeysetCursorPagination
from tests.factories import make_case, make_client, make_follow_up, make_member
from tests.helpers import assert_problem, case_url, client_url, error_fields, ids

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<<>>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200


@pytest.fixture
def partner_viewer(referral_officer, case, client_record):
    """A partner's referral officer explicitly granted to see ``case`` and its
    client, and nothing more: the persona that sees records but may not act."""
    assign_perm(Perm.VIEW_CASE.value, referral_officer, case)
    assign_perm(Perm.VIEW_CLIENT.value, referral_officer, client_record)
    return referral_officer


# --- Clients: list and search ------------------------------------------------------------


def test_client_list_is_scoped_and_cursor_paginated(as_user, caseworker, outsider, client_record):
    response = as_user(caseworker).get("/api/v1/clients/")
    assert response.status_code == 200
    body = response.json()
    assert ids(response) == [str(client_record.pk)]
    # No total count (tests/test_pagination.py: the shape of every list).
    assert set(body) == {"next", "previous", "next_cursor", "previous_cursor", "results"}
    assert ids(as_user(outsider).get("/api/v1/clients/")) == []


def test_client_list_pages_by_cursor_newest_first(as_user, caseworker):
    clients = [make_client(caseworker, name=f"Person {n}", name_latin="") for n in range(3)]
    api = as_user(caseworker)
    first = api.get("/api/v1/clients/", {"page_size": 2})
    assert ids(first) == [str(clients[2].pk), str(clients[1].pk)]
    second = api.get(first.json()["next"])
    assert ids(second) == [str(clients[0].pk)]
    assert second.json()["next"] is None
    response = api.get("/api/v1/clients/", {"cursor": "not-a-cursor"})
    assert error_fields(response) == {"cursor"}


def test_page_size_is_capped_at_100():
    paginator = KeysetCursorPagination()
    request = Request(RequestFactory().get("/", {"page_size": "5000"}))
    assert paginator.get_page_size(request) == 100
    assert paginator.get_page_size(Request(RequestFactory().get("/"))) == 50


@pytest.mark.parametrize("query", ["محمد", "Mohammed", "MOHAMMED", "Muhammad"])
def test_client_search_finds_a_name_in_any_spelling(as_user, caseworker, client_record, query):
    other = make_client(caseworker, name="فاطمة الزهراء", name_latin="Fatima al-Zahra")
    response = as_user(caseworker).get("/api/v1/clients/", {"q": query})
    assert response.status_code == 200
    assert str(client_record.pk) in ids(response)
    assert str(other.pk) not in ids(response)


def test_client_search_is_scoped(as_user, outsider, client_record):
    assert ids(as_user(outsider).get("/api/v1/clients/", {"q": "Mohammed"})) == []


# --- Clients: registration ----------------------------------------------------------------

NEW_CLIENT = {
    "name": "زينب كريمي",
    "name_latin": "Zeinab Karimi",
    "date_of_birth": "1995-07-14",
    "sex": "female",
    "nationalities": ["AF"],
    "languages": ["fa"],
    "identity_documents": [
        {
            "type": "passport",
            "number": "P1234567",
            "issuing_country": "af",
            "expires_on": "2020-01-01",
        }
    ],
}


def test_register_client(as_user, caseworker, agency):
    response = as_user(caseworker).post("/api/v1/clients/", NEW_CLIENT, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    client = Client.objects.get(pk=body["id"])
    assert client.agency == agency
    assert client.registered_by == caseworker
    assert response["ETag"] == '"1"'
    assert response["Location"] == f"http://testserver/api/v1/clients/{client.pk}/"
    [document] = body["identity_documents"]
    assert document["number"] == "P1234567"
    assert document["issuing_country"] == "AF"
    assert document["is_expired"] is True
    assert client.identity_documents.count() == 1


def test_register_client_needs_a_role_that_may(as_user, dpo, referral_officer, outsider):
    assert_problem(
        as_user(dpo).post("/api/v1/clients/", NEW_CLIENT, format="json"), 403, "permission_denied"
    )
    assert_problem(
        as_user(referral_officer).post("/api/v1/clients/", NEW_CLIENT, format="json"),
        403,
        "permission_denied",
    )
    # A stranger naming an agency they do not belong to: 404.
    assert_problem(
        as_user(outsider).post("/api/v1/clients/", {**NEW_CLIENT, "agency": "amal"}, format="json"),
        404,
        "not_found",
    )
    assert not Client.objects.exists()


def test_register_client_in_the_agency_where_the_role_may(
    as_user, dpo, caseworker, agency, other_agency
):
    # A DPO here who is a caseworker elsewhere registers there by default.
    make_member(other_agency, Role.CASEWORKER, user=dpo)
    response = as_user(dpo).post("/api/v1/clients/", NEW_CLIENT, format="json")
    assert response.status_code == 201, response.content
    assert Client.objects.get(pk=response.json()["id"]).agency == other_agency
    assert_problem(
        as_user(dpo).post("/api/v1/clients/", {**NEW_CLIENT, "agency": "amal"}, format="json"),
        403,
        "permission_denied",
    )
    # Someone who may register in two agencies must say which.
    make_member(other_agency, Role.CASEWORKER, user=caseworker)
    response = as_user(caseworker).post("/api/v1/clients/", NEW_CLIENT, format="json")
    assert error_fields(response) == {"agency"}
    response = as_user(caseworker).post(
        "/api/v1/clients/",
        {**NEW_CLIENT, "agency": "amal", "confirmed_not_duplicate": True},
        format="json",
    )
    assert Client.objects.get(pk=response.json()["id"]).agency == agency


def test_register_client_validation_names_the_fields(as_user, caseworker):
    api = as_user(caseworker)
    response = api.post(
        "/api/v1/clients/",
        {
            "sex": "robot",
            "identity_documents": [
                {"type": "passport", "number": "P1"},
                {"type": "visa", "number": ""},
            ],
        },
        format="json",
    )
    assert error_fields(response) == {
        "name",
        "sex",
        "identity_documents.1.type",
        "identity_documents.1.number",
    }
    # Country codes are checked with the body (the schema lists them), rules of
    # the model (no birth in the future) come back per field too.
    response = api.post(
        "/api/v1/clients/", {"name": "Test", "nationalities": ["SY", "XX"]}, format="json"
    )
    assert error_fields(response) == {"nationalities.1"}
    future = (timezone.now().date() + timedelta(days=30)).isoformat()
    response = api.post(
        "/api/v1/clients/", {"name": "Test", "date_of_birth": future}, format="json"
    )
    assert error_fields(response) == {"date_of_birth"}
    response = api.post("/api/v1/clients/", {"name": "Test", "nick": "T"}, format="json")
    body = assert_problem(response, 400, "validation_error")
    assert body["errors"] == [
        {"field": "nick", "code": "unknown_field", "detail": "Unknown field."}
    ]
    assert not Client.objects.exists()


def test_possible_duplicate_then_confirmed(as_user, caseworker, client_record):
    api = as_user(caseworker)
    again = {
        "name": "محمد الحسن",
        "name_latin": "Mohammed al-Hassan",
        "date_of_birth": "1990-04-02",
    }
    response = api.post("/api/v1/clients/", again, format="json")
    body = assert_problem(response, 409, "possible_duplicate")
    assert body["candidates"] == [
        {
            "id": str(client_record.pk),
            "name": "محمد الحسن",
            "name_latin": "Mohammed al-Hassan",
            "date_of_birth": "1990-04-02",
        }
    ]
    assert Client.objects.count() == 1
    response = api.post(
        "/api/v1/clients/", {**again, "confirmed_not_duplicate": True}, format="json"
    )
    assert response.status_code == 201
    assert Client.objects.count() == 2


def test_register_client_idempotency_key(as_user, caseworker):
    api = as_user(caseworker)
    headers = {"HTTP_IDEMPOTENCY_KEY": "client-7f3a"}
    first = api.post("/api/v1/clients/", NEW_CLIENT, format="json", **headers)
    retry = api.post("/api/v1/clients/", NEW_CLIENT, format="json", **headers)
    assert first.status_code == retry.status_code == 201
    assert retry.json()["id"] == first.json()["id"]
    assert retry["Idempotent-Replayed"] == "true"
    assert retry["ETag"] == first["ETag"]
    assert retry["Location"] == first["Location"]
    assert Client.objects.count() == 1
    other_body = api.post(
        "/api/v1/clients/", {**NEW_CLIENT, "name": "Someone Else"}, format="json", **headers
    )
    assert_problem(other_body, 409, "idempotency_key_reused")
    assert Client.objects.count() == 1


# --- Clients: one record --------------------------------------------------------------------


def test_client_detail(as_user, caseworker, client_record):
    services.add_identity_document(
        actor=caseworker,
        client_id=client_record.pk,
        data={"type": "residence_permit", "number": "RP-1", "expires_on": date(2099, 1, 1)},
    )
    response = as_user(caseworker).get(client_url(client_record))
    assert response.status_code == 200
    assert response["ETag"] == f'"{client_record.version}"'
    body = response.json()
    assert body["name"] == "محمد الحسن"
    assert body["agency"] == "amal"
    assert [(d["number"], d["is_expired"]) for d in body["identity_documents"]] == [("RP-1", False)]


def test_sensitive_section_only_for_those_allowed(
    as_user, caseworker, second_caseworker, supervisor, partner_viewer, case, client_record
):
    services.update_client_sensitive(
        actor=supervisor, client_id=client_record.pk, changes={"health": "Diabetes"}
    )
    for user in (caseworker, supervisor):  # caseworker: assigned to the client's case
        body = as_user(user).get(client_url(client_record)).json()
        assert body["sensitive"]["health"] == "Diabetes", user
    for user in (second_caseworker, partner_viewer):
        response = as_user(user).get(client_url(client_record))
        assert response.status_code == 200
        assert "sensitive" not in response.json(), user
        assert "Diabetes" not in response.content.decode()


def test_sensitive_section_is_empty_not_absent_when_nothing_recorded(
    as_user, supervisor, client_record
):
    body = as_user(supervisor).get(client_url(client_record)).json()
    assert body["sensitive"]["health"] == ""
    assert body["sensitive"]["vulnerabilities"] == []


def test_client_detail_unseen_is_404(as_user, outsider, referral_officer, client_record):
    for user in (outsider, referral_officer):
        assert_problem(as_user(user).get(client_url(client_record)), 404, "not_found")
    api = as_user(outsider)
    assert_problem(
        api.get("/api/v1/clients/00000000-0000-0000-0000-000000000000/"), 404, "not_found"
    )
    assert_problem(api.get("/api/v1/clients/not-a-uuid/"), 404, "not_found")


def test_client_patch_needs_if_match(as_user, caseworker, client_record):
    response = as_user(caseworker).patch(
        client_url(client_record), {"city": "Torino"}, format="json"
    )
    assert_problem(response, 428, "precondition_required")
    client_record.refresh_from_db()
    assert client_record.city == ""
    assert client_record.version == 1


def test_client_patch_with_a_stale_version_changes_nothing(as_user, caseworker, client_record):
    services.update_client(
        actor=caseworker, client_id=client_record.pk, expected_version=1, changes={"city": "Roma"}
    )
    response = as_user(caseworker).patch(
        client_url(client_record), {"city": "Torino"}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert_problem(response, 412, "stale_version")
    client_record.refresh_from_db()
    assert client_record.city == "Roma"
    assert client_record.version == 2


@pytest.mark.parametrize("if_match", ['"1"', 'W/"1"', "1"])
def test_client_patch_with_the_current_version(as_user, caseworker, client_record, if_match):
    response = as_user(caseworker).patch(
        client_url(client_record),
        {"city": "Torino", "name_latin": "Muhammad al-Hasan"},
        format="json",
        HTTP_IF_MATCH=if_match,
    )
    assert response.status_code == 200, response.content
    assert response["ETag"] == '"2"'
    assert response.json()["city"] == "Torino"
    client_record.refresh_from_db()
    assert (client_record.city, client_record.version) == ("Torino", 2)
    assert "muhammad" in client_record.search_text  # search keys follow the names


def test_client_patch_validation(as_user, caseworker, client_record):
    api = as_user(caseworker)
    response = api.patch(client_url(client_record), {}, format="json", HTTP_IF_MATCH='"1"')
    assert_problem(response, 400, "validation_error")
    response = api.patch(
        client_url(client_record), {"city": "x"}, format="json", HTTP_IF_MATCH="version one"
    )
    assert error_fields(response) == {"If-Match"}
    response = api.patch(
        client_url(client_record), {"nationalities": ["ZZ"]}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert error_fields(response) == {"nationalities.0"}
    client_record.refresh_from_db()
    assert client_record.nationalities == ["SY"]
    assert client_record.version == 1


def test_client_patch_sensitive_by_assigned_caseworker(as_user, caseworker, case, client_record):
    response = as_user(caseworker).patch(
        client_url(client_record),
        {"sensitive": {"vulnerabilities": ["survivor_of_torture"], "health": "PTSD"}},
        format="json",
        HTTP_IF_MATCH='"1"',
    )
    assert response.status_code == 200, response.content
    assert response.json()["sensitive"]["vulnerabilities"] == ["survivor_of_torture"]
    assert response["ETag"] == '"2"'
    assert ClientSensitive.objects.get(client=client_record).health == "PTSD"


def test_client_patch_sensitive_forbidden_changes_nothing(
    as_user, second_caseworker, case, client_record
):
    response = as_user(second_caseworker).patch(
        client_url(client_record),
        {"city": "Milano", "sensitive": {"health": "PTSD"}},
        format="json",
        HTTP_IF_MATCH='"1"',
    )
    assert_problem(response, 403, "permission_denied")
    client_record.refresh_from_db()
    assert (client_record.city, client_record.version) == ("", 1)
    assert not ClientSensitive.objects.filter(client=client_record).exists()


def test_client_patch_forbidden_and_unseen(as_user, partner_viewer, outsider, client_record):
    response = as_user(partner_viewer).patch(
        client_url(client_record), {"city": "Milano"}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert_problem(response, 403, "permission_denied")
    response = as_user(outsider).patch(
        client_url(client_record), {"city": "Milano"}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert_problem(response, 404, "not_found")
    client_record.refresh_from_db()
    assert client_record.city == ""


def test_client_duplicates(as_user, caseworker, outsider, client_record):
    twin = make_client(caseworker)  # same name and date of birth
    stranger = make_client(caseworker, name="Ali Rezaei", name_latin="", date_of_birth="1980-01-01")
    response = as_user(caseworker).get(client_url(client_record, "duplicates/"))
    assert response.status_code == 200
    found = [row["id"] for row in response.json()["results"]]
    assert found == [str(twin.pk)]
    assert str(stranger.pk) not in found
    assert_problem(
        as_user(outsider).get(client_url(client_record, "duplicates/")), 404, "not_found"
    )


# --- Cases: list --------------------------------------------------------------------------------


def test_case_list_is_scoped(
    as_user, caseworker, second_caseworker, supervisor, outsider, case, restricted_case
):
    assert set(ids(as_user(caseworker).get("/api/v1/cases/"))) == {
        str(case.pk),
        str(restricted_case.pk),
    }
    assert set(ids(as_user(supervisor).get("/api/v1/cases/"))) == {
        str(case.pk),
        str(restricted_case.pk),
    }
    assert ids(as_user(second_caseworker).get("/api/v1/cases/")) == [str(case.pk)]
    assert ids(as_user(outsider).get("/api/v1/cases/")) == []


def test_case_list_rows(as_user, caseworker, partner_viewer, case):
    [row] = as_user(caseworker).get("/api/v1/cases/").json()["results"]
    assert row["number"] == case.number
    assert row["client"]["name_latin"] == "Mohammed al-Hassan"
    assert row["assigned_to"] == {"id": str(caseworker.pk), "display_name": "Layla Caseworker"}
    assert row["version"] == 1
    assert row["can_edit"] is True
    [row] = as_user(partner_viewer).get("/api/v1/cases/").json()["results"]
    assert row["can_edit"] is False


def test_case_list_filters(as_user, caseworker, supervisor, second_caseworker, case, client_record):
    other = make_case(supervisor, client_record, case_type="health", risk_level="critical")
    services.put_case_on_hold(actor=supervisor, case_id=other.pk, reason="waiting")
    make_follow_up(caseworker, case, title="Call", due_on=date(2020, 1, 1))
    api = as_user(caseworker)
    assert ids(api.get("/api/v1/cases/", {"status": "on_hold"})) == [str(other.pk)]
    assert ids(api.get("/api/v1/cases/", {"type": "housing"})) == [str(case.pk)]
    assert ids(api.get("/api/v1/cases/", {"risk": "critical"})) == [str(other.pk)]
    assert ids(api.get("/api/v1/cases/", {"assigned_to_me": "true"})) == [str(case.pk)]
    assert ids(api.get("/api/v1/cases/", {"overdue_follow_ups": "1"})) == [str(case.pk)]
    assert ids(api.get("/api/v1/cases/", {"q": case.number})) == [str(case.pk)]
    assert set(ids(api.get("/api/v1/cases/", {"q": "Muhammad"}))) == {str(case.pk), str(other.pk)}
    later = (timezone.now() + timedelta(hours=1)).isoformat()
    assert ids(api.get("/api/v1/cases/", {"updated_since": later})) == []
    earlier = (timezone.now() - timedelta(hours=1)).isoformat()
    assert len(ids(api.get("/api/v1/cases/", {"updated_since": earlier}))) == 2


def test_case_list_bad_filters_name_the_field(as_user, caseworker):
    api = as_user(caseworker)
    assert error_fields(api.get("/api/v1/cases/", {"updated_since": "last tuesday"})) == {
        "updated_since"
    }
    assert error_fields(api.get("/api/v1/cases/", {"status": "lost"})) == {"status"}
    assert error_fields(api.get("/api/v1/cases/", {"assigned_to_me": "perhaps"})) == {
        "assigned_to_me"
    }


def test_case_list_pages_by_cursor_most_recently_updated_first(as_user, caseworker, client_record):
    cases = [make_case(caseworker, client_record) for _ in range(3)]
    services.update_case(
        actor=caseworker, case_id=cases[0].pk, expected_version=1, changes={"summary": "New"}
    )
    api = as_user(caseworker)
    first = api.get("/api/v1/cases/", {"page_size": 2})
    assert "count" not in first.json()
    assert ids(first) == [str(cases[0].pk), str(cases[2].pk)]
    second = api.get(first.json()["next"])
    assert ids(second) == [str(cases[1].pk)]
    assert second.json()["next"] is None
    crafted = base64.b64encode(b"p=not-a-date").decode()
    assert error_fields(api.get("/api/v1/cases/", {"cursor": crafted})) == {"cursor"}


def test_case_list_query_count_does_not_grow_with_page_size(
    as_user, caseworker, second_caseworker, supervisor, client_record
):
    def count_queries() -> tuple[int, int]:
        api = as_user(caseworker)
        with CaptureQueriesContext(connection) as queries:
            response = api.get("/api/v1/cases/", {"page_size": 100})
        assert response.status_code == 200
        # The request's access-log row (tests/accounts) is not the list's cost.
        listing = [
            q
            for q in queries.captured_queries
            if "accesslog" not in q["sql"]
            and "pg_advisory" not in q["sql"]
            and "SAVEPOINT" not in q["sql"]
        ]
        return len(listing), len(response.json()["results"])

    make_case(caseworker, client_record)
    one = count_queries()
    for n in range(49):
        other_client = make_client(caseworker, name=f"Client {n}", name_latin="")
        assignee = (caseworker, second_caseworker, supervisor)[n % 3]
        make_case(supervisor, other_client, assigned_to=assignee)
    fifty = count_queries()
    assert (one[1], fifty[1]) == (1, 50)
    assert fifty[0] == one[0]
    assert fifty[0] <= 8


def test_case_list_needs_authentication(api_client):
    assert_problem(api_client.get("/api/v1/cases/"), 401, "not_authenticated")


# --- Cases: open ------------------------------------------------------------------------------


def test_open_case(as_user, caseworker, client_record):
    response = as_user(caseworker).post(
        "/api/v1/cases/",
        {"client": str(client_record.pk), "case_type": "asylum_legal", "summary": "Appeal"},
        format="json",
    )
    assert response.status_code == 201, response.content
    case = Case.objects.get(pk=response.json()["id"])
    assert response["ETag"] == '"1"'
    assert response["Location"] == f"http://testserver/api/v1/cases/{case.pk}/"
    assert case.assigned_to == caseworker
    assert (case.case_type, case.risk_level, case.summary) == ("asylum_legal", "low", "Appeal")
    assert response.json()["number"] == case.number


def test_open_case_refusals(
    as_user, caseworker, second_caseworker, partner_viewer, outsider, client_record, case
):
    partner_viewer_case = case
    body = {"client": str(client_record.pk), "case_type": "housing"}
    assert_problem(
        as_user(caseworker).post("/api/v1/cases/", {**body, "is_restricted": True}, format="json"),
        403,
        "permission_denied",
    )
    assert_problem(
        as_user(caseworker).post(
            "/api/v1/cases/", {**body, "assigned_to": str(second_caseworker.pk)}, format="json"
        ),
        403,
        "permission_denied",
    )
    assert_problem(
        as_user(partner_viewer).post("/api/v1/cases/", body, format="json"),
        403,
        "permission_denied",
    )
    assert_problem(as_user(outsider).post("/api/v1/cases/", body, format="json"), 404, "not_found")
    api = as_user(caseworker)
    assert error_fields(api.post("/api/v1/cases/", {**body, "case_type": "x"}, format="json")) == {
        "case_type"
    }
    response = api.post("/api/v1/cases/", {**body, "assigned_to": str(outsider.pk)}, format="json")
    assert error_fields(response) == {"assigned_to"}
    response = api.post(
        "/api/v1/cases/",
        {**body, "assigned_to": "00000000-0000-0000-0000-000000000000"},
        format="json",
    )
    assert error_fields(response) == {"assigned_to"}
    assert list(Case.objects.all()) == [partner_viewer_case]  # none of the refused ones


def test_open_case_idempotency_key(as_user, caseworker, client_record):
    api = as_user(caseworker)
    body = {"client": str(client_record.pk), "case_type": "housing"}
    first = api.post("/api/v1/cases/", body, format="json", HTTP_IDEMPOTENCY_KEY="case-1")
    retry = api.post("/api/v1/cases/", body, format="json", HTTP_IDEMPOTENCY_KEY="case-1")
    assert first.status_code == retry.status_code == 201
    assert retry.json()["id"] == first.json()["id"]
    assert retry["Idempotent-Replayed"] == "true"
    assert Case.objects.count() == 1
    changed = api.post(
        "/api/v1/cases/",
        {**body, "case_type": "health"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="case-1",
    )
    assert_problem(changed, 409, "idempotency_key_reused")
    assert Case.objects.count() == 1
    assert IdempotencyRecord.objects.filter(scope="cases.create").count() == 1


# --- Cases: one record ----------------------------------------------------------------------


def test_case_detail(as_user, caseworker, supervisor, case, restricted_case):
    response = as_user(caseworker).get(case_url(case))
    assert response.status_code == 200
    assert response["ETag"] == '"1"'
    body = response.json()
    assert (body["number"], body["summary"], body["agency"]) == (
        case.number,
        "Needs housing.",
        "amal",
    )
    assert as_user(supervisor).get(case_url(restricted_case)).status_code == 200


def test_restricted_case_is_404_for_another_caseworker(
    as_user, caseworker, second_caseworker, restricted_case
):
    api = as_user(second_caseworker)
    for suffix in ("", "notes/", "follow-ups/", "documents/", "history/"):
        assert_problem(api.get(case_url(restricted_case, suffix)), 404, "not_found")
    assert_problem(
        api.post(case_url(restricted_case, "notes/"), {"body": "x"}, format="json"),
        404,
        "not_found",
    )
    assert as_user(caseworker).get(case_url(restricted_case)).status_code == 200


def test_case_unseen_is_404(as_user, outsider, referral_officer, dpo, case):
    for user in (outsider, referral_officer, dpo):
        assert_problem(as_user(user).get(case_url(case)), 404, "not_found")
    assert_problem(
        as_user(outsider).get("/api/v1/cases/00000000-0000-0000-0000-000000000000/"),
        404,
        "not_found",
    )


def test_case_patch_versions(as_user, caseworker, case):
    api = as_user(caseworker)
    response = api.patch(case_url(case), {"risk_level": "high"}, format="json")
    assert_problem(response, 428, "precondition_required")
    response = api.patch(case_url(case), {"risk_level": "high"}, format="json", HTTP_IF_MATCH='"7"')
    assert_problem(response, 412, "stale_version")
    case.refresh_from_db()
    assert (case.risk_level, case.version) == ("medium", 1)
    response = api.patch(
        case_url(case),
        {"risk_level": "high", "reason": "new threat"},
        format="json",
        HTTP_IF_MATCH='"1"',
    )
    assert response.status_code == 200, response.content
    assert response["ETag"] == '"2"'
    assert response.json()["risk_level"] == "high"
    case.refresh_from_db()
    assert (case.risk_level, case.version) == ("high", 2)
    assert case.history.first().history_change_reason == "new threat"


def test_case_patch_refusals(as_user, caseworker, partner_viewer, outsider, case):
    for user, status, code in (
        (partner_viewer, 403, "permission_denied"),
        (outsider, 404, "not_found"),
    ):
        response = as_user(user).patch(
            case_url(case), {"summary": "x"}, format="json", HTTP_IF_MATCH='"1"'
        )
        assert_problem(response, status, code)
    api = as_user(caseworker)
    response = api.patch(case_url(case), {"status": "closed"}, format="json", HTTP_IF_MATCH='"1"')
    assert error_fields(response) == {"status"}  # not editable here: use /close/
    services.close_case(actor=caseworker, case_id=case.pk, closure_reason="goals_met")
    response = api.patch(case_url(case), {"summary": "x"}, format="json", HTTP_IF_MATCH='"2"')
    assert_problem(response, 409, "case_closed")
    case.refresh_from_db()
    assert case.summary == "Needs housing."


# --- Case actions -------------------------------------------------------------------------------


def test_assign(as_user, supervisor, caseworker, second_caseworker, outsider, case):
    body = {"assignee": str(second_caseworker.pk)}
    assert_problem(
        as_user(caseworker).post(case_url(case, "assign/"), body, format="json"),
        403,
        "permission_denied",
    )
    assert_problem(
        as_user(outsider).post(case_url(case, "assign/"), body, format="json"), 404, "not_found"
    )
    api = as_user(supervisor)
    response = api.post(case_url(case, "assign/"), {"assignee": str(outsider.pk)}, format="json")
    assert error_fields(response) == {"assignee"}
    response = api.post(case_url(case, "assign/"), body, format="json", HTTP_IF_MATCH='"9"')
    assert_problem(response, 412, "stale_version")
    case.refresh_from_db()
    assert case.assigned_to == caseworker
    response = api.post(case_url(case, "assign/"), body, format="json", HTTP_IF_MATCH='"1"')
    assert response.status_code == 200, response.content
    assert response["ETag"] == '"2"'
    assert response.json()["assigned_to"]["id"] == str(second_caseworker.pk)
    case.refresh_from_db()
    assert case.assigned_to == second_caseworker


def test_restrict(as_user, supervisor, caseworker, second_caseworker, outsider, case):
    body = {"restricted": True}
    assert_problem(
        as_user(caseworker).post(case_url(case, "restrict/"), body, format="json"),
        403,
        "permission_denied",
    )
    assert_problem(
        as_user(outsider).post(case_url(case, "restrict/"), body, format="json"), 404, "not_found"
    )
    api = as_user(supervisor)
    response = api.post(case_url(case, "restrict/"), body, format="json", HTTP_IF_MATCH='"3"')
    assert_problem(response, 412, "stale_version")
    case.refresh_from_db()
    assert not case.is_restricted
    response = api.post(case_url(case, "restrict/"), body, format="json", HTTP_IF_MATCH='"1"')
    assert response.status_code == 200, response.content
    assert response.json()["is_restricted"] is True
    assert response["ETag"] == '"2"'
    assert_problem(as_user(second_caseworker).get(case_url(case)), 404, "not_found")
    assert as_user(caseworker).get(case_url(case)).status_code == 200  # the assignee


def test_hold(as_user, caseworker, partner_viewer, outsider, case):
    body = {"reason": "Client travelling"}
    assert_problem(
        as_user(partner_viewer).post(case_url(case, "hold/"), body, format="json"),
        403,
        "permission_denied",
    )
    assert_problem(
        as_user(outsider).post(case_url(case, "hold/"), body, format="json"), 404, "not_found"
    )
    api = as_user(caseworker)
    assert error_fields(api.post(case_url(case, "hold/"), {"reason": ""}, format="json")) == {
        "reason"
    }
    response = api.post(case_url(case, "hold/"), body, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "on_hold"
    assert response["ETag"] == '"2"'
    assert_problem(
        api.post(case_url(case, "hold/"), body, format="json"), 409, "invalid_transition"
    )


def test_close_and_reopen(as_user, caseworker, partner_viewer, outsider, case):
    close = {"closure_reason": "goals_met", "note": "Housed"}
    reopen = {"reason": "New eviction notice"}
    for user, status, code in (
        (partner_viewer, 403, "permission_denied"),
        (outsider, 404, "not_found"),
    ):
        assert_problem(
            as_user(user).post(case_url(case, "close/"), close, format="json"), status, code
        )
    api = as_user(caseworker)
    response = api.post(case_url(case, "close/"), {"closure_reason": "bored"}, format="json")
    assert error_fields(response) == {"closure_reason"}
    response = api.post(case_url(case, "close/"), close, format="json", HTTP_IF_MATCH='"1"')
    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["closure_reason"]) == ("closed", "goals_met")
    assert response["ETag"] == '"2"'
    for user, status, code in (
        (partner_viewer, 403, "permission_denied"),
        (outsider, 404, "not_found"),
    ):
        assert_problem(
            as_user(user).post(case_url(case, "reopen/"), reopen, format="json"), status, code
        )
    api = as_user(caseworker)
    response = api.post(case_url(case, "reopen/"), reopen, format="json")
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["closure_reason"]) == ("open", "")
    assert response["ETag"] == '"3"'
    assert_problem(
        api.post(case_url(case, "reopen/"), reopen, format="json"), 409, "invalid_transition"
    )
    case.refresh_from_db()
    assert (case.status, case.version) == ("open", 3)


# --- Notes ------------------------------------------------------------------------------------


def test_notes(as_user, caseworker, second_caseworker, supervisor, case):
    api = as_user(caseworker)
    response = api.post(
        case_url(case, "notes/"), {"body": "Met at the office", "kind": "meeting"}, format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["author"]["id"] == str(caseworker.pk)
    secret = api.post(
        case_url(case, "notes/"),
        {"body": "Disclosed abuse", "is_confidential": True},
        format="json",
    )
    assert secret.status_code == 201
    mine = [n["body"] for n in api.get(case_url(case, "notes/")).json()["results"]]
    assert mine == ["Disclosed abuse", "Met at the office"]
    others = [
        n["body"]
        for n in as_user(second_caseworker).get(case_url(case, "notes/")).json()["results"]
    ]
    assert others == ["Met at the office"]
    assert len(as_user(supervisor).get(case_url(case, "notes/")).json()["results"]) == 2
    assert error_fields(api.post(case_url(case, "notes/"), {"body": ""}, format="json")) == {"body"}


def test_notes_refusals(as_user, partner_viewer, outsider, case):
    api = as_user(partner_viewer)
    assert api.get(case_url(case)).status_code == 200  # may see the case, not its notes
    assert_problem(api.get(case_url(case, "notes/")), 403, "permission_denied")
    assert_problem(
        api.post(case_url(case, "notes/"), {"body": "x"}, format="json"), 403, "permission_denied"
    )
    api = as_user(outsider)
    assert_problem(api.get(case_url(case, "notes/")), 404, "not_found")
    assert_problem(
        api.post(case_url(case, "notes/"), {"body": "x"}, format="json"), 404, "not_found"
    )
    assert not CaseNote.objects.exists()


# --- Follow-ups -----------------------------------------------------------------------------


def test_follow_ups(as_user, caseworker, second_caseworker, outsider, case):
    api = as_user(caseworker)
    response = api.post(
        case_url(case, "follow-ups/"),
        {
            "title": "Call the landlord",
            "due_on": "2030-05-01",
            "assigned_to": str(second_caseworker.pk),
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["assigned_to"]["id"] == str(second_caseworker.pk)
    assert body["is_overdue"] is False
    listed = api.get(case_url(case, "follow-ups/")).json()["results"]
    assert [f["id"] for f in listed] == [body["id"]]
    response = api.post(
        case_url(case, "follow-ups/"),
        {"title": "x", "due_on": "2030-01-01", "assigned_to": str(outsider.pk)},
        format="json",
    )
    assert error_fields(response) == {"assigned_to"}
    response = api.post(case_url(case, f"follow-ups/{body['id']}/complete/"))
    assert response.status_code == 200
    assert response.json()["done_by"]["id"] == str(caseworker.pk)
    assert FollowUp.objects.get(pk=body["id"]).done_at is not None
    missing = case_url(case, "follow-ups/00000000-0000-0000-0000-000000000000/complete/")
    assert_problem(api.post(missing), 404, "not_found")


def test_follow_ups_refusals(as_user, caseworker, partner_viewer, outsider, case):
    follow_up = services.schedule_follow_up(
        actor=caseworker, case_id=case.pk, title="Call", due_on=date(2030, 1, 1)
    )
    complete = case_url(case, f"follow-ups/{follow_up.pk}/complete/")
    body = {"title": "x", "due_on": "2030-01-01"}
    api = as_user(partner_viewer)
    assert_problem(api.get(case_url(case, "follow-ups/")), 403, "permission_denied")
    assert_problem(
        api.post(case_url(case, "follow-ups/"), body, format="json"), 403, "permission_denied"
    )
    assert_problem(api.post(complete), 403, "permission_denied")
    api = as_user(outsider)
    assert_problem(api.get(case_url(case, "follow-ups/")), 404, "not_found")
    assert_problem(api.post(case_url(case, "follow-ups/"), body, format="json"), 404, "not_found")
    assert_problem(api.post(complete), 404, "not_found")
    follow_up.refresh_from_db()
    assert follow_up.done_at is None
    assert FollowUp.objects.count() == 1


# --- Documents ----------------------------------------------------------------------------------


def upload(api, case, content=PDF, name="letter.pdf", category="legal"):
    return api.post(
        case_url(case, "documents/"),
        {"file": SimpleUploadedFile(name, content), "category": category, "description": "Letter"},
        format="multipart",
    )


def test_upload_list_and_download(as_user, caseworker, case):
    api = as_user(caseworker)
    response = upload(api, case)
    assert response.status_code == 201, response.content
    body = response.json()
    document = Document.objects.get(pk=body["id"])
    assert body["content_type"] == "application/pdf"
    assert response["Location"] == f"http://testserver{body['download_url']}"
    assert [d["id"] for d in api.get(case_url(case, "documents/")).json()["results"]] == [
        body["id"]
    ]
    download = api.get(body["download_url"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"] == f'attachment; filename="{document.download_name}"'
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Cache-Control"] == "private, no-store"


def test_executable_named_pdf_is_refused(as_user, caseworker, case):
    response = upload(as_user(caseworker), case, content=EXE, name="x.pdf")
    body = assert_problem(response, 400, "validation_error")
    assert body["errors"][0]["field"] == "file"
    assert body["errors"][0]["code"] == "unsupported_file_type"
    assert not Document.objects.exists()


def test_upload_validation(as_user, caseworker, case):
    api = as_user(caseworker)
    response = api.post(case_url(case, "documents/"), {"category": "nope"}, format="multipart")
    assert error_fields(response) == {"file", "category"}


def test_documents_refusals(as_user, caseworker, partner_viewer, outsider, case):
    document = services.upload_document(
        actor=caseworker,
        case_id=case.pk,
        uploaded_file=SimpleUploadedFile("a.pdf", PDF),
        category="legal",
    )
    download = case_url(case, f"documents/{document.pk}/download/")
    for user, status, code in (
        (partner_viewer, 403, "permission_denied"),
        (outsider, 404, "not_found"),
    ):
        api = as_user(user)
        assert_problem(api.get(case_url(case, "documents/")), status, code)
        assert_problem(api.get(download), status, code)
        assert_problem(upload(api, case), status, code)
    assert Document.objects.count() == 1


def test_medical_documents_only_for_those_allowed(as_user, caseworker, second_caseworker, case):
    response = upload(as_user(caseworker), case, category="medical")
    assert response.status_code == 201
    api = as_user(second_caseworker)
    assert api.get(case_url(case, "documents/")).json()["results"] == []
    assert_problem(api.get(response.json()["download_url"]), 404, "not_found")
    assert_problem(upload(api, case, category="medical"), 403, "permission_denied")
    assert Document.objects.count() == 1


# --- History -----------------------------------------------------------------------------------


def test_history(as_user, supervisor, caseworker, outsider, case):
    services.update_case(
        actor=caseworker,
        case_id=case.pk,
        expected_version=1,
        changes={"risk_level": "high"},
        reason="new threat",
    )
    response = as_user(supervisor).get(case_url(case, "history/"))
    assert response.status_code == 200
    entries = response.json()["results"]
    assert [e["action"] for e in entries] == ["changed", "created"]
    assert entries[0]["changes"] == [
        {"field": "risk_level", "label": "risk level", "old": "Medium", "new": "High"}
    ]
    assert entries[0]["reason"] == "new threat"
    assert entries[0]["actor_id"] == str(caseworker.pk)
    assert_problem(as_user(caseworker).get(case_url(case, "history/")), 403, "permission_denied")
    assert_problem(as_user(outsider).get(case_url(case, "history/")), 404, "not_found")


# --- Schema ----------------------------------------------------------------------------------


def test_schema_still_validates_and_documents_casework(client, tmp_path):
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml")
    )
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    cases = schema["paths"]["/api/v1/cases/"]["get"]
    assert cases["operationId"] == "cases_list"
    names = {p["name"] for p in cases["parameters"]}
    assert names >= {"cursor", "page_size", "q", "status", "type", "risk", "updated_since"}
    patch = schema["paths"]["/api/v1/clients/{client_id}/"]["patch"]
    assert {"412", "428"} <= set(patch["responses"])
    assert any(p["name"] == "If-Match" and p["required"] for p in patch["parameters"])
    create = schema["paths"]["/api/v1/clients/"]["post"]["responses"]
    assert "candidates" in schema["components"]["schemas"]["PossibleDuplicateProblem"]["properties"]
    assert create["409"]["content"]["application/problem+json"]["schema"]["$ref"].endswith(
        "PossibleDuplicateProblem"
    )


def test_case_serializers_fast_path_matches_the_declared_fields(caseworker, supervisor, case):
    from rest_framework import serializers as drf_serializers

    from casework.api.cases import CaseDetailSerializer, CaseListItemSerializer
    from casework.models import Case as CaseModel
    from casework.selectors import case_list_rows

    closed = CaseModel.objects.select_related("client", "assigned_to", "agency").get(pk=case.pk)
    for serializer_class in (CaseListItemSerializer, CaseDetailSerializer):
        serializer = serializer_class(closed, context={"editable": {closed.pk}})
        declared = drf_serializers.Serializer.to_representation(serializer, closed)
        assert serializer.data == declared, serializer_class.__name__
    # The list path: plain rows give the same output as the case itself.
    row = case_list_rows(CaseModel.objects.filter(pk=case.pk)).get()
    from_row = CaseListItemSerializer(row, context={"editable": {closed.pk}}).data
    from_case = CaseListItemSerializer(closed, context={"editable": {closed.pk}}).data
    assert from_row == from_case
    assert from_row["can_edit"] is True
