"""Ending every session and API token of a person at once.

A session carries an HMAC of the user's password hash and session stamp
(``User.get_session_auth_hash``): changing either ends every session at its
next request. Tokens are revoked row by row. Timeouts of single sessions are
``accounts.sessions``.
"""

import uuid

from django.db import transaction
from django.utils import timezone

from accounts.audit import save_with_history
from accounts.models import ApiToken, User


def lock_user(user: User) -> User:
    """The user's row, locked for the transaction and read afresh: two
    simultaneous changes of one person's password or stamp queue behind each
    other instead of writing over each other's history."""
    return User.objects.select_for_update().get(pk=user.pk)


def revoke_tokens_of(user: User) -> int:
    """Revoke every live API token of ``user``; how many there were."""
    now = timezone.now()
    count = 0
    for token in ApiToken.objects.filter(user=user, revoked_at__isnull=True):
        token.revoked_at = now
        token.save(update_fields=["revoked_at"])
        count += 1
    return count


@transaction.atomic
def end_sessions(*, actor: User, user: User, reason: str) -> User:
    """End every session and API token of ``user`` at once: each session's
    next request is anonymous (the session hash includes the new stamp), each
    token answers 401. Saved with history (``reason``, ``actor``). No
    permission check: the callers (services) check theirs. Returns the user's
    row as now saved."""
    user = lock_user(user)
    user.session_stamp = uuid.uuid4()
    save_with_history(user, actor=actor, reason=reason, update_fields=["session_stamp"])
    revoke_tokens_of(user)
    return user
