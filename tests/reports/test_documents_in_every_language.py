"""Every PDF Sanad writes, in Farsi and in Ukrainian: no English phrase of the
catalogue left, the document's language and direction, its text in the
fonts the print style sheet names, and dates in the reader's calendar and
digits (Solar Hijri and Persian digits for a reader who chose them).

Sixteen PDFs are rendered in the whole module (0.2–1 s each).
Set DOCS_DUMP=/tmp/folder to keep them and look.
"""

import datetime
import io
import os
import re
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from pypdf import PdfReader

from accounts import services as account_services
from config.http.calendars import PERSIAN, SOLAR_HIJRI, display, format_date
from reports.documents.case_summary import case_summary_pdf
from reports.documents.consent_form import consent_forms_pdf
from reports.documents.referral_letter import referral_letter_pdf
from reports.documents.subject_access import subject_access_pdf
from tests.factories import make_case, make_client, make_consent, make_referral
from tests.phrases import untranslated_in

pytestmark = pytest.mark.django_db

DUMP = Path(os.environ["DOCS_DUMP"]) if os.environ.get("DOCS_DUMP") else None

# The print style sheet's fonts (templates/reports/print_base.html and the
# bilingual documents): a glyph found in none of them would come from
# whatever font the system falls back to.
PRINT_FONTS = ("NotoSans", "NotoNaskhArabic", "NotoSansArabic", "DejaVuSans")
PERSIAN_LETTERS = re.compile(r"[\u0600-\u06FF]")
CYRILLIC = re.compile(r"[\u0400-\u04FF]")
PERSIAN_DIGITS = re.compile(r"[۰-۹]")

PEOPLE = {
    "fa": {
        "name": "زهرا رضایی",
        "name_latin": "Zahra Rezaei",
        "note": "مراجعه‌کننده به مسکن نیاز دارد",
    },
    "uk": {
        "name": "Олександр Коваленко",
        "name_latin": "Oleksandr Kovalenko",
        "note": "Клієнт потребує житла",
    },
}


def dump(name: str, content: bytes) -> None:
    if DUMP:
        DUMP.mkdir(parents=True, exist_ok=True)
        (DUMP / name).write_bytes(content)


def fonts_of(reader: PdfReader) -> set[str]:
    """The base names of the fonts the PDF draws with, without the subset
    prefix and the hyphens ("NotoNaskhArabicBold")."""
    names = set()
    for page in reader.pages:
        fonts = page.get("/Resources", {}).get("/Font", {})
        for font in fonts.values():
            name = str(font.get_object()["/BaseFont"]).lstrip("/")
            names.add(name.split("+", 1)[-1].replace("-", ""))
    return names


def script_margins(page, script: re.Pattern) -> tuple[int, int]:
    """How far the text in ``script`` stays from the left and from the right
    edge of the page, summed over its lines (pypdf's layout mode: one text
    line a line, as far right as on the page). Text set right to left hugs
    the right edge: its lines end there, whether they are paragraphs, a
    heading or a table row whose first column is on the right; text set
    left to right hugs the left edge."""
    lines = page.extract_text(extraction_mode="layout").splitlines()
    width = max(len(line) for line in lines)
    left = right = 0
    for line in lines:
        letters = [match.start() for match in script.finditer(line)]
        if letters:
            left += letters[0]
            right += width - 1 - letters[-1]
    return left, right


