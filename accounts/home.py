"""The home page's sections, one per role, written by the apps that own the data.

Each person's home answers "what needs me now" for the roles they hold: a
caseworker's follow-ups, a supervisor's team, a referral officer's inbox, a
DPO's open requests, an agency admin's members. accounts renders the page but
knows none of those records: an app registers a ``HomeSection`` in its
``AppConfig.ready`` (casework the caseworker's and the supervisor's, referrals
the referral officer's, privacy the DPO's), and accounts imports nothing of it.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.http import HttpRequest

from accounts.models import Membership


@dataclass(frozen=True)
class HomeSection:
    """One part of the home page.

    ``roles``: the membership roles that see it. ``context(request,
    memberships)`` gets the user's active memberships in those roles (with
    their agencies, at least one) and returns the template's context, or
    ``None`` to leave the section out. ``order`` sorts the sections (lower
    first); ``template`` renders the context (``section`` is the section
    itself, ``memberships`` the memberships it was given).
    """

    key: str
    roles: frozenset[str]
    order: int
    template: str
    context: Callable[[HttpRequest, Sequence[Membership]], dict | None]


@dataclass(frozen=True)
class RenderedSection:
    section: HomeSection
    context: dict

    @property
    def key(self) -> str:
        return self.section.key

    @property
    def template(self) -> str:
        return self.section.template


_SECTIONS: dict[str, HomeSection] = {}


def register_home_section(section: HomeSection) -> None:
    """Add ``section`` to the home page (registering the same key again
    replaces it)."""
    _SECTIONS[section.key] = section


def registered_sections() -> list[HomeSection]:
    return sorted(_SECTIONS.values(), key=lambda section: (section.order, section.key))


def home_sections_for(
    request: HttpRequest, memberships: Sequence[Membership]
) -> list[RenderedSection]:
    """The sections ``request.user`` sees, in order, with their contexts, for
    the roles of ``memberships`` (the user's active ones)."""
    rendered = []
    for section in registered_sections():
        mine = [membership for membership in memberships if membership.role in section.roles]
        if not mine:
            continue
        context = section.context(request, mine)
        if context is None:
            continue
        rendered.append(
            RenderedSection(section, {**context, "section": section, "memberships": mine})
        )
    return rendered
