"""The one writer of in-app notices, for every app: each recipient's notice
in their own language, in the caller's transaction; e-mail after the commit."""

from collections.abc import Iterable, Mapping

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.models import Notification, User
from accounts.tasks import email_notifications

_MESSAGE_MAX_LENGTH = Notification._meta.get_field("message").max_length


def notify_users(
    recipients: Iterable[User],
    *,
    kind: str,
    text: str,
    values: Mapping[str, object],
    url: str = "",
    email: bool = True,
) -> list[Notification]:
    """Write one in-app notice per recipient (a recipient named twice gets
    one): ``text`` (a ``gettext_noop`` msgid) translated into the recipient's
    ``preferred_language``, then ``% values``, cut to the field's length.
    Validated and saved in the caller's transaction; with ``email``, e-mailed
    by ``accounts.tasks.email_notifications`` once that transaction commits
    (without it, nothing is mailed). No permission check: the caller decides
    who is told. Notices name agencies and references, never a client."""
    notices: list[Notification] = []
    seen: set = set()
    for user in recipients:
        if user.pk in seen:
            continue
        seen.add(user.pk)
        with translation.override(user.preferred_language or None):
            message = _(text) % values
        notice = Notification(
            recipient=user, kind=kind, message=message[:_MESSAGE_MAX_LENGTH], url=url
        )
        notice.full_clean()
        notice.save()
        notices.append(notice)
    ids = [str(notice.pk) for notice in notices]
    if email and ids:
        transaction.on_commit(lambda: email_notifications.delay(ids))
    return notices
