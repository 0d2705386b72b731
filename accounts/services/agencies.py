"""Agencies and their role groups; registering a user."""

from datetime import date

from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.audit import save_with_history
from accounts.models import (
    Agency,
    RoleGroup,
    User,
)
from accounts.permissions import ROLE_PERMISSIONS, Perm, Role, group_name
from accounts.validation import default_time_zone, require_time_zone
from config.errors import Forbidden, InvalidInput

# --- Agencies ----------------------------------------------------------------


def _permission_objects(perms) -> list[Permission]:
    wanted = {(perm.app_label, perm.codename) for perm in perms}
    if not wanted:
        return []
    query = Q()
    for app_label, codename in wanted:
        query |= Q(content_type__app_label=app_label, codename=codename)
    found = list(Permission.objects.filter(query).select_related("content_type"))
    missing = wanted - {(p.content_type.app_label, p.codename) for p in found}
    if missing:
        raise RuntimeError(f"Permissions missing from the database: {sorted(missing)}")
    return found


def apply_role_permissions(agency: Agency) -> None:
    """Create the agency's role groups if needed and give each its role's permissions."""
    for role in Role:
        group, _created = Group.objects.get_or_create(name=group_name(agency.slug, role))
        RoleGroup.objects.get_or_create(agency=agency, role=role, defaults={"group": group})
        group.permissions.set(_permission_objects(ROLE_PERMISSIONS[role]))


@transaction.atomic
def create_agency(
    *,
    actor: User,
    slug: str,
    name: str,
    kind: str,
    country: str,
    city: str = "",
    languages: list[str] | None = None,
    contact_email: str = "",
    contact_phone: str = "",
    is_public_authority: bool = False,
    data_sharing_agreement_valid_until: date | None = None,
    time_zone: str = "",
) -> Agency:
    """Register an agency and create one group per role. Platform staff only
    (ADD_AGENCY). ``time_zone`` defaults to DEFAULT_AGENCY_TIME_ZONE (400
    naming ``time_zone`` for a name that is not an IANA time zone)."""
    if not actor.has_perm(Perm.ADD_AGENCY):
        raise Forbidden()
    time_zone = require_time_zone(time_zone or default_time_zone())
    agency = Agency(
        slug=slug,
        name=name,
        kind=kind,
        country=country,
        city=city,
        languages=list(languages or []),
        contact_email=contact_email,
        contact_phone=contact_phone,
        is_public_authority=is_public_authority,
        data_sharing_agreement_valid_until=data_sharing_agreement_valid_until,
        time_zone=time_zone,
    )
    save_with_history(agency, actor=actor, reason=gettext_noop("agency registered"))
    apply_role_permissions(agency)
    return agency


def _set_setting(actor: User, agency: Agency, field: str, value, *, require, reason: str) -> Agency:
    """Set one of the agency's settings: 403 without MANAGE_AGENCY in
    ``agency``; ``require(value)`` returns the value to store or raises the
    400 naming ``field``. The agency row is locked, then saved with history
    (actor and ``reason``); no change, no history row."""
    if not actor.has_perm(Perm.MANAGE_AGENCY, agency):
        raise Forbidden()
    value = require(value)
    agency = Agency.objects.select_for_update().get(pk=agency.pk)
    if getattr(agency, field) != value:
        setattr(agency, field, value)
        save_with_history(agency, actor=actor, reason=reason, update_fields=[field])
    return agency


