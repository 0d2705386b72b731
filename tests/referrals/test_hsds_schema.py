"""The service directory's export is Open Referral HSDS 3.0 exactly: every
export (API and web page, every filter) validates against the published
``service.json`` and the ``Page`` envelope of HSDS's ``openapi.json``, with the
format checker on (``uuid``, ``email``, ``uri``, ``date-time``). Ids are UUIDs,
one per object, the same from one export to the next; the file reads the same
whoever downloads it, in whatever language.

The schemas are copies (referrals/standards/hsds-3.0/README.md says from where).
"""

import json
from functools import cache
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation
from jsonschema import Draft202012Validator

from accounts.models import User
from casework.models import ServiceCategory
from referrals.models import Service
from tests.helpers import assert_problem, error_fields

pytestmark = pytest.mark.django_db

SCHEMAS = Path(__file__).resolve().parents[2] / "referrals" / "standards" / "hsds-3.0"
EXPORT = "/api/v1/services/export.hsds.json"


@cache
def _validator(name: str, component: str | None = None) -> Draft202012Validator:
    schema = json.loads((SCHEMAS / name).read_text())
    if component:
        schema = schema["components"]["schemas"][component]
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def hsds_errors(page: dict) -> list[str]:
    """Every way ``page`` is not an HSDS 3.0 page of full services."""
    errors = [
        f"page: {'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in _validator("openapi.json", "Page").iter_errors(page)
    ]
    for index, service in enumerate(page.get("contents", [])):
        errors += [
            f"contents/{index}/{'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in _validator("service.json").iter_errors(service)
        ]
    return errors


def _ids(node, path="", found=None) -> dict[str, set[str]]:
    """id → the paths (with list positions dropped) of the objects holding it."""
    found = {} if found is None else found
    if isinstance(node, dict):
        if "id" in node:
            found.setdefault(node["id"], set()).add(path)
        for key, value in node.items():
            if key != "taxonomy_detail":
                _ids(value, f"{path}/{key}", found)
    elif isinstance(node, list):
        for item in node:
            _ids(item, path, found)
    return found


@pytest.fixture
def demo():
    call_command("seed_demo", "--password", "demo pass phrase", "--quiet")
    return User.objects.get(email="supervisor@amal.example")


def test_the_validator_finds_what_hsds_forbids():
    # The check itself can fail: a made-up id, an empty email, a term without a description.
    bad = {
        "total_items": 1,
        "contents": [
            {
                "id": "svc:1",
                "name": "Desk",
                "status": "active",
                "email": "",
                "attributes": [{"id": "a", "taxonomy_term": {"id": "t", "name": "x"}}],
            }
        ],
    }
    errors = "\n".join(hsds_errors(bad))
    assert "contents/0/id: 'svc:1' is not a 'uuid'" in errors
    assert "contents/0/email: '' is not a 'email'" in errors
    assert "'description' is a required property" in errors


def test_every_export_of_the_demo_directory_is_valid_hsds(demo, as_user):
    api = as_user(demo)
    services = list(Service.objects.select_related("agency"))
    assert len(services) >= 8
    filters = [{}, {"status": "active"}, {"q": services[0].name.split()[0]}]
    filters += [{"agency": slug} for slug in {s.agency.slug for s in services}]
    filters += [{"category": category} for category in {s.category for s in services}]
    for params in filters:
        response = api.get(EXPORT, params)
        assert response.status_code == 200, (params, response.content)
        page = response.json()
        assert page["contents"], params
        assert hsds_errors(page) == [], params

    everything = api.get(EXPORT).json()
    assert everything["total_items"] == len(services)
    # One id per object: a service, its location and its address each have their own,
    # and so has every attribute (several data categories needed: several attributes).
    for object_id, paths in _ids(everything).items():
        if paths != {"/contents/attributes/taxonomy_term"}:
            assert len(paths) == 1, (object_id, paths)
    attribute_ids = [a["id"] for s in everything["contents"] for a in s["attributes"]]
    assert len(attribute_ids) == len(set(attribute_ids))
    # Stable: the next export gives the same ids.
    assert _ids(api.get(EXPORT).json()) == _ids(everything)


def test_sanad_facts_travel_as_attributes_of_its_own_taxonomies(demo, as_user):
    service = Service.objects.filter(data_categories_needed__len__gt=0).first() or (
        Service.objects.first()
    )
    service.data_categories_needed = ["identity", "contact"]
    service.save()
    record = next(
        s for s in as_user(demo).get(EXPORT).json()["contents"] if s["id"] == str(service.pk)
    )
    terms = {
        (a["taxonomy_term"]["taxonomy"], a["taxonomy_term"]["code"], a["value"])
        for a in record["attributes"]
    }
    assert ("sanad-service-category", service.category, service.category) in terms
    assert ("sanad-referrals", "accepts_referrals", str(service.accepts_referrals).lower()) in terms
    assert ("sanad-referrals", "data_category_needed", "identity") in terms
    assert ("sanad-referrals", "data_category_needed", "contact") in terms
    for attribute in record["attributes"]:
        term = attribute["taxonomy_term"]
        assert attribute["taxonomy_term_id"] == term["id"]
        assert term["description"]
        assert term["taxonomy_id"] == term["taxonomy_detail"]["id"]


