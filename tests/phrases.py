"""The catalogue's English phrases a translated text must not show: shared by
the browser journeys (``tests/e2e/support.py``) and the documents' check
(``tests/reports/test_documents_in_every_language.py``)."""

import functools
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# %(name)s, %s, %d, {name}: a msgid with a placeholder never shows verbatim.
PLACEHOLDER = re.compile(r"%(\([^)]*\))?[-#0 +]*\d*(\.\d+)?[sdifr]|\{[^}]*\}")


@functools.cache
def translated_phrases(language: str) -> tuple[str, ...]:
    """The msgids of ``language``'s catalogue that a text in that language
    must not show in English: translated (not fuzzy), two words or more, no
    placeholder and no markup, and translated into something else than the
    msgid itself. Longest first."""
    import polib

    catalogue = polib.pofile(str(ROOT / "locale" / language / "LC_MESSAGES" / "django.po"))
    phrases = set()
    for entry in catalogue.translated_entries():
        text = " ".join(entry.msgid.split())
        if len(text.split()) < 2 or PLACEHOLDER.search(text) or "<" in text:
            continue
        translations = [entry.msgstr] if entry.msgstr else list(entry.msgstr_plural.values())
        if any(" ".join(translation.split()) == text for translation in translations):
            continue
        phrases.add(text)
    return tuple(sorted(phrases, key=len, reverse=True))


def untranslated_in(text: str, language: str) -> list[str]:
    """The catalogue's English phrases that ``text`` holds, as whole words,
    although ``language`` translates them (none for English)."""
    if language == "en":
        return []
    text = " ".join(text.split())
    return [
        phrase
        for phrase in translated_phrases(language)
        if phrase in text and re.search(rf"(?<!\w){re.escape(phrase)}(?!\w)", text)
    ]
