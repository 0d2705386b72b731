"""Packet minimisation through the web page: the packet page shows exactly the
shared sections, each with exactly its fields (``casework.sections``), and
nothing of the sections that were not shared."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from casework import services as casework_services
from casework.sections import SECTION_FIELDS
from referrals import services
from tests.factories import PDF, make_case, make_client, make_referral

pytestmark = pytest.mark.django_db

PHONE = "+39 333 444 5555"
NOTE = "Met the client at the station."


def packet_url(referral) -> str:
    return reverse("referrals:packet", args=[referral.pk])


def rendered_sections(content: str) -> dict[str, list[str]]:
    """{section: [field, …]} as the page marks them, in page order."""
    sections = {}
    for match in re.finditer(
        r'<section class="card packet-section" data-section="([a-z_]+)".*?</section>', content, re.S
    ):
        sections[match.group(1)] = re.findall(r'data-field="([a-z_]+)"', match.group(0))
    return sections


@pytest.fixture
def full_case(supervisor, caseworker):
    """A case whose client has something in every section."""
    client = make_client(
        caseworker,
        phone=PHONE,
        city="Torino",
        documents=[{"type": "passport", "number": "N0012345", "issuing_country": "SY"}],
    )
    case = make_case(caseworker, client)
    casework_services.add_note(actor=caseworker, case_id=case.pk, body=NOTE)
    casework_services.upload_document(
        actor=caseworker,
        case_id=case.pk,
        uploaded_file=SimpleUploadedFile("scan.pdf", PDF, content_type="application/pdf"),
        category="legal",
        description="Appeal decision",
    )
    return case


def send(supervisor, case, partner_agency, categories):
    # A supervisor's override keeps the test about minimisation, not consent.
    return make_referral(
        supervisor,
        case,
        partner_agency,
        data_categories=categories,
        override_reason="Vital interests",
    )


@pytest.mark.parametrize(
    "categories",
    [
        ["identity"],
        ["contact"],
        ["identity", "legal_status"],
        ["identity", "contact", "family"],
        ["health", "education_employment"],
        ["case_notes", "documents"],
        list(SECTION_FIELDS),
    ],
)
def test_packet_page_shows_exactly_the_shared_sections(
    client_as, supervisor, referral_officer, partner_agency, full_case, categories
):
    referral = send(supervisor, full_case, partner_agency, categories)
    response = client_as(referral_officer).get(packet_url(referral))
    assert response.status_code == 200
    content = response.content.decode()
    sections = rendered_sections(content)
    assert set(sections) == set(categories)
    for category, fields in sections.items():
        assert fields == list(SECTION_FIELDS[category]), category
    # Nothing of a section that was not shared.
    client = full_case.client
    assert (PHONE in content) == ("contact" in categories)
    assert (client.name in content) == ("identity" in categories)
    assert ("N0012345" in content) == ("identity" in categories)
    assert (NOTE in content) == ("case_notes" in categories)
    assert ("Appeal decision" in content) == ("documents" in categories)
    # Never the sender's case number.
    assert full_case.number not in content


def test_packet_is_a_snapshot(
    client_as, supervisor, caseworker, referral_officer, partner_agency, full_case
):
    referral = send(supervisor, full_case, partner_agency, ["identity", "contact"])
    client = full_case.client
    casework_services.update_client(
        actor=caseworker,
        client_id=client.pk,
        expected_version=client.version,
        changes={"phone": "+39 000 000 0000"},
    )
    content = client_as(referral_officer).get(packet_url(referral)).content.decode()
    assert PHONE in content
    assert "+39 000 000 0000" not in content
    assert "Snapshot taken on" in content
    assert "later changes at the sending agency do not appear here" in content


def test_sender_reads_the_packet_it_sent(client_as, supervisor, partner_agency, full_case):
    referral = send(supervisor, full_case, partner_agency, ["contact"])
    response = client_as(supervisor).get(packet_url(referral))
    assert response.status_code == 200
    assert set(rendered_sections(response.content.decode())) == {"contact"}


@pytest.mark.parametrize("persona", ["outsider", "dpo", "agency_admin"])
def test_packet_is_not_found_for_others(
    request, client_as, supervisor, partner_agency, full_case, persona
):
    referral = send(supervisor, full_case, partner_agency, ["identity"])
    user = request.getfixturevalue(persona)
    assert client_as(user).get(packet_url(referral)).status_code == 404


def test_declined_packet_is_gone_for_the_partner(
    client_as, supervisor, referral_officer, partner_agency, full_case
):
    referral = send(supervisor, full_case, partner_agency, ["identity"])
    services.decline_referral(actor=referral_officer, referral_id=referral.pk, reason="Full")
    assert client_as(referral_officer).get(packet_url(referral)).status_code == 404


def test_packet_page_in_arabic_is_right_to_left(
    client_as, supervisor, referral_officer, partner_agency, full_case
):
    referral = send(supervisor, full_case, partner_agency, ["identity"])
    referral_officer.preferred_language = "ar"
    referral_officer.save(update_fields=["preferred_language"])
    response = client_as(referral_officer).get(packet_url(referral))
    assert response.status_code == 200
    content = response.content.decode()
    assert 'lang="ar" dir="rtl"' in content
    assert f'dir="auto">{full_case.client.name}' in content


def test_packet_page_in_arabic_through_the_language_cookie(
    client, supervisor, referral_officer, partner_agency, full_case
):
    referral = send(supervisor, full_case, partner_agency, ["contact"])
    client.force_login(referral_officer)
    client.post(reverse("accounts:switch_language"), {"language": "ar", "next": "/"})
    content = client.get(packet_url(referral)).content.decode()
    assert 'lang="ar" dir="rtl"' in content
    assert set(rendered_sections(content)) == {"contact"}
