"""casework's sections of the home page (registered in ``CaseworkConfig.ready``)."""

from collections.abc import Sequence

from django.http import HttpRequest

from accounts.home import HomeSection
from accounts.models import Membership
from accounts.permissions import Role
from casework import selectors
from config.http.pages import today


def caseworker_context(request: HttpRequest, memberships: Sequence[Membership]) -> dict:
    return {
        **selectors.dashboard_for(request.user),
        "can_register": bool(selectors.agencies_for_registration(request.user)),
        "today": today(),
    }


CASEWORKER = HomeSection(
    key="caseworker",
    roles=frozenset({Role.CASEWORKER}),
    order=10,
    template="casework/home/caseworker.html",
    context=caseworker_context,
)
