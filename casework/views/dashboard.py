"""The first page a caseworker sees."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from accounts import selectors as accounts_selectors
from casework import selectors
from config.http.pages import today

# --- Helpers -----------------------------------------------------------------------


# --- Dashboard ---------------------------------------------------------------------------


@never_cache
@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """The caseworker's start page: their open cases, follow-ups due and overdue,
    recently updated cases, and their agencies and roles."""
    return render(
        request,
        "casework/dashboard.html",
        {
            **selectors.dashboard_for(request.user),
            "memberships": accounts_selectors.memberships_of(request.user),
            "can_register": bool(selectors.agencies_for_registration(request.user)),
            "today": today(),
        },
    )
