"""Mixed-direction text (issue 15): a value whose direction the page cannot
know — a client's name, a case number, a referral reference, an agency's
name — is isolated wherever it shows in running text or a table cell: inside
a ``<bdi>`` or an element with its own ``dir`` (``dir="auto"`` for a name;
an element with a ``dir`` attribute is isolated by HTML's own style sheet).
Otherwise a Latin case number in an Arabic sentence, or an Arabic name in an
English one, drags the punctuation and digits around it to the wrong side.

Each page is rendered the way a person sees it: in Arabic with the Latin
case number and reference, in English with the client's Arabic name
(``make_client`` registers "محمد الحسن"). Every occurrence of the value in
the page's text is checked, not only the first; the document's <title>
(text only, no markup possible) and form controls are left out.
"""

from html.parser import HTMLParser

import pytest
from django.urls import reverse

from tests.factories import make_referral
from tests.helpers import page

pytestmark = pytest.mark.django_db

# Text that is not running text: the window title, a select's options, form
# controls' contents, scripts and styles.
NOT_RUNNING_TEXT = {"title", "option", "textarea", "script", "style"}
VOID = {
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
    "track", "wbr",
}  # fmt: skip


class Occurrences(HTMLParser):
    """Where ``needle`` shows in the page's text, each with whether it is isolated."""

    def __init__(self, needle: str):
        super().__init__(convert_charrefs=True)
        self.needle = needle
        self.stack: list[tuple[str, dict]] = []
        self.found: list[tuple[bool, str]] = []

    def handle_starttag(self, tag, attrs):
        if tag not in VOID:
            self.stack.append((tag, dict(attrs)))

    def handle_startendtag(self, tag, attrs):
        pass

    def handle_endtag(self, tag):
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                return

    def handle_data(self, data):
        if self.needle not in data:
            return
        tags = [tag for tag, _attributes in self.stack]
        if NOT_RUNNING_TEXT & set(tags):
            return
        isolated = any(
            tag == "bdi" or (tag != "html" and "dir" in attributes)
            for tag, attributes in self.stack
        )
        where = " > ".join(tags[-4:])
        self.found.append((isolated, f"line {self.getpos()[0]} [{where}]: {data.strip()[:80]!r}"))


def occurrences(html: str, needle: str) -> list[tuple[bool, str]]:
    parser = Occurrences(needle)
    parser.feed(html)
    parser.close()
    return parser.found


def assert_isolated(html: str, needle: str) -> None:
    found = occurrences(html, needle)
    assert found, f"{needle!r} is not in the page's text"
    loose = [where for isolated, where in found if not isolated]
    assert not loose, f"{needle!r} not isolated:\n" + "\n".join(loose)


def test_the_checker_tells_isolated_from_loose_text():
    html = (
        "<html dir='rtl'><head><title>الحالة AMAL-1</title></head><body>"
        "<h1>الحالة <bdi dir='ltr'>AMAL-1</bdi></h1><td dir='auto'>AMAL-1</td>"
        "<p>الحالة AMAL-1، مفتوحة</p><select><option>AMAL-1</option></select></body></html>"
    )
    assert [isolated for isolated, _where in occurrences(html, "AMAL-1")] == [True, True, False]


@pytest.fixture
def in_arabic(caseworker):
    caseworker.preferred_language = "ar"
    caseworker.save(update_fields=["preferred_language"])
    return caseworker


@pytest.fixture
def referral(caseworker, case, consent, partner_agency):
    return make_referral(caseworker, case, partner_agency)


# --- Arabic pages, Latin numbers -------------------------------------------------------------


def test_the_case_page_in_arabic_isolates_the_case_number(client_as, in_arabic, case):
    html = page(client_as(in_arabic).get(reverse("casework:case_detail", args=[case.pk])))
    assert '<html lang="ar" dir="rtl">' in html
    assert case.number.isascii()
    assert_isolated(html, case.number)
    assert_isolated(html, "Amal Refugee Support")  # the agency, in the case's facts
    assert_isolated(html, "Layla Caseworker")  # the assigned caseworker


