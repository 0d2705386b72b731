"""Normalised search keys for names in any script.

Two keys are derived from every name:

* ``normalise(text)`` — the text with case, diacritics (Latin accents, Arabic
  harakat, shadda), tatweel and Arabic letter variants folded away: alef forms
  (أ إ آ ٱ → ا), taa marbuta (ة → ه), alif maqsura and Farsi yeh (ى ی → ي),
  Farsi kaf (ک → ك), hamza seats (ؤ → و, ئ → ي). Substring search runs on it.
* ``skeleton(token)`` — a consonant skeleton shared by the ways one name is
  written across scripts and transliterations: محمد, Mohammed, MOHAMMED,
  Muhammad and Mohamed all give ``mhmd``. Arabic and Farsi letters map to
  Latin consonants by hand; every other script (Cyrillic, Ge'ez,
  Georgian, Devanagari, Greek…) is first transliterated by anyascii, so
  Олександр, Александр, Oleksandr and Aleksandr all give ``alksndr`` and
  ሳባ ሃይለ gives the skeletons of Saba Haile. Vowels (and the weak letters ا و ي) after the
  first letter are dropped; doubled letters collapse; a leading vowel is ``a``;
  a final ``h`` (taa marbuta, Fatimah) is dropped.
  Whole-token matches on it find a name written another way.
"""

import re
import unicodedata

from anyascii import anyascii

_ARABIC_VARIANTS = str.maketrans(
    {
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ة": "ه",
        "ى": "ي",
        "ی": "ي",
        "ې": "ي",
        "ک": "ك",
        "ڪ": "ك",
        "ؤ": "و",
        "ئ": "ي",
        "ـ": None,  # tatweel
        "\u200c": None,
        "\u200d": None,  # zero-width (non-)joiner, common in Farsi
    }
)

# Arabic-script letters → the Latin symbols of a skeleton, already in the folded
# form the Latin spelling reaches below (kh → k, sh → s, g → j …). By hand:
# a generic transliteration writes Arabic as its scholars do (ʿ, ḥ, ā), not as
# names are spelled on papers (Mohammed, al-Hassan). Every other script goes
# through anyascii.
_ARABIC_TO_SKELETON = {
    # Arabic and Farsi
    "ا": "a",
    "ب": "b",
    "پ": "b",
    "ت": "t",
    "ث": "t",
    "ج": "j",
    "چ": "s",
    "ح": "h",
    "خ": "k",
    "د": "d",
    "ذ": "d",
    "ر": "r",
    "ز": "z",
    "ژ": "z",
    "س": "s",
    "ش": "s",
    "ص": "s",
    "ض": "d",
    "ط": "t",
    "ظ": "z",
    "ع": "a",
    "غ": "j",
    "ف": "f",
    "ق": "k",
    "ك": "k",
    "گ": "j",
    "ل": "l",
    "م": "m",
    "ن": "n",
    "ه": "h",
    "و": "w",
    "ي": "y",
    "ء": "",
}

# Latin spellings that stand for one sound across transliteration habits.
_LATIN_DIGRAPHS = [
    ("sch", "sh"),
    ("ch", "sh"),
    ("kh", "k"),
    ("gh", "g"),
    ("th", "t"),
    ("dh", "d"),
    ("ph", "f"),
    ("sh", "s"),
    ("zh", "z"),
    ("ts", "s"),
    ("ck", "k"),
    ("dj", "j"),
]
_LATIN_LETTERS = str.maketrans({"q": "k", "c": "k", "g": "j", "v": "f", "p": "b", "x": "ks"})
_VOWELS = set("aeiouyw")


def _words(text: str) -> list[str]:
    """Runs of letters, digits and the combining marks inside them (a Devanagari
    or Ge'ez vowel sign is a mark, and part of its word: \\w alone splits there)."""
    words, current = [], []
    for ch in text:
        if ch.isalnum() or (current and unicodedata.category(ch)[0] == "M"):
            current.append(ch)
        elif current:
            words.append("".join(current))
            current = []
    if current:
        words.append("".join(current))
    return words


