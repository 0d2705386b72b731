"""Scoped reads of accounts data. Views and APIs read through these only."""

from collections.abc import Iterable
from datetime import datetime
from uuid import UUID

from django.conf import settings
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db.models import (
    Case,
    CharField,
    Count,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    TextChoices,
    Value,
    When,
)
from django.utils.translation import gettext_lazy as _

from accounts.models import Agency, ApiToken, EmergencyAccessAgreement, Membership, User
from accounts.permissions import ROLE_PERMISSIONS, Perm
from config.errors import Forbidden, NotFound

_CACHE_ATTR = "_sanad_agency_permissions"
_GROUPS_ATTR = "_sanad_role_group_ids"
_ROLES_ATTR = "_sanad_roles"


def agency_permissions(user: User) -> dict[UUID, frozenset[str]]:
    """{agency id: permissions the user holds there through role groups}.

    One query, cached on the user object for the length of a request.
    """
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return cached
    # The role map is code (accounts.permissions); role groups carry exactly
    # its permissions (kept so after every migrate), so the user's roles are
    # all this needs: one narrow query, no join through the permission tables.
    rows = User.groups.through.objects.filter(
        user_id=user.pk, group__agency_role__isnull=False
    ).values_list("group_id", "group__agency_role__agency_id", "group__agency_role__role")
    return remember_roles(user, rows)


def remember_roles(user: User, rows: Iterable[tuple[int, UUID, str]]) -> dict[UUID, frozenset[str]]:
    """Cache on ``user`` the roles given as (role-group id, agency id, role)
    rows, as ``agency_permissions`` answers them (for a caller that loaded
    them in a query of its own)."""
    result: dict[UUID, set[str]] = {}
    groups: set[int] = set()
    roles: dict[UUID, set[str]] = {}
    for group_id, agency_id, role in rows:
        groups.add(group_id)
        roles.setdefault(agency_id, set()).add(role)
        result.setdefault(agency_id, set()).update(str(p) for p in ROLE_PERMISSIONS[role])
    frozen = {agency_id: frozenset(perms) for agency_id, perms in result.items()}
    setattr(user, _CACHE_ATTR, frozen)
    setattr(user, _GROUPS_ATTR, frozenset(groups))
    setattr(user, _ROLES_ATTR, {agency_id: frozenset(r) for agency_id, r in roles.items()})
    return frozen


def agencies_where(actor: User, perm: Perm) -> frozenset[UUID]:
    """Ids of the agencies where ``actor``'s role holds ``perm``: the one
    spelling of that rule (cached with ``agency_permissions``)."""
    return frozenset(
        agency_id for agency_id, perms in agency_permissions(actor).items() if perm in perms
    )


def holds_in(actor: User, perm: Perm, agency_id: UUID | None) -> bool:
    """Whether ``actor``'s role in the agency ``agency_id`` holds ``perm``."""
    return perm in agency_permissions(actor).get(agency_id, frozenset())


def holds_anywhere(actor: User, perm: Perm) -> bool:
    """Whether ``actor``'s role in any of their agencies holds ``perm``."""
    return any(perm in perms for perms in agency_permissions(actor).values())


def roles_of(user: User) -> dict[UUID, frozenset[str]]:
    """{agency id: the user's roles there} (loaded with ``agency_permissions``)."""
    agency_permissions(user)
    return getattr(user, _ROLES_ATTR, {})


def role_group_ids(user: User) -> frozenset[int]:
    """Ids of the user's agency role groups (loaded with ``agency_permissions``)."""
    agency_permissions(user)
    return getattr(user, _GROUPS_ATTR, frozenset())


# What is cached on a user object for a request and depends on their roles
# or grants: ours and Django's, plus what apps above register (their own
# names, from their AppConfig.ready), so accounts names nothing of theirs.
_USER_CACHES: set[str] = {
    _CACHE_ATTR,
    _GROUPS_ATTR,
    _ROLES_ATTR,
    "_perm_cache",
    "_user_perm_cache",
    "_group_perm_cache",
}


def register_user_cache(*attribute_names: str) -> None:
    """Have ``forget_cached_permissions`` drop these attributes too: an app
    that caches something derived from a user's roles or grants on the user
    object registers its attribute names once, at start-up."""
    _USER_CACHES.update(attribute_names)


def forget_cached_permissions(user: User) -> None:
    """Drop what was cached on the user object after their roles or grants change."""
    for attr in sorted(_USER_CACHES):
        if hasattr(user, attr):
            delattr(user, attr)


def memberships_of(user: User) -> QuerySet[Membership]:
    """The user's active memberships, with their agencies."""
    return (
        Membership.objects.filter(user=user, is_active=True)
        .select_related("agency")
        .order_by("agency__name", "role")
    )


