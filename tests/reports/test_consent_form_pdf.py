"""The consent form to sign as a PDF: the client's language and the agency's
side by side, Arabic right to left and in logical order, pre-filled from a
recorded consent on request; who may download it.

PDFs cost ~0.3 s each: each test renders at most one, and the refusals render none.
"""

import io
import os
import re
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import translation
from guardian.shortcuts import assign_perm
from pypdf import PdfReader

from accounts.models import AccessLog
from accounts.permissions import Perm
from casework.models import Consent
from reports.documents.consent_form import consent_form_document
from reports.pdf import render_html
from tests.factories import make_client, make_consent

pytestmark = pytest.mark.django_db

# Set A2_DUMP=/tmp/x.pdf to look at the rendered form.
DUMP = Path(os.environ["A2_DUMP"]) if os.environ.get("A2_DUMP") else None
ARABIC = re.compile(r"[\u0600-\u06FF]")


def pages_of(content: bytes) -> list:
    return PdfReader(io.BytesIO(content)).pages


def text_of(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in pages_of(content))


def layout_of(content: bytes) -> list[str]:
    """The lines of the first page laid out by position: what is further
    right on the page stands further right in the line."""
    return pages_of(content)[0].extract_text(extraction_mode="layout").splitlines()


@pytest.fixture
def arabic_client(caseworker, agency):
    agency.languages = ["en"]
    agency.save(update_fields=["languages"])
    return make_client(
        caseworker, name="محمد أحمد", name_latin="Mohammed Ahmed", languages=["ar", "en"]
    )


@pytest.fixture
def onlooker(outsider, arabic_client):
    """The outsider, granted sight of the client alone: no RECORD_CONSENT."""
    assign_perm(Perm.VIEW_CLIENT, outsider, arabic_client)
    return outsider


def download_url(client_record, **query):
    address = reverse("reports:consent_form_pdf", args=[client_record.pk])
    return address + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def api_url(client_record, **query):
    address = f"/api/v1/clients/{client_record.pk}/consent-form.pdf"
    return address + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def test_arabic_and_english_side_by_side_right_to_left(client_as, caseworker, arabic_client):
    before = AccessLog.objects.count()
    response = client_as(caseworker).get(download_url(arabic_client))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    disposition = response["Content-Disposition"]
    assert disposition == f'attachment; filename="consent-form-{arabic_client.pk}.pdf"'
    assert "Mohammed" not in disposition
    text = text_of(response.content)
    # The Arabic name in logical order (the reading order, not the glyphs' visual order).
    assert "محمد أحمد" in text
    assert "Mohammed Ahmed" in text
    # Both languages, block by block: the English headings and their Arabic translations.
    for english, arabic in [
        ("Consent form", "استمارة الموافقة"),
        ("What you agree to", "ما توافق عليه"),
        ("Your rights", "حقوقك"),
    ]:
        assert english in text
        with translation.override("ar"):
            assert translation.gettext(english) == arabic
    assert "استمارة الموافقة" in text
    assert "ما توافق عليه" in text

    if DUMP:
        DUMP.write_bytes(response.content)
    lines = layout_of(response.content)
    # Right to left: the client's (Arabic) column comes first, on the right of
    # the page; the agency's English column on the left.
    [title] = [line for line in lines if "Consent form" in line]
    assert ARABIC.search(title)
    assert ARABIC.search(title).start() > title.index("Consent form")
    # The Latin name stays beside its label: in the Arabic column the label is
    # to its right, on the same line.
    [names] = [line for line in lines if line.count("Mohammed Ahmed") == 2]
    assert names.index("Name in Latin letters") < names.index("Mohammed Ahmed")
    arabic_side = names[names.rindex("Mohammed Ahmed") :]
    assert ARABIC.search(arabic_side), names

    # One access-log row: the download, about the client.
    rows = list(AccessLog.objects.exclude(action__in=["login", "logout"])[before:])
    assert [(row.action, row.client_id) for row in rows] == [("download", arabic_client.pk)]


def test_the_document_runs_right_to_left_in_arabic(caseworker, arabic_client):
    form = consent_form_document(arabic_client)
    assert [column["lang"] for column in form["columns"]] == ["ar", "en"]
    html = render_html(
        "reports/consent_form.html", {"forms": [form]}, user=caseworker, language="ar"
    )
    assert '<html lang="ar" dir="rtl">' in html
    assert '<article class="consent-form" lang="ar" dir="rtl">' in html
    # Each cell carries its direction; the English one its language too (the
    # Arabic one has the form's).
    # Aligned block by block: every row holds both languages.
    assert len(form["rows"]) > 20
    assert all(len(row["cells"]) == 2 for row in form["rows"])
    assert html.count('<td dir="rtl">') == len(form["rows"])
    assert html.count('<td lang="en" dir="ltr">') == len(form["rows"])