def _strip_marks(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    # Combining marks: Latin accents and Arabic harakat/shadda/sukun/dagger alef.
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def normalise(text: str) -> str:
    """Case-, diacritic- and letter-variant-insensitive form of ``text``."""
    if not text:
        return ""
    folded = _strip_marks(text).casefold().translate(_ARABIC_VARIANTS)
    folded = unicodedata.normalize("NFKC", folded)
    return " ".join(_words(folded))


_ARTICLES = {"al", "el", "ul"}


def tokens(text: str) -> list[str]:
    """Normalised words of ``text``; the Arabic article is split off (الحسن →
    حسن) since Latin spellings write it apart (al-Hassan)."""
    words = []
    for token in normalise(text).split():
        if token.startswith("ال") and len(token) > 3:
            token = token[2:]
        words.append(token)
    return words


# Ukrainian writes г as h in Latin (Hryhorii, Olha): anyascii's
# one spelling for every Cyrillic language would give g.
_BEFORE_ANYASCII = str.maketrans({"г": "h"})


def _latin_symbols(latin: str) -> str:
    for digraph, single in _LATIN_DIGRAPHS:
        latin = latin.replace(digraph, single)
    return latin.translate(_LATIN_LETTERS)


def _symbols(token: str) -> str:
    """Latin symbols of one token, or "" when it has no letters."""
    letters = [ch for ch in token if ch.isalpha()]
    if not letters:
        return ""
    if all(ch.isascii() for ch in letters):
        return _latin_symbols("".join(letters))
    if all(ch in _ARABIC_TO_SKELETON for ch in letters):
        return "".join(_ARABIC_TO_SKELETON[ch] for ch in letters)
    latin = anyascii(token.translate(_BEFORE_ANYASCII)).casefold()
    return _latin_symbols("".join(ch for ch in latin if ch.isascii() and ch.isalpha()))


def skeleton(token: str) -> str:
    """The consonant skeleton of one normalised token ("" if it has no mapping)."""
    symbols = _symbols(token)
    if not symbols:
        return ""
    first, rest = symbols[0], symbols[1:]
    if first in "aeiou":
        first = "a"
    consonants = [first] + [ch for ch in rest if ch not in _VOWELS]
    collapsed = [ch for i, ch in enumerate(consonants) if i == 0 or ch != consonants[i - 1]]
    # A final h is mostly a vowel ending (taa marbuta, Fatimah, Abdullah).
    if len(collapsed) > 2 and collapsed[-1] == "h":
        collapsed.pop()
    return "".join(collapsed)


def skeletons(text: str) -> list[str]:
    return [key for key in (skeleton(token) for token in tokens(text)) if key]


def name_key(text: str) -> str:
    """The key duplicate detection compares: the skeletons of a name's words,
    articles left out, in alphabetical order (so word order does not matter)."""
    words = [token for token in tokens(text) if token not in _ARTICLES]
    return " ".join(sorted(key for key in (skeleton(token) for token in words) if key))


# The Arabic article assimilated to a following "sun letter" (ash-Shami,
# as-Sayed, ad-Din, ar-Rahman, at-Tamimi, az-Zahra, an-Nasser): the article
# only when the next word starts with its consonant.
_SUN_ARTICLES = ("ash", "as", "ad", "ar", "at", "az", "an", "ath", "adh")
_LATIN_VOWELS = set("aeiouy")


def _is_article(token: str, following: str) -> bool:
    if token in _ARTICLES:
        return True
    return token in _SUN_ARTICLES and following.startswith(token[1:])


def without_joined_article(token: str) -> str:
    """``token`` without an Arabic article written joined to it in Latin
    letters ("alhassan" → "hassan", "elmasri" → "masri", "ashshami" →
    "shami"), or "" when it has none. Only before a consonant and at least
    three letters, so that Alexander, Alina, Elena, Allen or Anna stay whole."""
    if not token.isascii():
        return ""
    for article in _SUN_ARTICLES:
        rest = token[len(article) :]
        if token.startswith(article) and len(rest) >= 3 and rest.startswith(article[1:]):
            return rest
    if token[:2] in ("al", "el"):
        rest = token[2:]
        if len(rest) >= 3 and rest[0].isalpha() and rest[0] not in _LATIN_VOWELS | {"l"}:
            return rest
    return ""


def search_terms(text: str) -> list[tuple[str, ...]]:
    """The words of a search, each as the spellings any of which may match:
    an article written apart is joined to the next word or left out
    ("el hassan" → ("hassan", "elhassan")), one written joined is also split
    off ("alhassan" → ("alhassan", "hassan"))."""
    words = tokens(text)
    terms: list[tuple[str, ...]] = []
    index = 0
    while index < len(words):
        word = words[index]
        following = words[index + 1] if index + 1 < len(words) else ""
        if following and _is_article(word, following):
            terms.append((following, word + following))
            index += 2
            continue
        rest = without_joined_article(word)
        terms.append((word, rest) if rest else (word,))
        index += 1
    return terms


def latin_length(token: str) -> int:
    """How many Latin letters ``token`` is written with (ሳባ is "saba": 4)."""
    return len(_symbols(token))


def ends_in_vowel(token: str) -> bool:
    """Whether the last letter of ``token`` (read as its Latin symbols) is a vowel."""
    symbols = _symbols(token)
    return bool(symbols) and symbols[-1] in _LATIN_VOWELS


def search_text(*names: str) -> str:
    """What a client's name search runs on: every normalised token and every
    skeleton (``~`` before it), each wrapped in spaces, so a whole-token match
    is ``" tok "`` and a prefix ``" to"``. An Arabic article is also stored
    joined to the next word and split off where it was joined (al-Hassan gives
    "al", "hassan" and "alhassan"; Alhasan gives "alhasan" and "hasan"), so
    every way of writing it finds the others."""
    words: list[str] = []

    def add(token: str) -> None:
        words.append(token)
        key = skeleton(token)
        if key:
            words.append(f"~{key}")

    for name in names:
        name_tokens = tokens(name)
        for index, token in enumerate(name_tokens):
            following = name_tokens[index + 1] if index + 1 < len(name_tokens) else ""
            if following and _is_article(token, following):
                # No skeleton of the article alone: "Ali" (~al) must not find al-Hassan.
                words.append(token)
                add(token + following)
                continue
            add(token)
            rest = without_joined_article(token)
            if rest:
                add(rest)
    return " " + " ".join(dict.fromkeys(words)) + " "


def document_number_key(number: str) -> str:
    """Document numbers compared without spaces, dashes, dots or case."""
    return re.sub(r"[^0-9A-Z]", "", _strip_marks(number).upper())
