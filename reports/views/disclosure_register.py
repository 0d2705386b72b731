"""The disclosure register page (DPO and supervisors) and its downloads."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from config.errors import InvalidInput
from reports.documents.aggregate import download_links, legend
from reports.documents.disclosure_register import DISCLOSURE_REGISTER
from reports.http import file_response
from reports.selectors.disclosure import (
    disclosure_register as register_of,
)
from reports.selectors.disclosure import (
    get_register_agency,
    parse_period,
    register_agencies,
)


def _query(request: HttpRequest) -> dict[str, str]:
    return {name: request.GET.get(name, "").strip() for name in ("agency", "from", "to")}


@never_cache
@login_required
@require_safe
def disclosure_register(request: HttpRequest) -> HttpResponse:
    """Per partner agency and month: packets sent, data categories, lawful bases
    and overrides, small cells suppressed (VIEW_DISCLOSURE_REGISTER in the
    agency: 404 for a non-member, 403 without it; 400 naming a bad field)."""
    query = _query(request)
    agency = get_register_agency(request.user, query["agency"])
    error, register, status = None, None, 200
    try:
        period = parse_period(query["from"], query["to"], agency=agency)
    except InvalidInput as invalid:
        error, status = invalid, 400
    else:
        register = register_of(agency, period)
    chosen = {**query, "agency": agency.slug}
    return render(
        request,
        "reports/disclosure_register.html",
        {
            "agency": agency,
            "agencies": list(register_agencies(request.user)),
            "query": chosen,
            "error": error,
            "register": register,
            "legend": legend(agency.small_cell_threshold),
            "downloads": download_links("reports:disclosure_register_download", chosen),
            "section": "reports",
        },
        status=status,
    )


@never_cache
@login_required
@require_safe
def disclosure_register_download(request: HttpRequest, fmt: str) -> HttpResponse:
    """The register as PDF, CSV or XLSX (same figures as the page), recorded as an export."""
    query = _query(request)
    # Not a member: 404; without the permission: 403 — before any check of the input.
    agency = get_register_agency(request.user, query["agency"])
    try:
        period = parse_period(query["from"], query["to"], agency=agency)
        content, filename, content_type = DISCLOSURE_REGISTER.download(
            actor=request.user,
            agency=agency,
            period=period,
            fmt=fmt,
            language=translation.get_language() or "en",
        )
    except InvalidInput as error:
        raise BadRequest(str(error.message)) from error
    return file_response(content, filename=filename, content_type=content_type)
