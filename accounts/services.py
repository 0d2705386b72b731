"""Writes to accounts data. Every change goes through one of these functions.

Each is keyword-only with the acting user first, runs in one transaction,
checks permission, validates, saves with history (actor and reason) and
schedules side effects on commit.
"""

import secrets
import uuid
from datetime import date, timedelta

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.audit import save_with_history
from accounts.authentication import hash_token
from accounts.models import (
    Agency,
    ApiToken,
    EmergencyAccessAgreement,
    Membership,
    RoleGroup,
    User,
)
from accounts.permissions import ROLE_PERMISSIONS, Perm, Role, group_name
from accounts.selectors import agency_permissions, forget_cached_permissions, get_membership_in
from accounts.signals import emergency_access_withdrawn
from accounts.validation import is_uuid, require_text
from config.errors import Conflict, Forbidden, InvalidInput, NotFound

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
) -> Agency:
    """Register an agency and create one group per role. Platform staff only
    (ADD_AGENCY)."""
    if not actor.has_perm(Perm.ADD_AGENCY):
        raise Forbidden()
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
    )
    save_with_history(agency, actor=actor, reason=gettext_noop("agency registered"))
    apply_role_permissions(agency)
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


# --- Members -----------------------------------------------------------------


def _require(actor: User, perm: Perm, agency: Agency) -> None:
    if not actor.has_perm(perm, agency):
        raise Forbidden()


def _set_group(user: User, agency_id, role: str, *, member: bool) -> None:
    """Keep the user's role groups in step with their active memberships."""
    group = RoleGroup.objects.select_related("group").get(agency_id=agency_id, role=role).group
    if member:
        user.groups.add(group)
    else:
        user.groups.remove(group)
    forget_cached_permissions(user)


def _sync_group(membership: Membership) -> None:
    _set_group(membership.user, membership.agency_id, membership.role, member=membership.is_active)


def _lock_agency(agency: Agency) -> None:
    # Serialises membership changes of one agency, so two admins cannot both
    # remove "the other last admin" at the same time.
    Agency.objects.select_for_update().filter(pk=agency.pk).exists()


def _ensure_other_admin_remains(membership: Membership) -> None:
    if membership.role != Role.AGENCY_ADMIN or not membership.is_active:
        return
    others = Membership.objects.filter(
        agency_id=membership.agency_id, role=Role.AGENCY_ADMIN, is_active=True, user__is_active=True
    ).exclude(pk=membership.pk)
    if not others.exists():
        raise Conflict(
            _("An agency needs at least one active administrator. Appoint another one first."),
            code="last_admin",
        )


