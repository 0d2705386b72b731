"""The printable integration plan (the page and its PDF): the client's
language and the agency's side by side, the goal as the agency wrote it
beside the client's own words, Arabic right to left; goals about health only
for who may see them; who may print it and what the access log keeps.

PDFs cost ~0.3 s each: the tests that read one render one; the rest read the
page or the document's rows.
"""

import io
import re

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from pypdf import PdfReader

from accounts.models import AccessLog
from casework import services as casework
from reports.documents.plan import plan_document, plan_languages
from tests.factories import make_case, make_client

pytestmark = pytest.mark.django_db

ARABIC = re.compile(r"[\u0600-\u06FF]")

HOUSING_GOAL = "Find a flat near the school"
HOUSING_WORDS = "أريد شقة قريبة من مدرسة أولادي"
HOUSING_ACTION = "Visit the housing office with the client"
HEALTH_GOAL = "Regular check-ups for diabetes"
HEALTH_WORDS = "أريد أن أعتني بمرض السكري"
HEALTH_ACTION = "Register with a family doctor"


def text_of(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def layout_of(content: bytes) -> list[str]:
    """The lines of the first page laid out by position."""
    page = PdfReader(io.BytesIO(content)).pages[0]
    return page.extract_text(extraction_mode="layout").splitlines()


def print_url(case, **query) -> str:
    address = reverse("reports:plan_print", args=[case.pk])
    return address + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def pdf_url(case, **query) -> str:
    address = reverse("reports:plan_pdf", args=[case.pk])
    return address + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def api_url(case, **query) -> str:
    address = f"/api/v1/cases/{case.pk}/plan.pdf"
    return address + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def rows_html(document, block: str) -> list[str]:
    return [
        " ".join(str(cell["html"]) for cell in row["cells"])
        for row in document["rows"]
        if row["block"] == block
    ]


@pytest.fixture
def english_agency(agency):
    """The agency writes its plans in English; the client speaks Arabic."""
    agency.languages = ["en"]
    agency.save(update_fields=["languages"])
    return agency


@pytest.fixture
def plan(english_agency, caseworker, case):
    """A housing goal in the client's words with an action for the client, and
    a goal about health with its action (added by the assigned caseworker,
    who may see health), agreed verbally."""
    housing = casework.add_goal(
        actor=caseworker,
        case_id=case.pk,
        domain="housing",
        statement=HOUSING_GOAL,
        statement_client=HOUSING_WORDS,
        priority="high",
    )
    casework.add_action(
        actor=caseworker,
        case_id=case.pk,
        goal_id=housing.pk,
        description=HOUSING_ACTION,
        responsible="client",
    )
    health = casework.add_goal(
        actor=caseworker,
        case_id=case.pk,
        domain="health",
        statement=HEALTH_GOAL,
        statement_client=HEALTH_WORDS,
    )
    casework.add_action(
        actor=caseworker,
        case_id=case.pk,
        goal_id=health.pk,
        description=HEALTH_ACTION,
        responsible="client",
    )
    return casework.record_plan_agreement(
        actor=caseworker,
        case_id=case.pk,
        plan_version=4,
        method="verbal",
        agreed_at=timezone.now(),
    ).plan


def _rows_after(before: int) -> list[AccessLog]:
    return list(AccessLog.objects.exclude(action__in=["login", "logout"]).order_by("id")[before:])


# --- The page ---------------------------------------------------------------------------


def test_the_page_shows_the_client_s_column_right_to_left_beside_the_agency_s(
    client_as, caseworker, case, plan
):
    response = client_as(caseworker).get(print_url(case))

    assert response.status_code == 200
    html = response.content.decode()
    # The client's (Arabic) column leads: the document runs right to left.
    assert '<article class="plan-sheet" lang="ar" dir="rtl">' in html
    assert html.count('<td lang="ar" dir="rtl">') == html.count('<td lang="en" dir="ltr">') > 10
    # The goal as the agency wrote it, and in the client's own words, each
    # in its own direction.
    assert f'<p class="statement" dir="ltr">{HOUSING_GOAL}</p>' in html
    assert f'<p class="statement client-words" dir="rtl">{HOUSING_WORDS}</p>' in html
    assert HOUSING_ACTION in html
    # Labels in each column's language: the Arabic column's are Arabic.
    with translation.override("ar"):
        arabic_name = translation.gettext("Name")
    assert ARABIC.search(arabic_name)
    assert f"<b>{arabic_name}</b>" in html and "<b>Name</b>" in html
    # The download, in the same language.
    assert f"{reverse('reports:plan_pdf', args=[case.pk])}?language=ar" in html


def test_the_page_hides_goals_about_health_from_who_may_not_see_them(
    client_as, second_caseworker, supervisor, case, plan
):
    """The caseworker the case is not assigned to prints the plan without the
    goal about health, its action or its domain; a supervisor with it."""
    hidden = client_as(second_caseworker).get(print_url(case)).content.decode()
    shown = client_as(supervisor).get(print_url(case)).content.decode()

    assert HOUSING_GOAL in hidden and HOUSING_GOAL in shown
    for text in (HEALTH_GOAL, HEALTH_WORDS, HEALTH_ACTION, 'class="domain">Health<'):
        assert text not in hidden, text
        assert text in shown, text


def test_another_language_for_the_client_s_column(client_as, caseworker, case, plan):
    html = client_as(caseworker).get(print_url(case, language="fr")).content.decode()

    assert '<article class="plan-sheet" lang="fr" dir="ltr">' in html
    assert '<td lang="fr" dir="ltr">' in html and 'lang="ar" dir="rtl"' not in html
    assert 'value="fr" lang="fr" selected' in html


def test_a_language_sanad_does_not_speak_is_refused_with_the_reason(
    client_as, caseworker, case, plan
):
    http = client_as(caseworker)

    page = http.get(print_url(case, language="xx"))
    assert page.status_code == 400
    html = page.content.decode()
    assert "Choose one of the languages Sanad is translated into" in html
    # The plan is still there, in the client's own language.
    assert '<article class="plan-sheet" lang="ar" dir="rtl">' in html
    assert http.get(pdf_url(case, language="xx")).status_code == 400
    api = http.get(api_url(case, language="xx"))
    assert api.status_code == 400
    assert [(error["field"], error["code"]) for error in api.json()["errors"]] == [
        ("language", "invalid_language")
    ]


def test_a_case_without_a_plan(client_as, caseworker, case):
    http = client_as(caseworker)

    page = http.get(print_url(case))
    assert page.status_code == 200
    assert "This case has no plan yet." in page.content.decode()
    assert reverse("reports:plan_pdf", args=[case.pk]) not in page.content.decode()
    assert http.get(pdf_url(case)).status_code == 409
    api = http.get(api_url(case))
    assert api.status_code == 409
    assert api.json()["code"] == "no_plan"


@pytest.mark.parametrize("address", [print_url, pdf_url, api_url])
def test_an_outsider_is_told_nothing(address, client_as, outsider, case, plan):
    assert client_as(outsider).get(address(case)).status_code == 404


@pytest.mark.parametrize("address", [print_url, pdf_url, api_url])
def test_who_sees_the_case_but_not_its_plan_is_refused(address, client_as, viewer, case, plan):
    """Granted sight of the case alone (no VIEW_PLAN): 403."""
    assert client_as(viewer).get(address(case)).status_code == 403


# --- The PDF ----------------------------------------------------------------------------


def test_the_pdf_holds_the_goal_in_both_languages_and_logs_the_download(
    client_as, caseworker, case, plan
):
    before = AccessLog.objects.exclude(action__in=["login", "logout"]).count()

    response = client_as(caseworker).get(pdf_url(case))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    disposition = response["Content-Disposition"]
    assert disposition == f'attachment; filename="case-{case.number}-plan-v{plan.version}.pdf"'
    assert "Mohammed" not in disposition
    text = text_of(response.content)
    # The client's name in their script (in logical order) and in Latin letters.
    assert case.client.name in text and case.client.name_latin in text
    # The goal as the agency wrote it, the client's words, and its action.
    assert HOUSING_GOAL in text
    assert HOUSING_WORDS in text
    assert HOUSING_ACTION in text
    # The assigned caseworker may see health.
    assert HEALTH_GOAL in text and HEALTH_WORDS in text
    # Side by side, right to left: the client's words on the right of the
    # agency's goal, on the same line.
    [line] = [line for line in layout_of(response.content) if HOUSING_GOAL in line]
    assert ARABIC.search(line[line.index(HOUSING_GOAL) :]), line
    # One access-log row: the download, about the case and its client.
    rows = _rows_after(before)
    assert [(row.action, row.case_id, row.client_id) for row in rows] == [
        ("download", case.pk, case.client_id)
    ]


def test_the_api_pdf_leaves_out_health_for_a_caseworker_not_assigned(
    as_user, second_caseworker, case, plan
):
    response = as_user(second_caseworker).get(api_url(case), HTTP_ACCEPT="application/pdf")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = text_of(response.content)
    assert HOUSING_GOAL in text and HOUSING_WORDS in text
    assert HEALTH_GOAL not in text
    assert HEALTH_WORDS not in text
    assert HEALTH_ACTION not in text


# --- The document -----------------------------------------------------------------------


def test_one_language_is_one_column_holding_both_texts(caseworker, agency, case, plan):
    """An Arabic-speaking agency and client: one column, the goal as the
    agency wrote it and the client's words under it."""
    agency.languages = ["ar", "en"]
    agency.save(update_fields=["languages"])
    case.refresh_from_db()

    document = plan_document(caseworker, case)

    assert [column["lang"] for column in document["columns"]] == ["ar"]
    assert all(len(row["cells"]) == 1 for row in document["rows"])
    [housing, _health] = rows_html(document, "goal")
    assert HOUSING_GOAL in housing and HOUSING_WORDS in housing


def test_the_client_s_column_without_the_client_s_words_shows_the_agency_s_text(
    caseworker, case, english_agency
):
    casework.add_goal(
        actor=caseworker, case_id=case.pk, domain="language", statement="Learn Italian"
    )
    case.refresh_from_db()

    document = plan_document(caseworker, case)

    [goal] = [row for row in document["rows"] if row["block"] == "goal"]
    assert [cell["lang"] for cell in goal["cells"]] == ["ar", "en"]
    assert all("Learn Italian" in str(cell["html"]) for cell in goal["cells"])


def test_the_client_s_language(caseworker, agency):
    """The plan's when Sanad speaks it, else the client's first that it
    speaks, else the agency's; the agency's is its first interface language."""
    agency.languages = ["it", "fr"]
    agency.save(update_fields=["languages"])
    tigrinya = make_case(caseworker, make_client(caseworker, languages=["ti", "uk"]))
    assert plan_languages(tigrinya, "fa") == ("fa", "fr")
    assert plan_languages(tigrinya, "ti") == ("uk", "fr")
    assert plan_languages(tigrinya, "ti", asked="ar") == ("ar", "fr")
    alone = make_case(caseworker, make_client(caseworker, languages=["ti"]))
    assert plan_languages(alone, "ti") == ("fr", "fr")


def test_the_agreement_as_it_stands(caseworker, case, english_agency):
    goal = casework.add_goal(
        actor=caseworker, case_id=case.pk, domain="language", statement="Learn Italian"
    )
    case.refresh_from_db()
    [awaiting] = rows_html(plan_document(caseworker, case), "agreement")
    assert "Version 1 awaits the client" in awaiting

    casework.record_plan_agreement(
        actor=caseworker,
        case_id=case.pk,
        plan_version=1,
        method="not_obtained",
        reason="The client was in hospital",
    )
    [refused] = rows_html(plan_document(caseworker, case), "agreement")
    assert "Not obtained for version 1:" in refused
    assert "The client was in hospital" in refused

    casework.record_plan_agreement(
        actor=caseworker,
        case_id=case.pk,
        plan_version=goal.plan.version,
        method="signed_form",
        agreed_at=timezone.now(),
    )
    [agreed] = rows_html(plan_document(caseworker, case), "agreement")
    today = timezone.localdate().isoformat()
    assert f"Agreed on {today} for version 1: Signed form." in agreed


def test_the_plan_page_links_to_the_printable_plan(client_as, caseworker, case, plan):
    html = client_as(caseworker).get(reverse("casework:case_plan", args=[case.pk])).content
    assert reverse("reports:plan_print", args=[case.pk]).encode() in html
    assert reverse("reports:plan_pdf", args=[case.pk]).encode() in html
