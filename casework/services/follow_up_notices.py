"""Reminders of follow-ups coming due: the day before, in the assignee's time
zone, and once late. Sanad sends them itself (``casework.tasks``, hourly,
and ``manage.py notify_follow_ups``); each is sent at most once per
follow-up and assignee, whoever runs at the same moment."""

import datetime
import zoneinfo

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_noop

from accounts.models import Membership, Notification, User
from accounts.notices import notice_date
from accounts.selectors import time_zone_of
from accounts.services import notify_users
from casework.models import Case, FollowUp

DUE_TOMORROW = "followup.due_tomorrow"
OVERDUE = "followup.overdue"

# The case number and its agency, never the follow-up's title: it is free
# text and may name the client.
_TEXTS = {
    DUE_TOMORROW: gettext_noop(
        "A follow-up on case %(number)s of %(agency)s is due tomorrow, %(due_on)s."
    ),
    OVERDUE: gettext_noop(
        "A follow-up on case %(number)s of %(agency)s is overdue: it was due on %(due_on)s."
    ),
}

# A follow-up already later than this when the sweep first sees it (the
# first run after an upgrade, or beat stopped for a week) is not announced:
# the assignee's home page lists it, and a flood of old news helps nobody.
OVERDUE_NOTICE_DAYS = 7


def _today_of(user: User, now: datetime.datetime) -> datetime.date:
    """The date ``now`` falls on where ``user`` is: their zone, else their agency's."""
    try:
        zone = zoneinfo.ZoneInfo(time_zone_of(user))
    except (ValueError, zoneinfo.ZoneInfoNotFoundError):
        # A zone removed from the system's database since it was chosen.
        zone = zoneinfo.ZoneInfo(settings.DEFAULT_AGENCY_TIME_ZONE)
    return now.astimezone(zone).date()


def _kind_of(due_on: datetime.date, today: datetime.date) -> str | None:
    if due_on == today + datetime.timedelta(days=1):
        return DUE_TOMORROW
    if today - datetime.timedelta(days=OVERDUE_NOTICE_DAYS) <= due_on < today:
        return OVERDUE
    return None


def notify_follow_ups_due(*, now: datetime.datetime | None = None) -> int:
    """Tell each assignee of an open follow-up (not done, its case not
    closed, the assignee active and still a member of the case's agency)
    that it is due tomorrow, or that it is overdue (by at most
    OVERDUE_NOTICE_DAYS), "tomorrow" and "today" being dates in the
    assignee's own time zone, else their agency's, as of ``now`` (default:
    now). Sanad acts, not a user: no actor, no permission check.

    Each notice at most once per follow-up and assignee (``Notification.key``
    is the follow-up's id, the database refuses a second one): two runs at
    once write each notice once. One transaction per notice, e-mailed after
    it commits. Returns how many notices were written."""
    now = now or timezone.now()
    utc_today = now.astimezone(datetime.UTC).date()
    # Every zone's date is within a day of UTC's: these are all the
    # follow-ups that may be due tomorrow or late enough somewhere.
    still_member = Membership.objects.filter(
        user_id=OuterRef("assigned_to_id"), agency_id=OuterRef("case__agency_id"), is_active=True
    )
    candidates = list(
        FollowUp.objects.filter(
            done_at__isnull=True,
            due_on__gte=utc_today - datetime.timedelta(days=OVERDUE_NOTICE_DAYS + 1),
            due_on__lte=utc_today + datetime.timedelta(days=2),
            assigned_to__is_active=True,
        )
        .exclude(case__status=Case.Status.CLOSED)
        .filter(Exists(still_member))
        .select_related("case__agency", "assigned_to")
        .order_by("due_on", "id")
    )
    if not candidates:
        return 0
    # Who has been told already, in one query (the insert still decides a race).
    told = set(
        Notification.objects.filter(
            kind__in=list(_TEXTS), key__in=[str(follow_up.pk) for follow_up in candidates]
        ).values_list("recipient_id", "kind", "key")
    )
    todays: dict = {}
    written = 0
    for follow_up in candidates:
        assignee = follow_up.assigned_to
        if assignee.pk not in todays:
            todays[assignee.pk] = _today_of(assignee, now)
        kind = _kind_of(follow_up.due_on, todays[assignee.pk])
        key = str(follow_up.pk)
        if kind is None or (assignee.pk, kind, key) in told:
            continue
        case = follow_up.case
        with transaction.atomic():
            written += len(
                notify_users(
                    [assignee],
                    kind=kind,
                    text=_TEXTS[kind],
                    values={
                        "number": case.number,
                        "agency": case.agency.name,
                        "due_on": notice_date(follow_up.due_on),
                    },
                    url=reverse("casework:case_detail", args=[case.pk]),
                    key=key,
                )
            )
    return written
