"""The subject-access report PDF: the JSON export's content, readable by the
person, in their language; who may download it and how it is logged.

Three PDFs are rendered in the whole module (a render costs 0.1–0.5 s)."""

import io

import pytest
from django.urls import reverse
from django.utils import translation
from pypdf import PdfReader

from accounts.models import AccessLog
from accounts.permissions import Role
from casework import services as casework_services
from reports.documents.subject_access import language_for
from tests.factories import make_member, make_referral, make_service

pytestmark = pytest.mark.django_db

NOTE = "Landlord called back about the flat"


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(content)).pages)


def page_url(client_record, **query) -> str:
    address = reverse("reports:subject_access_report", args=[client_record.pk])
    return address + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def api_url(client_record) -> str:
    return f"/api/v1/clients/{client_record.pk}/subject-access-report.pdf"


@pytest.fixture
def held(caseworker, client_record, case, consent, partner_agency):
    """A client with a note, a consent and a referral sent to the partner."""
    casework_services.add_note(actor=caseworker, case_id=case.pk, body=NOTE)
    make_service(partner_agency)
    make_referral(caseworker, case, partner_agency)
    return client_record


def _exports() -> list[AccessLog]:
    return list(AccessLog.objects.filter(action="export").order_by("id"))


def test_the_dpo_downloads_the_report_in_english(client_as, dpo, held, case, partner_agency):
    response = client_as(dpo).get(page_url(held, language="en"))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        f'attachment; filename="subject-access-{held.pk}.pdf"'
    )
    assert "no-store" in response["Cache-Control"]
    text = pdf_text(response.content)
    assert "Mohammed al-Hassan" in text  # the client's name (Latin)
    assert case.number in text
    assert "Referral and sharing with other agencies" in text  # the consent's purpose
    assert partner_agency.name in text  # to whom the data was disclosed
    assert NOTE in text
    assert "To whom your data was disclosed" in text
    assert "Who accessed your record" in text
    assert "History of changes" in text
    # Labels, not keys; values formatted.
    assert "Contact details" in text  # a data category by its label
    assert "Consent (Art. 6(1)(a))" in text  # the lawful basis of the disclosure
    assert "data_categories" not in text and "lawful_basis" not in text
    # One export row, as for the JSON download.
    [row] = _exports()
    assert (row.actor_id, row.client_id, row.outcome) == (dpo.pk, held.pk, "ok")


def test_arabic_client_gets_the_report_in_arabic_right_to_left(client_as, dpo, held):
    response = client_as(dpo).get(page_url(held))  # the client speaks Arabic

    assert response.status_code == 200
    text = pdf_text(response.content)
    assert "محمد" in text  # the name in logical order
    assert "الحسن" in text
    assert "الهوية" in text  # "Identity", a data category
    assert "الإحالة ومشاركة المعلومات مع جهات أخرى" in text  # the consent's purpose
    with translation.override("ar"):
        assert translation.gettext("What we hold about you") in text
        assert translation.gettext("Your cases") in text


def test_the_html_is_right_to_left_in_arabic(dpo, held):
    from reports.documents import subject_access
    from reports.pdf import render_html

    export = subject_access.subject_access_export(dpo, held.pk)
    with translation.override("ar"):
        context = subject_access.subject_access_context(export, {}, held.agency)
    html = render_html("reports/subject_access.html", context, user=dpo, language="ar")
    assert 'dir="rtl"' in html and 'lang="ar"' in html


def test_the_api_answers_the_pdf(as_user, dpo, held):
    response = as_user(dpo).get(api_url(held) + "?language=fr", HTTP_ACCEPT="application/pdf")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert len(_exports()) == 1


def test_a_caseworker_is_refused(client_as, as_user, caseworker, client_record):
    assert client_as(caseworker).get(page_url(client_record)).status_code == 403
    response = as_user(caseworker).get(api_url(client_record), HTTP_ACCEPT="application/pdf")
    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
    assert not _exports()


def test_outsiders_and_other_agencies_dpo_see_nothing(
    client_as, as_user, outsider, other_agency, client_record
):
    other_dpo = make_member(other_agency, Role.DPO)
    for user in (outsider, other_dpo):
        assert client_as(user).get(page_url(client_record)).status_code == 404
        assert as_user(user).get(api_url(client_record)).status_code == 404
    assert not _exports()


def test_a_bad_language_is_a_400_naming_it(client_as, as_user, dpo, client_record):
    assert client_as(dpo).get(page_url(client_record, language="xx")).status_code == 400
    response = as_user(dpo).get(api_url(client_record) + "?language=xx")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "language"
    assert not _exports()


def test_the_report_is_linked_beside_the_json_export(client_as, dpo, client_record):
    response = client_as(dpo).get(
        reverse("privacy:client_data_protection", args=[client_record.pk])
    )
    assert reverse("reports:subject_access_report", args=[client_record.pk]) in response.text


@pytest.mark.parametrize(
    ("spoken", "agency", "expected"),
    [
        (["ti", "ar"], ["en"], "ar"),
        (["ti"], ["fr"], "fr"),
        (["fa"], ["fr"], "fa"),
        (["uk", "ru"], ["it"], "uk"),
        (["fr-BE"], [], "fr"),
        ([], [], "en"),
    ],
)
def test_the_language_is_the_clients_first_one_sanad_speaks(spoken, agency, expected):
    assert language_for(spoken, agency) == expected
