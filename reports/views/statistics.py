"""The supervisor's statistics page and its downloads (PDF, CSV, XLSX)."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from config.errors import InvalidInput
from reports.documents.aggregate import FORMATS, download_links
from reports.documents.statistics import STATISTICS, document_context
from reports.forms import StatisticsFilterForm
from reports.http import file_response
from reports.selectors.statistics import (
    agency_statistics,
    get_statistics_agency,
    parse_period,
    statistics_agencies,
)

QUERY_NAMES = ("agency", "from", "to")


def _query(request: HttpRequest) -> dict[str, str]:
    return {name: request.GET.get(name, "").strip() for name in QUERY_NAMES}


@never_cache
@login_required
@require_safe
def statistics(request: HttpRequest) -> HttpResponse:
    """Caseloads, cases by type, risk, nationality and month, the referral
    funnel and overdue follow-ups of one agency, every figure suppressed below
    the agency's threshold, with SVG charts (VIEW_STATISTICS in the agency:
    404 for a non-member, 403 without it; 400 naming a bad date)."""
    query = _query(request)
    agency = get_statistics_agency(request.user, query["agency"])
    return _page(request, agency, query)


def _page(request: HttpRequest, agency, query: dict[str, str]) -> HttpResponse:
    chosen = {**query, "agency": agency.slug}
    form = StatisticsFilterForm(chosen, agencies=statistics_agencies(request.user), agency=agency)
    context = {
        "agency": agency,
        "form": form,
        "section": "reports",
        "downloads": download_links("reports:statistics_download", chosen),
    }
    if not form.is_valid():
        # The form shows the message next to the field at fault.
        return render(request, "reports/statistics.html", context, status=400)
    figures = agency_statistics(request.user, agency, form.period)
    context.update(document_context(figures))
    return render(request, "reports/statistics.html", context)


@never_cache
@login_required
@require_safe
def statistics_download(request: HttpRequest, fmt: str) -> HttpResponse:
    """The statistics as PDF, CSV or XLSX (the same figures as the page),
    recorded as an export. A bad date answers 400 with the page and the
    message next to the field."""
    query = _query(request)
    # Not a member: 404; without the permission: 403 — before any check of the input.
    agency = get_statistics_agency(request.user, query["agency"])
    if fmt not in FORMATS:
        raise BadRequest("format")
    try:
        period = parse_period(query["from"], query["to"], agency=agency)
    except InvalidInput:
        return _page(request, agency, query)
    content, filename, content_type = STATISTICS.download(
        actor=request.user,
        agency=agency,
        period=period,
        fmt=fmt,
        language=translation.get_language() or "en",
    )
    return file_response(content, filename=filename, content_type=content_type)