def test_the_web_download_is_the_same_file_in_any_language(demo, client_as):
    demo.preferred_language = "ar"
    demo.save(update_fields=["preferred_language"])
    response = client_as(demo).get(reverse("referrals:directory_export"))
    assert response.status_code == 200
    page = json.loads(
        b"".join(response.streaming_content) if response.streaming else response.content
    )
    assert hsds_errors(page) == []
    # Term names in the directory's language, not the viewer's.
    names = {
        a["taxonomy_term"]["name"]
        for s in page["contents"]
        for a in s["attributes"]
        if a["taxonomy_term"]["taxonomy"] == "sanad-service-category"
    }
    with translation.override("en"):
        english = {str(label) for label in ServiceCategory.labels}
    assert names and names <= english


# --- Import --------------------------------------------------------------------------------

IMPORT = "/api/v1/services/import/"


@pytest.fixture
def admin():
    call_command("seed_demo", "--password", "demo pass phrase", "--quiet")
    return User.objects.get(email="agency_admin@amal.example")


def _count_and_versions():
    return sorted(Service.objects.values_list("agency__slug", "name", "version"))


def test_a_round_trip_of_sanads_own_file_changes_nothing(admin, as_user):
    api = as_user(admin)
    before = api.get(EXPORT, {"agency": "amal"}).json()
    rows = _count_and_versions()
    response = api.post(IMPORT, {"agency": "amal", "services": before}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["not_kept"] == []
    assert _count_and_versions() == rows
    assert api.get(EXPORT, {"agency": "amal"}).json() == before


def test_an_organization_or_a_taxonomy_is_refused_and_nothing_is_written(admin, as_user):
    api = as_user(admin)
    rows = _count_and_versions()
    organization = {
        "id": "2a0b8c1d-3e4f-4a5b-8c6d-7e8f9a0b1c2d",
        "name": "Casa Comune",
        "description": "An NGO",
        "services": [{"id": "2a0b8c1d-3e4f-4a5b-8c6d-7e8f9a0b1c2e", "name": "Desk"}],
    }
    taxonomy = {
        "id": "2a0b8c1d-3e4f-4a5b-8c6d-7e8f9a0b1c2f",
        "name": "Open Eligibility",
        "description": "A taxonomy",
        "uri": "https://example.org/oe",
        "version": "2",
    }
    response = api.post(IMPORT, {"agency": "amal", "services": organization}, format="json")
    body = assert_problem(response, 400, "validation_error")
    assert body["errors"][0]["field"] == "services.0"
    assert "HSDS organization, not a service" in body["errors"][0]["detail"]
    response = api.post(IMPORT, {"agency": "amal", "services": [taxonomy]}, format="json")
    assert "services.0.status" in error_fields(response)
    assert _count_and_versions() == rows


def test_every_error_is_listed_with_item_and_path_up_to_fifty(admin, as_user):
    api = as_user(admin)
    page = api.get(EXPORT, {"agency": "amal"}).json()
    rows = _count_and_versions()
    first = page["contents"][0]
    broken = [
        {**first, "name": f"Desk {i}", "id": f"not-a-uuid-{i}", "email": "nobody"}
        for i in range(30)
    ]
    response = api.post(IMPORT, {"agency": "amal", "services": [first, *broken]}, format="json")
    body = assert_problem(response, 400, "validation_error")
    assert len(body["errors"]) == 50
    by_field = {e["field"]: e for e in body["errors"]}
    assert by_field["services.1.id"]["code"] == "hsds_invalid"
    assert "'not-a-uuid-0' is not a 'uuid'" in by_field["services.1.id"]["detail"]
    assert "'nobody' is not a 'email'" in by_field["services.1.email"]["detail"]
    # Item by item: the first 25 broken items, two errors each.
    assert {field.split(".")[1] for field in by_field} == {str(i) for i in range(1, 26)}
    assert _count_and_versions() == rows


def test_a_list_shaped_item_changes_only_what_it_carries(admin, as_user):
    api = as_user(admin)
    service = Service.objects.filter(agency__slug="amal").first()
    service.languages, service.phone = ["ar", "en"], "+39 011 555"
    service.save()
    listed = {
        "id": str(service.pk),
        "name": service.name,
        "status": "active",
        "description": "New words",
    }
    response = api.post(IMPORT, {"agency": "amal", "services": [listed]}, format="json")
    assert response.status_code == 200, response.content
    service.refresh_from_db()
    assert service.description == "New words"
    assert (service.languages, service.phone) == (["ar", "en"], "+39 011 555")


def test_what_sanad_does_not_keep_is_listed(admin, as_user):
    api = as_user(admin)
    record = api.get(EXPORT, {"agency": "amal"}).json()["contents"][0]
    record["schedules"] = [{"id": "6b1f0c2e-3d4a-4b5c-9d6e-7f8a9b0c1d2e", "freq": "WEEKLY"}]
    record["contacts"] = [{"id": "6b1f0c2e-3d4a-4b5c-9d6e-7f8a9b0c1d2f", "name": "Reception"}]
    record["phones"] = [
        *record.get("phones", []),
        {"id": "6b1f0c2e-3d4a-4b5c-9d6e-7f8a9b0c1d30", "number": "+39 011 0"},
        {"id": "6b1f0c2e-3d4a-4b5c-9d6e-7f8a9b0c1d31", "number": "+39 011 1"},
    ]
    response = api.post(IMPORT, {"agency": "amal", "services": record}, format="json")
    assert response.status_code == 200, response.content
    (lost,) = response.json()["not_kept"]
    assert lost["item"] == 0 and lost["name"] == record["name"]
    assert {"schedules", "contacts", "phones.1"} <= set(lost["fields"])


def test_the_import_page_says_what_was_not_kept(admin, as_user, client_as):
    record = as_user(admin).get(EXPORT, {"agency": "amal"}).json()["contents"][0]
    record["cost_options"] = [{"id": "8c2d1e0f-4a5b-4c6d-8e7f-9a0b1c2d3e4f", "option": "Free"}]
    response = client_as(admin).post(
        reverse("referrals:service_import"),
        {"agency": Service.objects.get(pk=record["id"]).agency.pk, "text": json.dumps(record)},
        follow=True,
    )
    assert response.status_code == 200
    assert f"Record 1 (“{record['name']}”): not kept by Sanad: cost_options." in (
        response.content.decode()
    )


def test_nothing_is_dropped_without_being_named(admin, as_user):
    api = as_user(admin)
    service = Service.objects.filter(agency__slug="amal").first()
    service.languages = ["ar", "fa"]
    service.save()
    record = next(
        s
        for s in api.get(EXPORT, {"agency": "amal"}).json()["contents"]
        if s["id"] == str(service.pk)
    )
    # A language named but without a code: nothing Sanad can keep, and it says so.
    record["languages"] = [{"id": "9d3e2f10-5b6c-4d7e-8f90-a1b2c3d4e5f6", "name": "Tigrinya"}]
    record["service_at_locations"] = [
        {
            "id": "9d3e2f10-5b6c-4d7e-8f90-a1b2c3d4e5f7",
            "location": {
                "id": "9d3e2f10-5b6c-4d7e-8f90-a1b2c3d4e5f8",
                "location_type": "physical",
                "name": "Front desk",
                "latitude": 45.07,
                "addresses": [
                    {
                        "id": "9d3e2f10-5b6c-4d7e-8f90-a1b2c3d4e5f9",
                        "address_1": "Via Po 2",
                        "city": "Torino",
                        "state_province": "Piemonte",
                        "postal_code": "10123",
                        "country": "IT",
                        "address_type": "physical",
                    }
                ],
            },
        }
    ]
    response = api.post(IMPORT, {"agency": "amal", "services": record}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["updated"] == 1
    (lost,) = response.json()["not_kept"]
    assert set(lost["fields"]) == {
        "languages.0",
        "service_at_locations.0.location.latitude",
        "service_at_locations.0.location.addresses.0.state_province",
    }
    service.refresh_from_db()
    assert service.languages == ["ar", "fa"]
    assert (service.city, service.location_name) == ("Torino", "Front desk")


def test_a_value_too_long_for_sanad_is_refused_not_cut(admin, as_user):
    api = as_user(admin)
    record = api.get(EXPORT, {"agency": "amal"}).json()["contents"][0]
    record["service_at_locations"] = [
        {
            "id": "0e4f3a21-6c7d-4e8f-9a01-b2c3d4e5f6a7",
            "location": {
                "id": "0e4f3a21-6c7d-4e8f-9a01-b2c3d4e5f6a8",
                "location_type": "physical",
                "addresses": [
                    {
                        "id": "0e4f3a21-6c7d-4e8f-9a01-b2c3d4e5f6a9",
                        "address_1": "Hauptstraße 1",
                        "city": "Berlin",
                        "state_province": "",
                        "postal_code": "10115",
                        "country": "GERMANY",
                        "address_type": "physical",
                    }
                ],
            },
        }
    ]
    rows = _count_and_versions()
    response = api.post(IMPORT, {"agency": "amal", "services": record}, format="json")
    assert "services.0.country" in error_fields(response)
    assert _count_and_versions() == rows


def test_a_round_trip_counts_the_services_as_unchanged(admin, as_user):
    api = as_user(admin)
    page = api.get(EXPORT, {"agency": "amal"}).json()
    body = api.post(IMPORT, {"agency": "amal", "services": page}, format="json").json()
    assert (body["created"], body["updated"], body["unchanged"]) == (0, 0, page["total_items"])


def test_json_nested_too_deeply_is_a_form_error_on_the_page(admin, client_as):
    response = client_as(admin).post(reverse("referrals:service_import"), {"text": "[" * 100_000})
    assert response.status_code == 400
    assert "nested too deeply" in response.content.decode()
