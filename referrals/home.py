"""referrals' sections of the home page (registered in ``ReferralsConfig.ready``):
the referral officer's inbox at a glance, and for supervisors the referrals
awaiting their agency's answer. Every count links to the inbox filtered to
exactly the rows it counts."""

from collections.abc import Sequence
from urllib.parse import urlencode

from django.http import HttpRequest
from django.urls import reverse

from accounts.home import HomeSection
from accounts.models import Membership
from accounts.permissions import Role
from referrals import selectors
from referrals.models import Referral

# The inbox filters the counts link to: the same filters as the lists counted.
AWAITING = {"direction": "incoming", "state": Referral.State.SENT}
OVERDUE = {"direction": "incoming", "overdue": "on"}
ACCEPTED_WITHOUT_CASE = {
    "direction": "incoming",
    "state": Referral.State.ACCEPTED,
    "without_case": "on",
}


def inbox_url(filters: dict) -> str:
    return f"{reverse('referrals:inbox')}?{urlencode(filters)}"


def _links() -> dict:
    return {
        "awaiting_url": inbox_url(AWAITING),
        "overdue_url": inbox_url(OVERDUE),
        "without_case_url": inbox_url(ACCEPTED_WITHOUT_CASE),
    }


def referral_officer_context(request: HttpRequest, memberships: Sequence[Membership]) -> dict:
    return {
        **selectors.referral_officer_home(request.user),
        **_links(),
        "today": selectors.local_today(),
    }


def supervisor_context(request: HttpRequest, memberships: Sequence[Membership]) -> dict | None:
    """Left out while nothing awaits the agency's answer."""
    counts = selectors.inbox_counts(request.user)
    if not counts["new"]:
        return None
    return {"counts": counts, **_links()}


REFERRAL_OFFICER = HomeSection(
    key="referral_officer",
    roles=frozenset({Role.REFERRAL_OFFICER}),
    order=30,
    template="referrals/home/referral_officer.html",
    context=referral_officer_context,
)

# Beside the supervisor's own section (casework's, order 20).
SUPERVISOR_REFERRALS = HomeSection(
    key="supervisor_referrals",
    roles=frozenset({Role.SUPERVISOR}),
    order=21,
    template="referrals/home/supervisor.html",
    context=supervisor_context,
)
