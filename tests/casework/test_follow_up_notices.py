"""A follow-up's assignee is told the day before it is due and once it is
overdue, each once, "tomorrow" being in the assignee's own time zone; only
open follow-ups of cases that are not closed (issue 11)."""

import datetime
from datetime import UTC, timedelta

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from accounts import services as account_services
from accounts.models import Notification, User
from accounts.notices import notice_links, render_notice
from accounts.selectors import time_zone_of, time_zones_of
from casework import services
from casework.services.follow_up_notices import OVERDUE_NOTICE_DAYS
from tests.factories import UserFactory, make_follow_up
from tests.helpers import run_together

pytestmark = pytest.mark.django_db

TODAY = timezone.now().date()


def at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    """A moment in UTC."""
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=UTC)


def notices(kind: str = "", **filters) -> list[Notification]:
    found = Notification.objects.filter(kind__startswith="followup.", **filters)
    return list(found.filter(kind=kind) if kind else found)


def test_due_tomorrow_is_told_once(caseworker, case, agency):
    follow_up = make_follow_up(caseworker, case, due_on=TODAY + timedelta(days=2))
    the_day_before = at(TODAY + timedelta(days=1), 9)
    assert services.notify_follow_ups_due(now=at(TODAY, 9)) == 0  # two days ahead: not yet
    assert services.notify_follow_ups_due(now=the_day_before) == 1
    assert services.notify_follow_ups_due(now=the_day_before + timedelta(hours=5)) == 0
    [notice] = notices()
    assert (notice.recipient, notice.kind, notice.key) == (
        caseworker,
        "followup.due_tomorrow",
        str(follow_up.pk),
    )
    assert notice.url == reverse("casework:case_detail", args=[case.pk])
    with translation.override("en"):
        text = render_notice(notice)
    assert text.startswith(f"A follow-up on case {case.number} of {agency.name} is due tomorrow")
    assert follow_up.title not in text
    assert case.client.name not in text and case.client.name_latin not in text


def test_overdue_is_told_once_after_due_tomorrow(caseworker, case):
    follow_up = make_follow_up(caseworker, case, due_on=TODAY + timedelta(days=1))
    assert services.notify_follow_ups_due(now=at(TODAY, 12)) == 1
    # On its day it is due, not late: nothing new.
    assert services.notify_follow_ups_due(now=at(TODAY + timedelta(days=1), 12)) == 0
    assert services.notify_follow_ups_due(now=at(TODAY + timedelta(days=2), 0, 30)) == 1
    assert services.notify_follow_ups_due(now=at(TODAY + timedelta(days=3), 12)) == 0
    assert sorted(notice.kind for notice in notices()) == [
        "followup.due_tomorrow",
        "followup.overdue",
    ]
    [late] = notices("followup.overdue")
    assert late.key == str(follow_up.pk)
    with translation.override("en"):
        assert "is overdue: it was due on" in render_notice(late)


def test_the_reminders_are_e_mailed_in_the_assignees_language(
    caseworker, case, django_capture_on_commit_callbacks, mailoutbox
):
    caseworker.preferred_language = "fr"
    caseworker.save(update_fields=["preferred_language"])
    make_follow_up(caseworker, case, due_on=TODAY + timedelta(days=1))
    with django_capture_on_commit_callbacks(execute=True):
        services.notify_follow_ups_due(now=at(TODAY, 12))
    [mail] = mailoutbox
    assert mail.to == [caseworker.email]
    assert case.number in mail.body
    assert case.client.name not in mail.body


def test_tomorrow_is_the_assignees_own(agency, agency_admin, caseworker, second_caseworker, case):
    """At 23:30 UTC it is already the next morning in Tokyo, and still the
    afternoon in Los Angeles (the agency's zone for whoever has none)."""
    account_services.set_time_zone(actor=caseworker, time_zone="Asia/Tokyo")
    account_services.set_agency_time_zone(
        actor=agency_admin, agency=agency, time_zone="America/Los_Angeles"
    )
    day = TODAY + timedelta(days=1)
    now = at(day, 23, 30)  # Tokyo: day + 1, 08:30; Los Angeles: day, 16:30
    tokyo_tomorrow = make_follow_up(caseworker, case, due_on=day + timedelta(days=2))
    tokyo_today = make_follow_up(caseworker, case, due_on=day + timedelta(days=1))
    la_tomorrow = make_follow_up(
        caseworker, case, due_on=day + timedelta(days=1), assigned_to=second_caseworker
    )
    assert services.notify_follow_ups_due(now=now) == 2
    told = {(notice.recipient_id, notice.key) for notice in notices("followup.due_tomorrow")}
    assert told == {
        (caseworker.pk, str(tokyo_tomorrow.pk)),
        (second_caseworker.pk, str(la_tomorrow.pk)),
    }
    assert str(tokyo_today.pk) not in {key for _, key in told}


