"""Reassignment moves the work (issue 11): the previous assignee's open
follow-ups go with the case, both people are told, a supervisor reassigns
several cases at once, and the assignee list shows each person's caseload."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Notification
from accounts.notices import render_notice
from accounts.permissions import Role
from casework import selectors, services
from casework.models import Case, FollowUp
from config.errors import Conflict, Forbidden, InvalidInput, NotFound
from tests.factories import make_case, make_client, make_follow_up, make_member
from tests.helpers import assert_problem, error_fields, page

pytestmark = pytest.mark.django_db

BULK_URL = "/api/v1/cases/assign/"


def today():
    return timezone.now().date()


def case_page(case) -> str:
    return reverse("casework:case_detail", args=[case.pk])


def notices_of(user) -> list[Notification]:
    return list(Notification.objects.filter(recipient=user))


@pytest.fixture
def follow_ups(caseworker, supervisor, case):
    """On ``case`` (assigned to ``caseworker``): two open follow-ups of the
    caseworker (one overdue), one already done, and one of the supervisor."""
    open_soon = make_follow_up(caseworker, case, title="Call the landlord", due_on=today())
    overdue = make_follow_up(
        caseworker, case, title="Send the form", due_on=today() - timedelta(days=2)
    )
    done = make_follow_up(caseworker, case, title="Book the interpreter", due_on=today())
    services.complete_follow_up(actor=caseworker, case_id=case.pk, follow_up_id=done.pk)
    supervisors = make_follow_up(
        supervisor, case, title="Review", due_on=today(), assigned_to=supervisor
    )
    return {"open": [open_soon, overdue], "done": done, "supervisor": supervisors}


# --- The service -----------------------------------------------------------------------


def test_reassigning_moves_the_open_follow_ups_of_the_previous_assignee(
    supervisor, caseworker, second_caseworker, case, follow_ups
):
    assigned = services.assign_case(
        actor=supervisor, case_id=case.pk, assignee=second_caseworker, reason="Leave"
    )
    assert assigned.assigned_to == second_caseworker
    assert assigned.follow_ups_moved == 2
    for follow_up in follow_ups["open"]:
        follow_up.refresh_from_db()
        assert follow_up.assigned_to == second_caseworker
        latest = follow_up.history.latest()
        assert latest.history_user == supervisor
        assert latest.history_change_reason == "follow-up moved with the case"
    follow_ups["done"].refresh_from_db()
    assert follow_ups["done"].assigned_to == caseworker  # done work stays with who did it
    follow_ups["supervisor"].refresh_from_db()
    assert follow_ups["supervisor"].assigned_to == supervisor  # someone else's stays


def test_both_assignees_are_told_without_the_client(
    supervisor,
    caseworker,
    second_caseworker,
    case,
    agency,
    django_capture_on_commit_callbacks,
    mailoutbox,
):
    with django_capture_on_commit_callbacks(execute=True):
        services.assign_case(actor=supervisor, case_id=case.pk, assignee=second_caseworker)
    [assigned] = notices_of(second_caseworker)
    [unassigned] = notices_of(caseworker)
    assert assigned.kind == "case.assigned"
    assert unassigned.kind == "case.unassigned"
    for notice in (assigned, unassigned):
        text = render_notice(notice)
        assert case.number in text
        assert agency.name in text
        assert case.client.name not in text
        assert notice.url == case_page(case)
    assert notices_of(supervisor) == []  # the actor is not told of their own action
    assert sorted(mail.to[0] for mail in mailoutbox) == sorted(
        [caseworker.email, second_caseworker.email]
    )
    assert all(case.client.name not in mail.body for mail in mailoutbox)


def test_taking_a_case_oneself_tells_only_the_previous_assignee(
    supervisor, caseworker, case, follow_ups
):
    services.assign_case(actor=supervisor, case_id=case.pk, assignee=supervisor)
    assert notices_of(supervisor) == []
    assert [notice.kind for notice in notices_of(caseworker)] == ["case.unassigned"]
    assert FollowUp.objects.filter(assigned_to=supervisor, done_at__isnull=True).count() == 3


def test_assigning_to_the_current_assignee_changes_nothing(supervisor, caseworker, case):
    services.assign_case(actor=supervisor, case_id=case.pk, assignee=caseworker)
    case.refresh_from_db()
    assert case.version == 1
    assert case.history.count() == 1
    assert Notification.objects.count() == 0


def test_a_refused_reassignment_moves_nothing(
    supervisor, caseworker, second_caseworker, case, follow_ups
):
    services.close_case(actor=supervisor, case_id=case.pk, closure_reason="goals_met")
    with pytest.raises(Conflict):
        services.assign_case(actor=supervisor, case_id=case.pk, assignee=second_caseworker)
    assert not FollowUp.objects.filter(assigned_to=second_caseworker).exists()
    assert Notification.objects.count() == 0


# --- Bulk reassignment: the service --------------------------------------------------------


@pytest.fixture
def cases(supervisor, caseworker, client_record, case):
    """Three open cases of the agency assigned to ``caseworker``."""
    return [case, *(make_case(supervisor, client_record, assigned_to=caseworker) for _ in "ab")]


def test_assign_cases_reassigns_each_case_and_its_follow_ups(
    supervisor, caseworker, second_caseworker, cases
):
    for each in cases:
        make_follow_up(caseworker, each, due_on=today())
    result = services.assign_cases(
        actor=supervisor,
        case_ids=[str(each.pk) for each in reversed(cases)],
        assigned_to=second_caseworker,
        reason="Caseworker on leave",
    )
    assert [each.pk for each in result] == [each.pk for each in reversed(cases)]
    assert sum(each.follow_ups_moved for each in result) == 3
    for each in cases:
        each.refresh_from_db()
        assert each.assigned_to == second_caseworker
        assert each.history.latest().history_change_reason == "Caseworker on leave"
    assert not FollowUp.objects.filter(assigned_to=caseworker, done_at__isnull=True).exists()
    assert len(notices_of(second_caseworker)) == 3
    assert len(notices_of(caseworker)) == 3


def test_assign_cases_is_all_or_nothing(supervisor, caseworker, second_caseworker, cases):
    services.close_case(actor=supervisor, case_id=cases[2].pk, closure_reason="goals_met")
    with pytest.raises(Conflict) as refused:
        services.assign_cases(
            actor=supervisor,
            case_ids=[each.pk for each in cases],
            assigned_to=second_caseworker,
            reason="",
        )
    assert cases[2].number in str(refused.value.message)
    assert not Case.objects.filter(assigned_to=second_caseworker).exists()
    assert Notification.objects.count() == 0


def test_assign_cases_answers_404_before_403(
    caseworker, second_caseworker, case, other_agency, outsider
):
    foreign = make_case(outsider, make_client(outsider, other_agency))
    with pytest.raises(NotFound):  # the caseworker sees ``case`` but may not assign it
        services.assign_cases(
            actor=caseworker,
            case_ids=[case.pk, foreign.pk],
            assigned_to=second_caseworker,
            reason="",
        )
    with pytest.raises(Forbidden):
        services.assign_cases(
            actor=caseworker, case_ids=[case.pk], assigned_to=second_caseworker, reason=""
        )
    case.refresh_from_db()
    assert case.assigned_to == caseworker


def test_assign_cases_checks_its_input(supervisor, outsider, second_caseworker, cases):
    with pytest.raises(InvalidInput) as empty:
        services.assign_cases(actor=supervisor, case_ids=[], assigned_to=second_caseworker)
    assert empty.value.field == "cases"
    with pytest.raises(InvalidInput) as stranger:
        services.assign_cases(actor=supervisor, case_ids=[cases[0].pk], assigned_to=outsider)
    assert stranger.value.field == "assigned_to"
    with pytest.raises(InvalidInput) as too_many:
        services.assign_cases(
            actor=supervisor,
            case_ids=[f"00000000-0000-0000-0000-{n:012d}" for n in range(101)],
            assigned_to=second_caseworker,
        )
    assert too_many.value.field == "cases"


# --- Bulk reassignment: the API ------------------------------------------------------------


def test_bulk_api_reassigns_and_repeats_the_same_answer(
    as_user, supervisor, second_caseworker, cases
):
    api = as_user(supervisor)
    body = {
        "cases": [str(each.pk) for each in cases],
        "assigned_to": str(second_caseworker.pk),
        "reason": "Leave",
    }
    response = api.post(BULK_URL, body, format="json")
    assert response.status_code == 200, response.content
    answer = response.json()
    assert [row["id"] for row in answer["cases"]] == body["cases"]
    assert {row["assigned_to"]["id"] for row in answer["cases"]} == {str(second_caseworker.pk)}
    again = api.post(BULK_URL, body, format="json")
    assert again.status_code == 200
    assert again.json() == answer  # nothing changed the second time: same versions
    assert cases[0].history.count() == 2


def test_bulk_api_personas(as_user, caseworker, outsider, second_caseworker, cases):
    body = {"cases": [str(cases[0].pk)], "assigned_to": str(second_caseworker.pk)}
    assert_problem(as_user(caseworker).post(BULK_URL, body, format="json"), 403)
    assert_problem(as_user(outsider).post(BULK_URL, body, format="json"), 404, "not_found")
    cases[0].refresh_from_db()
    assert cases[0].assigned_to == caseworker


def test_bulk_api_input_errors_name_the_field(as_user, supervisor, outsider, cases):
    api = as_user(supervisor)
    case_id = str(cases[0].pk)
    assert "assigned_to" in error_fields(api.post(BULK_URL, {"cases": [case_id]}, format="json"))
    fields = error_fields(
        api.post(BULK_URL, {"cases": [], "assigned_to": str(outsider.pk)}, format="json")
    )
    assert fields == {"cases"}
    fields = error_fields(
        api.post(BULK_URL, {"cases": ["nope"], "assigned_to": str(outsider.pk)}, format="json")
    )
    assert all(field.startswith("cases") for field in fields) and fields
    fields = error_fields(
        api.post(BULK_URL, {"cases": [case_id], "assigned_to": str(outsider.pk)}, format="json")
    )
    assert fields == {"assigned_to"}


def test_bulk_api_is_in_the_schema(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    operation = schema["paths"]["/api/v1/cases/assign/"]["post"]
    assert operation["operationId"] == "cases_assign_many"
    assert "200" in operation["responses"]


# --- Caseload ------------------------------------------------------------------------------


def test_caseload_is_counted_in_one_query(
    django_assert_num_queries, agency, supervisor, caseworker, second_caseworker, client_record
):
    for _ in range(3):
        make_case(supervisor, client_record, assigned_to=second_caseworker)
    closed = make_case(supervisor, client_record, assigned_to=caseworker)
    services.close_case(actor=supervisor, case_id=closed.pk, closure_reason="goals_met")
    on_hold = make_case(supervisor, client_record, assigned_to=caseworker)
    services.put_case_on_hold(actor=supervisor, case_id=on_hold.pk, reason="Waiting")
    make_case(supervisor, client_record, assigned_to=caseworker)
    extra = [make_member(agency, Role.CASEWORKER, display_name=f"Extra {n}") for n in range(5)]
    with django_assert_num_queries(1):
        members = selectors.assignees_with_caseload(agency)
        caseload = {membership.user_id: membership.open_cases for membership in members}
    assert caseload[second_caseworker.pk] == 3
    assert caseload[caseworker.pk] == 1  # open only: not closed, not on hold
    assert caseload[supervisor.pk] == 0
    assert all(caseload[person.pk] == 0 for person in extra)


def test_the_assign_form_shows_caseloads_and_what_moves(
    client_as, supervisor, caseworker, second_caseworker, case, client_record
):
    make_case(supervisor, client_record, assigned_to=caseworker)
    content = page(client_as(supervisor).get(case_page(case)))
    assert "Layla Caseworker — 2 open cases" in content
    assert "Nour Second — 0 open cases" in content
    assert "Open follow-ups of the previous caseworker move with the case" in content


def test_the_caseload_label_is_singular_for_one(client_as, supervisor, caseworker, case):
    content = page(client_as(supervisor).get(case_page(case)))
    assert "Layla Caseworker — 1 open case<" in content


def test_reassigning_on_the_case_page_says_what_moved(
    client_as, supervisor, caseworker, second_caseworker, case, follow_ups
):
    browser = client_as(supervisor)
    response = browser.post(
        reverse("casework:case_assign", args=[case.pk]),
        {"assigned_to": str(second_caseworker.pk)},
        follow=True,
    )
    content = page(response)
    assert "2 open follow-ups moved with it." in content
    assert FollowUp.objects.filter(assigned_to=second_caseworker).count() == 2


# --- Bulk reassignment: the pages ----------------------------------------------------------


def test_case_list_offers_checkboxes_only_to_who_may_assign(
    client_as, supervisor, caseworker, cases
):
    bulk = reverse("casework:cases_assign")
    content = page(client_as(supervisor).get(reverse("casework:case_list")))
    assert f'action="{bulk}"' in content
    assert all(f'value="{each.pk}"' in content for each in cases)
    content = page(client_as(caseworker).get(reverse("casework:case_list")))
    assert f'action="{bulk}"' not in content
    assert 'name="cases"' not in content


def test_bulk_page_lists_the_selection_and_reassigns(
    client_as, supervisor, caseworker, second_caseworker, cases
):
    bulk = reverse("casework:cases_assign")
    browser = client_as(supervisor)
    response = browser.get(bulk, {"cases": [str(cases[0].pk), str(cases[1].pk)]})
    assert response.status_code == 200
    content = page(response)
    assert cases[0].number in content and cases[1].number in content
    assert cases[2].number not in content
    assert "2 cases selected" in content
    assert "Layla Caseworker — 3 open cases" in content
    response = browser.post(
        bulk,
        {
            "cases": [str(cases[0].pk), str(cases[1].pk)],
            "assigned_to": str(second_caseworker.pk),
            "reason": "Leave",
        },
        follow=True,
    )
    assert "2 cases are now assigned to Nour Second." in page(response)
    assert set(Case.objects.filter(assigned_to=second_caseworker)) == {cases[0], cases[1]}


def test_bulk_page_shows_a_refusal_at_the_top(client_as, supervisor, second_caseworker, cases):
    services.close_case(actor=supervisor, case_id=cases[1].pk, closure_reason="goals_met")
    response = client_as(supervisor).post(
        reverse("casework:cases_assign"),
        {"cases": [str(each.pk) for each in cases], "assigned_to": str(second_caseworker.pk)},
    )
    assert response.status_code == 409
    alert = page(response).split('<div class="errorlist-box" role="alert">', 1)[1]
    assert cases[1].number in alert.split("</div>", 1)[0]
    assert not Case.objects.filter(assigned_to=second_caseworker).exists()


def test_bulk_page_personas(
    client_as, caseworker, foreign_supervisor, other_agency, outsider, second_caseworker, cases
):
    bulk = reverse("casework:cases_assign")
    data = {"cases": [str(cases[0].pk)], "assigned_to": str(second_caseworker.pk)}
    assert client_as(caseworker).get(bulk).status_code == 403
    assert client_as(caseworker).post(bulk, data).status_code == 403
    assert client_as(outsider).post(bulk, data).status_code == 403
    # A supervisor elsewhere may assign, but not see this agency's case: 404.
    foreign = client_as(foreign_supervisor)
    assert cases[0].number not in page(foreign.get(bulk, {"cases": [str(cases[0].pk)]}))
    own = make_member(other_agency, Role.CASEWORKER)
    response = foreign.post(bulk, {**data, "assigned_to": str(own.pk)})
    assert response.status_code == 404
    cases[0].refresh_from_db()
    assert cases[0].assigned_to == caseworker