def _require_whole_number(
    value, *, field: str, minimum: int, maximum: int, invalid, min_value, max_value
) -> int:
    """``value`` if it is a whole number from ``minimum`` to ``maximum``;
    otherwise 400 naming ``field`` with the code ``invalid``, ``min_value``
    or ``max_value`` and the message given for it."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(invalid, code="invalid", field=field)
    if value < minimum:
        raise InvalidInput(min_value, code="min_value", field=field)
    if value > maximum:
        raise InvalidInput(max_value, code="max_value", field=field)
    return value


@transaction.atomic
def set_agency_time_zone(*, actor: User, agency: Agency, time_zone: str) -> Agency:
    """The agency's administrator sets the zone its members' pages show times
    in (stored times stay UTC). Needs MANAGE_AGENCY in ``agency`` (403
    otherwise); 400 naming ``time_zone`` unless it is an IANA time zone name.
    Saved with history; no change, no history row."""
    return _set_setting(
        actor,
        agency,
        "time_zone",
        time_zone,
        require=require_time_zone,
        reason=gettext_noop("time zone changed"),
    )


INACTIVITY_DAYS_MIN = 1
INACTIVITY_DAYS_MAX = 365


def require_inactivity_days(value, field: str = "inactivity_days") -> int:
    """``value`` if it is a whole number of days from 1 to 365; otherwise 400
    naming ``field`` (``invalid``, ``min_value``, ``max_value``)."""
    return _require_whole_number(
        value,
        field=field,
        minimum=INACTIVITY_DAYS_MIN,
        maximum=INACTIVITY_DAYS_MAX,
        invalid=_("Enter a whole number of days."),
        min_value=_("Enter at least %(days)s day.") % {"days": INACTIVITY_DAYS_MIN},
        max_value=_("Enter at most %(days)s days.") % {"days": INACTIVITY_DAYS_MAX},
    )


@transaction.atomic
def set_agency_inactivity_days(*, actor: User, agency: Agency, inactivity_days: int) -> Agency:
    """The agency's administrator sets after how many days without activity
    an open case is listed as inactive (the supervisor's home, the case
    list's ``inactive`` filter). Needs MANAGE_AGENCY in ``agency`` (403
    otherwise); 400 naming ``inactivity_days`` unless it is a whole number
    from 1 to 365. Saved with history; no change, no history row."""
    return _set_setting(
        actor,
        agency,
        "inactivity_days",
        inactivity_days,
        require=require_inactivity_days,
        reason=gettext_noop("days without activity changed"),
    )


SMALL_CELL_THRESHOLD_MIN = 2
SMALL_CELL_THRESHOLD_MAX = 50


def require_small_cell_threshold(value, field: str = "small_cell_threshold") -> int:
    """``value`` if it is a whole number from 2 to 50; otherwise 400 naming
    ``field`` (``invalid``, ``min_value``, ``max_value``)."""
    return _require_whole_number(
        value,
        field=field,
        minimum=SMALL_CELL_THRESHOLD_MIN,
        maximum=SMALL_CELL_THRESHOLD_MAX,
        invalid=_("Enter a whole number."),
        min_value=_("Enter at least %(count)s.") % {"count": SMALL_CELL_THRESHOLD_MIN},
        max_value=_("Enter at most %(count)s.") % {"count": SMALL_CELL_THRESHOLD_MAX},
    )


@transaction.atomic
def set_agency_small_cell_threshold(
    *, actor: User, agency: Agency, small_cell_threshold: int
) -> Agency:
    """The agency's administrator sets the smallest count its statistics and
    registers publish (small-cell suppression: counts below it are shown as
    "<k"). Needs MANAGE_AGENCY in ``agency`` (403 otherwise); 400 naming
    ``small_cell_threshold`` unless it is a whole number from 2 to 50. Saved
    with history; no change, no history row."""
    return _set_setting(
        actor,
        agency,
        "small_cell_threshold",
        small_cell_threshold,
        require=require_small_cell_threshold,
        reason=gettext_noop("smallest count shown in statistics changed"),
    )


def require_allow_active_pdf(value, field: str = "allow_active_pdf") -> bool:
    """``value`` if it is true or false; otherwise 400 naming ``field`` (``invalid``)."""
    if not isinstance(value, bool):
        raise InvalidInput(_("Choose yes or no."), code="invalid", field=field)
    return value


@transaction.atomic
def set_agency_allow_active_pdf(*, actor: User, agency: Agency, allow_active_pdf: bool) -> Agency:
    """The agency's administrator decides whether its members may upload PDFs
    with scripts, automatic actions or attached files (refused by default:
    casework's ``file_checks``). Needs MANAGE_AGENCY in ``agency`` (403
    otherwise); 400 naming ``allow_active_pdf`` unless it is true or false.
    Saved with history; no change, no history row."""
    return _set_setting(
        actor,
        agency,
        "allow_active_pdf",
        allow_active_pdf,
        require=require_allow_active_pdf,
        reason=gettext_noop("acceptance of PDFs with scripts or attachments changed"),
    )


@transaction.atomic
def change_agency_settings(
    *,
    actor: User,
    agency: Agency,
    time_zone: str | None = None,
    inactivity_days: int | None = None,
    small_cell_threshold: int | None = None,
    allow_active_pdf: bool | None = None,
) -> Agency:
    """Change the agency's settings given (None: left as is) in one
    transaction, each as its own service does it (``set_agency_time_zone``,
    ``set_agency_inactivity_days``, ``set_agency_small_cell_threshold``,
    ``set_agency_allow_active_pdf``: MANAGE_AGENCY, validation, history).
    What ``PATCH /api/v1/agencies/<slug>/`` calls."""
    if not actor.has_perm(Perm.MANAGE_AGENCY, agency):
        raise Forbidden()
    if time_zone is not None:
        agency = set_agency_time_zone(actor=actor, agency=agency, time_zone=time_zone)
    if inactivity_days is not None:
        agency = set_agency_inactivity_days(
            actor=actor, agency=agency, inactivity_days=inactivity_days
        )
    if small_cell_threshold is not None:
        agency = set_agency_small_cell_threshold(
            actor=actor, agency=agency, small_cell_threshold=small_cell_threshold
        )
    if allow_active_pdf is not None:
        agency = set_agency_allow_active_pdf(
            actor=actor, agency=agency, allow_active_pdf=allow_active_pdf
        )
    return agency


@transaction.atomic
def register_user(
    *,
    actor: User,
    email: str,
    display_name: str,
    password: str | None = None,
    preferred_language: str = "",
) -> User:
    """Create a user account without any membership. Platform staff only
    (ADD_USER); agency admins add people with ``add_member``."""
    if not actor.has_perm(Perm.ADD_USER):
        raise Forbidden()
    user = User(email=email, display_name=display_name, preferred_language=preferred_language)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    save_with_history(user, actor=actor, reason=gettext_noop("account created"))
    return user