def test_closed_cases_done_follow_ups_and_former_members_are_left_out(
    agency, agency_admin, caseworker, second_caseworker, supervisor, case, client_record
):
    from tests.factories import make_case

    tomorrow = TODAY + timedelta(days=1)
    closed = make_case(caseworker, client_record)
    make_follow_up(caseworker, closed, due_on=tomorrow)
    services.close_case(actor=caseworker, case_id=closed.pk, closure_reason="goals_met")
    done = make_follow_up(caseworker, case, due_on=tomorrow)
    services.complete_follow_up(actor=caseworker, case_id=case.pk, follow_up_id=done.pk)
    make_follow_up(caseworker, case, due_on=tomorrow, assigned_to=second_caseworker)
    membership = second_caseworker.memberships.get(agency=agency)
    account_services.deactivate_member(
        actor=agency_admin, agency=agency, membership_id=membership.pk
    )
    kept = make_follow_up(caseworker, case, due_on=tomorrow, assigned_to=supervisor)
    assert services.notify_follow_ups_due(now=at(TODAY, 12)) == 1
    [notice] = notices()
    assert (notice.recipient, notice.key) == (supervisor, str(kept.pk))


def test_a_follow_up_late_for_long_is_not_announced(caseworker, case):
    make_follow_up(caseworker, case, due_on=TODAY - timedelta(days=OVERDUE_NOTICE_DAYS + 1))
    recent = make_follow_up(caseworker, case, due_on=TODAY - timedelta(days=OVERDUE_NOTICE_DAYS))
    assert services.notify_follow_ups_due(now=at(TODAY, 12)) == 1
    [notice] = notices()
    assert notice.key == str(recent.pk)


def test_a_reassigned_follow_up_is_told_to_its_new_assignee_too(
    supervisor, caseworker, second_caseworker, case
):
    follow_up = make_follow_up(caseworker, case, due_on=TODAY + timedelta(days=1))
    assert services.notify_follow_ups_due(now=at(TODAY, 8)) == 1
    services.assign_case(actor=supervisor, case_id=case.pk, assignee=second_caseworker)
    assert services.notify_follow_ups_due(now=at(TODAY, 9)) == 1
    assert {(n.recipient_id, n.key) for n in notices("followup.due_tomorrow")} == {
        (caseworker.pk, str(follow_up.pk)),
        (second_caseworker.pk, str(follow_up.pk)),
    }


def test_the_notice_links_to_the_case_while_its_reader_sees_it(
    supervisor, caseworker, second_caseworker, restricted_case
):
    make_follow_up(caseworker, restricted_case, due_on=TODAY + timedelta(days=1))
    services.notify_follow_ups_due(now=at(TODAY, 12))
    [notice] = notices()
    case_page = reverse("casework:case_detail", args=[restricted_case.pk])
    (link,) = notice_links(caseworker, [notice]).values()
    assert (link.url, link.unavailable) == (case_page, False)
    # The restricted case goes to someone else: the notice no longer leads there.
    services.assign_case(actor=supervisor, case_id=restricted_case.pk, assignee=second_caseworker)
    (link,) = notice_links(caseworker, [notice]).values()
    assert (link.url, str(link.unavailable_note)) == (
        "",
        "This case is no longer available to you.",
    )


