"""The packet a partner reads: exactly the shared sections of the client's
file, as frozen at send time, labelled as casework labels them."""

from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from referrals import selectors


@require_safe
@never_cache
@login_required
def packet(request: HttpRequest, referral_id: UUID) -> HttpResponse:
    """Exactly the shared sections of the client's file, as frozen at send
    time, and nothing else. 404 for anyone who may not read it. With htmx and
    ``part=summary``, the sections alone, compact (the inbox opens them in
    place on a row)."""
    user = request.user
    shared = selectors.get_packet_for(user, referral_id)
    referral = shared.referral
    if request.htmx and request.GET.get("part") == "summary":
        return render(
            request,
            "referrals/_packet_summary.html",
            {
                "packet": shared,
                "referral": referral,
                "sections": selectors.packet_sections(shared.data),
            },
        )
    return render(
        request,
        "referrals/packet.html",
        {
            "packet": shared,
            "referral": referral,
            "sections": selectors.packet_sections(shared.data),
            "sender_side": selectors.is_sender_side(user, referral),
            "section": "referrals",
        },
    )
