"""Text of one direction inside text of the other.

On a page or in a document, ``<bdi>`` keeps a Latin case number in order
inside Arabic or Farsi (and an Arabic name inside English). Plain text (an
e-mail) has no elements: there the same isolation is two invisible
characters, FIRST STRONG ISOLATE and POP DIRECTIONAL ISOLATE (Unicode's
bidirectional algorithm, UAX #9), which every current mail reader honours.
"""

import unicodedata

LEFT_TO_RIGHT_ISOLATE = "\u2066"
FIRST_STRONG_ISOLATE = "\u2068"
POP_DIRECTIONAL_ISOLATE = "\u2069"


def text_dir(value) -> str:
    """ "rtl" or "ltr" from the first letter with a strong direction: what
    ``dir="auto"`` does in a browser and WeasyPrint does not, so a Latin note
    in an Arabic document (and the reverse) keeps its punctuation in place;
    "auto" when there is no such letter."""
    for character in str(value or ""):
        kind = unicodedata.bidirectional(character)
        if kind in ("R", "AL"):
            return "rtl"
        if kind == "L":
            return "ltr"
    return "auto"


def isolate_plain(value, *, page_rtl: bool) -> str:
    """``value`` as text for a plain-text message written right to left
    (``page_rtl``) or left to right: between isolates when it holds a letter
    running the other way, or when the message runs right to left (a date or
    a number there would be reordered after the word before it); as it is
    otherwise."""
    text = str(value)
    direction = text_dir(text)
    if not text or direction == ("rtl" if page_rtl else "ltr"):
        return text
    if direction == "auto" and not page_rtl:
        return text
    return f"{FIRST_STRONG_ISOLATE}{text}{POP_DIRECTIONAL_ISOLATE}"