def test_the_task_is_scheduled_hourly_and_the_command_runs_it(caseworker, case, capsys):
    from casework.tasks import notify_follow_ups_due_task

    entry = settings.CELERY_BEAT_SCHEDULE["notify-follow-ups-due"]
    assert entry["task"] == notify_follow_ups_due_task.name
    assert entry["schedule"] == 60 * 60
    make_follow_up(caseworker, case, due_on=TODAY + timedelta(days=1))
    make_follow_up(caseworker, case, due_on=TODAY - timedelta(days=1))
    # Whatever the hour, in UTC (the agency's default zone) one is late.
    call_command("notify_follow_ups")
    written = len(notices())
    assert written >= 1
    assert capsys.readouterr().out == f"{written} follow-up notice(s) written.\n"
    assert notify_follow_ups_due_task.delay().get() == 0  # nothing left to tell


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_write_each_notice_once(caseworker, second_caseworker, case):
    follow_ups = [
        make_follow_up(caseworker, case, due_on=TODAY + timedelta(days=1)),
        make_follow_up(caseworker, case, due_on=TODAY + timedelta(days=1)),
        make_follow_up(
            caseworker, case, due_on=TODAY + timedelta(days=1), assigned_to=second_caseworker
        ),
    ]
    now = at(TODAY, 12)
    results = run_together(
        lambda: services.notify_follow_ups_due(now=now),
        lambda: services.notify_follow_ups_due(now=now),
    )
    assert all(isinstance(result, int) for result in results), results
    assert sum(results) == len(follow_ups)
    written = notices("followup.due_tomorrow")
    assert sorted(notice.key for notice in written) == sorted(str(f.pk) for f in follow_ups)


def test_an_assignee_who_does_not_see_the_case_is_not_told(
    supervisor, caseworker, second_caseworker, restricted_case, mailoutbox
):
    """A restricted case assigned to someone else is not visible to the
    follow-up's assignee: its number is neither noticed nor e-mailed to them."""
    tomorrow = TODAY + timedelta(days=1)
    hidden = make_follow_up(
        supervisor, restricted_case, due_on=tomorrow, assigned_to=second_caseworker
    )
    seen = make_follow_up(supervisor, restricted_case, due_on=tomorrow, assigned_to=caseworker)
    supervised = make_follow_up(supervisor, restricted_case, due_on=tomorrow)
    assert services.notify_follow_ups_due(now=at(TODAY, 12)) == 2
    assert {(n.recipient_id, n.key) for n in notices()} == {
        (caseworker.pk, str(seen.pk)),
        (supervisor.pk, str(supervised.pk)),
    }
    assert not notices(recipient=second_caseworker)
    assert second_caseworker.email not in {to for mail in mailoutbox for to in mail.to}
    assert str(hidden.pk) not in {n.key for n in notices()}


def test_the_sweeps_reads_do_not_grow_with_the_follow_ups(caseworker, second_caseworker, case):
    """The candidates, their visibility (per assignee), who was told and the
    zones: as many queries for ten follow-ups as for two."""
    tomorrow = TODAY + timedelta(days=1)
    now = at(TODAY, 12)

    def add(count: int) -> None:
        for assignee in (caseworker, second_caseworker):
            for _ in range(count):
                make_follow_up(caseworker, case, due_on=tomorrow, assigned_to=assignee)

    def queries_of_a_sweep_with_nothing_new() -> int:
        with CaptureQueriesContext(connection) as sweep:
            assert services.notify_follow_ups_due(now=now) == 0
        return len(sweep.captured_queries)

    add(1)
    assert services.notify_follow_ups_due(now=now) == 2
    few = queries_of_a_sweep_with_nothing_new()
    add(4)
    assert services.notify_follow_ups_due(now=now) == 8
    assert queries_of_a_sweep_with_nothing_new() == few


def test_the_zones_of_many_users_are_read_at_once(
    django_assert_num_queries, agency, agency_admin, caseworker, second_caseworker, supervisor
):
    account_services.set_time_zone(actor=caseworker, time_zone="Asia/Tokyo")
    account_services.set_agency_time_zone(
        actor=agency_admin, agency=agency, time_zone="America/Los_Angeles"
    )
    no_agency = UserFactory()
    users = list(
        User.objects.filter(
            pk__in=[caseworker.pk, second_caseworker.pk, supervisor.pk, no_agency.pk]
        )
    )
    with django_assert_num_queries(1):
        zones = time_zones_of(users)
    assert zones == {user.pk: time_zone_of(user) for user in users}
    assert zones[caseworker.pk] == "Asia/Tokyo"
    assert zones[second_caseworker.pk] == "America/Los_Angeles"
    assert zones[no_agency.pk] == settings.DEFAULT_AGENCY_TIME_ZONE
