"""The API's request handling, whatever arrives (issue 9, defects 3–6 and part of 7):
OPTIONS on every route, required fields in every content type, malformed JSON,
text fields given numbers, and If-Match as RFC 9110 reads it."""

import importlib
import inspect
import re
import uuid
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer
from rest_framework.test import APIRequestFactory, force_authenticate

from accounts.services import issue_api_token
from casework.models import Case, Client
from config.errors import InvalidInput
from config.http.parsers import MAX_DEPTH
from config.http.preconditions import IfMatch, parse_if_match
from config.http.serializers import RequestSerializer
from referrals.models import Referral
from tests.accounts.test_every_route_logs import every_route
from tests.factories import make_consent, make_document, make_referral, make_service
from tests.helpers import assert_problem, case_url, client_url

pytestmark = pytest.mark.django_db

FORM = "application/x-www-form-urlencoded"


def named_fields(response) -> set:
    """The fields the errors name, whatever the status (the tests check it where it matters)."""
    return {error["field"] for error in response.json().get("errors", [])}


# --- Defect 3: OPTIONS answers on every route ---------------------------------------------


def test_options_answers_on_every_route(
    caseworker, supervisor, partner_agency, agency, case, client_record, client, api_client
):
    """OPTIONS to every route of the URL conf, path parameters filled with real
    objects (or random ids where there is none), as a signed-in user: never a
    5xx; every API route answers 200 with Allow."""
    consent = make_consent(caseworker, client_record, recipient_agencies=[partner_agency])
    service = make_service(partner_agency)
    referral = make_referral(caseworker, case, partner_agency)
    objects = {
        "case_id": case.pk,
        "client_id": client_record.pk,
        "consent_id": consent.pk,
        "document_id": make_document(caseworker, case).pk,
        "referral_id": referral.pk,
        "service_id": service.pk,
        "membership_id": caseworker.memberships.get().pk,
        "token_id": issue_api_token(actor=caseworker, name="options")[0].pk,
        "slug": agency.slug,
        "app_label": "casework",
    }
    client.force_login(supervisor)
    api_client.credentials(
        HTTP_AUTHORIZATION=f"Bearer {issue_api_token(actor=supervisor, name='options')[1]}"
    )
    answers = {}
    for name, route in sorted(every_route().items()):
        route = route.removesuffix("$").replace("(?P<url>.*)", "anything")
        address = "/" + re.sub(
            r"<(?:\w+:)?(\w+)>",
            lambda match: str(objects.get(match.group(1), uuid.uuid4())),
            route,
        )
        http = api_client if address.startswith("/api/") else client
        answers[name] = (address, http.options(address))

    server_errors = {
        name: (address, response.status_code)
        for name, (address, response) in answers.items()
        if response.status_code >= 500
    }
    assert not server_errors, server_errors
    api_answers = {name: answer for name, answer in answers.items() if name.startswith("api-")}
    assert len(api_answers) > 50
    for name, (address, response) in api_answers.items():
        if name in ("api-schema", "api-docs"):
            continue
        assert response.status_code == 200, (name, address, response.status_code)
        assert "OPTIONS" in response["Allow"], name
        assert response.json()["parses"], name


def test_options_of_a_list_describes_the_view_and_not_the_records(as_user, caseworker, case):
    response = as_user(caseworker).options("/api/v1/cases/")
    assert response.status_code == 200
    assert set(response["Allow"].replace(" ", "").split(",")) == {"GET", "HEAD", "POST", "OPTIONS"}
    assert set(response.json()) == {"name", "description", "renders", "parses"}
    assert case.number not in response.content.decode()


@pytest.mark.parametrize("method", ["get", "options"])
def test_the_browsable_api_of_debug_renders_views_without_a_serializer_class(
    caseworker, case, method
):
    """With DEBUG on, a browser's GET or OPTIONS of a list answered 500 (the
    browsable renderer built forms from the missing ``serializer_class``)."""
    from casework.api.cases import CaseListView
    from config.http.renderers import BrowsableAPIRenderer

    request = getattr(APIRequestFactory(), method)("/api/v1/cases/", HTTP_ACCEPT="text/html")
    force_authenticate(request, caseworker)
    view = CaseListView.as_view(renderer_classes=[BrowsableAPIRenderer, JSONRenderer])
    response = view(request).render()
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert b"_content" in response.content  # the raw body box stays


