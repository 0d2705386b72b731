import re

import pytest
from django.apps import apps
from django.core.management import call_command
from drf_spectacular.drainage import get_override
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.plumbing import force_instance
from rest_framework import serializers

from accounts.models import language_code_validator
from accounts.permissions import Role
from config.errors import InvalidInput
from config.http.preconditions import parse_if_match
from config.http.schema import NOT_BLANK_PATTERN
from referrals.models import Service
from tests.factories import make_member
from tests.helpers import assert_problem

pytestmark = pytest.mark.django_db


def test_schema_is_valid_openapi_3(client, tmp_path):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/auth/token/" in schema["paths"]
    # drf-spectacular's own validation against the OpenAPI 3 JSON schema.
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml")
    )


def test_schema_documents_problem_details(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    assert "Problem" in schema["components"]["schemas"]
    me = schema["paths"]["/api/v1/me/"]["get"]["responses"]
    assert "application/problem+json" in me["401"]["content"]
    assert "application/problem+json" in me["404"]["content"]
    token = schema["paths"]["/api/v1/auth/token/"]["post"]["responses"]
    assert "application/problem+json" in token["400"]["content"]
    assert "bearerAuth" in schema["components"]["securitySchemes"]


def test_docs_page_uses_installed_assets_not_a_cdn(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in html
    # Every script and stylesheet is served by us: no absolute asset URL at all.
    asset_urls = re.findall(r'(?:src|href)\s*=\s*["\']([^"\']+)', html)
    assert asset_urls
    assert all(url.startswith("/") for url in asset_urls), asset_urls
    assert not re.search(r"https?://[^\s\"']*cdn", html, re.IGNORECASE)


# --- The schema says what the API does (issue 9, defect 7) ---------------------------


def _schema(client):
    return client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()


def _operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in ("get", "post", "put", "patch", "delete"):
                yield path, method, operation


def test_request_bodies_that_refuse_unknown_fields_say_so(client):
    components = _schema(client)["components"]["schemas"]
    # InputSerializer answers 400 to a field it does not know…
    for name in ("CaseCreateInRequest", "PatchedCaseUpdateInRequest", "ReferralDeclineInRequest"):
        assert components[name]["additionalProperties"] is False, name
    # …a serializer that ignores unknown fields does not claim to refuse them.
    assert "additionalProperties" not in components["TokenCreateInRequest"]


def test_an_unknown_field_is_refused_where_the_schema_says_so(api_client, caseworker, case):
    api_client.force_login(caseworker)
    response = api_client.post(
        f"/api/v1/cases/{case.pk}/notes/", {"body": "Called.", "colour": "red"}, format="json"
    )
    assert response.status_code == 400
    assert [error["field"] for error in response.json()["errors"]] == ["colour"]


def test_a_list_that_may_not_be_empty_says_min_items(client):
    components = _schema(client)["components"]["schemas"]
    assert components["ConsentInRequest"]["properties"]["data_categories"]["minItems"] == 1
    assert components["ReferralCreateInRequest"]["properties"]["data_categories"]["minItems"] == 1


def test_page_size_is_documented_from_one(client):
    schema = _schema(client)
    for path in ("/api/v1/cases/", "/api/v1/services/"):
        [page_size] = [
            p for p in schema["paths"][path]["get"]["parameters"] if p["name"] == "page_size"
        ]
        assert page_size["schema"] == {"type": "integer", "minimum": 1}


@pytest.mark.parametrize("value", ["null", "", "0", "-3", "1.5", "٣"])
@pytest.mark.parametrize("path", ["/api/v1/cases/", "/api/v1/services/"])
def test_a_page_size_that_is_not_a_whole_number_from_one_is_a_400(
    api_client, caseworker, path, value
):
    api_client.force_login(caseworker)
    response = api_client.get(path, {"page_size": value})
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert [error["field"] for error in response.json()["errors"]] == ["page_size"]


def test_a_large_page_size_is_capped(api_client, caseworker, case):
    api_client.force_login(caseworker)
    assert api_client.get("/api/v1/cases/", {"page_size": "100000"}).status_code == 200


@pytest.mark.parametrize(
    ("path", "parameter"),
    [
        ("/api/v1/cases/", "updated_since"),
        ("/api/v1/cases/", "status"),
        ("/api/v1/referrals/", "state"),
        ("/api/v1/services/", "status"),
        ("/api/v1/services/export.hsds.json", "status"),
    ],
)
def test_an_empty_query_parameter_is_a_400_naming_it(api_client, caseworker, path, parameter):
    api_client.force_login(caseworker)
    response = api_client.get(f"{path}?{parameter}=")
    assert response.status_code == 400, response.content
    assert [error["field"] for error in response.json()["errors"]] == [parameter]


def test_an_empty_consent_status_is_a_400(api_client, caseworker, client_record):
    api_client.force_login(caseworker)
    response = api_client.get(f"/api/v1/clients/{client_record.pk}/consents/?status=")
    assert response.status_code == 400
    assert [error["field"] for error in response.json()["errors"]] == ["status"]


def test_an_empty_search_is_a_search_for_everything(api_client, caseworker, case):
    api_client.force_login(caseworker)
    response = api_client.get("/api/v1/cases/?q=")
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [str(case.pk)]


def test_location_is_an_absolute_uri_as_documented(client, api_client, caseworker, case):
    schema = _schema(client)
    created = schema["paths"]["/api/v1/cases/"]["post"]["responses"]["201"]
    assert created["headers"]["Location"]["schema"]["format"] == "uri"
    api_client.force_login(caseworker)
    response = api_client.post(
        "/api/v1/cases/",
        {"client": str(case.client_id), "case_type": case.case_type},
        format="json",
    )
    assert response.status_code == 201, response.content
    location = response["Location"]
    assert location == f"http://testserver/api/v1/cases/{response.json()['id']}/"
    assert api_client.get(location).status_code == 200


def test_location_follows_the_scheme_behind_a_tls_proxy(api_client, caseworker, case, settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    api_client.force_login(caseworker)
    response = api_client.post(
        "/api/v1/cases/",
        {"client": str(case.client_id), "case_type": case.case_type},
        format="json",
        HTTP_X_FORWARDED_PROTO="https",
        SERVER_PORT="443",
    )
    assert response.status_code == 201
    assert response["Location"].startswith("https://testserver/api/v1/cases/")


def test_document_download_documents_the_real_media_types(client):
    from casework.services import ACCEPTED_DOCUMENT_TYPES

    path = "/api/v1/cases/{case_id}/documents/{document_id}/download/"
    content = _schema(client)["paths"][path]["get"]["responses"]["200"]["content"]
    assert set(content) == set(ACCEPTED_DOCUMENT_TYPES)
    assert "application/octet-stream" not in content


def test_token_endpoint_documents_its_401(client, caseworker):
    responses = _schema(client)["paths"]["/api/v1/auth/token/"]["post"]["responses"]
    assert "application/problem+json" in responses["401"]["content"]
    wrong = client.post(
        "/api/v1/auth/token/",
        {"email": caseworker.email, "password": "not-the-password"},
        content_type="application/json",
    )
    assert wrong.status_code == 401


def test_preconditions_and_bodies_document_their_statuses(client):
    schema = _schema(client)
    for path, method, operation in _operations(schema):
        if_match = [
            p
            for p in operation.get("parameters", [])
            if (p["in"], p["name"]) == ("header", "If-Match")
        ]
        label = f"{method.upper()} {path}"
        if if_match:
            assert "412" in operation["responses"], label
        if if_match and if_match[0].get("required"):
            assert "428" in operation["responses"], label
            # An empty header is a missing one: 428, so the schema does not allow it.
            assert if_match[0]["schema"]["minLength"] == 1, label
        if "requestBody" in operation:
            assert "415" in operation["responses"], label
    patch = schema["paths"]["/api/v1/cases/{case_id}/"]["patch"]
    assert {"412", "428"} <= set(patch["responses"])


def test_patch_without_if_match_answers_the_documented_428(api_client, caseworker, case):
    api_client.force_login(caseworker)
    for headers in ({}, {"HTTP_IF_MATCH": ""}):
        response = api_client.patch(
            f"/api/v1/cases/{case.pk}/", {"summary": "New"}, format="json", **headers
        )
        assert response.status_code == 428, headers


def test_an_unsupported_body_type_answers_the_documented_415(api_client, caseworker, case):
    api_client.force_login(caseworker)
    response = api_client.post(
        f"/api/v1/cases/{case.pk}/notes/", "body=x", content_type="text/plain"
    )
    assert response.status_code == 415


# --- The schema says what a body needs: nothing it allows is refused (issue 9, defect 7) ---


def _components(client):
    return _schema(client)["components"]["schemas"]


@pytest.mark.parametrize(
    ("component", "path"),
    [
        ("PatchedCaseUpdateInRequest", "/api/v1/cases/{case_id}/"),
        ("PatchedClientUpdateInRequest", "/api/v1/clients/{client_id}/"),
        ("PatchedReferralUpdateInRequest", "/api/v1/referrals/{referral_id}/"),
        ("PatchedServiceUpdateInRequest", "/api/v1/services/{service_id}/"),
    ],
)
def test_a_patch_body_needs_a_field_to_change(client, component, path):
    schema = _schema(client)
    body = schema["components"]["schemas"][component]
    # At least one property, and not only those that change nothing (a reason):
    # one object a generated client can type, not an anyOf of required sets.
    assert body["minProperties"] == 1 and "anyOf" not in body
    if "reason" in body["properties"]:
        assert body["not"] == {
            "type": "object",
            "properties": {"reason": {}},
            "additionalProperties": False,
        }
    else:
        assert "not" not in body
    assert schema["paths"][path]["patch"]["requestBody"]["required"] is True


@pytest.mark.parametrize("body", [{}, {"reason": "Only a reason"}])
def test_a_patch_without_a_change_is_the_400_the_schema_announces(
    api_client, caseworker, case, body
):
    api_client.force_login(caseworker)
    response = api_client.patch(
        f"/api/v1/cases/{case.pk}/", body, format="json", HTTP_IF_MATCH='"1"'
    )
    assert response.status_code == 400
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [(None, "empty")]


def test_do_not_disclose_needs_an_agency_or_a_person(client, api_client, supervisor, case):
    schema = _schema(client)
    body = schema["components"]["schemas"]["DoNotDiscloseInRequest"]
    assert body["anyOf"] == [
        {"required": ["agency"], "properties": {"agency": {"type": "string", "minLength": 1}}},
        {
            "required": ["person_name"],
            "properties": {
                "person_name": {"type": "string", "minLength": 1, "pattern": NOT_BLANK_PATTERN}
            },
        },
    ]
    path = "/api/v1/cases/{case_id}/do-not-disclose/"
    assert schema["paths"][path]["post"]["requestBody"]["required"] is True
    api_client.force_login(supervisor)
    for sent in ({}, {"agency": None, "person_name": "  "}):
        response = api_client.post(f"/api/v1/cases/{case.pk}/do-not-disclose/", sent, format="json")
        assert response.status_code == 400, sent
        assert [e["field"] for e in response.json()["errors"]] == ["agency"]


def test_a_service_category_and_status_are_enums_without_blank(client, api_client, agency):
    components = _components(client)
    for component in ("ServiceCreateInRequest", "PatchedServiceUpdateInRequest"):
        properties = components[component]["properties"]
        assert properties["category"]["allOf"] == [{"$ref": "#/components/schemas/ServiceCategory"}]
        assert properties["status"]["allOf"] == [{"$ref": "#/components/schemas/ServiceStatus"}]
    assert "" not in components["ServiceCategory"]["enum"]
    api_client.force_login(make_member(agency, Role.AGENCY_ADMIN))
    response = api_client.post(
        "/api/v1/services/", {"name": "Legal desk", "category": ""}, format="json"
    )
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["category"]


def test_a_reason_that_may_not_be_blank_says_min_length(client):
    reason = _components(client)["ReasonInRequest"]["properties"]["reason"]
    assert reason["minLength"] == 1


def test_the_explanation_language_has_the_servers_pattern(client, api_client, caseworker):
    language = _components(client)["ConsentInRequest"]["properties"]["explanation_language"]
    assert language["pattern"] == language_code_validator.regex.pattern
    assert re.match(language["pattern"], "ar") and not re.match(language["pattern"], "0")


def test_an_unusual_explanation_language_is_a_400_naming_it(api_client, caseworker, client_record):
    api_client.force_login(caseworker)
    response = api_client.post(
        f"/api/v1/clients/{client_record.pk}/consents/",
        {
            "purpose": "contact",
            "lawful_basis": "consent",
            "data_categories": ["family"],
            "given_by": "client",
            "method": "verbal",
            "notice_version": "2026-01",
            "explanation_language": "0",
        },
        format="json",
    )
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["explanation_language"]


def test_the_import_documents_hsds_json_and_never_null(client):
    schema = _schema(client)
    services = schema["components"]["schemas"]["ServiceImportInRequest"]["properties"]["services"]
    assert "nullable" not in services
    assert len(services["anyOf"]) == 3
    content = schema["paths"]["/api/v1/services/import/"]["post"]["requestBody"]["content"]
    assert list(content) == ["application/json"]


def test_an_import_with_a_location_that_is_not_an_object_is_refused(api_client, agency):
    api_client.force_login(make_member(agency, Role.AGENCY_ADMIN))
    body = {"services": {"name": "Night shelter", "service_at_locations": [{"location": 1}]}}
    response = api_client.post("/api/v1/services/import/", body, format="json")
    # Was a 500 (AttributeError), then read as a service: not HSDS, every error named.
    assert response.status_code == 400, response.content
    fields = {error["field"] for error in response.json()["errors"]}
    assert {
        "services.0.id",
        "services.0.status",
        "services.0.service_at_locations.0.id",
        "services.0.service_at_locations.0.location",
    } <= fields
    assert not Service.objects.exists()
    response = api_client.post("/api/v1/services/import/", {"services": None}, format="json")
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["services"]


def test_an_uploaded_file_may_not_be_empty(client):
    file = _components(client)["DocumentInRequest"]["properties"]["file"]
    assert (file["format"], file["minLength"]) == ("binary", 1)


def test_request_bodies_are_json_but_the_upload(client, api_client, caseworker, case):
    """A form cannot say null, a list or an object: every body is JSON, but the
    uploads' (multipart: a case's document, a spreadsheet to import), and the
    schema says exactly that."""
    schema = _schema(client)
    bodies = {
        (path, method): list(operation["requestBody"]["content"])
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if isinstance(operation, dict) and "requestBody" in operation
    }
    assert len(bodies) > 30
    upload = ("/api/v1/cases/{case_id}/documents/", "post")
    assert bodies.pop(upload) == ["multipart/form-data"]
    assert bodies.pop(("/api/v1/imports/", "post")) == ["multipart/form-data"]
    assert {tuple(types) for types in bodies.values()} == {("application/json",)}
    api_client.force_login(caseworker)
    for body, content_type in (
        ("name=Amina", "application/x-www-form-urlencoded"),
        (
            "--x\r\nContent-Disposition: form-data; name=name\r\n\r\nAmina\r\n--x--\r\n",
            "multipart/form-data; boundary=x",
        ),
    ):
        response = api_client.post("/api/v1/clients/", body, content_type=content_type)
        assert_problem(response, 415)
    response = api_client.post(
        f"/api/v1/cases/{case.pk}/follow-ups/",
        "title=Call+back&due_on=2030-01-01",
        content_type="application/x-www-form-urlencoded",
    )
    assert_problem(response, 415)
    assert not case.follow_ups.exists()


@pytest.mark.parametrize(
    "header",
    [
        "*",
        '"3"',
        "3",
        'W/"3"',
        '"1", W/"2" ,, "x"',
        ',"1"',
        '"a,b"',
        "",
        ",",
        "  ",
        "{dI",
        '"3',
        '3"',
        "'3'",
        '*, "1"',
        "W/3",
        '"a b"',
        "version one",
        '"1" "2"',
    ],
)
def test_the_if_match_pattern_is_what_the_server_reads(client, header):
    schema = _schema(client)
    parameters = {
        required: next(
            p["schema"]["pattern"]
            for p in schema["paths"][path][method]["parameters"]
            if p["name"] == "If-Match"
        )
        for required, path, method in (
            (True, "/api/v1/cases/{case_id}/", "patch"),
            (False, "/api/v1/cases/{case_id}/restrict/", "post"),
        )
    }
    try:
        condition = parse_if_match(header)
        well_formed = True
    except InvalidInput:
        condition, well_formed = None, False
    assert bool(re.match(parameters[False], header)) == well_formed
    assert bool(re.match(parameters[True], header)) == (condition is not None)


@pytest.mark.parametrize("text", [" ", "\x1f", "\u3000 \t", "\xa0", "a", " b ", "٣", "\x00x"])
def test_the_not_blank_pattern_is_what_the_server_trims(text):
    assert bool(re.search(NOT_BLANK_PATTERN, text)) == bool(text.strip())


def test_text_that_may_not_be_blank_says_so_in_lists_too(client):
    components = _components(client)
    languages = components["ServiceCreateInRequest"]["properties"]["languages"]["items"]
    assert languages["pattern"] == NOT_BLANK_PATTERN
    assert components["ServiceCreateInRequest"]["properties"]["name"]["pattern"] == (
        NOT_BLANK_PATTERN
    )


def test_a_page_size_of_thousands_of_digits_is_capped_not_a_500(api_client, caseworker, case):
    """int() of more than 4,300 digits raises: the length decides first."""
    api_client.force_login(caseworker)
    response = api_client.get("/api/v1/cases/", {"page_size": "9" * 5000})
    assert response.status_code == 200, response.content
    assert len(response.json()["results"]) == 1


def test_the_rules_of_a_consent_are_in_its_schema(client):
    rules = [rule["anyOf"] for rule in _components(client)["ConsentInRequest"]["allOf"]]
    given_by, special, referral, written = rules
    assert given_by[0] == {"properties": {"given_by": {"type": "string", "pattern": "^(client)$"}}}
    assert given_by[1]["required"] == ["given_by_name"]
    assert "health" not in special[0]["properties"]["data_categories"]["items"]["pattern"]
    assert special[1]["required"] == ["special_category_condition"]
    assert "referral" not in referral[0]["properties"]["purpose"]["pattern"]
    assert [alternative.get("required") for alternative in referral[1:]] == [
        ["recipient_agencies"],
        ["recipient_service_categories"],
    ]
    assert written[0]["properties"]["method"]["pattern"] == "^(digital|verbal)$"
    assert written[1]["required"] == ["evidence"]
    # In a form an empty value is no document either.
    assert written[1]["properties"]["evidence"]["minLength"] == 1


def test_a_referral_schema_allows_a_reason_only_with_a_send(client, api_client, caseworker, case):
    [send, no_reason] = _components(client)["ReferralCreateInRequest"]["anyOf"]
    assert no_reason == {"properties": {"override_reason": {"type": "string", "pattern": r"^\s*$"}}}
    assert "send" in send["properties"]


@pytest.mark.parametrize(
    ("field", "value"),
    [("languages", ["ÄÖ"]), ("languages", ["AR"]), ("nationalities", ["XX"])],
)
def test_client_codes_follow_the_rule_the_schema_states(
    client, api_client, caseworker, field, value
):
    item = _components(client)["ClientCreateInRequest"]["properties"][field]["items"]
    assert (
        item.get("pattern") == "^[a-z]{2,3}$"
        or "SY" in _components(client)[item["$ref"].rsplit("/", 1)[-1]]["enum"]
    )
    api_client.force_login(caseworker)
    response = api_client.post(
        "/api/v1/clients/", {"name": "Test Person", field: value}, format="json"
    )
    assert response.status_code == 400, response.content
    assert [e["field"] for e in response.json()["errors"]] == [f"{field}.0"]


def test_a_referral_check_without_service_or_agency_names_the_rule(api_client, caseworker, case):
    api_client.force_login(caseworker)
    response = api_client.get("/api/v1/referrals/check/", {"case": str(case.pk)})
    assert response.status_code == 400
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [
        ("service", "service_or_agency")
    ]


def test_rules_against_today_name_their_code(api_client, caseworker, client_record, case):
    """A date measured against today cannot be stated in a static schema; the
    fuzz hooks recognise these rejections by their code."""
    from datetime import timedelta

    from django.utils import timezone

    api_client.force_login(caseworker)
    tomorrow = (timezone.now() + timedelta(days=2)).date().isoformat()
    response = api_client.post(
        "/api/v1/clients/", {"name": "Test", "date_of_birth": tomorrow}, format="json"
    )
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [
        ("date_of_birth", "future")
    ]


def test_identity_document_fields_say_what_the_service_takes(client, api_client, caseworker):
    document = _components(client)["IdentityDocumentInRequest"]["properties"]
    assert document["number"]["pattern"] == "[0-9A-Za-z]"
    api_client.force_login(caseworker)
    response = api_client.post(
        "/api/v1/clients/",
        {"name": "Test", "identity_documents": [{"type": "passport", "number": "±"}]},
        format="json",
    )
    assert [e["field"] for e in response.json()["errors"]] == ["identity_documents.0.number"]
    response = api_client.post(
        "/api/v1/clients/",
        {
            "name": "Test",
            "identity_documents": [{"type": "passport", "number": "P1", "issuing_country": "sy"}],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["identity_documents"][0]["issuing_country"] == "SY"


# --- Exact types for generated clients: enums and booleans (issue 13) -----------------

# Names drf-spectacular makes up from a field's name: a generated client would
# get one class per spelling, and none would say what it is.
GENERIC_ENUM_NAMES = {
    "ActionEnum",
    "AllowedActionsEnum",
    "CauseEnum",
    "CodeEnum",
    "DirectionEnum",
    "GivenByEnum",
    "KindEnum",
    "LanguageEnum",
    "MethodEnum",
    "ObjectEnum",
    "OutcomeEnum",
    "PurposeEnum",
    "ReasonEnum",
    "RoleEnum",
    "StateEnum",
    "StatusEnum",
    "TypeEnum",
}
# drf-spectacular's own components for the blank and the null choice.
BLANK_AND_NULL = {"BlankEnum", "NullEnum"}


def _enum_components(schema) -> dict[str, dict]:
    return {
        name: component
        for name, component in schema["components"]["schemas"].items()
        if "enum" in component
    }


def _enum_ref(prop: dict) -> str | None:
    """The enum component a property (or an array's items) refers to, if any:
    ``$ref``, ``allOf: [$ref]`` or ``oneOf: [$ref, BlankEnum]``."""
    if prop.get("type") == "array":
        prop = prop.get("items", {})
    refs = [prop] if "$ref" in prop else [*prop.get("allOf", []), *prop.get("oneOf", [])]
    names = [ref["$ref"].rsplit("/", 1)[-1] for ref in refs if "$ref" in ref]
    named = [name for name in names if name not in BLANK_AND_NULL]
    return named[0] if len(named) == 1 else None


def test_every_enum_is_named_for_what_it_is(client, settings):
    schema = _schema(client)
    enums = _enum_components(schema)
    named = set(settings.SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"])
    assert {"CaseStatus", "NoteKind", "DataCategory", "TimeZone", "Country"} <= set(enums)
    assert not set(enums) & GENERIC_ENUM_NAMES
    # Each one is named on purpose in the settings; none is left to the field's name.
    assert set(enums) - BLANK_AND_NULL <= named, set(enums) - BLANK_AND_NULL - named
    assert not [name for name in enums if name.endswith("Enum") and name not in BLANK_AND_NULL]
    # And every request body reads like the others: NameInRequest, not …RequestRequest.
    components = schema["components"]["schemas"]
    assert "TokenCreateInRequest" in components
    assert not [name for name in components if name.endswith("RequestRequest")]


def test_one_choice_set_is_one_component(client):
    # Two components with the same values would be one choice set under two names.
    enums = _enum_components(_schema(client))
    by_values: dict[frozenset, list[str]] = {}
    for name, component in enums.items():
        by_values.setdefault(frozenset(component["enum"]), []).append(name)
    assert not [names for names in by_values.values() if len(names) > 1]


def test_fields_with_choices_say_their_enum_in_the_schema(settings):
    """Walks every serializer the schema was made from: a field with choices
    (or a list of them, or a field whose schema is an enum) is a reference to
    a named enum component in the request and in the answer alike."""
    generator = SchemaGenerator()
    schema = generator.get_schema(request=None, public=True)
    components = schema["components"]["schemas"]
    named = set(settings.SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"])

    def has_choices(field) -> bool:
        field = getattr(field, "child", field)
        override = get_override(field, "field")
        return isinstance(field, serializers.ChoiceField) or (
            isinstance(override, dict) and "enum" in override
        )

    checked, wrong = 0, []
    for (name, kind), component in generator.registry._components.items():
        serializer = component.object
        if kind != "schemas" or not (
            isinstance(serializer, serializers.BaseSerializer)
            or (isinstance(serializer, type) and issubclass(serializer, serializers.BaseSerializer))
        ):
            continue
        serializer = force_instance(serializer)
        serializer = getattr(serializer, "child", serializer)
        properties = components.get(name, {}).get("properties", {})
        for field_name, field in serializer.fields.items():
            if field_name not in properties or not has_choices(field):
                continue
            checked += 1
            if _enum_ref(properties[field_name]) not in named:
                wrong.append(f"{name}.{field_name}")
    assert checked > 100
    assert not wrong, wrong


# Answer properties named like a model field with choices that are text all
# the same, and why.
NOT_A_CHOICE = {
    ("AccessLogRow", "role"): "the roles held, comma-separated: several or none",
    ("RecordAccess", "role"): "as AccessLogRow",
    ("Notification", "kind"): "an open set: every app adds the kinds of notice it writes",
    ("ReferralListItem", "purpose"): "what the client needs from the partner, in words",
    ("ReferralDetail", "purpose"): "as ReferralListItem",
    ("ReferralDetail", "outcome"): "what came of it, in words",
    ("ServiceOut", "country"): "as an HSDS file gave it: any two letters",
}


def test_answers_have_no_choice_typed_as_plain_text(client):
    """A property of an answer named like a model field with choices (or one
    of the lists of choices) is an enum, unless it is listed above with why."""
    names = {
        field.name
        for app in ("accounts", "casework", "referrals", "privacy", "reports")
        for model in apps.get_app_config(app).get_models()
        for field in model._meta.concrete_fields
        if field.choices
    } | {
        "nationalities",
        "vulnerabilities",
        "data_categories",
        "data_categories_needed",
        "recipient_service_categories",
        "categories",
        "withheld",
        "needed",
        "covered",
        "proposed",
        "chosen",
        "allowed_actions",
        "direction",
        "from_state",
        "to_state",
        "time_zone",
        "effective_time_zone",
        "agency_time_zone",
        "issuing_country",
        "service_category",
        "error_code",
    }
    assert {"status", "kind", "category", "sex", "role", "type"} <= names
    plain = []
    for component_name, component in _components(client).items():
        if component_name.endswith("Request"):
            continue
        for name, prop in component.get("properties", {}).items():
            item = prop.get("items", {}) if prop.get("type") == "array" else prop
            is_text = item.get("type") == "string" and "enum" not in item
            problem_type = component_name.endswith("Problem") and name == "type"  # a URN
            allowed = problem_type or (component_name, name) in NOT_A_CHOICE
            if name in names and is_text and not allowed:
                plain.append(f"{component_name}.{name}")
    assert not plain, plain


@pytest.mark.parametrize(
    ("enum", "properties"),
    [
        ("NoteKind", ["NoteInRequest.kind", "NoteOut.kind", "PacketNote.kind"]),
        (
            "DocumentCategory",
            ["DocumentInRequest.category", "DocumentOut.category", "PacketDocument.category"],
        ),
        (
            "CaseStatus",
            ["CaseDetail.status", "CaseListItem.status", "SearchCase.status"],
        ),
        ("CaseType", ["CaseCreateInRequest.case_type", "CaseDetail.case_type"]),
        ("RiskLevel", ["PatchedCaseUpdateInRequest.risk_level", "SearchCase.risk_level"]),
        ("CaseClosureReason", ["CloseInRequest.closure_reason", "CaseDetail.closure_reason"]),
        (
            "IdentityDocumentType",
            ["IdentityDocumentInRequest.type", "IdentityDocumentOut.type"],
        ),
        ("Sex", ["ClientCreateInRequest.sex", "ClientDetail.sex", "PacketIdentity.sex"]),
        (
            "Vulnerability",
            ["ClientSensitiveInRequest.vulnerabilities", "PacketHealth.vulnerabilities"],
        ),
        (
            "LegalStatus",
            ["ClientCreateInRequest.legal_status", "PacketLegalStatus.legal_status"],
        ),
        ("Country", ["ClientCreateInRequest.nationalities", "ClientDetail.nationalities"]),
        ("ConsentStatus", ["ConsentOut.status"]),
        ("ConsentPurpose", ["ConsentInRequest.purpose", "Gap.purpose", "ReferralReason.purpose"]),
        (
            "DataCategory",
            ["ConsentInRequest.data_categories", "ReferralCheck.needed", "ReferralCheck.chosen"],
        ),
        ("ServiceStatus", ["ServiceCreateInRequest.status", "ServiceOut.status"]),
        ("ServiceCategory", ["ServiceCreateInRequest.category", "ServiceOut.category"]),
        (
            "ReferralState",
            ["ReferralDetail.state", "ReferralEvent.from_state", "ReferralEvent.to_state"],
        ),
        ("ReferralEventKind", ["ReferralEvent.kind"]),
        ("ReferralUrgency", ["ReferralCreateInRequest.urgency", "ReferralDetail.urgency"]),
        ("MembershipRole", ["MembershipOut.role"]),
        ("AccessLogAction", ["AccessLogRow.action", "RecordAccess.action"]),
        ("Language", ["PatchedMeChangeRequest.preferred_language", "Me.preferred_language"]),
        ("TimeZone", ["PatchedAgencyChangeRequest.time_zone", "AgencyOut.time_zone"]),
        ("AgencyKind", ["AgencyOut.kind"]),
        ("RetentionKind", ["RetentionInRequest.kind", "RetentionPeriod.kind"]),
        ("ReportJobErrorCode", ["ReportJob.error_code"]),
    ],
)
def test_a_request_and_an_answer_share_the_choice_sets_component(client, enum, properties):
    components = _components(client)
    for path in properties:
        component, name = path.split(".")
        assert _enum_ref(components[component]["properties"][name]) == enum, path


def test_boolean_filters_are_booleans_in_the_schema(client):
    schema = _schema(client)
    parameters = {
        (operation["operationId"], parameter["name"]): parameter["schema"]
        for _path, _method, operation in _operations(schema)
        for parameter in operation.get("parameters", [])
        if parameter["in"] == "query"
    }
    for key in (
        ("referrals_list", "overdue"),
        ("referrals_list", "without_case"),
        ("notifications_list", "unread"),
        ("cases_list", "overdue_follow_ups"),
    ):
        assert parameters[key]["type"] == "boolean", key
    # No other yes/no hides as text, in a query or in a body.
    disguised = [
        key for key, parameter in parameters.items() if parameter.get("enum") in ALL_TRUE_FALSE
    ] + [
        f"{component}.{name}"
        for component, body in schema["components"]["schemas"].items()
        for name, prop in body.get("properties", {}).items()
        if prop.get("enum") in ALL_TRUE_FALSE
    ]
    assert not disguised, disguised


ALL_TRUE_FALSE = (["true", "false"], ["false", "true"])


def test_query_parameters_refer_to_the_same_enum_components(client):
    """A generated client takes a CaseStatus in the case list's filter, as in the
    case it answers with, not a type of its own for the parameter."""
    schema = _schema(client)
    parameters = {
        (operation["operationId"], parameter["name"]): parameter["schema"]
        for _path, _method, operation in _operations(schema)
        for parameter in operation.get("parameters", [])
    }
    for key, enum in {
        ("cases_list", "status"): "CaseStatus",
        ("cases_list", "type"): "CaseType",
        ("cases_list", "risk"): "RiskLevel",
        ("referrals_list", "state"): "ReferralState",
        ("referrals_list", "direction"): "ReferralDirection",
        ("referrals_check", "data_categories"): "DataCategory",
        ("clients_consent_coverage", "purpose"): "ConsentPurpose",
        ("audit_access_log_list", "action"): "AccessLogAction",
        ("services_list", "category"): "ServiceCategory",
    }.items():
        assert _enum_ref(parameters[key]) == enum, key
    # An enum that is not a choice set (the format a file is asked in) stays inline.
    assert parameters[("cases_summary_pdf", "format")]["enum"] == ["json", "pdf"]
