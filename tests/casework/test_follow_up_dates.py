"""A follow-up dated in the past is refused at creation (issue 11): service,
page and API answer 400 ``past`` on ``due_on``; today is accepted."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from casework import services
from casework.models import FollowUp
from config.errors import InvalidInput
from tests.helpers import assert_problem, case_url, field_errors, page

pytestmark = pytest.mark.django_db

PAST_MESSAGE = "The due date cannot be in the past."


def today():
    return timezone.now().date()


def test_the_service_refuses_a_past_date_and_accepts_today(caseworker, case):
    with pytest.raises(InvalidInput) as refused:
        services.schedule_follow_up(
            actor=caseworker, case_id=case.pk, title="Call", due_on=today() - timedelta(days=1)
        )
    assert (refused.value.field, refused.value.code) == ("due_on", "past")
    assert str(refused.value.message) == PAST_MESSAGE
    assert not FollowUp.objects.exists()
    services.schedule_follow_up(actor=caseworker, case_id=case.pk, title="Call", due_on=today())
    assert FollowUp.objects.count() == 1


def test_the_api_answers_400_on_due_on(as_user, caseworker, case):
    api = as_user(caseworker)
    yesterday = (today() - timedelta(days=1)).isoformat()
    response = api.post(
        case_url(case, "follow-ups/"), {"title": "Call", "due_on": yesterday}, format="json"
    )
    body = assert_problem(response, 400)
    assert body["errors"] == [{"field": "due_on", "code": "past", "detail": PAST_MESSAGE}]
    response = api.post(
        case_url(case, "follow-ups/"),
        {"title": "Call", "due_on": today().isoformat()},
        format="json",
    )
    assert response.status_code == 201


def test_the_page_shows_the_error_beside_the_date(client_as, caseworker, case):
    yesterday = (today() - timedelta(days=1)).isoformat()
    response = client_as(caseworker).post(
        reverse("casework:follow_up_add", args=[case.pk]), {"title": "Call", "due_on": yesterday}
    )
    assert response.status_code == 400
    assert PAST_MESSAGE in field_errors(page(response), "follow_up_due_on")
    assert not FollowUp.objects.exists()


def test_read_only_and_outsiders_are_refused_before_the_date(as_user, viewer, outsider, case):
    body = {"title": "Call", "due_on": (today() - timedelta(days=1)).isoformat()}
    assert_problem(as_user(viewer).post(case_url(case, "follow-ups/"), body, format="json"), 403)
    assert_problem(as_user(outsider).post(case_url(case, "follow-ups/"), body, format="json"), 404)


@pytest.mark.parametrize("zone", ["Etc/GMT-14", "Etc/GMT+12"])
def test_past_is_measured_in_the_active_time_zone(caseworker, case, zone):
    """On a page the active zone is the user's: their yesterday is refused and
    their today accepted, whatever the date in UTC."""
    with timezone.override(zone):
        local_today = timezone.localdate()
        with pytest.raises(InvalidInput):
            services.schedule_follow_up(
                actor=caseworker,
                case_id=case.pk,
                title="Call",
                due_on=local_today - timedelta(days=1),
            )
        services.schedule_follow_up(
            actor=caseworker, case_id=case.pk, title="Call", due_on=local_today
        )
    assert FollowUp.objects.get().due_on == local_today
