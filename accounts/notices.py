"""Where a notice may take its reader.

accounts writes and e-mails the in-app notices of every app but knows none
of their pages. An app above it registers, for the kinds of notice it writes
(a ``kind`` prefix such as ``"referral."``), a link check: which of one
reader's notices still lead somewhere they may go. ``referrals.apps`` registers
its check in ``ready()``; accounts imports nothing of it.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from uuid import UUID

from django.utils.http import url_has_allowed_host_and_scheme

from accounts.models import Notification, User


@dataclass(frozen=True)
class NoticeLink:
    """Where a notice may link: ``url`` inside Sanad ("" for none). A notice
    about something its reader no longer sees links nowhere and carries the
    sentence saying so in ``unavailable_note`` (lazily translated)."""

    url: str
    unavailable_note: str = ""

    @property
    def unavailable(self) -> bool:
        """It names something the reader no longer sees."""
        return bool(self.unavailable_note)


LinkCheck = Callable[[User, list[Notification]], dict[UUID, NoticeLink]]

_LINK_CHECKS: dict[str, LinkCheck] = {}


def register_link_check(kind_prefix: str, check: LinkCheck) -> None:
    """Let ``check(reader, notices)`` decide the links of the notices whose
    ``kind`` starts with ``kind_prefix`` (called from an ``AppConfig.ready``;
    registering the same prefix again replaces the check)."""
    _LINK_CHECKS[kind_prefix] = check


def safe_link(notice: Notification) -> NoticeLink:
    """The notice's own address if it stays inside Sanad, else no link."""
    url = notice.url or ""
    if not url.startswith("/") or not url_has_allowed_host_and_scheme(url, allowed_hosts=None):
        return NoticeLink("")
    return NoticeLink(url)


def notice_links(user: User, notices: Iterable[Notification]) -> dict[UUID, NoticeLink]:
    """{notice id: where it may link} for ``user``'s own notices: each notice's
    address inside Sanad, then the registered check of its kind for the
    notices that have one (one call per kind, whatever their number).
    Records no access: it reads ids, not personal data."""
    notices = list(notices)
    links = {notice.pk: safe_link(notice) for notice in notices}
    for prefix, check in _LINK_CHECKS.items():
        checked = [notice for notice in notices if notice.kind.startswith(prefix)]
        if checked:
            links.update(check(user, checked))
    return links
