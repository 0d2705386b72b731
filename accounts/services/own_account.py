"""The user's own settings and API tokens."""

import secrets
import uuid
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.audit import save_with_history
from accounts.authentication import hash_token
from accounts.models import (
    ApiToken,
    Calendar,
    Digits,
    User,
)
from accounts.services.sessions import end_sessions, lock_user, revoke_tokens_of
from accounts.validation import require_time_zone
from config.errors import Forbidden, InvalidInput, NotFound

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


@transaction.atomic
def set_time_zone(*, actor: User, time_zone: str) -> User:
    """The actor chooses the time zone their pages show times in; "" goes
    back to their agency's. 400 naming ``time_zone`` unless it is an IANA
    time zone name. Saved with history; no change, no history row."""
    time_zone = require_time_zone(time_zone, blank=True)
    if actor.time_zone != time_zone:
        actor.time_zone = time_zone
        save_with_history(
            actor,
            actor=actor,
            reason=gettext_noop("time zone changed"),
            update_fields=["time_zone"],
        )
    return actor


@transaction.atomic
def set_date_display(*, actor: User, calendar: str, digits: str) -> User:
    """The calendar and digits the actor's pages write dates in (Solar Hijri,
    Persian digits); stored and API dates stay Gregorian. 400 naming the field
    for an unknown value. Saved with history; no change, no history row."""
    if calendar not in Calendar.values:
        raise InvalidInput(
            _("Choose one of the calendars."), code="invalid_choice", field="calendar"
        )
    if digits not in Digits.values:
        raise InvalidInput(
            _("Choose one of the kinds of digits."), code="invalid_choice", field="digits"
        )
    if (actor.calendar, actor.digits) != (calendar, digits):
        actor.calendar, actor.digits = calendar, digits
        save_with_history(
            actor,
            actor=actor,
            reason=gettext_noop("date display changed"),
            update_fields=["calendar", "digits"],
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

    token = ApiToken.objects.filter(user=actor, pk=token_id).first()
    if token is None:
        raise NotFound()
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


# --- Password and sessions -------------------------------------------------------------


def _require_valid_password(user: User, password: str, *, field: str) -> None:
    """400 naming ``field`` unless ``password`` passes AUTH_PASSWORD_VALIDATORS."""
    try:
        password_validation.validate_password(password, user)
    except ValidationError as error:
        raise InvalidInput(" ".join(error.messages), code="invalid_password", field=field) from None


def _save_password(user: User, password: str, *, reason: str) -> User:
    user.set_password(password)
    save_with_history(user, actor=user, reason=reason, update_fields=["password"])
    revoke_tokens_of(user)
    return user


@transaction.atomic
def change_password(*, actor: User, old_password: str, new_password: str) -> User:
    """The actor changes their own password, giving the current one (400
    naming ``old_password`` when it is wrong) and a new one that passes the
    password validators (400 naming ``new_password``).

    Every API token of the actor is revoked, and every session ends at its
    next request (the session hash includes the password hash): the caller
    keeps its own session with ``update_session_auth_hash`` and the returned
    user. Recorded in the actor's history (the password itself is not)."""
    user = lock_user(actor)
    if not user.is_active:
        raise Forbidden()
    if not user.check_password(old_password):
        raise InvalidInput(
            _("This is not your current password."), code="wrong_password", field="old_password"
        )
    _require_valid_password(user, new_password, field="new_password")
    return _save_password(user, new_password, reason=gettext_noop("password changed"))


@transaction.atomic
def set_password_from_link(*, actor: User, new_password: str) -> User:
    """The actor chooses a password through an e-mailed link (an invitation
    or a reset; the view has checked the link, which proves who they are).
    400 naming ``new_password`` unless it passes the password validators.

    As with ``change_password``, every API token of the actor is revoked and
    every session of theirs ends. The actor is not signed in: they sign in
    with the new password, and with their second factor if they have one."""
    user = lock_user(actor)
    _require_valid_password(user, new_password, field="new_password")
    return _save_password(user, new_password, reason=gettext_noop("password set from a link"))


@transaction.atomic
def sign_out_everywhere(*, actor: User) -> User:
    """End every session of the actor, this one included, and revoke every
    API token of theirs ("sign out everywhere"). Recorded in their history."""
    return end_sessions(actor=actor, user=actor, reason=gettext_noop("signed out everywhere"))
