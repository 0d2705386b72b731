"""The send form, as axe-core and a keyboard user read it (issue 15): heading
levels go one step at a time (h1, then h2: no h3 right under the h1), on the
form, its draft's edit form, the panel htmx swaps in, and the referral page
that shows the same panel inside a section; each urgency radio button sits
beside its own label."""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from tests.factories import make_referral
from tests.helpers import page

pytestmark = pytest.mark.django_db


class Headings(HTMLParser):
    def __init__(self):
        super().__init__()
        self.levels: list[int] = []

    def handle_starttag(self, tag, attrs):
        if re.fullmatch(r"h[1-6]", tag):
            self.levels.append(int(tag[1]))


def heading_levels(html: str) -> list[int]:
    parser = Headings()
    parser.feed(html)
    return parser.levels


def skipped_levels(levels: list[int], start: int = 0) -> list[str]:
    """Each heading more than one level under the one before it."""
    problems, previous = [], start
    for level in levels:
        if level > previous + 1:
            problems.append(f"h{level} after h{previous or '-'}")
        previous = level
    return problems


def test_the_checker_sees_a_skipped_level():
    assert skipped_levels(heading_levels("<h1>a</h1><h3>b</h3><h2>c</h2><h3>d</h3>")) == [
        "h3 after h1"
    ]
    assert skipped_levels([2], start=1) == []
    assert skipped_levels([3], start=1) == ["h3 after h1"]


def test_the_send_form_has_sequential_headings(client_as, caseworker, case, consent):
    html = page(client_as(caseworker).get(reverse("referrals:referral_new", args=[case.pk])))
    levels = heading_levels(html)
    assert levels[0] == 1 and levels.count(1) == 1, levels
    assert skipped_levels(levels) == [], levels
    assert "<h2>What Sanad checked</h2>" in html


def test_the_panel_swapped_into_the_form_keeps_its_level(
    client_as, caseworker, case, consent, partner_agency
):
    response = client_as(caseworker).get(
        reverse("referrals:referral_check", args=[case.pk]),
        {"to_agency": partner_agency.pk, "data_categories": ["identity"], "chosen": "1"},
        HTTP_HX_REQUEST="true",
    )
    html = page(response)
    assert html.startswith('<div id="referral-check"')
    # It replaces the panel inside the form, right under the page's h1.
    assert heading_levels(html) == [2]
    sharing = page(
        client_as(caseworker).get(
            reverse("referrals:referral_check", args=[case.pk]),
            {"to_agency": partner_agency.pk, "part": "sharing"},
            HTTP_HX_REQUEST="true",
        )
    )
    assert heading_levels(sharing) == [2]


def test_the_draft_edit_form_and_the_draft_page_have_sequential_headings(
    client_as, caseworker, case, consent, partner_agency
):
    draft = make_referral(caseworker, case, partner_agency, send=False)
    edit = page(client_as(caseworker).get(reverse("referrals:referral_edit", args=[draft.pk])))
    assert skipped_levels(heading_levels(edit)) == [], heading_levels(edit)
    detail = page(client_as(caseworker).get(reverse("referrals:referral_detail", args=[draft.pk])))
    assert 'id="referral-check"' in detail
    # On the referral page the panel sits in the "Consent" section (an h2): an h3.
    assert "<h3>What Sanad checked</h3>" in detail
    assert skipped_levels(heading_levels(detail)) == [], heading_levels(detail)


def test_each_urgency_radio_sits_beside_its_label(client_as, caseworker, case, consent):
    html = page(client_as(caseworker).get(reverse("referrals:referral_new", args=[case.pk])))
    fieldset = re.search(
        r'<fieldset class="field field-choices[^"]*"[^>]*>\s*<legend>Urgency</legend>'
        r".*?</fieldset>",
        html,
        re.S,
    )
    assert fieldset, "no urgency fieldset"
    group = fieldset.group(0)
    # One row of radio buttons, not the two columns of a long checkbox list.
    assert '<ul class="choices choices-radio">' in group
    items = re.findall(r"<li>(.*?)</li>", group, re.S)
    assert len(items) == 3
    for item in items:
        # The button, then its own label, in one list item: side by side.
        match = re.fullmatch(
            r'\s*<input type="radio" name="urgency" value="(\w+)"[^>]* id="([\w-]+)"[^>]*>'
            r'\s*<label for="([\w-]+)">[^<]+</label>\s*',
            item,
        )
        assert match, item
        assert match.group(2) == match.group(3)


def test_the_style_sheet_lays_a_choice_beside_its_label():
    """The rules that do it: a list item is a row (box, then label), and the
    label is not the block every other form label is."""
    css = (Path(settings.BASE_DIR) / "static" / "css" / "sanad.css").read_text(encoding="utf-8")
    rules = {
        selector.strip(): body
        for selector, body in re.findall(
            r"([^{}]+)\{([^{}]*)\}", re.sub(r"/\*.*?\*/", "", css, flags=re.S)
        )
    }
    assert "display: flex" in rules[".choices li"]
    assert "display: inline" in rules[".field .choices label"]
    assert "display: block" in rules[".field label"]  # the rule it overrides, by specificity
    radio_row = rules[".choices-radio"]
    assert "display: flex" in radio_row and "flex-wrap: wrap" in radio_row
    assert "columns: auto" in radio_row
