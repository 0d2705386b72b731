"""Scoped reads of accounts data. Views and APIs read through these only."""

from uuid import UUID

from django.db.models import QuerySet

from accounts.models import Agency, ApiToken, Membership, RoleGroup, User
from accounts.permissions import Perm
from config.errors import Forbidden, NotFound

_CACHE_ATTR = "_sanad_agency_permissions"


def agency_permissions(user: User) -> dict[UUID, frozenset[str]]:
    """{agency id: permissions the user holds there through role groups}.

    One query, cached on the user object for the length of a request.
    """
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return cached
    result: dict[UUID, set[str]] = {}
    rows = RoleGroup.objects.filter(group__user=user).values_list(
        "agency_id", "group__permissions__content_type__app_label", "group__permissions__codename"
    )
    for agency_id, app_label, codename in rows:
        perms = result.setdefault(agency_id, set())
        if codename:
            perms.add(f"{app_label}.{codename}")
    frozen = {agency_id: frozenset(perms) for agency_id, perms in result.items()}
    setattr(user, _CACHE_ATTR, frozen)
    return frozen


def forget_cached_permissions(user: User) -> None:
    """Drop what was cached on the user object after their roles or grants change."""
    for attr in (
        _CACHE_ATTR,
        "_perm_cache",
        "_user_perm_cache",
        "_group_perm_cache",
        "_sanad_casework_scope",
    ):
        if hasattr(user, attr):
            delattr(user, attr)


def memberships_of(user: User) -> QuerySet[Membership]:
    """The user's active memberships, with their agencies."""
    return (
        Membership.objects.filter(user=user, is_active=True)
        .select_related("agency")
        .order_by("agency__name", "role")
    )


def agencies_of(user: User) -> QuerySet[Agency]:
    """Agencies where the user has an active membership."""
    return Agency.objects.filter(memberships__user=user, memberships__is_active=True).distinct()


def get_agency_for(actor: User, slug: str, perm: Perm) -> Agency:
    """The agency ``slug`` if ``actor`` belongs to it and holds ``perm`` there.

    NotFound (404) when the actor is not a member; Forbidden (403) when a member
    lacks ``perm``.
    """
    agency = agencies_of(actor).filter(slug=slug).first()
    if agency is None:
        raise NotFound()
    if not actor.has_perm(perm, agency):
        raise Forbidden()
    return agency


def members_of(agency: Agency) -> QuerySet[Membership]:
    """Every membership of ``agency`` (active first). Call after ``get_agency_for``."""
    return (
        Membership.objects.filter(agency=agency)
        .select_related("user")
        .order_by("-is_active", "user__display_name", "role")
    )


def get_membership_in(agency: Agency, membership_id) -> Membership:
    """A membership of ``agency``; NotFound for any other id."""
    membership = members_of(agency).filter(pk=membership_id).first()
    if membership is None:
        raise NotFound()
    return membership


def live_tokens_of(user: User) -> QuerySet[ApiToken]:
    """The user's own tokens that still work (for their account page)."""
    from django.utils import timezone

    return ApiToken.objects.filter(
        user=user, revoked_at__isnull=True, expires_at__gt=timezone.now()
    ).order_by("-created_at")
