"""How every page shows a time: in the reader's zone, with the zone's name.

``{{ note.created_at|local_time }}`` renders
``<time datetime="2026-12-03T13:05:00Z" dir="ltr">2026-12-03 14:05 CET</time>``:
the text in the zone the request activated (``accounts.middleware``), always
followed by that zone's abbreviation (or its UTC offset where the zone has no
abbreviation), and the machine-readable instant in UTC. ``|local_time:"H:i"``
and ``|local_time:"Y-m-d H:i:s"`` choose the date and time part; the zone is
always added. A date without a time is shown as a date, without a zone; an
ISO 8601 instant given as text is read as one.

Dates are written in the reader's calendar and digits (``config.http.calendars``):
``|local_time`` and Django's own ``|date`` filter, which this library replaces
for every template; machine-readable formats (``|date:"c"``, ``datetime="…"``)
stay ISO 8601.

Loaded for every template (``TEMPLATES`` ``builtins`` in config.settings).
"""

from datetime import UTC, date, datetime

from django import template
from django.template.defaultfilters import date as django_date
from django.utils import formats, timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.html import format_html

from config.http.bidi import LEFT_TO_RIGHT_ISOLATE, POP_DIRECTIONAL_ISOLATE
from config.http.calendars import GREGORIAN, LATIN, MACHINE_FORMATS, active, format_date

register = template.Library()

DEFAULT_FORMAT = "Y-m-d H:i"


@register.filter("date", expects_localtime=True, is_safe=False)
def calendar_date(value, arg=None):
    """Django's ``|date``, in the reader's calendar and digits."""
    if value in (None, "") or active() == (GREGORIAN, LATIN) or arg in MACHINE_FORMATS:
        return django_date(value, arg)
    try:
        return format_date(value, formats.get_format(arg or "DATE_FORMAT"))
    except (AttributeError, TypeError, ValueError):
        return ""


@register.filter(expects_localtime=False)
def local_time(value, time_format: str = DEFAULT_FORMAT):
    """An aware datetime as a ``<time>`` element in the current zone, with the zone."""
    if value in (None, ""):
        return ""
    if isinstance(value, str):
        # An ISO 8601 instant kept as text (a referral packet's snapshot).
        value = parse_datetime(value) or value
    if isinstance(value, datetime):
        if timezone.is_naive(value):
            value = value.replace(tzinfo=UTC)
        local = timezone.localtime(value)
        instant = value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return format_html(
            '<time datetime="{}" dir="ltr">{} {}</time>',
            instant,
            format_date(local, time_format),
            zone_abbreviation(local),
        )
    if isinstance(value, date):
        return format_html(
            '<time datetime="{}" dir="ltr">{}</time>',
            value.isoformat(),
            format_date(value, "Y-m-d"),
        )
    return value


@register.filter(expects_localtime=False)
def local_time_text(value: datetime, time_format: str = DEFAULT_FORMAT) -> str:
    """An aware datetime as plain text in the current zone, with the zone
    (``14:05 CET``): what ``|local_time`` shows, for a message, a mail or a PDF
    (where a thousand ``<time>`` elements cost layout time); between Unicode
    isolates in a right-to-left language."""
    if value in (None, ""):
        return ""
    local = timezone.localtime(value)
    text = f"{format_date(local, time_format)} {zone_abbreviation(local)}"
    if translation.get_language_bidi():
        # Left to right inside Arabic or Farsi text, as ``<time dir="ltr">``
        # keeps it on a page: else "2026-12-04" reads "04-12-2026".
        return f"{LEFT_TO_RIGHT_ISOLATE}{text}{POP_DIRECTIONAL_ISOLATE}"
    return text


def zone_abbreviation(value: datetime) -> str:
    """ "CET", "CEST", "UTC"; "+03" style for zones without an abbreviation."""
    return value.tzname() or format_date(value, "O")
