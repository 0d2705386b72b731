"""The one writer of in-app notices, for every app, and marking them read.

A notice is stored as a msgid and its parameters, and rendered in its
reader's language when read (``accounts.notices.render_notice``); it is
written in the caller's transaction and e-mailed after the commit."""

import json
from collections.abc import Iterable, Mapping
from uuid import UUID

from django.db import transaction
from django.utils import timezone, translation

from accounts.models import Notification, User
from accounts.notices import get_own_notice, render_text
from accounts.tasks import email_notifications


def _checked_values(text: str, values: Mapping[str, object]) -> dict:
    """``values`` as stored: JSON (language-neutral: numbers, names, dates as
    ``notice_date``, labels as ``notice_label``), and enough for ``text``.
    A mistake here is the calling code's, so it fails loudly, at the write."""
    values = dict(values)
    try:
        json.dumps(values)
    except (TypeError, ValueError) as error:
        raise TypeError(f"Notice values must be JSON ({error}): {values!r}") from error
    with translation.override(None):
        render_text(text, values)  # KeyError/TypeError: the text wants other values
    return values


def notify_users(
    recipients: Iterable[User],
    *,
    kind: str,
    text: str,
    values: Mapping[str, object],
    url: str = "",
    email: bool = True,
    key: str = "",
) -> list[Notification]:
    """Write one in-app notice per recipient (a recipient named twice gets
    one): ``text`` (a ``gettext_noop`` msgid) and its ``values``, rendered in
    the reader's language whenever it is read. Notices name agencies, case
    numbers and references, never a client: they are read on shared screens
    and sent by e-mail.

    With ``key``, a notice sent at most once per recipient, ``kind`` and
    ``key`` (a follow-up coming due): a recipient who has it already, or gets
    it from a concurrent writer, is skipped, without an error or a wait
    beyond that writer's commit (the database's unique constraint decides).
    Returns the notices written.

    Saved in the caller's transaction; with ``email``, e-mailed by
    ``accounts.tasks.email_notifications`` once that transaction commits
    (without it, nothing is mailed). No permission check: the caller decides
    who is told."""
    values = _checked_values(text, values)
    notices: list[Notification] = []
    seen: set = set()
    for user in recipients:
        if user.pk in seen:
            continue
        seen.add(user.pk)
        notice = Notification(recipient=user, kind=kind, text=text, values=values, key=key, url=url)
        # The once-per-key rule is the insert's (ON CONFLICT DO NOTHING):
        # checking it first would race with a concurrent writer.
        notice.full_clean(validate_constraints=False)
        notices.append(notice)
    if not notices:
        return []
    # Notification keeps no history: a bulk insert writes everything it would.
    Notification.objects.bulk_create(notices, ignore_conflicts=bool(key))
    if key:
        # Ids are made here, so the rows found are the ones this call wrote.
        written = set(
            Notification.objects.filter(pk__in=[notice.pk for notice in notices]).values_list(
                "pk", flat=True
            )
        )
        notices = [notice for notice in notices if notice.pk in written]
    ids = [str(notice.pk) for notice in notices]
    if email and ids:
        transaction.on_commit(lambda: email_notifications.delay(ids))
    return notices


@transaction.atomic
def mark_notice_read(*, actor: User, notice_id: UUID | str) -> Notification:
    """Mark one of the actor's own notices read (anyone else's is NotFound,
    404). Already read: unchanged, so the first reading's time stays.
    Notices carry no history: only ``read_at`` is written."""
    notice = get_own_notice(actor, notice_id)
    if notice.read_at is None:
        # Two tabs opening it at once: the first time wins.
        Notification.objects.filter(pk=notice.pk, read_at__isnull=True).update(
            read_at=timezone.now()
        )
        notice.refresh_from_db(fields=["read_at"])
    return notice


@transaction.atomic
def mark_notices_read(*, actor: User) -> int:
    """Mark every unread notice of the actor read (their own only); returns how
    many. Notices carry no history: the update touches only ``read_at``."""
    return Notification.objects.filter(recipient_id=actor.pk, read_at__isnull=True).update(
        read_at=timezone.now()
    )