def agency_time_zone_of(user: User) -> str:
    """The IANA name of the zone of ``user``'s first agency by name (active
    memberships), else DEFAULT_AGENCY_TIME_ZONE. One query."""
    agency_zone = None
    if getattr(user, "is_authenticated", False):
        agency_zone = (
            Membership.objects.filter(user=user, is_active=True)
            .order_by("agency__name", "agency_id")
            .values_list("agency__time_zone", flat=True)
            .first()
        )
    return agency_zone or settings.DEFAULT_AGENCY_TIME_ZONE


def time_zone_of(user: User) -> str:
    """The IANA name of the zone ``user``'s pages show times in: their own
    choice, else their agency's (``agency_time_zone_of``). At most one query."""
    return getattr(user, "time_zone", "") or agency_time_zone_of(user)


def time_zones_of(users: Iterable[User]) -> dict:
    """{user id: ``time_zone_of(user)``} for many users at once: their own
    choice, else their first agency's by name (active memberships), else
    DEFAULT_AGENCY_TIME_ZONE. At most one query, for those without a zone."""
    users = list(users)
    zones = {user.pk: user.time_zone for user in users if user.time_zone}
    missing = {user.pk for user in users} - zones.keys()
    if missing:
        rows = (
            Membership.objects.filter(user_id__in=missing, is_active=True)
            .order_by("user_id", "agency__name", "agency_id")
            .values_list("user_id", "agency__time_zone")
        )
        for user_id, agency_zone in rows:
            # The first agency decides, as in ``agency_time_zone_of``.
            zones.setdefault(user_id, agency_zone or settings.DEFAULT_AGENCY_TIME_ZONE)
    for user_id in missing:
        zones.setdefault(user_id, settings.DEFAULT_AGENCY_TIME_ZONE)
    return zones


def agencies_of(user: User) -> QuerySet[Agency]:
    """Agencies where the user has an active membership."""
    return Agency.objects.filter(memberships__user=user, memberships__is_active=True).distinct()


def get_own_agency(actor: User, slug: str) -> Agency:
    """The agency ``slug`` if ``actor`` is an active member of it; NotFound otherwise."""
    agency = agencies_of(actor).filter(slug=slug).first()
    if agency is None:
        raise NotFound()
    return agency


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


class MemberState(TextChoices):
    """Where a member of a team stands (``team_of``)."""

    INVITED = "invited", _("Invited")  # active membership, no password chosen yet
    ACTIVE = "active", _("Active")
    DEACTIVATED = "deactivated", _("Deactivated")


# The history reasons of an invitation e-mail: the account created by
# ``add_member`` ("invited to agency <slug>") and each ``resend_invitation``.
INVITED_REASON_PREFIX = "invited to agency "
INVITATION_RESENT = "invitation resent"


def _invitations(user_id) -> QuerySet:
    return User.history.model.objects.filter(
        Q(history_change_reason__startswith=INVITED_REASON_PREFIX)
        | Q(history_change_reason=INVITATION_RESENT),
        id=user_id,
    )


def team_of(agency: Agency, *, state: str = "") -> QuerySet[Membership]:
    """Every membership of ``agency`` (``members_of``), each annotated with
    ``state`` (a ``MemberState``: deactivated when the membership or the
    account is, invited while the person has not chosen a password, active
    otherwise) and ``invitation_sent_at`` (when the last invitation e-mail
    was sent, None if none was); only those in ``state`` when one is given.
    The person's ``last_login`` comes with the user. One query. Call after
    ``get_agency_for``."""
    team = members_of(agency).annotate(
        state=Case(
            When(
                Q(is_active=False) | Q(user__is_active=False),
                then=Value(MemberState.DEACTIVATED.value),
            ),
            When(
                user__password__startswith=UNUSABLE_PASSWORD_PREFIX,
                then=Value(MemberState.INVITED.value),
            ),
            default=Value(MemberState.ACTIVE.value),
            output_field=CharField(),
        ),
        invitation_sent_at=Subquery(
            _invitations(OuterRef("user_id")).order_by("-history_date").values("history_date")[:1]
        ),
    )
    return team.filter(state=state) if state else team


def team_counts(agency: Agency) -> dict[str, int]:
    """How many memberships of ``agency`` are in each ``MemberState`` (every
    state named, zero included). One query. Call after ``get_agency_for``."""
    counts = dict.fromkeys(MemberState.values, 0)
    rows = team_of(agency).order_by().values("state").annotate(count=Count("id"))
    for row in rows:
        counts[row["state"]] = row["count"]
    return counts


def get_team_member(agency: Agency, membership_id: UUID | str) -> Membership:
    """A membership of ``agency`` as ``team_of`` shows it (with ``state`` and
    ``invitation_sent_at``); NotFound for any other id."""
    membership = team_of(agency).filter(pk=membership_id).first()
    if membership is None:
        raise NotFound()
    return membership


def last_invitation_at(user: User) -> datetime | None:
    """When the last invitation e-mail to ``user`` was sent (None if never)."""
    latest = _invitations(user.pk).order_by("-history_date").first()
    return latest.history_date if latest else None


