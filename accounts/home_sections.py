"""accounts' section of the home page: the agency admin's (registered in
``AccountsConfig.ready``).

For each agency the user administers: its members by state (the team page's
``selectors.team_of``, so each count is the number of rows the team page
shows for that state), the invitations not yet taken up with a button to
resend one, and the active members by their last sign-in, longest ago first.
Staff only, no client data: not recorded in the access log.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import F
from django.http import HttpRequest
from django.urls import reverse

from accounts import selectors
from accounts.home import HomeSection
from accounts.models import Agency, Membership
from accounts.permissions import Perm, Role

# Active members listed on the home; the team page lists them all.
MEMBERS_SHOWN = 15


@dataclass
class AdministeredAgency:
    agency: Agency
    team_url: str
    counts: dict[str, int]
    invited: list[Membership]
    members: list[Membership]

    @property
    def more_members(self) -> bool:
        return self.counts[selectors.MemberState.ACTIVE] > len(self.members)


def _administered(agency: Agency) -> AdministeredAgency:
    team = selectors.team_of(agency)
    return AdministeredAgency(
        agency=agency,
        team_url=reverse("accounts:team", kwargs={"slug": agency.slug}),
        counts=selectors.team_counts(agency),
        invited=list(
            team.filter(state=selectors.MemberState.INVITED).order_by(
                F("invitation_sent_at").asc(nulls_first=True), "user__display_name"
            )
        ),
        members=list(
            team.filter(state=selectors.MemberState.ACTIVE).order_by(
                F("user__last_login").asc(nulls_first=True), "user__display_name", "role"
            )[:MEMBERS_SHOWN]
        ),
    )


def admin_context(request: HttpRequest, memberships: Sequence[Membership]) -> dict | None:
    agencies = sorted(
        {
            membership.agency_id: membership.agency
            for membership in memberships
            if request.user.has_perm(Perm.MANAGE_MEMBERS, membership.agency)
        }.values(),
        key=lambda agency: agency.name,
    )
    if not agencies:
        return None
    return {
        "administered": [_administered(agency) for agency in agencies],
        "states": selectors.MemberState,
        "members_shown": MEMBERS_SHOWN,
        "home_url": reverse("accounts:home"),
    }


ADMIN = HomeSection(
    key="agency_admin",
    roles=frozenset({Role.AGENCY_ADMIN}),
    order=60,
    template="accounts/home/admin.html",
    context=admin_context,
)