def test_one_language_is_one_column(caseworker, arabic_client):
    form = consent_form_document(arabic_client, language="en")
    assert [column["lang"] for column in form["columns"]] == ["en"]
    assert form["dir"] == "ltr"
    assert all(len(row["cells"]) == 1 for row in form["rows"])


def test_the_agency_language_and_a_client_without_one(caseworker, agency):
    agency.languages = ["it", "fr"]
    agency.save(update_fields=["languages"])
    tigrinya = make_client(caseworker, name="Selam", name_latin="", languages=["ti"])
    # No interface language for the client: the agency's alone.
    assert [c["lang"] for c in consent_form_document(tigrinya)["columns"]] == ["fr"]
    # The client's first interface language, not merely their first language.
    both = make_client(caseworker, name="Selam", name_latin="", languages=["ti", "ar"])
    assert [c["lang"] for c in consent_form_document(both)["columns"]] == ["ar", "fr"]


def test_prefilled_from_a_recorded_consent_in_french(
    as_user, caseworker, agency, arabic_client, partner_agency
):
    agency.languages = ["fr", "en"]
    agency.save(update_fields=["languages"])
    consent = make_consent(
        caseworker,
        arabic_client,
        purpose="referral",
        data_categories=["identity", "contact", "legal_status"],
        recipient_agencies=[partner_agency],
        notice_version="2026-07",
    )

    response = as_user(caseworker).get(api_url(arabic_client, consent=consent.pk, language="en"))

    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "application/pdf"
    text = " ".join(text_of(response.content).split())  # long labels wrap
    assert "Formulaire de consentement" in text  # the agency's column, in French
    assert "Consent form" in text  # the client's column, in the language asked for
    assert "استمارة الموافقة" not in text
    assert "Copy of the consent recorded on" in text
    with translation.override("fr"):
        referral_fr = str(Consent.Purpose("referral").label)
    assert referral_fr in text
    # Ticked, in each column: the purpose, three categories, who gave it.
    assert text.count("☑") == 2 * (1 + 3 + 1)
    assert "Casa Comune" in text  # the recipient named in the consent
    assert "2026-07" in text  # its notice version


def test_without_a_consent_nothing_is_ticked(caseworker, arabic_client):
    form = consent_form_document(arabic_client)
    cells = "".join(cell["html"] for row in form["rows"] for cell in row["cells"])
    assert "☑" not in cells
    assert "☐" in cells


# --- Refusals and bad input (no PDF rendered) ----------------------------------------------


def test_bad_input_names_the_field(as_user, caseworker, arabic_client, client_as):
    api = as_user(caseworker)
    response = api.get(api_url(arabic_client, consent="not-an-id"))
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "consent"
    response = api.get(api_url(arabic_client, language="xx"))
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "language"
    # Asking for the PDF does not hide the problem document.
    response = api.get(api_url(arabic_client, language="xx"), HTTP_ACCEPT="application/pdf")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "language"
    assert client_as(caseworker).get(download_url(arabic_client, consent="x")).status_code == 400


def test_a_consent_of_another_client_is_not_found(
    as_user, caseworker, arabic_client, partner_agency
):
    other = make_client(caseworker, name="Layla")
    consent = make_consent(caseworker, other, recipient_agencies=[partner_agency])
    response = as_user(caseworker).get(api_url(arabic_client, consent=consent.pk))
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("persona", "status"),
    [("onlooker", 403), ("referral_officer", 404), ("outsider", 404), ("dpo", 404)],
)
def test_who_may_not_download(request, as_user, client_as, arabic_client, persona, status):
    user = request.getfixturevalue(persona)
    assert as_user(user).get(api_url(arabic_client)).status_code == status
    assert client_as(user).get(download_url(arabic_client)).status_code == status


def test_the_printable_page_links_to_the_pdf_in_its_language(client_as, caseworker, arabic_client):
    response = client_as(caseworker).get(
        reverse("casework:consent_form", args=[arabic_client.pk]), {"lang": "fr"}
    )
    assert response.status_code == 200
    assert download_url(arabic_client, language="fr") in response.content.decode()


def test_a_date_and_a_latin_name_are_isolated_only_in_the_arabic_column(arabic_client):
    # Digits after an Arabic label would be reordered (2000-01-02 read as
    # 02-01-2000): in the Arabic column the date is isolated left to right; in
    # the English column neither the date nor the Latin name needs it.
    form = consent_form_document(arabic_client)
    facts = next(row for row in form["rows"] if row["block"] == "facts")
    arabic, english = (str(cell["html"]) for cell in facts["cells"])
    born = arabic_client.date_of_birth.isoformat()
    assert f'<bdi dir="ltr">{born}</bdi>' in arabic
    assert '<bdi dir="ltr">Mohammed Ahmed</bdi>' in arabic
    assert "<bdi" not in english.replace('<bdi dir="rtl">محمد أحمد</bdi>', "")
    assert '<bdi dir="rtl">محمد أحمد</bdi>' in english
