"""How a page writes a date: in the reader's calendar and digits.

A reader may choose the Solar Hijri calendar (the calendar of Iran and
Afghanistan: 2026-12-04 is 1405-09-13) and Persian digits (۱۴۰۵-۰۹-۱۳) for the
dates their pages show (``accounts.User.calendar`` and ``digits``, activated for
the request by ``accounts.middleware.TimeZoneMiddleware``). Stored and API
values stay Gregorian, ISO 8601 and Latin digits; so do machine-readable
formats on a page (``datetime="…"`` attributes, ``|date:"c"``), form fields and
addresses. A document (a PDF) and an e-mail are written in the calendar of
the person they are made for: the one who generated the PDF, the recipient
of the mail (``display_of``).

``format_date(value, format)`` takes Django's date format characters. In the
Solar Hijri calendar the date characters (``Y y m n d j M F b N E D l``) are
the Solar Hijri ones, with month and weekday names in Persian when the page is
in Persian and in their Latin spelling otherwise (Azar); the time characters
are Django's own.
"""

import contextlib
import contextvars
from collections.abc import Iterator
from datetime import date, datetime

import jdatetime
from django.utils import formats, translation
from django.utils.dateformat import format as django_format

GREGORIAN = "gregorian"
SOLAR_HIJRI = "solar_hijri"
CALENDARS = (GREGORIAN, SOLAR_HIJRI)

LATIN = "latin"
PERSIAN = "persian"
DIGITS = (LATIN, PERSIAN)

_calendar: contextvars.ContextVar[str] = contextvars.ContextVar("calendar", default=GREGORIAN)
_digits: contextvars.ContextVar[str] = contextvars.ContextVar("digits", default=LATIN)

_PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")

# Django's format characters → jdatetime's strftime, for the date part.
_SOLAR_HIJRI_CODES = {
    "Y": "%Y",
    "y": "%y",
    "m": "%m",
    "d": "%d",
    # Solar Hijri month names are not shortened: Azar, not Aza.
    "M": "%B",
    "b": "%B",
    "N": "%B",
    "F": "%B",
    "E": "%B",
    "D": "%a",
    "l": "%A",
}
# Formats for machines, never converted: ISO 8601, RFC 5322, Unix time.
MACHINE_FORMATS = frozenset({"c", "r", "U"})


def active() -> tuple[str, str]:
    """(calendar, digits) of the current request."""
    return _calendar.get(), _digits.get()


@contextlib.contextmanager
def display(calendar: str = GREGORIAN, digits: str = LATIN) -> Iterator[None]:
    """Dates written in ``calendar`` with ``digits`` inside the block."""
    calendar_token = _calendar.set(calendar if calendar in CALENDARS else GREGORIAN)
    digits_token = _digits.set(digits if digits in DIGITS else LATIN)
    try:
        yield
    finally:
        _calendar.reset(calendar_token)
        _digits.reset(digits_token)


@contextlib.contextmanager
def display_of(user) -> Iterator[None]:
    """Dates written in ``user``'s calendar and digits inside the block
    (Gregorian and Latin digits for anyone without a choice)."""
    with display(getattr(user, "calendar", "") or GREGORIAN, getattr(user, "digits", "") or LATIN):
        yield


def _solar_hijri(value: date, format_string: str) -> str:
    locale = "fa_IR" if translation.get_language() == "fa" else "en_US"
    if isinstance(value, datetime):
        converted = jdatetime.datetime.fromgregorian(datetime=value, locale=locale)
    else:
        converted = jdatetime.date.fromgregorian(date=value, locale=locale)
    pieces, escaped = [], False
    for char in format_string:
        if escaped:
            pieces.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char in _SOLAR_HIJRI_CODES:
            pieces.append(converted.strftime(_SOLAR_HIJRI_CODES[char]))
        elif char == "n":
            pieces.append(str(converted.month))
        elif char == "j":
            pieces.append(str(converted.day))
        elif char.isalpha():
            # Time characters (and the rest) as Django writes them.
            pieces.append(django_format(value, char))
        else:
            pieces.append(char)
    if escaped:
        pieces.append("\\")
    return "".join(pieces)


def format_date(value: date, format_string: str) -> str:
    """``value`` written with Django's ``format_string`` in the active
    calendar and digits."""
    calendar, digits = active()
    if format_string in MACHINE_FORMATS:
        return django_format(value, format_string)
    if calendar == SOLAR_HIJRI:
        text = _solar_hijri(value, format_string)
    else:
        text = django_format(value, format_string)
    return text.translate(_PERSIAN_DIGITS) if digits == PERSIAN else text


def date_format(value: date, format_name: str = "DATE_FORMAT") -> str:
    """Django's ``formats.date_format`` (a named format of the active
    language) in the active calendar and digits."""
    return format_date(value, formats.get_format(format_name))
