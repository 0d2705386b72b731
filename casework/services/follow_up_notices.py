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

from accounts.models import Membership, Notification
from accounts.notices import notice_date
from accounts.selectors import time_zones_of
from accounts.services import notify_users
from casework.models import Case, FollowUp
from casework.selectors import case_scope

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


def _today_in(zone_name: str, now: datetime.datetime) -> datetime.date:
    """The date ``now`` falls on in the zone ``zone_name``."""
    try:
        zone = zoneinfo.ZoneInfo(zone_name)
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


def _visible_to_assignees(follow_ups: list[FollowUp], assignees: dict) -> list[FollowUp]:
    """The follow-ups whose case their assignee sees (``case_scope``, the rule
    of ``cases_visible_to``): a restricted case assigned to someone else is
    not named to them. Checked without recording an access (nobody reads a
    case here). Two queries per assignee: their grant shape, their cases."""
    case_ids: dict = {}
    for follow_up in follow_ups:
        case_ids.setdefault(follow_up.assigned_to_id, set()).add(follow_up.case_id)
    visible = set()
    for assignee_id, ids in case_ids.items():
        condition = case_scope(assignees[assignee_id])
        if condition is None:
            continue
        rows = Case.objects.filter(condition, pk__in=ids).values_list("pk", flat=True)
        visible.update((assignee_id, case_id) for case_id in rows)
    return [f for f in follow_ups if (f.assigned_to_id, f.case_id) in visible]


def notify_follow_ups_due(*, now: datetime.datetime | None = None) -> int:
    """Tell each assignee of an open follow-up (not done, its case not
    closed, the assignee active, still a member of the case's agency and
    seeing the case) that it is due tomorrow, or that it is overdue (by at most
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
    # One user object per assignee: their grant shape is cached on it.
    assignees = {}
    for follow_up in candidates:
        follow_up.assigned_to = assignees.setdefault(
            follow_up.assigned_to_id, follow_up.assigned_to
        )
    candidates = _visible_to_assignees(candidates, assignees)
    if not candidates:
        return 0
    # Who has been told already, in one query (the insert still decides a race);
    # by recipient first, as the unique index on (recipient, kind, key) is.
    told = set(
        Notification.objects.filter(
            recipient_id__in={follow_up.assigned_to_id for follow_up in candidates},
            kind__in=list(_TEXTS),
            key__in=[str(follow_up.pk) for follow_up in candidates],
        ).values_list("recipient_id", "kind", "key")
    )
    zones = time_zones_of(assignees.values())
    todays = {assignee_id: _today_in(zone, now) for assignee_id, zone in zones.items()}
    written = 0
    for follow_up in candidates:
        assignee = follow_up.assigned_to
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
