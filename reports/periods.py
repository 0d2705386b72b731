"""The agency and period of an agency's report: the agency checked against the
reader's role there, the period parsed once, in the agency's time zone.

The statistics and the disclosure register of an agency count what happened
within a period of days. Those days are the *agency's*: a case opened at
23:30 in Tokyo on 31 March belongs to March in Tokyo's statistics whoever
reads them, wherever they are. So the page, the API, the downloads and the
report jobs all take "today" (the default end) and the period's boundaries
from ``agency_zone(agency)``, never from the reader's zone, and show the same
figures for the same period.

``parse_period`` reads the ``from``/``to`` parameters of every one of them: a
month (``YYYY-MM``, its first day for ``from``, its last for ``to``) or a day
(``YYYY-MM-DD``). Years are limited to ``MIN_YEAR`` … next year: Sanad holds no
record before 2000, and a limit keeps date arithmetic far from ``date.max``
(``9999-12`` would overflow computing the day after the period, a 500).

``get_report_agency`` finds the agency a report is asked for (the statistics
and the disclosure register each with their own permission): 404 before 403,
as every scoped read in Sanad.
"""

from __future__ import annotations

import calendar
import datetime
import re
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import Agency, User
from accounts.permissions import Perm
from accounts.selectors import agencies_of, holds_in
from casework.selectors import is_uuid
from config.errors import Forbidden, InvalidInput, NotFound

# No agency kept records in Sanad before this year; earlier dates are typing errors.
MIN_YEAR = 2000


def max_year(today: datetime.date) -> int:
    """The last year a period may reach: next year (a report planned ahead)."""
    return today.year + 1


# A month or a day in ASCII digits, and nothing else (``date.fromisoformat``
# alone would also take ``20260105`` or ``2026-W01-1``, which the schema does
# not promise).
_SHAPE = re.compile(r"[0-9]{4}-[0-9]{2}(?:-[0-9]{2})?", re.ASCII)


def period_bound_pattern(today: datetime.date) -> str:
    """The ECMA/Python regular expression of exactly the values ``from`` and
    ``to`` accept (blank for the default, a month, a real day) in the years
    ``MIN_YEAR`` … ``max_year(today)``: what the OpenAPI schema promises, so
    that a value matching it is never refused for its own sake (only the
    rules between the two, an end before the start or a period too long, can
    still refuse it)."""
    years = range(MIN_YEAR, max_year(today) + 1)
    year = "(?:" + "|".join(map(str, years)) + ")"
    leap = "(?:" + "|".join(str(y) for y in years if calendar.isleap(y)) + ")"
    day = (
        "(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])"
        "|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)"
        "|02-(?:0[1-9]|1[0-9]|2[0-8]))"
    )
    return f"^(?:{year}-(?:0[1-9]|1[0-2])|{year}-{day}|{leap}-02-29)?$"


def agency_zone(agency: Agency) -> zoneinfo.ZoneInfo:
    """The agency's time zone; the default agency zone when its name is no
    longer in the system's database (as ``accounts.middleware`` does)."""
    try:
        return zoneinfo.ZoneInfo(agency.time_zone or settings.DEFAULT_AGENCY_TIME_ZONE)
    except (ValueError, zoneinfo.ZoneInfoNotFoundError):
        return zoneinfo.ZoneInfo(settings.DEFAULT_AGENCY_TIME_ZONE)


def agency_today(agency: Agency) -> datetime.date:
    """Today's date where the agency is."""
    return timezone.localdate(timezone=agency_zone(agency))


def get_report_agency(
    actor: User,
    agency: str | None,
    *,
    perm: Perm,
    readable: Callable[[User], QuerySet[Agency]],
) -> Agency:
    """The agency (slug or id) of a report that needs ``perm``: NotFound when
    ``actor`` is not a member of it, Forbidden when their role there lacks
    ``perm``. With no agency given, the first of ``readable(actor)`` (the
    agencies whose report they may read); when there is none, Forbidden for
    a member of some agency and NotFound for a member of none."""
    agency = (agency or "").strip()
    if not agency:
        first = readable(actor).first()
        if first is not None:
            return first
        if agencies_of(actor).exists():
            raise Forbidden()
        raise NotFound()
    lookup = Q(pk=agency) if is_uuid(agency) else Q(slug=agency)
    found = agencies_of(actor).filter(lookup).first()
    if found is None:
        raise NotFound()
    if not holds_in(actor, perm, found.pk):
        raise Forbidden()
    return found


