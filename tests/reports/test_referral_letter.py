"""The referral letter: exactly the packet's data (nothing from the live case),
in the receiving agency's language and, on request, the client's; for whoever
may read the packet, only once the referral was sent.

PDFs cost ~0.3 s each: each test renders at most two, and the refusals render none.
"""

import io
import os
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from pypdf import PdfReader

from accounts.models import AccessLog
from casework import services as casework_services
from referrals import services as referral_services
from tests.factories import make_case, make_client, make_consent, make_referral, make_service

pytestmark = pytest.mark.django_db

# Set A2_DUMP=/tmp/x.pdf to look at the rendered letter.
DUMP = Path(os.environ["A2_DUMP"]) if os.environ.get("A2_DUMP") else None

PHONE = "+39 333 7654321"
HEALTH = "Diabetes, needs insulin daily"
NOTE = "Met the client at the station; afraid of her brother"
NOTICE_VERSION = "notice-v7"


def text_of(content: bytes) -> str:
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    return " ".join(text.split())


@pytest.fixture
def referral(caseworker, supervisor, partner_agency):
    """A sent referral sharing identity and legal status only, from a client
    whose file also holds a phone number, health data and a note."""
    client = make_client(
        caseworker,
        name="محمد أحمد",
        name_latin="Mohammed Ahmed",
        languages=["ar", "en"],
        phone=PHONE,
        legal_status="asylum_seeker",
        legal_status_note="Appeal hearing on 12 May",
    )
    casework_services.update_client_sensitive(
        actor=supervisor, client_id=client.pk, changes={"health": HEALTH}
    )
    case = make_case(caseworker, client)
    casework_services.add_note(actor=caseworker, case_id=case.pk, body=NOTE)
    make_consent(
        caseworker,
        client,
        recipient_agencies=[partner_agency],
        data_categories=["identity", "contact", "legal_status", "case_notes"],
        notice_version=NOTICE_VERSION,
    )
    make_service(partner_agency)
    referral = make_referral(
        caseworker, case, partner_agency, data_categories=["identity", "legal_status"]
    )
    return referral


def letter_url(referral, **query):
    address = reverse("reports:referral_letter", args=[referral.pk])
    return address + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def api_url(referral, **query):
    address = f"/api/v1/referrals/{referral.pk}/letter.pdf"
    return address + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def test_the_letter_holds_exactly_the_packet(client_as, referral_officer, referral):
    before = AccessLog.objects.count()
    response = client_as(referral_officer).get(letter_url(referral))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        f'attachment; filename="referral-letter-{referral.reference}.pdf"'
    )
    if DUMP:
        DUMP.write_bytes(response.content)
    text = text_of(response.content)
    # The referral's facts.
    assert referral.reference in text
    assert "Amal Refugee Support" in text and "Casa Comune" in text
    assert "Layla Caseworker" in text
    assert "Legal counselling" not in text or referral.service_name == "Legal counselling"
    assert "Legal advice on the asylum appeal" in text
    assert referral.respond_by.isoformat() in text
    assert "Routine" in text
    # The partner does not see the sender's consent, as on the referral page.
    assert "Shared on the client's consent recorded on" not in text  # its date
    assert NOTICE_VERSION not in text and "Information notice version" not in text
    assert "Lawful basis" not in text
    # The packet's sections: identity and legal status, with their values.
    assert "محمد أحمد" in text
    assert "Mohammed Ahmed" in text
    assert "Asylum seeker" in text
    assert "Appeal hearing on 12 May" in text
    # Nothing outside the packet: not the contact section's phone, not the
    # special-category section, not the case notes.
    assert PHONE not in text
    assert "7654321" not in text
    assert HEALTH not in text
    assert NOTE not in text
    # In the receiving agency's language (Italian is not an interface
    # language: its next one, English), one column: no Arabic interface text.
    with translation.override("ar"):
        purpose_ar = translation.gettext("Purpose")
    assert purpose_ar != "Purpose"
    assert purpose_ar not in text
    # One access-log row: the download of the packet, about the client.
    rows = list(AccessLog.objects.exclude(action__in=["login", "logout"])[before:])
    assert [(r.action, r.object_type, r.object_id, r.client_id) for r in rows] == [
        ("download", "referrals.referralpacket", str(referral.pk), referral.case.client_id)
    ]


def test_the_client_language_adds_an_arabic_column(as_user, caseworker, referral):
    response = as_user(caseworker).get(api_url(referral, client_language=1))

    assert response.status_code == 200, response.content[:300]
    if DUMP:
        DUMP.with_suffix(".ar.pdf").write_bytes(response.content)
    text = text_of(response.content)
    with translation.override("ar"):
        purpose_ar = translation.gettext("Purpose")
        respond_by_ar = translation.gettext("Respond by")
    assert purpose_ar in text
    assert respond_by_ar in text
    assert "Purpose" in text  # the receiving agency's column stays
    # The sending side sees the consent the referral rests on.
    given_on = timezone.localdate(referral.consent.given_at).isoformat()
    assert f"Shared on the client's consent recorded on {given_on}" in text
    assert f"Information notice version {NOTICE_VERSION}" in text
    assert PHONE not in text
    assert HEALTH not in text


def test_after_a_decline_the_partner_gets_nothing(as_user, referral_officer, referral):
    referral_services.decline_referral(
        actor=referral_officer, referral_id=referral.pk, reason="No capacity"
    )
    assert as_user(referral_officer).get(api_url(referral)).status_code == 404


def test_a_draft_has_no_letter(as_user, client_as, caseworker, referral_officer, case, consent):
    partner = consent.recipient_agencies.get()
    make_service(partner)
    draft = make_referral(caseworker, case, partner, send=False)
    response = as_user(caseworker).get(api_url(draft))
    assert response.status_code == 409
    assert response.json()["code"] == "referral_not_sent"
    assert client_as(caseworker).get(letter_url(draft)).status_code == 409
    # The receiving agency does not know of a draft.
    assert as_user(referral_officer).get(api_url(draft)).status_code == 404


@pytest.mark.parametrize("persona", ["outsider", "partner_caseworker", "dpo"])
def test_others_get_nothing(request, as_user, client_as, referral, persona):
    user = request.getfixturevalue(persona)
    assert as_user(user).get(api_url(referral)).status_code == 404
    assert client_as(user).get(letter_url(referral)).status_code == 404


def test_a_bad_flag_names_the_field(as_user, referral_officer, referral):
    response = as_user(referral_officer).get(api_url(referral, client_language="maybe"))
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "client_language"


def test_the_referral_page_links_to_the_letter(client_as, referral_officer, referral):
    response = client_as(referral_officer).get(
        reverse("referrals:referral_detail", args=[referral.pk])
    )
    assert letter_url(referral) in response.content.decode()