def check_document(name: str, content: bytes, language: str, *, persian_dates: bool = False):
    """What every document in ``language`` must be; returns its text."""
    assert content.startswith(b"%PDF"), content[:200]
    dump(f"{name}-{language}.pdf", content)
    reader = PdfReader(io.BytesIO(content))
    text = "\n".join(page.extract_text() for page in reader.pages)
    # Translated: no phrase of the catalogue left in English.
    assert untranslated_in(text, language) == [], name
    # Written in the language's script, and tagged with it (screen readers,
    # hyphenation, copy and paste).
    script = PERSIAN_LETTERS if language == "fa" else CYRILLIC
    assert len(script.findall(text)) > 100, text[:500]
    assert reader.trailer["/Root"].get("/Lang") == language
    # Drawn in the print style sheet's fonts only.
    fonts = fonts_of(reader)
    assert fonts and all(font.startswith(PRINT_FONTS) for font in fonts), fonts
    # Right to left in Farsi: the text in the language's script keeps to the
    # right edge of the first page, and to the left edge in Ukrainian.
    left, right = script_margins(reader.pages[0], script)
    if language == "fa":
        assert left > 2 * right, (left, right)
    else:
        assert right > 2 * left, (left, right)
    # The date the document was generated, in the reader's calendar and digits.
    today = timezone.localdate()
    if persian_dates:
        with display(SOLAR_HIJRI, PERSIAN):
            year = format_date(today, "Y")
        assert PERSIAN_DIGITS.fullmatch(year[0])
        # pypdf gives a left-to-right run inside right-to-left text in either order.
        assert year in text or year[::-1] in text, text[-400:]
        assert f"{today:%Y-%m}" not in text and f"{today:%d-%m-%Y}" not in text
    else:
        assert today.isoformat() in text and not PERSIAN_DIGITS.search(text)
    # The page footer's CSS strings: no escape left unread ("2026u002D12").
    assert not re.search(r"u00[0-9A-F]{2}", text), text[-400:]
    return text


@pytest.fixture(params=["fa", "uk"])
def language(request):
    return request.param


@pytest.fixture
def reader_settings(language, caseworker, supervisor, dpo, agency, partner_agency):
    """Everyone works in ``language``; in Farsi the caseworker reads dates in
    the Solar Hijri calendar with Persian digits."""
    for user in (caseworker, supervisor, dpo):
        user.preferred_language = language
        user.save(update_fields=["preferred_language"])
    if language == "fa":
        account_services.set_date_display(actor=caseworker, calendar=SOLAR_HIJRI, digits=PERSIAN)
    for each in (agency, partner_agency):
        each.languages = [language]
        each.save(update_fields=["languages"])
    return language


@pytest.fixture
def file(reader_settings, caseworker, supervisor, partner_agency):
    """A client speaking ``language``, a case with a note, a consent naming
    the partner, and a referral to it the partner has accepted."""
    from casework import services as casework_services

    person = PEOPLE[reader_settings]
    client = make_client(
        caseworker,
        name=person["name"],
        name_latin=person["name_latin"],
        languages=[reader_settings],
    )
    case = make_case(caseworker, client, summary=person["note"])
    casework_services.add_note(actor=caseworker, case_id=case.pk, body=person["note"])
    make_consent(
        caseworker,
        client,
        recipient_agencies=[partner_agency],
        data_categories=["identity", "contact", "legal_status", "case_notes"],
    )
    referral = make_referral(caseworker, case, partner_agency, purpose=person["note"])
    return {"client": client, "case": case, "referral": referral}


def test_the_case_summary(language, file, caseworker):
    content, _name = case_summary_pdf(actor=caseworker, case_id=file["case"].pk, language=language)
    text = check_document("case-summary", content, language, persian_dates=language == "fa")
    assert PEOPLE[language]["name"] in text


def test_the_consent_form(language, file, caseworker):
    content, _name = consent_forms_pdf(actor=caseworker, client_ids=[file["client"].pk])
    text = check_document("consent-form", content, language, persian_dates=language == "fa")
    assert PEOPLE[language]["name"] in text


def test_the_integration_plan(language, file, caseworker):
    from casework import services as casework_services
    from reports.documents.plan import plan_pdf

    case = file["case"]
    goal = casework_services.add_goal(
        actor=caseworker,
        case_id=case.pk,
        domain="housing",
        statement=PEOPLE[language]["note"],
        statement_client=PEOPLE[language]["note"],
    )
    casework_services.add_action(
        actor=caseworker,
        case_id=case.pk,
        goal_id=goal.pk,
        description=PEOPLE[language]["note"],
        responsible="client",
        due_on=timezone.localdate() + datetime.timedelta(days=30),
    )
    casework_services.record_plan_agreement(
        actor=caseworker,
        case_id=case.pk,
        plan_version=2,
        method="verbal",
        agreed_at=timezone.now(),
    )
    content, _name = plan_pdf(actor=caseworker, case_id=case.pk)
    text = check_document("plan", content, language, persian_dates=language == "fa")
    assert PEOPLE[language]["name"] in text
    assert PEOPLE[language]["note"].replace("\u200c", "") in text


