"""Where casework's notices (``case.*``: a case assigned to or taken from
someone; ``followup.*``: a follow-up due tomorrow or overdue) may take their
reader."""

from collections.abc import Iterable
from uuid import UUID

from django.urls import Resolver404, resolve
from django.utils.translation import gettext_lazy

from accounts.models import Notification, User
from accounts.notices import NoticeLink, safe_link
from casework.selectors.scope import cases_visible_to

UNAVAILABLE = gettext_lazy("This case is no longer available to you.")


def _case_of_notice(url: str) -> UUID | None:
    """The case a notice's address is about, if it is one of a case's pages."""
    try:
        match = resolve(url)
    except Resolver404:
        return None
    if match.namespace != "casework":
        return None
    return match.kwargs.get("case_id")


def case_notice_links(user: User, notices: Iterable[Notification]) -> dict[UUID, NoticeLink]:
    """{notice id: where it may link} for the user's own ``case.*`` and
    ``followup.*`` notices (``accounts.notices`` calls it). A notice about a case the user no longer
    sees (a restricted case taken from them) links nowhere and says so,
    instead of leading to a 404. One query for every notice at once. Records
    no access: it reads ids, not personal data."""
    links, about = {}, {}
    for notice in notices:
        links[notice.pk] = link = safe_link(notice)
        case_id = _case_of_notice(link.url) if link.url else None
        if case_id is not None:
            about[notice.pk] = case_id
    if about:
        visible = set(
            cases_visible_to(user).filter(pk__in=set(about.values())).values_list("pk", flat=True)
        )
        for notice_id, case_id in about.items():
            if case_id not in visible:
                links[notice_id] = NoticeLink("", unavailable_note=UNAVAILABLE)
    return links
