"""Second-factor writes: enrolling an authenticator app, backup codes, removing
a factor, an agency administrator's reset, and checking a code.

Every change of a person's factors rotates their session stamp with a history
row naming the actor and what changed: their other sessions end at their next
request (the view that made the change keeps its own with
``update_session_auth_hash``). An administrator's reset also revokes every API
token of the person.
"""

import uuid

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django_otp import devices_for_user
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from accounts.audit import save_with_history
from accounts.models import Agency, ApiToken, User
from accounts.permissions import Perm
from accounts.selectors import get_membership_in
from accounts.services.members import require_perm_in
from config.errors import Conflict, InvalidInput, NotFound

BACKUP_CODE_COUNT = 10
# The devices a person may hold, one model per kind of factor.
FACTOR_MODELS = (TOTPDevice, StaticDevice, WebAuthnCredential)
PENDING_APP_NAME = "pending"


def _lock_user(user: User) -> User:
    """Row-lock the person whose factors change, so that two changes at once
    are applied one after the other."""
    return User.objects.select_for_update().get(pk=user.pk)


def record_factor_change(*, actor: User, user: User, reason: str) -> None:
    """History row on ``user`` naming ``actor`` and ``reason``; their other
    sessions end (the session stamp rotates)."""
    user = _lock_user(user)
    user.session_stamp = uuid.uuid4()
    save_with_history(user, actor=actor, reason=reason, update_fields=["session_stamp"])


def _normalise_code(code: str) -> str:
    return "".join(str(code).split()).replace("-", "").lower()


@transaction.atomic
def start_authenticator_app(*, actor: User) -> TOTPDevice:
    """A new, unconfirmed authenticator-app secret for the actor (any earlier
    unconfirmed one is dropped). It counts only once confirmed with a code."""
    TOTPDevice.objects.filter(user=actor, confirmed=False).delete()
    return TOTPDevice.objects.create(user=actor, name=PENDING_APP_NAME, confirmed=False)


def pending_authenticator_app(actor: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=actor, confirmed=False).order_by("-id").first()


@transaction.atomic
def confirm_authenticator_app(*, actor: User, code: str, name: str = "") -> TOTPDevice:
    """Confirm the pending authenticator app with a code it shows now. 400
    naming ``code`` when the code is wrong; 409 when nothing is pending."""
    _lock_user(actor)
    device = (
        TOTPDevice.objects.select_for_update()
        .filter(user=actor, confirmed=False)
        .order_by("-id")
        .first()
    )
    if device is None:
        raise Conflict(
            _("Start again: no authenticator app is waiting to be confirmed."),
            code="nothing_pending",
        )
    code = _normalise_code(code)
    if not code.isdigit() or not device.verify_token(code):
        raise InvalidInput(
            _("This code is not right. Enter the six digits the app shows now."),
            code="invalid_otp",
            field="code",
        )
    device.confirmed = True
    device.name = (name or "").strip()[:64] or _("Authenticator app")
    device.save()
    record_factor_change(
        actor=actor, user=actor, reason=gettext_noop("second factor added: authenticator app")
    )
    return device


@transaction.atomic
def passkey_added(*, actor: User) -> None:
    """django-otp-webauthn stored a new passkey of the actor: the history row."""
    record_factor_change(
        actor=actor, user=actor, reason=gettext_noop("second factor added: passkey")
    )


@transaction.atomic
def new_backup_codes(*, actor: User) -> list[str]:
    """Ten new single-use backup codes for the actor; the earlier ones stop
    working. The codes are returned once, to be shown once."""
    _lock_user(actor)
    device, _created = StaticDevice.objects.get_or_create(
        user=actor, name="backup", defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    record_factor_change(
        actor=actor, user=actor, reason=gettext_noop("second factor: new backup codes")
    )
    return codes


def remaining_backup_codes(user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def strong_factors(user: User) -> list:
    """Factors other than backup codes (a person cannot rely on backup codes alone)."""
    return [
        *TOTPDevice.objects.filter(user=user, confirmed=True),
        *WebAuthnCredential.objects.filter(user=user, confirmed=True),
    ]


@transaction.atomic
def remove_factor(*, actor: User, kind: str, device_id: int, required: bool) -> None:
    """Remove one of the actor's own factors (``kind``: ``app`` or ``passkey``).
    When a second factor is required of them, the last one cannot go: 409."""
    _lock_user(actor)
    model = {"app": TOTPDevice, "passkey": WebAuthnCredential}.get(kind)
    if model is None:
        raise InvalidInput(_("Choose a factor to remove."), code="invalid_choice", field="kind")
    device = model.objects.filter(user=actor, pk=device_id, confirmed=True).first()
    if device is None:
        raise NotFound()
    if required and len(strong_factors(actor)) <= 1:
        raise Conflict(
            _("Add another authenticator app or passkey before you remove your last one."),
            code="last_factor",
        )
    device.delete()
    if not strong_factors(actor):
        # Backup codes are a way back to one's app or passkey, not a factor of their own.
        StaticDevice.objects.filter(user=actor).delete()
    record_factor_change(
        actor=actor,
        user=actor,
        reason=gettext_noop("second factor removed: passkey")
        if kind == "passkey"
        else gettext_noop("second factor removed: authenticator app"),
    )


@transaction.atomic
def reset_member_factors(*, actor: User, agency: Agency, membership_id: uuid.UUID) -> User:
    """An agency administrator removes every factor of a member of their agency
    (a lost phone): the member enrols again at their next login. Their
    sessions and API tokens end. Needs MANAGE_MEMBERS in the agency; a member
    of another agency is not found."""
    require_perm_in(actor, Perm.MANAGE_MEMBERS, agency)
    membership = get_membership_in(agency, membership_id)
    user = _lock_user(membership.user)
    for model in FACTOR_MODELS:
        model.objects.filter(user=user).delete()
    user.session_stamp = uuid.uuid4()
    save_with_history(
        user,
        actor=actor,
        reason=gettext_noop("second factor reset by an agency administrator"),
        update_fields=["session_stamp"],
    )
    ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())
    return user


def _use_backup_code(device: StaticDevice, code: str) -> bool:
    """One DELETE takes the code: of two requests spending the same code at
    once, exactly one deletes it."""
    allowed, _details = device.verify_is_allowed()
    if not allowed:
        return False
    used, _by_model = StaticToken.objects.filter(device=device, token=code).delete()
    if used:
        device.throttle_reset(commit=True)
        return True
    device.throttle_increment(commit=True)
    return False


def verify_code(user: User, code: str):
    """The factor that accepts ``code`` (an authenticator-app code or a backup
    code, which is used up), or None. Each device is row-locked while it
    checks, so one code is accepted once however many requests carry it at
    once (TOTP remembers the last step used), and each device throttles its
    own failures (django-otp), so a guessed code gets slower at every miss."""
    code = _normalise_code(code)
    if not code or len(code) > 16:
        return None
    for device in devices_for_user(user, confirmed=True):
        if isinstance(device, WebAuthnCredential):
            continue
        with transaction.atomic():
            locked = type(device).objects.select_for_update().get(pk=device.pk)
            if isinstance(locked, StaticDevice):
                accepted = _use_backup_code(locked, code)
            else:
                accepted = code.isdigit() and locked.verify_token(code)
        if accepted:
            return locked
    return None