def test_options_needs_a_signed_in_user(api_client):
    assert_problem(api_client.options("/api/v1/cases/"), 401, "not_authenticated")


# --- Defect 4: a required field missing is a 400; a body that is not JSON a 415 -----------


def test_restrict_without_restricted_changes_nothing(as_user, supervisor, restricted_case):
    response = as_user(supervisor).post(
        case_url(restricted_case, "restrict/"), {"reason": "x"}, format="json"
    )
    body = assert_problem(response, 400, "validation_error")
    assert body["errors"] == [
        {"field": "restricted", "code": "required", "detail": "This field is required."}
    ]
    restricted_case.refresh_from_db()
    assert (restricted_case.is_restricted, restricted_case.version) == (True, 1)


def test_restrict_with_restricted_works(as_user, supervisor, restricted_case):
    response = as_user(supervisor).post(
        case_url(restricted_case, "restrict/"),
        {"restricted": False, "reason": "lifted"},
        format="json",
    )
    assert response.status_code == 200, response.content
    restricted_case.refresh_from_db()
    assert restricted_case.is_restricted is False


@pytest.mark.parametrize("content_type", ["form", "multipart"])
def test_a_body_that_is_not_json_is_a_415_and_changes_nothing(
    as_user, supervisor, restricted_case, content_type
):
    # A form cannot say null, a list or an object (the document upload alone is multipart).
    http = as_user(supervisor)
    url = case_url(restricted_case, "restrict/")
    data = {"restricted": "false", "reason": "lifted"}
    if content_type == "form":
        response = http.post(url, urlencode(data), content_type=FORM)
    else:
        response = http.post(url, data, format="multipart")
    assert_problem(response, 415)
    restricted_case.refresh_from_db()
    assert (restricted_case.is_restricted, restricted_case.version) == (True, 1)


def test_a_boolean_left_out_takes_its_default(
    as_user, caseworker, case, partner_agency, client_record
):
    """``send`` defaults to true: a referral without it is sent, not kept as a
    draft (a missing key is missing, and a missing key takes the default)."""
    make_consent(caseworker, client_record, recipient_agencies=[partner_agency])
    body = {
        "case": str(case.pk),
        "to_agency": str(partner_agency.pk),
        "purpose": "Legal advice",
        "respond_by": (timezone.now().date() + timedelta(days=7)).isoformat(),
        "data_categories": ["identity", "contact"],
    }
    response = as_user(caseworker).post("/api/v1/referrals/", body, format="json")
    assert response.status_code == 201, response.content
    referral = Referral.objects.get(pk=response.json()["id"])
    assert referral.state == Referral.State.SENT


def _request_serializers() -> list[type[serializers.Serializer]]:
    """Every serializer of the API that reads a request body or query (by the
    house names: ``…InSerializer``, ``…RequestSerializer``)."""
    modules = [
        "accounts.api",
        "casework.api.case_items",
        "casework.api.cases",
        "casework.api.clients",
        "casework.api.consent",
        "privacy.api.access_log",
        "privacy.api.break_glass",
        "privacy.api.data_protection",
        "referrals.api.actions",
        "referrals.api.directory",
        "referrals.api.packet",
        "referrals.api.referrals",
    ]
    found = set()
    for module in map(importlib.import_module, modules):
        for name, value in inspect.getmembers(module, inspect.isclass):
            if (
                value is not RequestSerializer
                and issubclass(value, serializers.Serializer)
                and re.search(r"(In|Request)Serializer$", name)
            ):
                found.add(value)
    return sorted(found, key=lambda cls: cls.__name__)


def test_every_body_serializer_reads_strictly():
    found = _request_serializers()
    assert len(found) > 25
    loose = [cls.__name__ for cls in found if not issubclass(cls, RequestSerializer)]
    assert not loose, f"Derive these from config.http.serializers.RequestSerializer: {loose}"


