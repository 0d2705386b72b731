"""The inbox's navigation count and the referral side of notices: whether a
notice about a referral still links to it (registered with
``accounts.notices`` by ``referrals.apps``)."""

from collections.abc import Iterable
from uuid import UUID

from django.urls import Resolver404, resolve
from django.utils.translation import gettext_lazy

from accounts.models import Membership, Notification, User
from accounts.notices import NoticeLink, safe_link
from accounts.permissions import Perm
from referrals.models import Referral
from referrals.selectors.referrals import granted_referrals, referral_scope

# What a mail or the notifications page says instead of a link (DESIGN: the
# partner told of a withdrawal has lost the referral already).
UNAVAILABLE = gettext_lazy("This referral is no longer available to your agency.")


def new_incoming_count(user: User) -> int:
    """How many sent referrals wait for an answer in the user's agencies: the
    inbox's "new" count, for the navigation. One query once the user's roles
    are loaded (``agency_permissions`` caches them for the request)."""
    member_of = Membership.objects.filter(user_id=user.pk, is_active=True).values("agency_id")
    return (
        Referral.objects.filter(granted_referrals(user, Perm.VIEW_REFERRAL))
        .filter(state=Referral.State.SENT, to_agency_id__in=member_of)
        .count()
    )


def _referral_of_notice(url: str):
    """The referral a notice's address is about, if it is one of a referral's pages."""
    try:
        match = resolve(url)
    except Resolver404:
        return None
    if match.namespace != "referrals":
        return None
    return match.kwargs.get("referral_id")


def referral_notice_links(user: User, notices: Iterable[Notification]) -> dict[UUID, NoticeLink]:
    """{notice id: where it may link} for the user's own referral notices
    (``accounts.notices`` calls it for kinds ``referral.*``). A notice about
    a referral the user no longer sees (declined, expired, withdrawn,
    cancelled: the partner's access was revoked) links nowhere and says so,
    instead of leading to a 404. Visibility is the scope of
    ``referrals_visible_to``, for every notice at once: one query whatever
    their number. Records no access: it reads ids, not personal data."""
    links, about = {}, {}
    for notice in notices:
        # Notices link inside Sanad only.
        links[notice.pk] = link = safe_link(notice)
        referral_id = _referral_of_notice(link.url) if link.url else None
        if referral_id is not None:
            about[notice.pk] = referral_id
    if about:
        condition = referral_scope(user)
        visible = (
            set(
                Referral.objects.filter(condition, pk__in=set(about.values())).values_list(
                    "pk", flat=True
                )
            )
            if condition is not None
            else set()
        )
        for notice_id, referral_id in about.items():
            if referral_id not in visible:
                links[notice_id] = NoticeLink("", unavailable_note=UNAVAILABLE)
    return links