def _send_invitation(user_id, agency_id) -> None:
    user = User.objects.get(pk=user_id)
    agency = Agency.objects.get(pk=agency_id)
    link = reverse(
        "accounts:password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    with translation.override(user.preferred_language or settings.LANGUAGE_CODE):
        send_mail(
            subject=_("You have been added to %(agency)s on Sanad") % {"agency": agency.name},
            message=_(
                "Hello %(name)s,\n\n%(agency)s has given you access to Sanad. "
                "Choose your password here:\n\n%(base)s%(link)s\n"
            )
            % {
                "name": user.display_name,
                "agency": agency.name,
                "base": settings.SITE_URL,
                "link": link,
            },
            from_email=None,
            recipient_list=[user.email],
        )


def send_password_invitation(*, user: User, agency: Agency) -> None:
    """E-mail ``user`` a link to choose a password, once the transaction commits."""
    transaction.on_commit(lambda: _send_invitation(user.pk, agency.pk))


@transaction.atomic
def add_member(
    *,
    actor: User,
    agency: Agency,
    email: str,
    role: str,
    display_name: str = "",
    preferred_language: str = "",
) -> Membership:
    """Give a person (existing user, or a new one invited by e-mail) a role in
    ``agency``. Needs MANAGE_MEMBERS there. A new user gets an e-mail with a link
    to choose a password, sent on commit."""
    _require(actor, Perm.MANAGE_MEMBERS, agency)
    _lock_agency(agency)
    if role not in Role.values:
        raise InvalidInput(_("Choose one of the roles."), code="invalid_choice", field="role")
    email = User.objects.normalize_email(email or "").strip().lower()
    user = User.objects.filter(email__iexact=email).first() if email else None
    invite = False
    if user is None:
        if not display_name.strip():
            raise InvalidInput(
                _("A new person needs a display name."), code="required", field="display_name"
            )
        user = User(
            email=email, display_name=display_name.strip(), preferred_language=preferred_language
        )
        user.set_unusable_password()
        save_with_history(user, actor=actor, reason=f"invited to agency {agency.slug}")
        invite = True

    membership = Membership.objects.filter(user=user, agency=agency, role=role).first()
    if membership is not None and membership.is_active:
        raise InvalidInput(
            _("This person already has this role in the agency."),
            code="already_member",
            field="role",
        )
    if membership is None:
        membership = Membership(user=user, agency=agency, role=role)
        save_with_history(membership, actor=actor, reason=gettext_noop("member added"))
    else:
        membership.is_active = True
        save_with_history(
            membership,
            actor=actor,
            reason=gettext_noop("member re-added"),
            update_fields=["is_active"],
        )
    if not user.is_active:
        user.is_active = True
        save_with_history(
            user,
            actor=actor,
            reason=gettext_noop("reactivated by a new membership"),
            update_fields=["is_active"],
        )
    _sync_group(membership)
    if invite:
        send_password_invitation(user=user, agency=agency)
    return membership


@transaction.atomic
def appoint_agency_admin(*, actor: User, agency: Agency, user: User) -> Membership:
    """Platform staff (ADD_AGENCY) make ``user`` an administrator of
    ``agency``: how an agency gets its first administrator, or a new one when
    the last has left."""
    if not actor.has_perm(Perm.ADD_AGENCY):
        raise Forbidden()
    _lock_agency(agency)
    membership = Membership.objects.filter(user=user, agency=agency, role=Role.AGENCY_ADMIN).first()
    if membership is None:
        membership = Membership(user=user, agency=agency, role=Role.AGENCY_ADMIN)
        save_with_history(
            membership, actor=actor, reason=gettext_noop("agency administrator appointed")
        )
    elif not membership.is_active:
        membership.is_active = True
        save_with_history(
            membership,
            actor=actor,
            reason=gettext_noop("agency administrator appointed"),
            update_fields=["is_active"],
        )
    _sync_group(membership)
    return membership


@transaction.atomic
def change_member_role(
    *, actor: User, agency: Agency, membership_id: uuid.UUID, role: str
) -> Membership:
    """Change the role of a membership of ``agency``. Needs MANAGE_MEMBERS there.
    The agency always keeps one active administrator."""
    _require(actor, Perm.MANAGE_MEMBERS, agency)
    _lock_agency(agency)
    membership = get_membership_in(agency, membership_id)
    if role not in Role.values:
        raise InvalidInput(_("Choose one of the roles."), code="invalid_choice", field="role")
    if not membership.is_active:
        raise Conflict(_("This membership is deactivated."), code="inactive_member")
    if role == membership.role:
        return membership
    if Membership.objects.filter(user=membership.user, agency=agency, role=role).exists():
        raise InvalidInput(
            _("This person already has that role in the agency."),
            code="already_member",
            field="role",
        )
    _ensure_other_admin_remains(membership)
    previous_role = membership.role
    membership.role = role
    save_with_history(
        membership, actor=actor, reason=f"role changed from {previous_role}", update_fields=["role"]
    )
    _set_group(membership.user, agency.pk, previous_role, member=False)
    _sync_group(membership)
    return membership


def _end_sessions(*, actor: User, user: User, reason: str) -> None:
    """End every session and API token of ``user`` at once: their next request
    is anonymous (the session hash includes the rotated stamp)."""
    user.session_stamp = uuid.uuid4()
    save_with_history(user, actor=actor, reason=reason, update_fields=["session_stamp"])
    for token in ApiToken.objects.filter(user=user, revoked_at__isnull=True):
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])


@transaction.atomic
def deactivate_member(
    *, actor: User, agency: Agency, membership_id: uuid.UUID, reason: str = ""
) -> Membership:
    """Deactivate a membership of ``agency``. Needs MANAGE_MEMBERS there.

    Ends the person's sessions and API tokens at once; a person left with no
    active membership is deactivated altogether. The agency always keeps one
    active administrator.
    """
    _require(actor, Perm.MANAGE_MEMBERS, agency)
    _lock_agency(agency)
    membership = get_membership_in(agency, membership_id)
    if not membership.is_active:
        return membership
    _ensure_other_admin_remains(membership)
    membership.is_active = False
    save_with_history(
        membership,
        actor=actor,
        reason=reason or gettext_noop("member deactivated"),
        update_fields=["is_active"],
    )
    _sync_group(membership)
    user = membership.user
    _end_sessions(actor=actor, user=user, reason=gettext_noop("membership deactivated"))
    if not user.is_staff and not user.memberships.filter(is_active=True).exists():
        user.is_active = False
        save_with_history(
            user,
            actor=actor,
            reason=gettext_noop("no active membership left"),
            update_fields=["is_active"],
        )
    return membership


@transaction.atomic
def reactivate_member(*, actor: User, agency: Agency, membership_id: uuid.UUID) -> Membership:
    """Reactivate a deactivated membership of ``agency``. Needs MANAGE_MEMBERS there."""
    _require(actor, Perm.MANAGE_MEMBERS, agency)
    membership = get_membership_in(agency, membership_id)
    if membership.is_active:
        return membership
    membership.is_active = True
    save_with_history(
        membership,
        actor=actor,
        reason=gettext_noop("member reactivated"),
        update_fields=["is_active"],
    )
    user = membership.user
    if not user.is_active:
        user.is_active = True
        save_with_history(
            user,
            actor=actor,
            reason=gettext_noop("member reactivated"),
            update_fields=["is_active"],
        )
    _sync_group(membership)
    return membership


# --- Emergency access agreements -----------------------------------------------