@pytest.mark.parametrize("serializer_class", _request_serializers(), ids=lambda c: c.__name__)
def test_every_required_boolean_is_required_in_a_form(serializer_class):
    required = {
        name
        for name, field in serializer_class().fields.items()
        if isinstance(field, serializers.BooleanField) and field.required and not field.read_only
    }
    data = serializer_class(data=QueryDict(""))
    data.is_valid()
    missing = {name for name, errors in data.errors.items() if errors[0].code == "required"}
    assert required <= missing


def test_the_restrict_serializer_has_a_required_boolean():
    from casework.api.cases import RestrictInSerializer

    assert RestrictInSerializer().fields["restricted"].required


# --- Defect 5: malformed JSON is a 400 naming the problem ---------------------------------


def _post_json(http, url: str, text: str):
    return http.generic("POST", url, text.encode(), content_type="application/json")


@pytest.mark.parametrize(
    "text",
    ["[" * 50_000, '{"a":' * 50_000, "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1)],
    ids=["arrays-50000", "objects-50000", "just-too-deep"],
)
def test_deeply_nested_json_is_a_parse_error(as_user, caseworker, case, text):
    response = _post_json(as_user(caseworker), case_url(case, "notes/"), text)
    body = assert_problem(response, 400, "parse_error")
    assert "nests more than" in body["detail"]


def test_json_nested_within_the_limit_is_parsed(as_user, caseworker, case):
    nested = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    response = _post_json(as_user(caseworker), case_url(case, "notes/"), nested)
    assert_problem(response, 400, "validation_error")  # parsed; not an object


@pytest.mark.parametrize(
    "number", ["1e999999", "-1e999999", "NaN", "Infinity", "-Infinity", "9" * 5000]
)
def test_a_number_json_cannot_hold_is_a_parse_error(as_user, caseworker, number):
    before = Client.objects.count()
    response = _post_json(
        as_user(caseworker),
        "/api/v1/clients/",
        '{"name": ' + number + ', "name_latin": "X", "confirmed_not_duplicate": true}',
    )
    body = assert_problem(response, 400, "parse_error")
    assert body["detail"].startswith("JSON parse error")
    assert Client.objects.count() == before


@pytest.mark.parametrize("value", [0, 1.5, True, 10**30])
def test_a_text_field_takes_only_text(as_user, supervisor, case, value):
    response = as_user(supervisor).post(
        case_url(case, "restrict/"), {"restricted": True, "reason": value}, format="json"
    )
    body = assert_problem(response, 400, "validation_error")
    assert body["errors"] == [
        {"field": "reason", "code": "invalid", "detail": "Not a valid string."}
    ]
    case.refresh_from_db()
    assert (case.is_restricted, case.version) == (False, 1)


def test_text_inside_lists_and_nested_objects_takes_only_text(as_user, caseworker, client_record):
    http = as_user(caseworker)
    url = client_url(client_record)
    response = http.patch(url, {"nationalities": ["SY", 7]}, format="json", HTTP_IF_MATCH='"1"')
    assert named_fields(response) == {"nationalities.1"}
    before = Client.objects.count()
    response = http.post(
        "/api/v1/clients/",
        {
            "name": "Amina",
            "identity_documents": [{"type": "passport", "number": 1234567}],
            "confirmed_not_duplicate": True,
        },
        format="json",
    )
    assert named_fields(response) == {"identity_documents.0.number"}
    assert Client.objects.count() == before
    client_record.refresh_from_db()
    assert client_record.version == 1


def test_an_id_field_takes_only_text(as_user, supervisor, case):
    response = as_user(supervisor).post(case_url(case, "assign/"), {"assignee": 5}, format="json")
    assert named_fields(response) == {"assignee"}


def test_the_token_request_takes_only_text(api_client, caseworker):
    response = api_client.post(
        "/api/v1/auth/token/", {"email": caseworker.email, "password": 12345678}, format="json"
    )
    assert named_fields(response) == {"password"}


@pytest.mark.parametrize("value", [0, 1, "true", "yes", None])
def test_a_json_boolean_is_true_or_false(as_user, caseworker, case, value):
    """The schema says boolean: ``0`` is not ``false`` in a JSON body."""
    response = as_user(caseworker).post(
        case_url(case, "notes/"), {"body": "A note", "is_confidential": value}, format="json"
    )
    body = assert_problem(response, 400, "validation_error")
    assert [error["field"] for error in body["errors"]] == ["is_confidential"]
    assert not case.notes.exists()


def test_a_json_whole_number_is_an_integer(as_user, caseworker, client_record):
    for value in ("2", 2.0, True):
        response = as_user(caseworker).patch(
            f"/api/v1/clients/{client_record.pk}/",
            {"dependants": value},
            format="json",
            HTTP_IF_MATCH='"1"',
        )
        body = assert_problem(response, 400, "validation_error")
        assert [error["field"] for error in body["errors"]] == ["dependants"], value


# --- Defect 6: If-Match as RFC 9110 reads it ----------------------------------------------


@pytest.mark.parametrize(
    "header, expected",
    [
        ("", None),
        ("  ", None),
        ("*", IfMatch(any_version=True)),
        (" * ", IfMatch(any_version=True)),
        ('"3"', IfMatch(tags=frozenset({"3"}))),
        ('W/"3"', IfMatch(tags=frozenset({"3"}))),
        ("3", IfMatch(tags=frozenset({"3"}))),
        ('"stale-version"', IfMatch(tags=frozenset({"stale-version"}))),
        ('""', IfMatch(tags=frozenset({""}))),
        ('"a,b"', IfMatch(tags=frozenset({"a,b"}))),
        ('"1", W/"2" ,, "x"', IfMatch(tags=frozenset({"1", "2", "x"}))),
    ],
)
def test_if_match_is_read_as_rfc_9110_writes_it(header, expected):
    assert parse_if_match(header) == expected


@pytest.mark.parametrize(
    "header", ["version one", '"3', '3"', "'3'", '"a"b"', '"1" "2"', '*, "1"', "W/3", '"a b"']
)
def test_a_broken_if_match_is_invalid(header):
    with pytest.raises(InvalidInput) as error:
        parse_if_match(header)
    assert (error.value.code, error.value.field) == ("invalid_if_match", "If-Match")


def test_matching():
    assert IfMatch(any_version=True).matches(12)
    assert IfMatch(tags=frozenset({"1", "12"})).matches(12)
    assert not IfMatch(tags=frozenset({"stale-version", "012"})).matches(12)


@pytest.mark.parametrize("header", ['"stale-version"', '"2"', '"01"', '"1.0"', 'W/"9"'])
def test_a_well_formed_etag_that_does_not_match_is_412(as_user, caseworker, client_record, header):
    response = as_user(caseworker).patch(
        client_url(client_record), {"city": "Torino"}, format="json", HTTP_IF_MATCH=header
    )
    assert_problem(response, 412, "stale_version")
    client_record.refresh_from_db()
    assert (client_record.city, client_record.version) == ("", 1)


def test_a_stale_etag_on_a_case_action_is_412_and_changes_nothing(as_user, supervisor, case):
    response = as_user(supervisor).post(
        case_url(case, "restrict/"),
        {"restricted": True},
        format="json",
        HTTP_IF_MATCH='"stale-version"',
    )
    assert_problem(response, 412, "stale_version")
    case.refresh_from_db()
    assert (case.is_restricted, case.version) == (False, 1)


def test_a_stale_etag_of_a_record_one_may_not_see_is_404(as_user, outsider, client_record, case):
    http = as_user(outsider)
    response = http.patch(
        client_url(client_record), {"city": "x"}, format="json", HTTP_IF_MATCH='"stale"'
    )
    assert_problem(response, 404, "not_found")
    response = http.patch(case_url(case), {"summary": "x"}, format="json", HTTP_IF_MATCH='"x"')
    assert_problem(response, 404, "not_found")


@pytest.mark.parametrize("header", ["*", '"7", "1"', '"stale", W/"1"'])
def test_an_if_match_naming_the_current_version_or_star_matches(
    as_user, caseworker, client_record, header
):
    response = as_user(caseworker).patch(
        client_url(client_record), {"city": "Torino"}, format="json", HTTP_IF_MATCH=header
    )
    assert response.status_code == 200, response.content
    assert response["ETag"] == '"2"'
    client_record.refresh_from_db()
    assert (client_record.city, client_record.version) == ("Torino", 2)


def test_star_matches_any_current_version_of_a_case(as_user, caseworker, supervisor, case):
    as_user(caseworker).patch(case_url(case), {"summary": "v2"}, format="json", HTTP_IF_MATCH='"1"')
    http = as_user(supervisor)
    response = http.post(
        case_url(case, "restrict/"), {"restricted": True}, format="json", HTTP_IF_MATCH="*"
    )
    assert response.status_code == 200, response.content
    assert response["ETag"] == '"3"'
    response = http.patch(case_url(case), {"summary": "v4"}, format="json", HTTP_IF_MATCH="*")
    assert response.status_code == 200, response.content
    assert Case.objects.get(pk=case.pk).summary == "v4"


@pytest.mark.parametrize("header", ["version one", '*, "1"', '"1'])
def test_a_broken_if_match_is_400(as_user, caseworker, supervisor, client_record, case, header):
    response = as_user(caseworker).patch(
        client_url(client_record), {"city": "x"}, format="json", HTTP_IF_MATCH=header
    )
    assert_problem(response, 400, "invalid_if_match")
    assert named_fields(response) == {"If-Match"}
    response = as_user(supervisor).post(
        case_url(case, "restrict/"), {"restricted": True}, format="json", HTTP_IF_MATCH=header
    )
    assert_problem(response, 400, "invalid_if_match")
    case.refresh_from_db()
    assert case.version == 1


def test_an_empty_if_match_is_428_only_where_it_is_required(as_user, caseworker, supervisor, case):
    response = as_user(caseworker).patch(
        case_url(case), {"summary": "x"}, format="json", HTTP_IF_MATCH=""
    )
    assert_problem(response, 428, "precondition_required")
    response = as_user(supervisor).post(
        case_url(case, "restrict/"), {"restricted": True}, format="json", HTTP_IF_MATCH=""
    )
    assert response.status_code == 200, response.content


def test_if_match_on_a_referral_and_a_service(as_user, caseworker, case, partner_agency):
    draft = make_referral(caseworker, case, partner_agency, send=False)
    http = as_user(caseworker)
    url = reverse("api-referral-detail", args=[draft.pk])
    response = http.patch(url, {"purpose": "x"}, format="json", HTTP_IF_MATCH='"stale-version"')
    assert_problem(response, 412, "stale_version")
    response = http.patch(url, {"purpose": "New"}, format="json", HTTP_IF_MATCH="*")
    assert response.status_code == 200, response.content
    draft.refresh_from_db()
    assert draft.purpose == "New"


def test_the_schema_documents_if_match(as_user, caseworker):
    schema = (
        as_user(caseworker)
        .get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
        .json()
    )
    patch = schema["paths"]["/api/v1/clients/{client_id}/"]["patch"]
    [if_match] = [p for p in patch["parameters"] if p["name"] == "If-Match"]
    assert if_match["required"] is True
    assert "`*`" in if_match["description"] and "412" in if_match["description"]
    assert {"412", "428"} <= set(patch["responses"])
    restrict = schema["paths"]["/api/v1/cases/{case_id}/restrict/"]["post"]
    [if_match] = [p for p in restrict["parameters"] if p["name"] == "If-Match"]
    assert not if_match.get("required")
    assert "412" in restrict["responses"] and "428" not in restrict["responses"]


def test_every_field_error_is_a_validation_error(as_user, caseworker, case, partner_agency):
    """One problem code for a field at fault, whoever finds it (the serializer
    or a service): the field's own reason is in errors[].code."""
    http = as_user(caseworker)
    by_serializer = http.post(
        case_url(case, "follow-ups/"), {"due_on": "2030-01-01"}, format="json"
    )
    error = assert_problem(by_serializer, 400, "validation_error")["errors"][0]
    assert (error["field"], error["code"]) == ("title", "required")
    # The service finds this one (the agency is listed already).
    url = case_url(case, "do-not-disclose/")
    assert http.post(url, {"agency": str(partner_agency.pk)}, format="json").status_code == 201
    by_service = http.post(url, {"agency": str(partner_agency.pk)}, format="json")
    error = assert_problem(by_service, 400, "validation_error")["errors"][0]
    assert (error["field"], error["code"]) == ("agency", "already_listed")
    # A header at fault keeps its own code: invalid_if_match (above), no_token
    # (tests/accounts/test_tokens.py).