def get_membership_in(agency: Agency, membership_id: UUID | str) -> Membership:
    """A membership of ``agency``; NotFound for any other id."""
    membership = members_of(agency).filter(pk=membership_id).first()
    if membership is None:
        raise NotFound()
    return membership


def active_members_in_roles(agency_id: UUID, roles: Iterable[str]) -> list[User]:
    """The active users with an active membership in one of ``roles`` of the
    agency ``agency_id``: who is told of what happens there (system read,
    one query)."""
    return [
        membership.user
        for membership in Membership.objects.filter(
            agency_id=agency_id, role__in=list(roles), is_active=True, user__is_active=True
        ).select_related("user")
    ]


def live_tokens_of(user: User) -> QuerySet[ApiToken]:
    """The user's own tokens that still work (for their account page)."""
    from django.utils import timezone

    return ApiToken.objects.filter(
        user=user, revoked_at__isnull=True, expires_at__gt=timezone.now()
    ).order_by("-created_at")


# --- Emergency access agreements ----------------------------------------------


def emergency_access_agreements_of(
    actor: User, slug: str
) -> tuple[Agency, list[EmergencyAccessAgreement], list[EmergencyAccessAgreement]]:
    """The agency ``slug``'s emergency access agreements: those it granted
    (partners whose supervisors may break the glass on its cases) and those it
    received (agencies whose cases its supervisors may open so), active first,
    withdrawn ones too. Needs VIEW_MEMBERS there (supervisors, the DPO, the
    administrator): NotFound outside the actor's agencies, Forbidden without it."""
    agency = get_agency_for(actor, slug, Perm.VIEW_MEMBERS)
    agreements = list(
        EmergencyAccessAgreement.objects.filter(Q(agency=agency) | Q(partner=agency))
        .select_related("agency", "partner", "recorded_by", "withdrawn_by")
        .order_by("-recorded_at", "-id")
    )
    agreements.sort(key=lambda agreement: not agreement.is_active)
    granted = [agreement for agreement in agreements if agreement.agency_id == agency.pk]
    received = [agreement for agreement in agreements if agreement.partner_id == agency.pk]
    return agency, granted, received


# The order of an agency's agreements in the API (``is_withdrawn`` is an
# annotation of ``emergency_access_agreements_listed``): active first, then
# the newest recorded.
EMERGENCY_ACCESS_ORDERING = ("is_withdrawn", "-recorded_at", "-id")


def emergency_access_agreements_listed(
    actor: User, slug: str, *, direction: str = ""
) -> QuerySet[EmergencyAccessAgreement]:
    """The agency ``slug``'s emergency access agreements as one list: those it
    granted (``direction="granted"``), those it received (``"received"``) or
    both (``""``), withdrawn ones too, annotated ``is_withdrawn`` (0 or 1) for
    ``EMERGENCY_ACCESS_ORDERING``. Needs VIEW_MEMBERS there, as
    ``emergency_access_agreements_of``."""
    agency = get_agency_for(actor, slug, Perm.VIEW_MEMBERS)
    involving = {
        "granted": Q(agency=agency),
        "received": Q(partner=agency),
    }.get(direction, Q(agency=agency) | Q(partner=agency))
    return (
        EmergencyAccessAgreement.objects.filter(involving)
        .select_related("agency", "partner", "recorded_by", "withdrawn_by")
        .annotate(
            is_withdrawn=Case(
                When(withdrawn_at__isnull=True, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
    )


def active_emergency_access_agreements() -> QuerySet[EmergencyAccessAgreement]:
    """The agreements recorded in writing and not withdrawn: by each, an agency
    (``agency``) opted in for the supervisors of another (``partner``) to
    break the glass on its cases. The one rule of that reach (system read)."""
    return EmergencyAccessAgreement.objects.filter(withdrawn_at__isnull=True)


def emergency_access_owners(partner_ids: Iterable[UUID]) -> frozenset[UUID]:
    """The agencies that opted in for one of ``partner_ids``: their cases are
    within reach of those partners' supervisors' emergency access (system read)."""
    if not partner_ids:
        return frozenset()
    return frozenset(
        active_emergency_access_agreements()
        .filter(partner_id__in=list(partner_ids))
        .values_list("agency_id", flat=True)
    )


def holders_of(perm: Perm, agency_ids: Iterable[UUID] | QuerySet) -> QuerySet:
    """The ids (``user_id`` values, for a subquery) of the users whose role in
    one of ``agency_ids`` (a list or a subquery of ids) holds ``perm``: the
    rule of ``agency_permissions``, for many users at once (system read)."""
    roles = [role for role, perms in ROLE_PERMISSIONS.items() if perm in perms]
    return User.groups.through.objects.filter(
        group__agency_role__agency_id__in=agency_ids, group__agency_role__role__in=roles
    ).values("user_id")


def partner_choices(agency: Agency) -> QuerySet[Agency]:
    """Every other agency, by name: who ``agency`` may agree emergency access with."""
    return Agency.objects.exclude(pk=agency.pk).only("id", "name", "slug").order_by("name")
