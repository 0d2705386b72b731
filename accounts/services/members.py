"""An agency's members: adding, roles, deactivation, invitations."""

import uuid
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from accounts.audit import save_with_history
from accounts.models import (
    Agency,
    Membership,
    RoleGroup,
    User,
)
from accounts.permissions import Perm, Role
from accounts.selectors import (
    INVITATION_RESENT,
    INVITED_REASON_PREFIX,
    forget_cached_permissions,
    get_membership_in,
    last_invitation_at,
)
from accounts.services.sessions import end_sessions
from config.errors import Conflict, Forbidden, InvalidInput
from config.http.bidi import isolate_plain

# --- Members -----------------------------------------------------------------


def require_perm_in(actor: User, perm: Perm, agency: Agency) -> None:
    """Forbidden unless ``actor`` holds ``perm`` in ``agency`` (a member already)."""
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


def lock_agency(agency: Agency) -> None:
    """Lock the agency's row for the transaction: it serialises membership
    changes of one agency, so two admins cannot both remove "the other last
    admin" at the same time."""
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
        # A Latin agency name keeps its order inside Farsi, an Arabic one inside English.
        rtl = translation.get_language_bidi()
        agency_name = isolate_plain(agency.name, page_rtl=rtl)
        send_mail(
            subject=_("You have been added to %(agency)s on Sanad") % {"agency": agency_name},
            message=_(
                "Hello %(name)s,\n\n%(agency)s has given you access to Sanad. "
                "Choose your password here:\n\n%(base)s%(link)s\n"
            )
            % {
                "name": isolate_plain(user.display_name, page_rtl=rtl),
                "agency": agency_name,
                "base": settings.SITE_URL,
                "link": link,
            },
            from_email=None,
            recipient_list=[user.email],
        )


def send_password_invitation(*, user: User, agency: Agency) -> None:
    """E-mail ``user`` a link to choose a password, once the transaction commits."""
    transaction.on_commit(lambda: _send_invitation(user.pk, agency.pk))


# An invitation is not resent more often than this: each one is an e-mail to a
# person who may not know Sanad yet, and a new link ends the previous one.
INVITATION_INTERVAL = timedelta(minutes=10)


@transaction.atomic
def resend_invitation(*, actor: User, agency: Agency, membership_id: uuid.UUID) -> Membership:
    """E-mail an invited member of ``agency`` (an active membership, no
    password chosen yet) a new link to choose a password, on commit
    (``send_password_invitation``). Needs MANAGE_MEMBERS there.

    The new link ends the previous one (a link is valid for the password it
    was made for, and the unusable password is renewed). Refused (409) for
    a deactivated member, a person who already chose a password, and within
    ``INVITATION_INTERVAL`` of the last invitation to the same person (from
    any agency). Recorded in the person's history as "invitation resent".
    """
    require_perm_in(actor, Perm.MANAGE_MEMBERS, agency)
    membership = get_membership_in(agency, membership_id)
    # The person's row is locked: two admins resending at once send one e-mail.
    user = User.objects.select_for_update().get(pk=membership.user_id)
    if not membership.is_active or not user.is_active:
        raise Conflict(
            _("This member is deactivated: reactivate the membership first."),
            code="inactive_member",
        )
    if user.has_usable_password():
        raise Conflict(
            _("This person has already chosen a password: there is no invitation to resend."),
            code="invitation_accepted",
        )
    sent_at = last_invitation_at(user)
    if sent_at is not None and timezone.now() - sent_at < INVITATION_INTERVAL:
        minutes = int(INVITATION_INTERVAL.total_seconds() // 60)
        raise Conflict(
            ngettext(
                "An invitation was sent to this person less than %(minutes)d minute ago. "
                "Wait before sending another.",
                "An invitation was sent to this person less than %(minutes)d minutes ago. "
                "Wait before sending another.",
                minutes,
            )
            % {"minutes": minutes},
            code="invitation_recently_sent",
        )
    user.set_unusable_password()
    save_with_history(user, actor=actor, reason=INVITATION_RESENT, update_fields=["password"])
    send_password_invitation(user=user, agency=agency)
    membership.user = user
    return membership


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
    require_perm_in(actor, Perm.MANAGE_MEMBERS, agency)
    lock_agency(agency)
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
        save_with_history(user, actor=actor, reason=f"{INVITED_REASON_PREFIX}{agency.slug}")
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
    lock_agency(agency)
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
    The agency always keeps one active administrator.

    The person loses the previous role: every session and API token of
    theirs ends at once (``end_sessions``), as when a membership is
    deactivated. ``membership.user`` is their row as saved, for a caller that
    keeps its own session (``update_session_auth_hash``)."""
    require_perm_in(actor, Perm.MANAGE_MEMBERS, agency)
    lock_agency(agency)
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
    membership.user = end_sessions(
        actor=actor, user=membership.user, reason=gettext_noop("role changed: signed out")
    )
    return membership


@transaction.atomic
def deactivate_member(
    *, actor: User, agency: Agency, membership_id: uuid.UUID, reason: str = ""
) -> Membership:
    """Deactivate a membership of ``agency``. Needs MANAGE_MEMBERS there.

    Ends the person's sessions and API tokens at once; a person left with no
    active membership is deactivated altogether. The agency always keeps one
    active administrator.
    """
    require_perm_in(actor, Perm.MANAGE_MEMBERS, agency)
    lock_agency(agency)
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
    user = end_sessions(
        actor=actor, user=membership.user, reason=gettext_noop("membership deactivated")
    )
    membership.user = user
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
    require_perm_in(actor, Perm.MANAGE_MEMBERS, agency)
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


@transaction.atomic
def sign_out_member_everywhere(
    *, actor: User, agency: Agency, membership_id: uuid.UUID
) -> Membership:
    """An administrator of ``agency`` (MANAGE_MEMBERS there) ends every
    session and API token of an active member at once, e.g. after a lost
    phone. The person can sign in again; their roles are unchanged. Sessions
    belong to the person, so this ends their sessions for every agency they
    work for. Recorded in the person's history. A membership of another
    agency is not found (404); a deactivated one is refused (409): its
    sessions ended with it."""
    require_perm_in(actor, Perm.MANAGE_MEMBERS, agency)
    membership = get_membership_in(agency, membership_id)
    if not membership.is_active:
        raise Conflict(
            _("This membership is deactivated: its sessions ended with it."),
            code="inactive_member",
        )
    membership.user = end_sessions(
        actor=actor,
        user=membership.user,
        reason=gettext_noop("signed out everywhere by an agency administrator"),
    )
    return membership
