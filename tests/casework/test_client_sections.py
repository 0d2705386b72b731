"""The sections of a client's file beyond identity and contact — legal status,
family, education and work — through the API and the web pages: written,
read back, refused when malformed, kept in the client's history."""

import html
import re

import pytest
from django.urls import reverse
from guardian.shortcuts import assign_perm

from accounts.permissions import Perm
from casework.models import Client, LegalStatus
from tests.helpers import client_url, field_errors

pytestmark = pytest.mark.django_db

SECTIONS = {
    "legal_status": "asylum_seeker",
    "legal_status_note": "Interview at the Territorial Commission on 12 March.",
    "family_situation": "Her husband and two children are in Kabul.",
    "dependants": 3,
    "education": "Degree in midwifery (Kabul University).",
    "employment": "Midwife; now a cultural mediator on call.",
}

NEW_CLIENT = {
    "name": "زينب كريمي",
    "name_latin": "Zeinab Karimi",
    "date_of_birth": "1995-07-14",
    "sex": "female",
    "nationalities": ["AF"],
    "languages": ["fa"],
}


def url(name, *args):
    return reverse(f"casework:{name}", args=args)


def unescaped_page(response) -> str:
    """The page with HTML entities decoded, to compare with what was typed."""
    return html.unescape(response.content.decode())


def section(content: str, section_id: str) -> str:
    """The text of one section of the client page, tags removed."""
    match = re.search(rf'<section[^>]* id="{section_id}"[^>]*>(.*?)</section>', content, re.S)
    assert match, f"no section {section_id}"
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(1)).split())


@pytest.fixture
def client_viewer(referral_officer, client_record):
    """Sees the client (an explicit grant) but may not change it; unlike
    test_api's ``partner_viewer`` no case exists for them to see."""
    assign_perm(Perm.VIEW_CLIENT.value, referral_officer, client_record)
    return referral_officer


def assert_invalid(response, field: str) -> None:
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert {error["field"] for error in response.json()["errors"]} == {field}


def web_form(**overrides):
    data = {
        "name": "فاطمة أحمدي",
        "name_latin": "Fatemeh Ahmadi",
        "date_of_birth": "1985-07-14",
        "sex": "female",
        "languages": "fa",
        "city": "Torino",
        "legal_status": "subsidiary_protection",
        "legal_status_note": "Permit renewal due in May.",
        "family_situation": "Single; her brother lives in Milan.",
        "dependants": "0",
        "education": "Secondary school in Herat.",
        "employment": "Seamstress.",
        "documents-TOTAL_FORMS": "2",
        "documents-INITIAL_FORMS": "0",
        "documents-MIN_NUM_FORMS": "0",
        "documents-MAX_NUM_FORMS": "2",
    }
    data.update(overrides)
    return data


def edit_form(client, **overrides):
    data = {
        "name": client.name,
        "name_latin": client.name_latin,
        "date_of_birth": client.date_of_birth.isoformat() if client.date_of_birth else "",
        "sex": client.sex,
        "nationalities": client.nationalities,
        "languages": ", ".join(client.languages),
        "legal_status": client.legal_status,
        "legal_status_note": client.legal_status_note,
        "family_situation": client.family_situation,
        "dependants": "" if client.dependants is None else str(client.dependants),
        "education": client.education,
        "employment": client.employment,
        "version": client.version,
        "reason": "",
    }
    data.update(overrides)
    return data


# --- API --------------------------------------------------------------------------------


def test_register_through_the_api_with_every_section(as_user, caseworker):
    api = as_user(caseworker)
    response = api.post("/api/v1/clients/", {**NEW_CLIENT, **SECTIONS}, format="json")
    assert response.status_code == 201, response.content
    client = Client.objects.get(pk=response.json()["id"])
    assert {name: getattr(client, name) for name in SECTIONS} == SECTIONS
    body = api.get(client_url(client)).json()
    assert {name: body[name] for name in SECTIONS} == SECTIONS


