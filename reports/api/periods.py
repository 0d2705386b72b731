"""The ``from`` and ``to`` query parameters of the statistics and of the
disclosure register, described exactly as ``reports.periods`` reads them."""

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter

from reports.periods import period_bound_pattern


def period_parameter(name: str, description: str) -> OpenApiParameter:
    """``name`` (``from`` or ``to``) as a string matching the period pattern of
    this year: a month or a real day from ``MIN_YEAR`` to next year, or blank
    for the default."""
    pattern = period_bound_pattern(timezone.localdate())
    return OpenApiParameter(name, {"type": "string", "pattern": pattern}, description=description)
