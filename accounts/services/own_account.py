"""The user's own settings and API tokens."""

import secrets
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.audit import save_with_history
from accounts.authentication import hash_token
from accounts.models import (
    ApiToken,
    User,
)
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