def test_the_case_list_in_arabic_isolates_the_case_number(client_as, in_arabic, case):
    html = page(client_as(in_arabic).get(reverse("casework:case_list")))
    assert 'dir="rtl"' in html
    assert_isolated(html, case.number)
    assert_isolated(html, "Layla Caseworker")


def test_the_case_history_in_arabic_isolates_the_case_number(client_as, supervisor, case):
    supervisor.preferred_language = "ar"
    supervisor.save(update_fields=["preferred_language"])
    html = page(client_as(supervisor).get(reverse("casework:case_history", args=[case.pk])))
    assert_isolated(html, case.number)


def test_the_referral_inbox_in_arabic_isolates_references_numbers_and_agencies(
    client_as, in_arabic, referral, case
):
    html = page(client_as(in_arabic).get(reverse("referrals:inbox"), {"direction": "outgoing"}))
    assert 'dir="rtl"' in html
    assert_isolated(html, referral.reference)
    assert_isolated(html, case.number)
    assert_isolated(html, "Casa Comune")


def test_the_partner_inbox_in_arabic_isolates_the_sending_agency(
    client_as, referral_officer, referral
):
    referral_officer.preferred_language = "ar"
    referral_officer.save(update_fields=["preferred_language"])
    html = page(client_as(referral_officer).get(reverse("referrals:inbox")))
    assert_isolated(html, referral.reference)
    assert_isolated(html, "Amal Refugee Support")


def test_the_referral_page_in_arabic_isolates_its_reference_and_agencies(
    client_as, in_arabic, referral, case
):
    html = page(client_as(in_arabic).get(reverse("referrals:referral_detail", args=[referral.pk])))
    assert_isolated(html, referral.reference)
    assert_isolated(html, case.number)
    assert_isolated(html, "Casa Comune")
    assert_isolated(html, "Amal Refugee Support")


def test_the_referral_form_in_arabic_isolates_the_case_number(client_as, in_arabic, case, consent):
    html = page(client_as(in_arabic).get(reverse("referrals:referral_new", args=[case.pk])))
    assert_isolated(html, case.number)


# --- English pages, an Arabic name -----------------------------------------------------------


def test_the_case_page_in_english_isolates_the_arabic_name(client_as, caseworker, case):
    name = case.client.name
    assert name == "محمد الحسن"
    html = page(client_as(caseworker).get(reverse("casework:case_detail", args=[case.pk])))
    assert '<html lang="en" dir="ltr">' in html
    assert_isolated(html, name)


def test_the_client_page_in_english_isolates_the_arabic_name(client_as, caseworker, case):
    html = page(client_as(caseworker).get(reverse("casework:client_detail", args=[case.client_id])))
    assert_isolated(html, case.client.name)


def test_the_case_list_in_english_isolates_the_arabic_name(client_as, caseworker, case):
    html = page(client_as(caseworker).get(reverse("casework:case_list")))
    assert_isolated(html, case.client.name)


def test_the_referral_form_in_english_isolates_the_arabic_name(
    client_as, caseworker, case, consent
):
    html = page(client_as(caseworker).get(reverse("referrals:referral_new", args=[case.pk])))
    assert_isolated(html, case.client.name)


def test_an_arabic_staff_name_is_isolated_in_english(client_as, caseworker, case):
    caseworker.display_name = "ليلى"
    caseworker.save(update_fields=["display_name"])
    html = page(client_as(caseworker).get(reverse("casework:case_detail", args=[case.pk])))
    # The header's link to the account, the assigned caseworker, the note form's author…
    assert_isolated(html, "ليلى")
    home = page(client_as(caseworker).get(reverse("accounts:home")))
    assert_isolated(home, "ليلى")  # "Welcome, …"
