"""Reading notices: what a notice says, in its reader's language, and where
it may take them.

A notice is stored as a gettext msgid (``text``) and its %-parameters
(``values``): case numbers, agency names, referral references, dates. It is
rendered when read (``render_notice``), in the language active then: the
page's, the API caller's, the recipient's own for a mail. A value is plain
text, a number, or one of two small objects rendered in the reader's
language too: ``{"msgid": ..., "context": ...}`` (a label to translate, such
as a choice's: ``notice_label``) and ``{"date": "YYYY-MM-DD"}`` (a day, in
the reader's format, calendar and digits: ``notice_date``). Notices written
before there were ids keep their text in ``message``, shown as it is.

accounts writes and e-mails the in-app notices of every app but knows none
of their pages. An app above it registers, for the kinds of notice it writes
(a ``kind`` prefix such as ``"referral."``), a link check: which of one
reader's notices still lead somewhere they may go. ``referrals.apps`` and
``casework.apps`` register theirs in ``ready()``; accounts imports nothing of
them.
"""

import datetime
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from uuid import UUID

from django.db.models import QuerySet
from django.utils import translation
from django.utils.functional import Promise
from django.utils.html import conditional_escape, escape, format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, pgettext

from accounts.models import Notification, User
from config.errors import NotFound
from config.http.bidi import isolate_plain
from config.http.calendars import date_format

# --- What a notice says ------------------------------------------------------------


def notice_label(label: str | Promise, *, context: str = "") -> dict:
    """A value of a notice that is itself text to translate: a msgid, or a
    lazily translated label (a choice's), stored as its msgid and rendered in
    the reader's language. A label translated with a context (``pgettext``)
    names it in ``context``."""
    with translation.override(None):
        msgid = str(label)  # without a catalogue, a lazy label is its msgid
    return {"msgid": msgid, "context": context} if context else {"msgid": msgid}


def notice_date(day: datetime.date) -> dict:
    """A day as a value of a notice: shown in the reader's date format."""
    return {"date": day.isoformat()}


def _render_value(value: object) -> object:
    if isinstance(value, dict):
        if isinstance(value.get("msgid"), str):
            context = value.get("context")
            if isinstance(context, str) and context:
                return pgettext(context, value["msgid"])
            return gettext(value["msgid"])
        if isinstance(value.get("date"), str):
            try:
                day = datetime.date.fromisoformat(value["date"])
            except ValueError:
                return value["date"]
            return date_format(day)
    return value


def render_text(text: str, values: Mapping[str, object], *, isolate: bool = False) -> str:
    """``gettext(text) % values`` in the active language, each value rendered
    in it too. A translation whose placeholders do not match the values (a
    catalogue mistake) falls back to the source text, never to an error page.
    ``isolate`` (plain text to read, such as a mail) keeps each text value in
    its own direction: a Latin case number inside Farsi, an Arabic agency
    name inside English (``config.http.bidi.isolate_plain``)."""
    shown = {name: _render_value(value) for name, value in values.items()}
    if isolate:
        rtl = translation.get_language_bidi()
        shown = {
            name: value if isinstance(value, int | float) else isolate_plain(value, page_rtl=rtl)
            for name, value in shown.items()
        }
    try:
        return gettext(text) % shown
    except (KeyError, TypeError, ValueError):
        return text % shown


def render_notice(notice: Notification, *, isolate: bool = False) -> str:
    """What the notice says, in the language active now (a notice written
    before there were ids: its stored ``message``); ``isolate`` as for
    ``render_text``."""
    if not notice.text:
        return notice.message
    try:
        return render_text(notice.text, notice.values or {}, isolate=isolate)
    except (KeyError, TypeError, ValueError):
        return notice.message or notice.text


def render_notice_html(notice: Notification) -> SafeString:
    """``render_notice`` for a page: escaped, each text value in ``<bdi>`` so
    that a Latin case number or agency name keeps its order in Arabic."""
    if not notice.text:
        return conditional_escape(notice.message)
    shown = {}
    for name, value in (notice.values or {}).items():
        value = _render_value(value)
        number = isinstance(value, int | float) and not isinstance(value, bool)
        shown[name] = value if number else format_html("<bdi>{}</bdi>", value)
    for text in (gettext(notice.text), notice.text):
        try:
            return mark_safe(escape(text) % shown)  # noqa: S308 - escaped text and values  # nosec B308, B703
        except (KeyError, TypeError, ValueError):
            continue
    return conditional_escape(notice.message or notice.text)


# --- Whose notices -----------------------------------------------------------------


def notices_of(user: User, *, unread: bool | None = None) -> QuerySet[Notification]:
    """The user's own notices, newest first (nobody reads another's);
    ``unread`` True or False keeps only the unread or the read ones."""
    notices = Notification.objects.filter(recipient_id=user.pk)
    if unread is not None:
        notices = notices.filter(read_at__isnull=unread)
    return notices.order_by("-created_at", "-id")


def unread_notice_count(user: User) -> int:
    """How many of the user's notices are unread (one query)."""
    return Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True).count()


def get_own_notice(user: User, notice_id: UUID | str) -> Notification:
    """One of the user's own notices; anyone else's, or none, is NotFound (404)."""
    try:
        return Notification.objects.get(pk=notice_id, recipient_id=user.pk)
    except (Notification.DoesNotExist, ValueError, TypeError) as error:
        raise NotFound() from error


# --- Where a notice leads ----------------------------------------------------------


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
