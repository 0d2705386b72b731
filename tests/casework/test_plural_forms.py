"""Counts shown with a noun go through ngettext / blocktranslate count (issue
11): the French inbox said "2 acceptée". The catalogues carry a singular and a
plural for each such count."""

import re
from pathlib import Path

import pytest
from django.conf import settings

LOCALE = Path(settings.BASE_DIR) / "locale"


def plural_entries(language: str) -> dict[str, list[str]]:
    """{msgid: [msgstr[0], msgstr[1], …]} of the catalogue's plural entries."""
    text = (LOCALE / language / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8")
    entries = {}
    for block in text.split("\n\n"):
        if block.lstrip().startswith("#~") or "msgid_plural" not in block:
            continue
        msgid = "".join(re.findall(r'"(.*)"', block.split("msgid_plural")[0].split("msgid ", 1)[1]))
        forms = re.findall(r'msgstr\[\d\] "(.*)"', block)
        entries[msgid] = forms
    return entries


@pytest.mark.parametrize(
    "msgid, singular, plural",
    [
        ("<strong>%(counter)s</strong> accepted", "acceptée", "acceptées"),
        ("<strong>%(counter)s</strong> new", "nouvelle", "nouvelles"),
        ("%(name)s — %(count)d open case", "dossier ouvert", "dossiers ouverts"),
        ("%(counter)s case selected", "sélectionné", "sélectionnés"),
    ],
)
def test_french_counts_agree_with_their_number(msgid, singular, plural):
    forms = plural_entries("fr")[msgid]
    assert singular in forms[0] and plural not in forms[0]
    assert plural in forms[1]


@pytest.mark.parametrize(
    "msgid",
    [
        "<strong>%(counter)s</strong> accepted",
        "%(name)s — %(count)d open case",
        "%(count)d case is now assigned to %(name)s.",
    ],
)
def test_arabic_has_all_six_plural_forms(msgid):
    assert len(plural_entries("ar")[msgid]) == 6


def test_the_inbox_counts_are_plural_aware():
    inbox = (Path(settings.BASE_DIR) / "templates" / "referrals" / "inbox.html").read_text()
    assert '{% translate "accepted" %}' not in inbox
    # new, accepted, overdue, accepted without a case: every count is plural-aware
    assert inbox.count("blocktranslate count counter=counts.") == inbox.count('data-count="')
