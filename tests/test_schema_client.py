"""The schema as a client generator reads it (issue 13): response headers a
client acts on, enum members it can name, PATCH bodies it can type."""

import pytest
from jsonschema import Draft202012Validator

from config.http.schema import enum_member_name, enum_member_names
from tests.factories import AgencyFactory, make_member

pytestmark = pytest.mark.django_db

METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture
def schema(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return response.json()


def _operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield f"{method.upper()} {path}", operation


def _header_parameters(operation):
    return {p["name"] for p in operation.get("parameters", []) if p.get("in") == "header"}


# --- Response headers ------------------------------------------------------------------


def test_every_idempotent_create_declares_the_replay_header(schema):
    takes_key = [
        (name, operation)
        for name, operation in _operations(schema)
        if "Idempotency-Key" in _header_parameters(operation)
    ]
    assert {name for name, _ in takes_key} >= {
        "POST /api/v1/clients/",
        "POST /api/v1/cases/",
        "POST /api/v1/referrals/",
        "POST /api/v1/referrals/{referral_id}/open-case/",
        "POST /api/v1/reports/jobs/",
    }
    for name, operation in takes_key:
        successes = {c: r for c, r in operation["responses"].items() if c.startswith("2")}
        assert successes, name
        for code, response in successes.items():
            header = response.get("headers", {}).get("Idempotent-Replayed")
            assert header, f"{name} {code}"
            assert header["schema"]["type"] == "string"
            assert header["schema"]["enum"] == ["true"]


def test_every_versioned_answer_declares_its_etag(schema):
    components = schema["components"]["schemas"]
    for name, operation in _operations(schema):
        for code, response in operation["responses"].items():
            if not code.startswith("2"):
                continue
            body = response.get("content", {}).get("application/json", {}).get("schema", {})
            if "$ref" in body:
                body = components[body["$ref"].rsplit("/", 1)[-1]]
            if "version" in body.get("properties", {}):
                assert "ETag" in response.get("headers", {}), f"{name} {code}"


def test_rate_limits_say_when_to_come_back(schema):
    for name, operation in _operations(schema):
        too_many = operation["responses"].get("429")
        assert too_many, name
        assert too_many["headers"]["Retry-After"]["schema"]["type"] == "integer", name


def test_files_declare_their_name(schema):
    files = 0
    for name, operation in _operations(schema):
        for code, response in operation["responses"].items():
            types = set(response.get("content", {}))
            if code.startswith("2") and types and not any("json" in t for t in types):
                files += 1
                assert "Content-Disposition" in response.get("headers", {}), name
    assert files >= 5  # four PDFs and a document download at least


def test_a_replayed_create_says_so_and_the_first_does_not(client):
    client.force_login(make_member(AgencyFactory(), "caseworker"))
    body = {
        "name": "Amira Haddad",
        "date_of_birth": "1990-02-03",
        "confirmed_not_duplicate": True,
    }
    first = client.post(
        "/api/v1/clients/", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    again = client.post(
        "/api/v1/clients/", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    assert first.status_code == again.status_code == 201
    assert "Idempotent-Replayed" not in first
    assert again["Idempotent-Replayed"] == "true"
    assert first.json()["id"] == again.json()["id"]
    assert again["ETag"] == first["ETag"]


# --- Enum members a generated client can name ------------------------------------------


@pytest.mark.parametrize(
    ("value", "name"),
    [
        ("Europe/Paris", "EUROPE_PARIS"),
        ("America/Port-au-Prince", "AMERICA_PORT_AU_PRINCE"),
        ("Etc/GMT+1", "ETC_GMT_PLUS_1"),
        ("Etc/GMT-1", "ETC_GMT_MINUS_1"),
        ("GMT+0", "GMT_PLUS_0"),
        ("GMT-0", "GMT_MINUS_0"),
        ("GMT0", "GMT0"),
        ("", "BLANK"),
        ("3rd_party", "VALUE_3RD_PARTY"),
        ("legal_status", "LEGAL_STATUS"),
    ],
)
def test_an_enum_value_has_a_constant_name(value, name):
    assert enum_member_name(value) == name


def test_values_spelt_alike_get_distinct_names():
    assert enum_member_names(["SY", "sy", "Sy"]) == ["SY", "SY_2", "SY_3"]


def test_every_text_enum_names_its_members_once(schema):
    enums = 0

    def visit(node):
        nonlocal enums
        if isinstance(node, dict):
            values = node.get("enum")
            if isinstance(values, list) and values and all(isinstance(v, str) for v in values):
                enums += 1
                names = node["x-enum-varnames"]
                assert len(names) == len(values)
                assert len(set(names)) == len(names), values
                assert all(n.isupper() or n.replace("_", "").isdigit() for n in names)
            for child in node.values():
                visit(child)
        elif isinstance(node, list):
            for child in node:
                visit(child)

    visit(schema)
    assert enums > 20
    zones = next(
        node
        for name, node in schema["components"]["schemas"].items()
        if "Europe/Paris" in node.get("enum", [])
    )
    names = dict(zip(zones["enum"], zones["x-enum-varnames"], strict=True))
    assert names["Etc/GMT+1"] != names["Etc/GMT-1"]


# --- PATCH bodies: at least one change, said without anyOf -------------------------------


def _validator(schema, component):
    document = {"$ref": f"#/components/schemas/{component}", "components": schema["components"]}
    return Draft202012Validator(document)


@pytest.mark.parametrize(
    "component",
    [
        "PatchedCaseUpdateInRequest",
        "PatchedClientUpdateInRequest",
        "PatchedServiceUpdateInRequest",
        "PatchedReferralUpdateInRequest",
        "PatchedAgencyChangeRequest",
    ],
)
def test_a_patch_body_needs_a_change_and_is_one_object(schema, component):
    body = schema["components"]["schemas"][component]
    assert "anyOf" not in body and "oneOf" not in body
    assert body["minProperties"] == 1
    assert body["additionalProperties"] is False
    validator = _validator(schema, component)
    assert not validator.is_valid({})


def test_a_case_patch_with_only_a_reason_is_refused_by_the_schema_and_the_server(schema, client):
    validator = _validator(schema, "PatchedCaseUpdateInRequest")
    assert not validator.is_valid({"reason": "typo"})
    assert validator.is_valid({"summary": "New summary", "reason": "typo"})
    assert validator.is_valid({"summary": ""})

    client.force_login(make_member(AgencyFactory(), "caseworker"))
    created = client.post(
        "/api/v1/clients/",
        {"name": "Amira Haddad", "confirmed_not_duplicate": True},
        content_type="application/json",
    )
    case = client.post(
        "/api/v1/cases/",
        {"client": created.json()["id"], "case_type": "asylum_legal"},
        content_type="application/json",
    )
    assert case.status_code == 201, case.json()
    answer = client.patch(
        f"/api/v1/cases/{case.json()['id']}/",
        {"reason": "typo"},
        content_type="application/json",
        HTTP_IF_MATCH=case["ETag"],
    )
    assert answer.status_code == 400