@transaction.atomic
def record_emergency_access_agreement(
    *, actor: User, agency: Agency, partner_id, reference: str, note: str = ""
) -> EmergencyAccessAgreement:
    """Record ``agency``'s prior written opt-in that the supervisors of
    ``partner_id`` may break the glass on its cases in an emergency. Needs
    MANAGE_AGENCY in ``agency`` (its administrator). The partner must be another
    agency without an active agreement (400 naming ``partner``); ``reference``
    names the signed agreement (400 without). Saved with history."""
    _require(actor, Perm.MANAGE_AGENCY, agency)
    _lock_agency(agency)
    partner = Agency.objects.filter(pk=partner_id).first() if is_uuid(partner_id) else None
    if partner is None:
        raise InvalidInput(_("Choose an agency."), code="invalid_choice", field="partner")
    if partner.pk == agency.pk:
        raise InvalidInput(
            _("Choose another agency than your own."), code="own_agency", field="partner"
        )
    reference = require_text(
        reference, "reference", message=_("Give the reference of the signed agreement.")
    )
    if EmergencyAccessAgreement.objects.filter(
        agency=agency, partner=partner, withdrawn_at__isnull=True
    ).exists():
        raise InvalidInput(
            _("This partner already has an active emergency access agreement."),
            code="already_active",
            field="partner",
        )
    agreement = EmergencyAccessAgreement(
        agency=agency,
        partner=partner,
        reference=reference,
        note=(note or "").strip(),
        recorded_by=actor,
    )
    save_with_history(agreement, actor=actor, reason=gettext_noop("emergency access agreed"))
    return agreement


@transaction.atomic
def withdraw_emergency_access_agreement(
    *, actor: User, agreement_id, reason: str
) -> EmergencyAccessAgreement:
    """The owning agency withdraws its opt-in (MANAGE_AGENCY there; the
    partner's members get 403, anyone else 404), with a written reason (400
    without). From then on the partner's supervisors can no longer break the
    glass on the agency's cases, and their running emergency accesses end
    (``accounts.signals.emergency_access_withdrawn``, in this transaction).
    A second withdrawal is 409 ``already_withdrawn``."""
    agreement = (
        EmergencyAccessAgreement.objects.select_for_update()
        .select_related("agency", "partner")
        .filter(pk=agreement_id)
        .first()
        if is_uuid(agreement_id)
        else None
    )
    member_of = set(agency_permissions(actor))
    if agreement is None or not member_of & {agreement.agency_id, agreement.partner_id}:
        raise NotFound()
    _require(actor, Perm.MANAGE_AGENCY, agreement.agency)
    if agreement.withdrawn_at is not None:
        raise Conflict(_("This agreement was already withdrawn."), code="already_withdrawn")
    agreement.withdrawal_reason = require_text(
        reason, "reason", message=_("Say why the agreement is withdrawn.")
    )
    # Withdrawals of one agency's agreements take turns (its row lock, after
    # the agreement's): the receivers keep a partner's access while another
    # agreement still covers it, so each must see the other withdrawals.
    _lock_agency(agreement.agency)
    agreement.withdrawn_at = timezone.now()
    agreement.withdrawn_by = actor
    save_with_history(
        agreement,
        actor=actor,
        reason=gettext_noop("emergency access withdrawn"),
        update_fields=["withdrawn_at", "withdrawn_by", "withdrawal_reason"],
    )
    emergency_access_withdrawn.send(
        sender=EmergencyAccessAgreement, agreement=agreement, actor=actor
    )
    return agreement


# --- The user's own settings and tokens ----------------------------------------


@transaction.atomic
def set_preferred_language(*, actor: User, language: str) -> User:
    """The actor chooses the language of their pages and e-mails."""
    if language not in dict(settings.LANGUAGES):
        raise InvalidInput(
            _("Choose one of the languages."), code="invalid_choice", field="language"
        )
    if actor.preferred_language != language:
        actor.preferred_language = language
        save_with_history(
            actor,
            actor=actor,
            reason=gettext_noop("language changed"),
            update_fields=["preferred_language"],
        )
    return actor


TOKEN_PREFIX = "sanad_"  # noqa: S105 - a visible prefix, not a secret


@transaction.atomic
def issue_api_token(*, actor: User, name: str = "") -> tuple[ApiToken, str]:
    """A new bearer token for the actor. The plain token is returned once and
    never stored (only its SHA-256)."""
    if not actor.is_active:
        raise Forbidden()
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user=actor,
        name=name[:100],
        prefix=plain[: len(TOKEN_PREFIX) + 6],
        token_hash=hash_token(plain),
        expires_at=timezone.now() + timedelta(days=settings.API_TOKEN_TTL_DAYS),
    )
    token.full_clean()
    token.save()
    return token, plain


@transaction.atomic
def revoke_api_token(*, actor: User, token_id: uuid.UUID) -> ApiToken:
    """Revoke one of the actor's own tokens (others' tokens are not found)."""
    from config.errors import NotFound

    token = ApiToken.objects.filter(user=actor, pk=token_id).first()
    if token is None:
        raise NotFound()
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token