@dataclass(frozen=True)
class Period:
    """From the first to the last day, both included."""

    start: datetime.date
    end: datetime.date

    @property
    def months(self) -> list[datetime.date]:
        """The first day of every month the period touches."""
        months, month = [], self.start.replace(day=1)
        while month <= self.end:
            months.append(month)
            month = (month + datetime.timedelta(days=32)).replace(day=1)
        return months

    def bounds(self, zone: datetime.tzinfo) -> tuple[datetime.datetime, datetime.datetime]:
        """The period as [start, end) aware datetimes in ``zone`` (the agency's)."""
        start = datetime.datetime.combine(self.start, datetime.time.min, tzinfo=zone)
        end = datetime.datetime.combine(
            self.end + datetime.timedelta(days=1), datetime.time.min, tzinfo=zone
        )
        return start, end


def months_back(today: datetime.date, months: int) -> datetime.date:
    """The first day of the month ``months`` - 1 months before ``today``'s:
    the start of a period of ``months`` whole months ending this month."""
    month = today.month - (months - 1)
    year = today.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    return datetime.date(year, month, 1)


def _parse_day(value: str, field: str, *, end: bool, last_year: int) -> datetime.date:
    try:
        if not _SHAPE.fullmatch(value):
            raise ValueError(value)
        if len(value) == 7:  # YYYY-MM: the whole month
            year, month = (int(part) for part in value.split("-"))
            last = calendar.monthrange(year, month)[1]
            day = datetime.date(year, month, last if end else 1)
        else:
            day = datetime.date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(
            _("Give a month (YYYY-MM) or a date (YYYY-MM-DD)."), code="invalid_date", field=field
        ) from None
    if not MIN_YEAR <= day.year <= last_year:
        raise InvalidInput(
            _("Give a year from %(first)s to %(last)s.") % {"first": MIN_YEAR, "last": last_year},
            code="year_out_of_range",
            field=field,
        )
    return day


def parse_period(
    from_value: str | None,
    to_value: str | None,
    *,
    today: datetime.date,
    default_start: datetime.date,
    max_years: int,
) -> Period:
    """The period of the ``from``/``to`` parameters (a month or a day each;
    by default from ``default_start`` to ``today``, the agency's today:
    ``agency_today``). InvalidInput naming the field for a value that is not
    a month or a day, a year outside ``MIN_YEAR`` … next year, an end before
    the start or a period touching more than ``max_years`` × 12 months."""
    from_value, to_value = (from_value or "").strip(), (to_value or "").strip()
    last_year = max_year(today)
    start = (
        _parse_day(from_value, "from", end=False, last_year=last_year)
        if from_value
        else default_start
    )
    end = _parse_day(to_value, "to", end=True, last_year=last_year) if to_value else today
    if end < start:
        raise InvalidInput(
            _("The end of the period is before its start."), code="invalid_period", field="to"
        )
    period = Period(start=start, end=end)
    if len(period.months) > max_years * 12:
        message = ngettext(
            "The period can be at most %(years)s year.",
            "The period can be at most %(years)s years.",
            max_years,
        ) % {"years": max_years}
        raise InvalidInput(message, code="period_too_long", field="from")
    return period


def parse_agency_period(
    from_value: str | None,
    to_value: str | None,
    *,
    agency: Agency,
    default_start: Callable[[datetime.date], datetime.date],
    max_years: int,
) -> Period:
    """``parse_period`` in ``agency``'s days: ``today`` is the agency's
    (``agency_today``) and the default start is ``default_start(today)``."""
    today = agency_today(agency)
    return parse_period(
        from_value,
        to_value,
        today=today,
        default_start=default_start(today),
        max_years=max_years,
    )
