"""casework's sections of the home page (registered in ``CaseworkConfig.ready``)."""

from collections.abc import Sequence
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.home import HomeSection
from accounts.models import Membership
from accounts.notices import unread_notice_count
from accounts.permissions import Perm, Role
from accounts.selectors import holds_in
from casework import selectors
from casework.models import Case
from casework.selectors.my_work import DueFollowUps, FollowUpPeriod
from config.http.pages import today


def _case_list(**filters: str) -> str:
    return f"{reverse('casework:case_list')}?{urlencode(filters)}"


def _due_part(due: DueFollowUps) -> dict:
    """One part of "what is due" with its sentences: the heading counts the
    cases (the rows of the case list it links to), then the follow-ups."""
    count = due.case_count
    headings = {
        FollowUpPeriod.OVERDUE: ngettext(
            "Overdue (%(count)s case)", "Overdue (%(count)s cases)", count
        ),
        FollowUpPeriod.TODAY: ngettext(
            "Due today (%(count)s case)", "Due today (%(count)s cases)", count
        ),
        # The string names NEXT_DAYS.
        FollowUpPeriod.NEXT_DAYS: ngettext(
            "Due in the next 7 days (%(count)s case)",
            "Due in the next 7 days (%(count)s cases)",
            count,
        ),
    }
    nothing = {
        FollowUpPeriod.OVERDUE: _("Nothing is overdue."),
        FollowUpPeriod.TODAY: _("Nothing is due today."),
        FollowUpPeriod.NEXT_DAYS: _("Nothing is due in the next 7 days."),
    }
    return {
        "due": due,
        "key": due.period,
        "heading": headings[due.period] % {"count": count},
        "follow_ups": ngettext(
            "%(count)s follow-up assigned to you",
            "%(count)s follow-ups assigned to you",
            due.follow_up_count,
        )
        % {"count": due.follow_up_count},
        "first_shown": ngettext(
            "The first case is shown here.",
            "The first %(count)s cases are shown here.",
            len(due.cases),
        )
        % {"count": len(due.cases)},
        "list_url": _case_list(my_follow_ups=due.period),
        "list_link": ngettext(
            "See %(count)s case in the case list",
            "See all %(count)s cases in the case list",
            count,
        )
        % {"count": count},
        "nothing": nothing[due.period],
    }


def caseworker_context(request: HttpRequest, memberships: Sequence[Membership]) -> dict:
    """What needs the caseworker now (``selectors.my_work``, seen from their
    local date): follow-ups overdue, due today and in the next days, grouped by
    case; their open cases; their unread notices."""
    user = request.user
    work = selectors.my_work(user, today())
    unread = unread_notice_count(user)
    return {
        "work": work,
        "due_parts": [_due_part(due) for due in work.periods],
        "open_cases_heading": _("My open cases (%(count)s)") % {"count": work.open_case_count},
        "open_cases_url": _case_list(mine="on", status=Case.Status.OPEN),
        "open_cases_link": ngettext(
            "All my %(count)s open case", "All my %(count)s open cases", work.open_case_count
        )
        % {"count": work.open_case_count},
        "unread_notifications": unread,
        "unread_notifications_text": ngettext(
            "%(count)s unread notification", "%(count)s unread notifications", unread
        )
        % {"count": unread},
        "notifications_url": reverse("accounts:notifications"),
        "can_register": bool(selectors.agencies_for_registration(user)),
    }


CASEWORKER = HomeSection(
    key="caseworker",
    roles=frozenset({Role.CASEWORKER}),
    order=10,
    template="casework/home/caseworker.html",
    context=caseworker_context,
)


# --- The supervisor's team -----------------------------------------------------------
# Each number links to the case list narrowed to exactly the cases it counts:
# the same conditions (``casework.selectors.team``) read by ``filter_cases``.


def _team_cell(agency, row, count_name: str, flag: str, heading: str) -> dict:
    filters = {"agency": agency.slug, "status": Case.Status.OPEN}
    if row.assignee:
        filters["assignee"] = row.assignee
    if flag:
        filters[flag] = "on"
    return {"count": getattr(row, count_name), "url": _case_list(**filters), "heading": heading}


def _team_table(user, team) -> dict:
    agency = team.agency
    days = team.inactivity_days
    columns = [
        ("open_cases", "", _("Open cases")),
        ("high_risk", "high_risk", _("High or critical risk")),
        ("overdue", "overdue", _("With overdue follow-ups")),
        (
            "inactive",
            "inactive",
            ngettext("No activity for %(days)s day", "No activity for %(days)s days", days)
            % {"days": days},
        ),
    ]

    def line(row, name: str, note: str = "") -> dict:
        return {
            "name": name,
            "note": note,
            "cells": [_team_cell(agency, row, *column) for column in columns],
        }

    unassigned = team.unassigned.open_cases
    return {
        "agency": agency,
        "headings": [heading for _count, _flag, heading in columns],
        "rows": [
            line(row, row.name, "" if row.is_active_member else _("no longer an active member"))
            for row in team.rows
        ],
        "unassigned": line(team.unassigned, _("Not assigned")),
        "total": line(team.total, _("Team total")),
        "unassigned_sentence": ngettext(
            "%(count)s open case is assigned to no one.",
            "%(count)s open cases are assigned to no one.",
            unassigned,
        )
        % {"count": unassigned}
        if unassigned
        else "",
        "unassigned_url": _case_list(
            agency=agency.slug, status=Case.Status.OPEN, assignee=selectors.UNASSIGNED
        ),
        "inactivity_days": days,
        "can_change_inactivity": holds_in(user, Perm.MANAGE_AGENCY, agency.pk),
    }


def supervisor_context(request: HttpRequest, memberships: Sequence[Membership]) -> dict | None:
    """The supervisor's team in each agency they supervise
    (``selectors.team_overview``): per caseworker their open cases, those at
    high or critical risk, with overdue follow-ups (before the reader's local
    today) and without activity for the agency's ``inactivity_days``; the
    cases assigned to no one; the totals. A fixed number of queries whatever
    the size of the team. Then the integration plans that are overdue or
    stalled (``selectors.plans_needing_attention``, PLAN_STALLED_DAYS)."""
    agencies = {membership.agency_id: membership.agency for membership in memberships}
    teams = selectors.team_overview(
        request.user, agencies.values(), today=timezone.localdate(), now=timezone.now()
    )
    if not teams:
        return None
    stalled_days = settings.PLAN_STALLED_DAYS
    return {
        "teams": [_team_table(request.user, team) for team in teams],
        "plans": selectors.plans_needing_attention(request.user, stalled_days=stalled_days),
        "plans_help": ngettext(
            "“Stalled”: an open action of the plan nobody moved on for %(days)s day.",
            "“Stalled”: an open action of the plan nobody moved on for %(days)s days.",
            stalled_days,
        )
        % {"days": stalled_days},
    }


SUPERVISOR = HomeSection(
    key="supervisor",
    roles=frozenset({Role.SUPERVISOR}),
    order=20,
    template="casework/home/supervisor.html",
    context=supervisor_context,
)
