"""The inbox: incoming referrals (new / accepted / overdue) and outgoing ones."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from accounts.permissions import Perm
from accounts.selectors import holds_anywhere
from config.http.pages import keyset_page
from referrals import selectors
from referrals.forms import InboxFilterForm


@require_safe
@never_cache
@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    """Incoming referrals (new / accepted / overdue) and outgoing ones,
    filtered by state and overdue, newest first, a page at a time."""
    user = request.user
    form = InboxFilterForm(request.GET)
    counts = selectors.inbox_counts(user)
    direction = form.cleaned_data.get("direction") if form.is_valid() else ""
    if not direction:
        may_send = holds_anywhere(user, Perm.SEND_REFERRAL)
        direction = (
            "incoming" if counts["new"] or counts["accepted"] or not may_send else "outgoing"
        )
    referrals = selectors.referral_list(user, direction=direction, **form.filters())
    if direction == "outgoing":
        referrals = referrals.select_related("case")
    page = keyset_page(referrals, request.GET.get("after", ""), "created_at")
    filters = form.filters()
    return render(
        request,
        "referrals/inbox.html",
        {
            "form": form,
            "page": page,
            "direction": direction,
            "counts": counts,
            "filtered": bool(filters["state"] or filters["overdue"]),
            "section": "referrals",
        },
    )