def test_sections_default_to_not_known_and_empty(as_user, caseworker):
    response = as_user(caseworker).post("/api/v1/clients/", NEW_CLIENT, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["legal_status"] == "unknown"
    assert body["dependants"] is None
    assert body["family_situation"] == body["education"] == body["employment"] == ""


def test_an_unknown_legal_status_is_refused_naming_the_field(as_user, caseworker, client_record):
    api = as_user(caseworker)
    response = api.post(
        "/api/v1/clients/", {**NEW_CLIENT, "legal_status": "tourist"}, format="json"
    )
    assert_invalid(response, "legal_status")
    response = api.patch(
        client_url(client_record), {"legal_status": ""}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert_invalid(response, "legal_status")
    assert list(Client.objects.all()) == [client_record]
    client_record.refresh_from_db()
    assert (client_record.legal_status, client_record.version) == ("unknown", 1)


@pytest.mark.parametrize("dependants", [-1, 40000, "two"])
def test_dependants_must_be_a_whole_number_from_zero(as_user, caseworker, dependants):
    response = as_user(caseworker).post(
        "/api/v1/clients/", {**NEW_CLIENT, "dependants": dependants}, format="json"
    )
    assert_invalid(response, "dependants")
    assert not Client.objects.exists()


def test_patch_changes_legal_status_and_history_keeps_the_change(
    as_user, caseworker, client_record
):
    response = as_user(caseworker).patch(
        client_url(client_record),
        {"legal_status": "refugee", "dependants": 2, "reason": "Commission decision received"},
        format="json",
        HTTP_IF_MATCH='"1"',
    )
    assert response.status_code == 200, response.content
    assert response["ETag"] == '"2"'
    assert (response.json()["legal_status"], response.json()["dependants"]) == ("refugee", 2)

    latest, registered = client_record.history.order_by("-history_date")[:2]
    change = {c.field: (c.old, c.new) for c in latest.diff_against(registered).changes}
    assert change["legal_status"] == ("unknown", "refugee")
    assert change["dependants"] == (None, 2)
    assert latest.history_user == caseworker
    assert latest.history_change_reason == "Commission decision received"

    # Back to "not recorded": null is allowed, and is history too.
    response = as_user(caseworker).patch(
        client_url(client_record), {"dependants": None}, format="json", HTTP_IF_MATCH='"2"'
    )
    assert response.status_code == 200, response.content
    client_record.refresh_from_db()
    assert client_record.dependants is None
    assert client_record.history.count() == 3


def test_only_those_who_may_change_the_client_change_its_legal_status(
    as_user, client_viewer, outsider, client_record
):
    assert as_user(client_viewer).get(client_url(client_record)).json()["legal_status"] == (
        "unknown"
    )
    response = as_user(client_viewer).patch(
        client_url(client_record), {"legal_status": "refugee"}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert response.status_code == 403
    response = as_user(outsider).patch(
        client_url(client_record), {"legal_status": "refugee"}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert response.status_code == 404
    assert as_user(outsider).get(client_url(client_record)).status_code == 404
    client_record.refresh_from_db()
    assert client_record.legal_status == "unknown"


def test_schema_documents_the_sections(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    schemas = schema["components"]["schemas"]
    for name in ("ClientCreateInRequest", "PatchedClientUpdateInRequest", "ClientDetail"):
        properties = schemas[name]["properties"]
        assert set(SECTIONS) <= set(properties), name
        assert properties["dependants"]["nullable"] is True
    enum = schemas["LegalStatus"]["enum"]
    assert set(enum) == set(LegalStatus.values)
    assert schemas["ClientCreateInRequest"]["properties"]["dependants"]["minimum"] == 0


# --- Web pages ----------------------------------------------------------------------------


def test_registration_form_groups_the_sections_with_model_labels(client_as, caseworker):
    content = unescaped_page(client_as(caseworker).get(url("client_register")))
    for legend in ("Legal status", "Family", "Education and work"):
        assert f"<legend>{legend}</legend>" in content
    for name in SECTIONS:
        assert f'name="{name}"' in content
    assert '<label for="id_legal_status_note">Legal status details</label>' in content
    assert '<label for="id_employment">Work and skills</label>' in content
    assert "Procedure stage, deadlines, authority in charge." in content
    assert "Household, family members, where they are." in content
    # Identity and contact come first, then the new sections, in the order of the file.
    positions = [content.index(f'name="{name}"') for name in ("city", *SECTIONS)]
    assert positions == sorted(positions)


def test_register_through_the_form_and_read_the_client_page(client_as, caseworker):
    browser = client_as(caseworker)
    response = browser.post(url("client_register"), web_form())
    assert response.status_code == 302, field_errors(unescaped_page(response), "id_legal_status")
    client = Client.objects.get(name_latin="Fatemeh Ahmadi")
    assert client.legal_status == "subsidiary_protection"
    assert client.dependants == 0
    assert client.employment == "Seamstress."

    content = unescaped_page(browser.get(url("client_detail", client.pk)))
    legal = section(content, "legal-status")
    assert legal.startswith("Legal status")
    assert "Subsidiary protection" in legal
    assert "Permit renewal due in May." in legal
    family = section(content, "family")
    assert "Single; her brother lives in Milan." in family
    assert "Dependants 0" in family  # none, which is not the same as not recorded
    work = section(content, "education-employment")
    assert work.startswith("Education and work")
    assert "Secondary school in Herat." in work
    assert "Work and skills Seamstress." in work


def test_client_page_shows_what_is_not_recorded(client_as, caseworker, client_record):
    content = unescaped_page(client_as(caseworker).get(url("client_detail", client_record.pk)))
    assert "Legal status Not known" in section(content, "legal-status")
    assert "Dependants —" in section(content, "family")
    assert "Education —" in section(content, "education-employment")


def test_an_empty_legal_status_in_the_form_means_not_known(client_as, caseworker):
    response = client_as(caseworker).post(url("client_register"), web_form(legal_status=""))
    assert response.status_code == 302
    assert Client.objects.get(name_latin="Fatemeh Ahmadi").legal_status == "unknown"


@pytest.mark.parametrize(
    ("field", "value"),
    [("legal_status", "tourist"), ("dependants", "-1"), ("dependants", "two")],
)
def test_form_errors_are_shown_next_to_the_field(client_as, caseworker, field, value):
    response = client_as(caseworker).post(url("client_register"), web_form(**{field: value}))
    assert response.status_code == 400
    content = unescaped_page(response)
    assert field_errors(content, f"id_{field}")
    others = {"legal_status", "dependants"} - {field}
    assert not any(field_errors(content, f"id_{other}") for other in others)
    assert not Client.objects.exists()


def test_edit_form_changes_the_sections_and_history_keeps_them(
    client_as, caseworker, client_record
):
    browser = client_as(caseworker)
    form = unescaped_page(browser.get(url("client_edit", client_record.pk)))
    assert '<option value="unknown" selected>Not known</option>' in form
    response = browser.post(
        url("client_edit", client_record.pk),
        edit_form(
            client_record,
            legal_status="rejected",
            legal_status_note="Appeal lodged at the Turin court.",
            family_situation="Lives with his sister.",
            dependants="1",
            reason="Commission decision received",
        ),
    )
    assert response.status_code == 302
    client_record.refresh_from_db()
    assert client_record.legal_status == "rejected"
    assert client_record.dependants == 1
    assert client_record.version == 2
    latest, registered = client_record.history.order_by("-history_date")[:2]
    changed = {c.field: (c.old, c.new) for c in latest.diff_against(registered).changes}
    assert changed["legal_status"] == ("unknown", "rejected")
    assert changed["family_situation"] == ("", "Lives with his sister.")
    assert latest.history_user == caseworker
    assert latest.history_change_reason == "Commission decision received"

    form = unescaped_page(browser.get(url("client_edit", client_record.pk)))
    assert '<option value="rejected" selected>Asylum claim rejected</option>' in form
    assert "Appeal lodged at the Turin court." in form


def test_edit_form_shows_a_negative_dependants_error_at_the_field(
    client_as, caseworker, client_record
):
    response = client_as(caseworker).post(
        url("client_edit", client_record.pk), edit_form(client_record, dependants="-2")
    )
    assert response.status_code == 400
    assert field_errors(unescaped_page(response), "id_dependants")
    client_record.refresh_from_db()
    assert (client_record.dependants, client_record.version) == (None, 1)


def test_client_page_by_persona(client_as, client_viewer, outsider, client_record):
    content = unescaped_page(client_as(client_viewer).get(url("client_detail", client_record.pk)))
    assert "Not known" in section(content, "legal-status")
    assert url("client_edit", client_record.pk) not in content
    response = client_as(client_viewer).post(
        url("client_edit", client_record.pk), edit_form(client_record, legal_status="refugee")
    )
    assert response.status_code == 403
    assert client_as(outsider).get(url("client_detail", client_record.pk)).status_code == 404
    client_record.refresh_from_db()
    assert client_record.legal_status == "unknown"
