"""The ``from`` and ``to`` query parameters of the statistics and of the
disclosure register, described exactly as ``reports.periods`` reads them."""

import zoneinfo

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter

from reports.periods import period_bound_pattern

# The last time zone to reach a new year (UTC-12): its date is the earliest
# anywhere, so the pattern never admits a year some agency's "next year"
# does not, whatever the agency's zone and whenever the process started.
EARLIEST_ZONE = zoneinfo.ZoneInfo("Etc/GMT+12")


def current_period_pattern() -> str:
    """The period pattern as of the earliest date anywhere on Earth now."""
    return period_bound_pattern(timezone.now().astimezone(EARLIEST_ZONE).date())


def period_parameter(name: str, description: str) -> OpenApiParameter:
    """``name`` (``from`` or ``to``) as a string matching the period pattern:
    a month or a real day from ``MIN_YEAR`` to next year, or blank for the
    default."""
    pattern = current_period_pattern()
    return OpenApiParameter(name, {"type": "string", "pattern": pattern}, description=description)
