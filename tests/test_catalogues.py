"""Every shipped catalogue is complete (issue 15): no untranslated or fuzzy
entry, and no translation that loses or invents a placeholder. Plural forms
are checked through the catalogue's own Plural-Forms rule, for the counts a
page really shows."""

import gettext
import re
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.utils import translation
from django.utils.translation import ngettext

LOCALE = Path(settings.BASE_DIR) / "locale"
SHIPPED = [code for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]
PLACEHOLDER = re.compile(r"%\([^)]+\)[sdfr]|%[sdfr]|\{[A-Za-z_][A-Za-z0-9_]*\}")


def catalogue(language: str) -> polib.POFile:
    return polib.pofile(str(LOCALE / language / "LC_MESSAGES" / "django.po"))


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def test_every_language_but_english_ships_a_catalogue():
    assert set(SHIPPED) == {"ar", "fa", "fr", "uk"}
    for language in SHIPPED:
        assert (LOCALE / language / "LC_MESSAGES" / "django.po").is_file(), language
        assert (LOCALE / language / "LC_MESSAGES" / "django.mo").is_file(), language


@pytest.mark.parametrize("language", SHIPPED)
def test_the_catalogue_is_complete(language):
    po = catalogue(language)
    live = [entry for entry in po if not entry.obsolete]
    untranslated = [
        entry.msgid for entry in live if not entry.translated() and "fuzzy" not in entry.flags
    ]
    fuzzy = [entry.msgid for entry in live if "fuzzy" in entry.flags]
    assert len(live) > 1500
    assert not untranslated, f"{len(untranslated)} untranslated in {language}: {untranslated[:10]}"
    assert not fuzzy, f"{len(fuzzy)} fuzzy in {language}: {fuzzy[:10]}"


@pytest.mark.parametrize("language", SHIPPED)
def test_no_translation_loses_a_placeholder(language):
    po = catalogue(language)
    plural_of = gettext.c2py(po.metadata["Plural-Forms"].split("plural=")[1].rstrip(";"))
    problems = []
    for entry in po:
        if entry.obsolete or not entry.translated():
            continue
        if not entry.msgid_plural:
            if placeholders(entry.msgstr) != placeholders(entry.msgid):
                problems.append(f"{entry.msgid!r}: {entry.msgstr!r}")
            continue
        allowed = placeholders(entry.msgid) | placeholders(entry.msgid_plural)
        needed = placeholders(entry.msgid_plural)
        for count in (0, 1, 2, 3, 5, 11, 21, 100):
            form = entry.msgstr_plural[plural_of(count)]
            found = placeholders(form)
            # A form for 0, 1 or 2 may say the number in words ("one case",
            # Arabic's dual): it may leave out one placeholder, never more.
            missing = len(needed - found)
            if not found <= allowed or missing > (1 if count <= 2 else 0):
                problems.append(f"{entry.msgid_plural!r} for {count}: {form!r}")
    assert not problems, f"{len(problems)} in {language}:\n" + "\n".join(problems[:20])


@pytest.mark.parametrize("language", SHIPPED)
def test_the_catalogue_is_compiled_from_its_source(language):
    """The .mo beside the .po holds the same translations (compilemessages was run)."""
    po = catalogue(language)
    mo = polib.mofile(str(LOCALE / language / "LC_MESSAGES" / "django.mo"))
    compiled = {(entry.msgctxt, entry.msgid): entry.msgstr or entry.msgstr_plural for entry in mo}
    stale = [
        entry.msgid
        for entry in po
        if not entry.obsolete
        and entry.translated()
        and not entry.msgid_plural
        and compiled.get((entry.msgctxt, entry.msgid)) != entry.msgstr
    ]
    assert not stale, f"{len(stale)} stale in {language}.mo (make messages): {stale[:5]}"


UKRAINIAN_PLURALS = {1: 0, 2: 1, 3: 1, 4: 1, 5: 2, 11: 2, 12: 2, 14: 2, 21: 0, 22: 1, 25: 2, 111: 2}


def test_ukrainian_plural_rule_picks_one_few_and_many():
    plural_of = gettext.c2py(
        catalogue("uk").metadata["Plural-Forms"].split("plural=")[1].rstrip(";")
    )
    assert {count: plural_of(count) for count in UKRAINIAN_PLURALS} == UKRAINIAN_PLURALS


@pytest.mark.parametrize("count", [1, 2, 5, 21])
def test_ukrainian_counts_agree_with_their_number(count):
    """1 and 21 take the singular (справа), 2 the few form (справи), 5 the many (справ)."""
    entry = next(
        entry for entry in catalogue("uk") if entry.msgid == "%(name)s — %(count)d open case"
    )
    with translation.override("uk"):
        shown = ngettext(entry.msgid, entry.msgid_plural, count) % {"name": "A", "count": count}
    expected = entry.msgstr_plural[UKRAINIAN_PLURALS[count]] % {"name": "A", "count": count}
    assert shown == expected
    assert str(count) in shown
    # The three forms a page shows really differ.
    assert len({entry.msgstr_plural[0], entry.msgstr_plural[1], entry.msgstr_plural[2]}) == 3
