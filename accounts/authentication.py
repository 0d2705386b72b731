"""Bearer tokens for integrations: ``Authorization: Bearer <token>``."""

import hashlib
from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed

from accounts.models import ApiToken

# Writing last_used_at on every request would turn each read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def hash_token(plain: str) -> str:
    # The token is 256 random bits, so a fast hash is enough: nothing to brute-force.
    return hashlib.sha256(plain.encode()).hexdigest()


def live_token(plain: str) -> ApiToken | None:
    """The live token for this plain text (not revoked, not expired, active user)."""
    return (
        ApiToken.objects.select_related("user")
        .filter(
            token_hash=hash_token(plain),
            revoked_at__isnull=True,
            expires_at__gt=timezone.now(),
            user__is_active=True,
        )
        .first()
    )


class BearerTokenAuthentication(BaseAuthentication):
    keyword = b"bearer"

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword:
            return None
        if len(parts) != 2:
            raise AuthenticationFailed(
                _("Use 'Authorization: Bearer <token>'."), code="invalid_token"
            )
        try:
            plain = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise AuthenticationFailed(_("Invalid token."), code="invalid_token") from None
        token = live_token(plain)
        if token is None:
            raise AuthenticationFailed(_("Invalid or expired token."), code="invalid_token")
        now = timezone.now()
        if token.last_used_at is None or token.last_used_at < now - LAST_USED_RESOLUTION:
            # ApiToken keeps no field history; a plain UPDATE is right here.
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return (token.user, token)

    def authenticate_header(self, request):
        return 'Bearer realm="api"'
