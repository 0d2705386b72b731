"""The user's own notifications: newest first, a page at a time, and a button
that marks them all read. A notice about a referral the user no longer sees
stays readable and says so instead of linking to a 404."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from config.http.pages import keyset_page
from referrals import selectors, services


@require_safe
@never_cache
@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    page = keyset_page(
        selectors.notifications_of(request.user), request.GET.get("after", ""), "created_at"
    )
    links = selectors.notice_links(request.user, page.rows)
    for notice in page.rows:
        notice.safe_url = links[notice.pk].url
        notice.unavailable_note = links[notice.pk].unavailable_note
    return render(
        request,
        "referrals/notifications.html",
        {"page": page, "section": "notifications"},
    )


@require_POST
@login_required
def notifications_read(request: HttpRequest) -> HttpResponse:
    """Mark every unread notice of the user read."""
    count = services.mark_notifications_read(actor=request.user)
    messages.success(
        request,
        ngettext(
            "%(count)d notification was marked read.",
            "%(count)d notifications were marked read.",
            count,
        )
        % {"count": count},
    )
    return redirect("referrals:notifications")
