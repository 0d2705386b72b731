"""Packet minimisation through the API: a referral's packet holds exactly the
chosen sections, each with exactly the fields of ``casework.sections``;
confidential notes never travel; medical documents only with health; and what
the sender changes afterwards never reaches it."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from casework import services as casework_services
from casework.demo import PDF_BYTES
from casework.models import DataCategory
from casework.sections import (
    CASE_NOTE_FIELDS,
    DOCUMENT_FIELDS,
    IDENTITY_DOCUMENT_FIELDS,
    SECTION_FIELDS,
)
from referrals.models import Referral, ReferralPacket
from tests.factories import make_case, make_client, make_consent

pytestmark = pytest.mark.django_db

ALL = list(DataCategory.values)
COMBINATIONS = [
    *[[category] for category in ALL],
    ["identity", "contact"],
    ["identity", "health"],
    ["documents", "health"],
    ["documents", "legal_status"],
    ["case_notes", "documents"],
    ["case_notes", "family"],
    ["contact", "education_employment"],
    ALL,
]
OPEN_NOTE = "Met the client; the housing search has started."
CONFIDENTIAL_NOTE = "Disclosed a family conflict in confidence (do not share)."
HEALTH = "Type 1 diabetes, needs insulin daily."


@pytest.fixture
def full_case(caseworker, partner_agency):
    """A case whose client has something in every section, with an open and a
    confidential note, a medical and a legal document, and a consent that
    covers all eight sections for the partner (health with its Art. 9 condition)."""
    client = make_client(
        caseworker,
        name="سلمى الأحمد",
        name_latin="Salma al-Ahmad",
        phone="+39 333 1234567",
        email="salma@example.org",
        address="Via Roma 1",
        city="Torino",
        legal_status="asylum_seeker",
        legal_status_note="Hearing on 3 March.",
        family_situation="Two children with her in Torino.",
        dependants=2,
        education="Secondary school.",
        employment="Tailor.",
        documents=[{"type": "passport", "number": "N0123456", "issuing_country": "SY"}],
    )
    case = make_case(caseworker, client)
    casework_services.update_client_sensitive(
        actor=caseworker, client_id=client.pk, changes={"health": HEALTH}
    )
    casework_services.add_note(actor=caseworker, case_id=case.pk, body=OPEN_NOTE)
    casework_services.add_note(
        actor=caseworker, case_id=case.pk, body=CONFIDENTIAL_NOTE, is_confidential=True
    )
    for category in ("medical", "legal"):
        casework_services.upload_document(
            actor=caseworker,
            case_id=case.pk,
            uploaded_file=SimpleUploadedFile(f"{category}.pdf", PDF_BYTES),
            category=category,
            description=f"A {category} letter",
        )
    make_consent(
        caseworker,
        client,
        recipient_agencies=[partner_agency],
        data_categories=ALL,
        special_category_condition="explicit_consent",
    )
    return case


def send(api, case, partner_agency, categories):
    response = api.post(
        "/api/v1/referrals/",
        {
            "case": str(case.pk),
            "to_agency": str(partner_agency.pk),
            "purpose": "Housing for a family of three",
            "respond_by": (timezone.now().date() + timedelta(days=10)).isoformat(),
            "data_categories": categories,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    return response.json()


@pytest.mark.parametrize("categories", COMBINATIONS, ids=lambda c: "+".join(c))
def test_packet_holds_exactly_the_chosen_sections(
    categories, full_case, as_user, caseworker, referral_officer, partner_agency
):
    referral = send(as_user(caseworker), full_case, partner_agency, categories)
    assert referral["data_categories"] == [c for c in ALL if c in categories]

    response = as_user(referral_officer).get(f"/api/v1/referrals/{referral['id']}/packet/")
    assert response.status_code == 200, response.content
    packet = response.json()
    text = response.content.decode()
    assert packet["referral"] == referral["id"]
    assert packet["data_categories"] == [c for c in ALL if c in categories]
    assert set(packet["data"]) == set(categories)
    for category, section in packet["data"].items():
        assert set(section) == set(SECTION_FIELDS[category]), category
    assert packet["sha256"] == ReferralPacket.digest(packet["data"])

    if "identity" in categories:
        identity = packet["data"]["identity"]
        assert identity["name"] == "سلمى الأحمد"
        assert [set(d) for d in identity["identity_documents"]] == [set(IDENTITY_DOCUMENT_FIELDS)]
        assert identity["identity_documents"][0]["number"] == "N0123456"
    else:
        assert "N0123456" not in text and "Salma" not in text
    if "case_notes" in categories:
        notes = packet["data"]["case_notes"]["notes"]
        assert [note["body"] for note in notes] == [OPEN_NOTE]
        assert all(set(note) == set(CASE_NOTE_FIELDS) for note in notes)
    else:
        assert OPEN_NOTE not in text
    # Confidential notes stay with their author and supervisors, whatever is shared.
    assert CONFIDENTIAL_NOTE not in text
    if "documents" in categories:
        documents = packet["data"]["documents"]["documents"]
        assert all(set(document) == set(DOCUMENT_FIELDS) for document in documents)
        expected = {"legal", "medical"} if "health" in categories else {"legal"}
        assert {document["category"] for document in documents} == expected
    assert (HEALTH in text) == ("health" in categories)
    assert ("+39 333 1234567" in text) == ("contact" in categories)
    assert ("Hearing on 3 March." in text) == ("legal_status" in categories)
    assert ("Tailor." in text) == ("education_employment" in categories)
    assert ("Two children" in text) == ("family" in categories)

    # The sender reads the very same packet.
    sender = as_user(caseworker).get(f"/api/v1/referrals/{referral['id']}/packet/")
    assert sender.json() == packet


def test_later_edits_of_the_sender_do_not_reach_the_packet(
    full_case, as_user, caseworker, referral_officer, partner_agency
):
    referral = send(as_user(caseworker), full_case, partner_agency, ["identity", "health"])
    url = f"/api/v1/referrals/{referral['id']}/packet/"
    before = as_user(referral_officer).get(url).json()

    client = full_case.client
    client.refresh_from_db()
    casework_services.update_client(
        actor=caseworker,
        client_id=client.pk,
        expected_version=client.version,
        changes={"name": "Salma Renamed", "name_latin": "Salma Renamed"},
    )
    casework_services.update_client_sensitive(
        actor=caseworker, client_id=client.pk, changes={"health": "Recovered."}
    )
    casework_services.add_identity_document(
        actor=caseworker, client_id=client.pk, data={"type": "national_id", "number": "X999"}
    )

    after = as_user(referral_officer).get(url)
    assert after.status_code == 200
    assert after.json() == before
    assert before["data"]["identity"]["name"] == "سلمى الأحمد"
    assert before["data"]["health"]["health"] == HEALTH
    assert "Renamed" not in after.content.decode()
    assert "X999" not in after.content.decode()


def test_health_needs_a_consent_with_its_condition(
    caseworker, partner_agency, as_user, referral_officer
):
    """A consent without health (it cannot hold health without an Art. 9(2)
    condition) does not let health travel: 409, and no draft or packet is left."""
    client = make_client(caseworker)
    case = make_case(caseworker, client)
    make_consent(
        caseworker,
        client,
        recipient_agencies=[partner_agency],
        data_categories=[c for c in ALL if c != "health"],
    )
    response = as_user(caseworker).post(
        "/api/v1/referrals/",
        {
            "case": str(case.pk),
            "to_agency": str(partner_agency.pk),
            "purpose": "Medical follow-up",
            "respond_by": (timezone.now().date() + timedelta(days=10)).isoformat(),
            "data_categories": ["identity", "health"],
        },
        format="json",
    )
    assert response.status_code == 409, response.content
    body = response.json()
    assert body["code"] == "consent_missing"
    reasons = {reason["code"]: reason for reason in body["reasons"]}
    assert set(reasons) == {"categories_not_covered", "special_category_condition_missing"}
    assert reasons["categories_not_covered"]["categories"] == ["health"]
    assert not Referral.objects.exists()
    assert not ReferralPacket.objects.exists()


def test_schema_documents_every_section_field(client):
    """The packet's schema lists exactly the fields of casework.sections."""
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    components = schema["components"]["schemas"]

    def properties(name):
        return components[name]["properties"]

    data = properties("PacketData")
    assert set(data) == set(ALL)
    for category, field in data.items():
        section = field["$ref"].rsplit("/", 1)[1] if "$ref" in field else None
        section = section or field["allOf"][0]["$ref"].rsplit("/", 1)[1]
        assert set(properties(section)) == set(SECTION_FIELDS[category]), category
    assert set(properties("PacketIdentityDocument")) == set(IDENTITY_DOCUMENT_FIELDS)
    assert set(properties("PacketNote")) == set(CASE_NOTE_FIELDS)
    assert set(properties("PacketDocument")) == set(DOCUMENT_FIELDS)
    packet = schema["paths"]["/api/v1/referrals/{referral_id}/packet/"]["get"]["responses"]
    assert "application/problem+json" in packet["404"]["content"]
