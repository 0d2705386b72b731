"""The inbox: incoming referrals (new / accepted / overdue) and outgoing ones,
what needs an answer first."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from accounts.permissions import Perm
from accounts.selectors import holds_anywhere
from config.http.pages import ordered_keyset_page
from referrals import selectors
from referrals.forms import InboxFilterForm


@require_safe
@never_cache
@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    """Incoming referrals (new / accepted / overdue) and outgoing ones,
    filtered by state, overdue and without a case, a page at a time in the
    inbox's order (``selectors.INBOX_ORDERING``: overdue first, then those
    awaiting an answer, most urgent and earliest respond-by first)."""
    user = request.user
    form = InboxFilterForm(request.GET)
    counts = selectors.inbox_counts(user)
    direction = form.cleaned_data.get("direction") if form.is_valid() else ""
    if not direction:
        may_send = holds_anywhere(user, Perm.SEND_REFERRAL)
        direction = (
            "incoming" if counts["new"] or counts["accepted"] or not may_send else "outgoing"
        )
    filters = form.filters()
    referrals = selectors.referral_list(user, direction=direction, **filters)
    if direction == "outgoing":
        referrals = referrals.select_related("case")
    page = ordered_keyset_page(referrals, request.GET.get("after", ""), selectors.INBOX_ORDERING)
    return render(
        request,
        "referrals/inbox.html",
        {
            "form": form,
            "page": page,
            "direction": direction,
            "counts": counts,
            "filtered": bool(filters["state"] or filters["overdue"] or filters["without_case"]),
            "section": "referrals",
        },
    )