# The printed plan's own labels and the plan's vocabulary it shows. They are
# new and not in the catalogues yet, so ``untranslated_in`` cannot see them in
# the PDF above (it knows translated phrases only).
PLAN_PHRASES = (
    "Integration plan",
    "Client's agreement",
    "Agreed on %(when)s for version %(version)s: %(how)s.",
    "Version %(version)s awaits the client's agreement.",
    "Not obtained for version %(version)s:",
    "Goals",
    "No goals you can see.",
    "In the client's words",
    "Priority",
    "Target date",
    "No actions yet.",
    "I have gone through this plan (version %(version)s) with the caseworker and I agree to it.",
    "Planned",
    "In progress",
    "Blocked",
    "Dropped",
    "Achieved",
    "Signed form",
    "Verbal, in a language the client speaks",
    "Verbal, with an interpreter",
    "Through a legal guardian",
    "Employment and training",
    "Legal status and documents",
    "Social and family",
)


def test_the_integration_plan_s_phrases_are_translated(language):
    with translation.override(language):
        untranslated = [phrase for phrase in PLAN_PHRASES if translation.gettext(phrase) == phrase]
    assert untranslated == []


def test_the_referral_letter(language, file, caseworker):
    content, _name = referral_letter_pdf(actor=caseworker, referral_id=file["referral"].pk)
    check_document("referral-letter", content, language, persian_dates=language == "fa")


def test_the_case_file(language, file, caseworker, django_capture_on_commit_callbacks):
    from reports.models import ReportJob
    from reports.services.jobs import request_report

    with django_capture_on_commit_callbacks(execute=True):
        job = request_report(
            actor=caseworker,
            kind="case_file",
            format="pdf",
            parameters={"case": str(file["case"].pk)},
            language=language,
        )
    job.refresh_from_db()
    assert job.state == ReportJob.State.DONE, (job.error_code, job.error)
    with job.file.open("rb") as handle:
        text = check_document("case-file", handle.read(), language, persian_dates=language == "fa")
    # (pypdf drops the zero-width non-joiner of "مراجعه‌کننده")
    assert PEOPLE[language]["note"].replace("\u200c", "") in text


def test_the_subject_access_report(language, file, dpo):
    content, _name = subject_access_pdf(actor=dpo, client_id=file["client"].pk, language=language)
    text = check_document("subject-access", content, language)
    assert PEOPLE[language]["name"] in text


def test_the_statistics(language, file, supervisor, client_as):
    response = client_as(supervisor).get(
        reverse("reports:statistics_download", kwargs={"fmt": "pdf"})
    )
    assert response.status_code == 200
    check_document("statistics", response.content, language)


def test_the_disclosure_register(language, file, dpo, partner_agency, client_as):
    response = client_as(dpo).get(reverse("reports:disclosure_register_download", args=["pdf"]))
    assert response.status_code == 200
    text = check_document("disclosure-register", response.content, language)
    assert partner_agency.name in text


def test_every_field_of_the_subject_access_report_has_a_translated_label():
    """A field without a label of its own would be named after its column
    ("Registered by"), in English whatever the report's language."""
    from reports.documents import subject_access

    presenter = subject_access._Presenter({"cases": [], "consents": []}, {})
    untranslated = []
    with translation.override("fa"):
        for model, _section in subject_access._HISTORY_MODELS.values():
            for field in model._meta.concrete_fields:
                if field.attname in subject_access._SKIPPED:
                    continue
                label = presenter.label(model, field.attname)
                if not PERSIAN_LETTERS.search(label):
                    untranslated.append(f"{model.__name__}.{field.attname}: {label}")
    assert untranslated == []
