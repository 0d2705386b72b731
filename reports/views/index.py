"""The reports page: what the user may run, and their recent report jobs."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from accounts.permissions import Perm
from accounts.selectors import holds_anywhere
from reports.selectors.jobs import report_jobs_of

RECENT_JOBS = 5


def _address(name: str) -> str:
    try:
        return reverse(name)
    except NoReverseMatch:
        return ""


def index_context(user) -> dict:
    """Links to the statistics, the disclosure register and the case list
    export for those who hold the permission somewhere; the user's recent jobs."""
    return {
        "statistics_url": (
            _address("reports:statistics") if holds_anywhere(user, Perm.VIEW_STATISTICS) else ""
        ),
        "disclosure_register_url": (
            _address("reports:disclosure_register")
            if holds_anywhere(user, Perm.VIEW_DISCLOSURE_REGISTER)
            else ""
        ),
        "may_export_cases": holds_anywhere(user, Perm.EXPORT_CASES),
        "jobs": list(report_jobs_of(user)[:RECENT_JOBS]),
        "section": "reports",
    }


@never_cache
@require_safe
@login_required
def index(request: HttpRequest) -> HttpResponse:
    """The reports page."""
    return render(request, "reports/index.html", index_context(request.user))
