"""Integration plans through the API: goals and actions created, listed and
changed with ETag/If-Match, the client's agreement on each version, goals
about health hidden from who may not see them, strangers answered 404, and a
referral carrying an action out."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from casework import services as casework
from casework.models import IntegrationPlan, PlanAction, PlanAgreement, PlanGoal
from tests.factories import make_consent, make_document
from tests.helpers import assert_problem, case_url, error_fields, ids

pytestmark = pytest.mark.django_db

SOON = (timezone.now().date() + timedelta(days=30)).isoformat()
YESTERDAY = (timezone.now().date() - timedelta(days=1)).isoformat()


def plan_url(case, suffix: str = "") -> str:
    return case_url(case, f"plan/{suffix}")


def goal_url(case, goal_id) -> str:
    return plan_url(case, f"goals/{goal_id}/")


def action_url(case, action_id) -> str:
    return plan_url(case, f"actions/{action_id}/")


GOAL = {
    "domain": "language",
    "statement": "Reach A2 in Italian",
    "statement_client": "أريد أن أتكلم الإيطالية",
    "target_date": SOON,
    "priority": "high",
}


def _goal(actor, case, **data):
    fields = {"domain": "language", "statement": "Reach A2 in Italian", "target_date": SOON}
    fields.update(data)
    return casework.add_goal(actor=actor, case_id=case.pk, **fields)


def _action(actor, case, goal, **data):
    fields = {"description": "Enrol in the evening course", "responsible": "client"}
    fields.update(data)
    return casework.add_action(actor=actor, case_id=case.pk, goal_id=goal.pk, **fields)


# --- Goals -------------------------------------------------------------------------------


def test_a_case_without_a_plan_answers_404_no_plan_and_empty_lists(as_user, caseworker, case):
    api = as_user(caseworker)
    assert_problem(api.get(plan_url(case)), 404, "no_plan")
    for suffix in ("goals/", "actions/", "agreements/"):
        response = api.get(plan_url(case, suffix))
        assert response.status_code == 200, response.content
        assert response.json()["results"] == []


def test_the_first_goal_draws_the_plan_up(as_user, caseworker, case):
    api = as_user(caseworker)
    response = api.post(plan_url(case, "goals/"), GOAL, format="json")
    assert response.status_code == 201, response.content
    goal = response.json()
    assert response["ETag"] == '"1"'
    assert response["Location"].endswith(goal_url(case, goal["id"]))
    assert {key: goal[key] for key in GOAL} == GOAL
    assert goal["status"] == "active" and goal["status_reason"] == ""
    assert (goal["version"], goal["plan_version"]) == (1, 1)
    assert goal["created_by"] == {"id": str(caseworker.pk), "display_name": caseworker.display_name}

    plan = api.get(plan_url(case))
    assert plan.status_code == 200, plan.content
    assert plan["ETag"] == '"1"'
    body = plan.json()
    assert body["id"] == str(IntegrationPlan.objects.get(case=case).pk)
    assert body["version"] == 1
    assert body["client_language"] == (case.client.languages or [""])[0]
    assert body["agreement"] is None
    assert (body["awaits_agreement"], body["is_agreed"], body["can_change"]) == (True, False, True)

    detail = api.get(goal_url(case, goal["id"]))
    assert detail.status_code == 200
    assert detail["ETag"] == '"1"'
    assert detail.json() == goal


def test_goals_are_listed_oldest_first_and_paged(as_user, caseworker, case):
    first = _goal(caseworker, case, statement="First")
    second = _goal(caseworker, case, domain="housing", statement="Second")
    third = _goal(caseworker, case, domain="education", statement="Third")
    api = as_user(caseworker)
    page = api.get(plan_url(case, "goals/"), {"page_size": 2})
    assert page.status_code == 200
    assert ids(page) == [str(first.pk), str(second.pk)]
    assert page.json()["results"][0]["plan_version"] == 3
    rest = api.get(plan_url(case, "goals/"), {"page_size": 2, "cursor": page.json()["next_cursor"]})
    assert ids(rest) == [str(third.pk)]


def test_a_goal_is_changed_with_its_etag(as_user, caseworker, case):
    goal = _goal(caseworker, case)
    api = as_user(caseworker)
    response = api.patch(
        goal_url(case, goal.pk),
        {"statement": "Reach B1 in Italian", "reason": "Progress was quick"},
        format="json",
        HTTP_IF_MATCH='"1"',
    )
    assert response.status_code == 200, response.content
    assert response["ETag"] == '"2"'
    body = response.json()
    assert (body["statement"], body["version"], body["plan_version"]) == (
        "Reach B1 in Italian",
        2,
        2,
    )
    assert api.get(plan_url(case))["ETag"] == '"2"'
    # Achieving it is progress: no new version of the plan.
    achieved = api.patch(
        goal_url(case, goal.pk), {"status": "achieved"}, format="json", HTTP_IF_MATCH='"2"'
    )
    assert achieved.status_code == 200, achieved.content
    assert (achieved.json()["status"], achieved.json()["plan_version"]) == ("achieved", 2)
    # Dropping it needs a reason, and is a new version.
    refused = api.patch(
        goal_url(case, goal.pk), {"status": "dropped"}, format="json", HTTP_IF_MATCH='"3"'
    )
    assert error_fields(refused) == {"reason"}
    dropped = api.patch(
        goal_url(case, goal.pk),
        {"status": "dropped", "reason": "The client moved to Germany"},
        format="json",
        HTTP_IF_MATCH='"3"',
    )
    assert dropped.status_code == 200, dropped.content
    assert dropped.json()["status_reason"] == "The client moved to Germany"
    assert dropped.json()["plan_version"] == 3


def test_a_patch_needs_if_match_and_a_stale_one_changes_nothing(as_user, caseworker, case):
    goal = _goal(caseworker, case)
    action = _action(caseworker, case, goal)
    api = as_user(caseworker)
    for url in (goal_url(case, goal.pk), action_url(case, action.pk)):
        body = {"statement": "Changed"} if "goals" in url else {"description": "Changed"}
        assert_problem(api.patch(url, body, format="json"), 428, "precondition_required")
        assert_problem(api.patch(url, body, format="json", HTTP_IF_MATCH=""), 428)
        assert_problem(api.patch(url, body, format="json", HTTP_IF_MATCH='"7"'), 412)
        assert_problem(api.patch(url, body, format="json", HTTP_IF_MATCH="not a tag"), 400)
    stored_goal = PlanGoal.objects.get(pk=goal.pk)
    stored_action = PlanAction.objects.get(pk=action.pk)
    assert (stored_goal.statement, stored_goal.version) == ("Reach A2 in Italian", 1)
    assert (stored_action.description, stored_action.version) == ("Enrol in the evening course", 1)
    assert IntegrationPlan.objects.get(case=case).version == 2


def test_two_people_editing_one_goal_get_412_not_a_lost_update(
    as_user, caseworker, supervisor, case
):
    goal = _goal(caseworker, case)
    # Both read version 1.
    etag = as_user(caseworker).get(goal_url(case, goal.pk))["ETag"]
    assert as_user(supervisor).get(goal_url(case, goal.pk))["ETag"] == etag
    first = as_user(caseworker).patch(
        goal_url(case, goal.pk), {"statement": "Reach B1"}, format="json", HTTP_IF_MATCH=etag
    )
    assert first.status_code == 200, first.content
    second = as_user(supervisor).patch(
        goal_url(case, goal.pk), {"priority": "low"}, format="json", HTTP_IF_MATCH=etag
    )
    assert_problem(second, 412, "stale_version")
    stored = PlanGoal.objects.get(pk=goal.pk)
    assert (stored.statement, stored.priority, stored.version) == ("Reach B1", "medium", 2)
    # With the new ETag the second edit goes through, on top of the first.
    again = as_user(supervisor).patch(
        goal_url(case, goal.pk),
        {"priority": "low"},
        format="json",
        HTTP_IF_MATCH=first["ETag"],
    )
    assert again.status_code == 200, again.content
    assert (again.json()["statement"], again.json()["priority"]) == ("Reach B1", "low")


def test_bad_goal_input_is_a_400_naming_the_field(as_user, caseworker, case):
    api = as_user(caseworker)
    url = plan_url(case, "goals/")
    assert error_fields(api.post(url, {**GOAL, "domain": "astrology"}, format="json")) == {"domain"}
    past = api.post(url, {**GOAL, "target_date": YESTERDAY}, format="json")
    body = assert_problem(past, 400)
    assert [(e["field"], e["code"]) for e in body["errors"]] == [("target_date", "past")]
    assert error_fields(api.post(url, {**GOAL, "statement": "  "}, format="json")) == {"statement"}
    assert error_fields(api.post(url, {**GOAL, "colour": "red"}, format="json")) == {"colour"}
    assert error_fields(api.post(url, {"statement": "No domain"}, format="json")) == {"domain"}
    assert not IntegrationPlan.objects.filter(case=case).exists()
    goal = _goal(caseworker, case)
    patch = api.patch(goal_url(case, goal.pk), {"reason": "only"}, format="json", HTTP_IF_MATCH="*")
    assert_problem(patch, 400)
    assert error_fields(
        api.patch(goal_url(case, goal.pk), {"status": "done"}, format="json", HTTP_IF_MATCH="*")
    ) == {"status"}


def test_a_closed_case_keeps_its_plan(as_user, caseworker, supervisor, case):
    goal = _goal(caseworker, case)
    casework.close_case(actor=supervisor, case_id=case.pk, closure_reason="goals_met")
    api = as_user(caseworker)
    assert_problem(api.post(plan_url(case, "goals/"), GOAL, format="json"), 409, "case_closed")
    assert_problem(
        api.patch(goal_url(case, goal.pk), {"priority": "low"}, format="json", HTTP_IF_MATCH="*"),
        409,
        "case_closed",
    )
    assert api.get(plan_url(case)).json()["can_change"] is False


# --- Actions -----------------------------------------------------------------------------


def test_actions_are_created_listed_and_moved_on(
    as_user, caseworker, second_caseworker, case, partner_agency
):
    goal = _goal(caseworker, case)
    other_goal = _goal(caseworker, case, domain="housing", statement="Find a flat")
    api = as_user(caseworker)
    created = api.post(
        plan_url(case, "actions/"),
        {
            "goal": str(goal.pk),
            "description": "Enrol in the evening course",
            "responsible": "staff",
            "responsible_user": str(second_caseworker.pk),
            "due_on": SOON,
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    action = created.json()
    assert created["ETag"] == '"1"'
    assert created["Location"].endswith(action_url(case, action["id"]))
    assert action["goal"] == str(goal.pk)
    assert action["responsible"] == "staff"
    assert action["responsible_user"] == {
        "id": str(second_caseworker.pk),
        "display_name": second_caseworker.display_name,
    }
    assert action["responsible_agency"] is None
    assert (action["status"], action["referral_state"], action["is_overdue"]) == (
        "planned",
        "",
        False,
    )
    assert (action["evidence_document"], action["evidence_note"]) == (None, None)
    assert (action["version"], action["plan_version"]) == (1, 3)

    partner = api.post(
        plan_url(case, "actions/"),
        {
            "goal": str(other_goal.pk),
            "description": "Apply for social housing",
            "responsible": "partner",
            "responsible_agency": str(partner_agency.pk),
        },
        format="json",
    )
    assert partner.status_code == 201, partner.content
    assert partner.json()["responsible_agency"] == {
        "id": str(partner_agency.pk),
        "name": partner_agency.name,
    }

    everything = api.get(plan_url(case, "actions/"))
    assert ids(everything) == [action["id"], partner.json()["id"]]
    of_goal = api.get(plan_url(case, "actions/"), {"goal": str(other_goal.pk)})
    assert ids(of_goal) == [partner.json()["id"]]
    assert error_fields(api.get(plan_url(case, "actions/"), {"goal": "nope"})) == {"goal"}

    # Progress, with a note as its evidence: no new version of the plan.
    note = casework.add_note(actor=caseworker, case_id=case.pk, body="Enrolled today.")
    started = api.patch(
        action_url(case, action["id"]),
        {"status": "in_progress", "evidence_note": str(note.pk)},
        format="json",
        HTTP_IF_MATCH=created["ETag"],
    )
    assert started.status_code == 200, started.content
    assert started["ETag"] == '"2"'
    assert (started.json()["status"], started.json()["evidence_note"]) == (
        "in_progress",
        str(note.pk),
    )
    assert started.json()["plan_version"] == 4  # the partner's action made v4
    # Done: its goal, with nothing else left, is achieved.
    done = api.patch(
        action_url(case, action["id"]), {"status": "done"}, format="json", HTTP_IF_MATCH='"2"'
    )
    assert done.status_code == 200, done.content
    assert api.get(goal_url(case, goal.pk)).json()["status"] == "achieved"
    assert api.get(action_url(case, action["id"])).json() == done.json()


def test_bad_action_input_is_a_400_naming_the_field(as_user, caseworker, case, partner_agency):
    goal = _goal(caseworker, case)
    api = as_user(caseworker)
    url = plan_url(case, "actions/")
    base = {"goal": str(goal.pk), "description": "Apply", "responsible": "partner"}
    assert error_fields(api.post(url, base, format="json")) == {"responsible_agency"}
    assert error_fields(
        api.post(url, {**base, "responsible_agency": str(case.agency_id)}, format="json")
    ) == {"responsible_agency"}
    assert error_fields(api.post(url, {**base, "responsible": "staff"}, format="json")) == {
        "responsible_user"
    }
    assert error_fields(api.post(url, {**base, "responsible": "nobody"}, format="json")) == {
        "responsible"
    }
    assert error_fields(api.post(url, {**base, "goal": 5}, format="json")) == {"goal"}
    assert not PlanAction.objects.exists()
    # A goal that is not there is a 404.
    missing = {**base, "goal": str(case.pk), "responsible": "client"}
    assert_problem(api.post(url, missing, format="json"), 404)
    action = _action(caseworker, case, goal)
    blocked = api.patch(
        action_url(case, action.pk), {"status": "blocked"}, format="json", HTTP_IF_MATCH="*"
    )
    assert error_fields(blocked) == {"reason"}
    evidence = api.patch(
        action_url(case, action.pk),
        {"evidence_document": str(case.pk)},
        format="json",
        HTTP_IF_MATCH="*",
    )
    assert error_fields(evidence) == {"evidence_document"}
    assert PlanAction.objects.get(pk=action.pk).version == 1


def test_an_action_under_a_closed_goal_is_409(as_user, caseworker, case):
    goal = _goal(caseworker, case)
    casework.update_goal(
        actor=caseworker,
        case_id=case.pk,
        goal_id=goal.pk,
        expected_version=1,
        changes={"status": "achieved"},
    )
    response = as_user(caseworker).post(
        plan_url(case, "actions/"),
        {"goal": str(goal.pk), "description": "More", "responsible": "client"},
        format="json",
    )
    assert_problem(response, 409, "goal_closed")


# --- Who sees what -----------------------------------------------------------------------


def test_a_health_goal_is_there_only_for_who_may_see_special_category_data(
    as_user, caseworker, second_caseworker, supervisor, case
):
    language = _goal(caseworker, case)
    health = _goal(caseworker, case, domain="health", statement="Register with a GP")
    appointment = _action(caseworker, case, health, description="Book the appointment")
    course = _action(caseworker, case, language)

    for reader in (caseworker, supervisor):
        api = as_user(reader)
        assert ids(api.get(plan_url(case, "goals/"))) == [str(language.pk), str(health.pk)]
        assert ids(api.get(plan_url(case, "actions/"))) == [str(appointment.pk), str(course.pk)]
        assert api.get(goal_url(case, health.pk)).status_code == 200
        assert api.get(action_url(case, appointment.pk)).status_code == 200

    api = as_user(second_caseworker)
    assert ids(api.get(plan_url(case, "goals/"))) == [str(language.pk)]
    assert ids(api.get(plan_url(case, "actions/"))) == [str(course.pk)]
    assert ids(api.get(plan_url(case, "actions/"), {"goal": str(health.pk)})) == []
    assert_problem(api.get(goal_url(case, health.pk)), 404, "not_found")
    assert_problem(api.get(action_url(case, appointment.pk)), 404, "not_found")
    assert_problem(
        api.patch(goal_url(case, health.pk), {"priority": "low"}, format="json", HTTP_IF_MATCH="*"),
        404,
    )
    assert_problem(
        api.patch(
            action_url(case, appointment.pk), {"status": "done"}, format="json", HTTP_IF_MATCH="*"
        ),
        404,
    )
    health_action = {"goal": str(health.pk), "description": "Dentist", "responsible": "client"}
    assert_problem(api.post(plan_url(case, "actions/"), health_action, format="json"), 404)
    assert_problem(
        api.post(plan_url(case, "goals/"), {**GOAL, "domain": "health"}, format="json"), 403
    )
    # The rest of the plan is theirs to change.
    assert api.post(plan_url(case, "goals/"), GOAL, format="json").status_code == 201
    assert PlanGoal.objects.get(pk=health.pk).version == 1
    assert PlanAction.objects.get(pk=appointment.pk).status == "planned"


@pytest.mark.parametrize("stranger", ["outsider", "referral_officer", "partner_caseworker"])
def test_strangers_get_404_everywhere(request, as_user, caseworker, case, stranger):
    goal = _goal(caseworker, case)
    action = _action(caseworker, case, goal)
    api = as_user(request.getfixturevalue(stranger))
    for url in (
        plan_url(case),
        plan_url(case, "goals/"),
        goal_url(case, goal.pk),
        plan_url(case, "actions/"),
        action_url(case, action.pk),
        plan_url(case, "agreements/"),
    ):
        assert_problem(api.get(url), 404, "not_found")
    assert_problem(api.post(plan_url(case, "goals/"), GOAL, format="json"), 404)
    assert_problem(
        api.post(
            plan_url(case, "actions/"),
            {"goal": str(goal.pk), "description": "x", "responsible": "client"},
            format="json",
        ),
        404,
    )
    assert_problem(
        api.patch(goal_url(case, goal.pk), {"priority": "low"}, format="json", HTTP_IF_MATCH="*"),
        404,
    )
    assert_problem(
        api.patch(
            action_url(case, action.pk), {"status": "done"}, format="json", HTTP_IF_MATCH="*"
        ),
        404,
    )
    assert_problem(
        api.post(
            plan_url(case, "agreements/"),
            {"plan_version": 2, "method": "not_obtained", "reason": "x"},
            format="json",
        ),
        404,
    )
    assert PlanGoal.objects.count() == 1 and PlanAgreement.objects.count() == 0


def test_who_sees_the_case_but_not_its_plan_gets_403(as_user, caseworker, case, viewer):
    goal = _goal(caseworker, case)
    api = as_user(viewer)
    assert api.get(case_url(case)).status_code == 200
    assert_problem(api.get(plan_url(case)), 403)
    assert_problem(api.get(plan_url(case, "goals/")), 403)
    assert_problem(api.get(goal_url(case, goal.pk)), 403)
    assert_problem(api.post(plan_url(case, "goals/"), GOAL, format="json"), 403)
    assert PlanGoal.objects.count() == 1


# --- Agreement ---------------------------------------------------------------------------


def test_the_clients_agreement_is_recorded_for_each_version(as_user, caseworker, case):
    api = as_user(caseworker)
    url = plan_url(case, "agreements/")
    no_plan = api.post(
        url, {"plan_version": 1, "method": "verbal", "agreed_at": timezone.now().isoformat()}
    )
    assert_problem(no_plan, 409, "no_plan")
    goal = _goal(caseworker, case)
    form = make_document(caseworker, case)
    agreed_at = timezone.now() - timedelta(hours=1)
    created = api.post(
        url,
        {
            "plan_version": 1,
            "method": "signed_form",
            "agreed_at": agreed_at.isoformat(),
            "document": str(form.pk),
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    agreement = created.json()
    assert (agreement["plan_version"], agreement["method"], agreement["document"]) == (
        1,
        "signed_form",
        str(form.pk),
    )
    assert agreement["recorded_by"]["id"] == str(caseworker.pk)
    plan = api.get(plan_url(case)).json()
    assert plan["agreement"] == agreement
    assert (plan["is_agreed"], plan["awaits_agreement"]) == (True, False)

    # A new version asks again; agreeing to the old one is refused.
    _action(caseworker, case, goal)
    plan = api.get(plan_url(case)).json()
    assert (plan["version"], plan["is_agreed"], plan["awaits_agreement"]) == (2, False, True)
    stale = api.post(
        url,
        {"plan_version": 1, "method": "verbal", "agreed_at": timezone.now().isoformat()},
        format="json",
    )
    assert_problem(stale, 409, "plan_changed")
    # Not obtained needs a reason; a future date and a stranger's document are refused.
    assert error_fields(
        api.post(url, {"plan_version": 2, "method": "not_obtained"}, format="json")
    ) == {"reason"}
    future = (timezone.now() + timedelta(days=1)).isoformat()
    assert error_fields(
        api.post(url, {"plan_version": 2, "method": "verbal", "agreed_at": future}, format="json")
    ) == {"agreed_at"}
    assert error_fields(
        api.post(
            url,
            {
                "plan_version": 2,
                "method": "verbal",
                "agreed_at": agreed_at.isoformat(),
                "document": str(case.pk),
            },
            format="json",
        )
    ) == {"document"}
    assert error_fields(
        api.post(url, {"plan_version": "2", "method": "verbal"}, format="json")
    ) == {"plan_version"}
    not_obtained = api.post(
        url,
        {"plan_version": 2, "method": "not_obtained", "reason": "In hospital; ask next visit"},
        format="json",
    )
    assert not_obtained.status_code == 201, not_obtained.content
    assert not_obtained.json()["agreed_at"] is None
    plan = api.get(plan_url(case)).json()
    assert (plan["is_agreed"], plan["awaits_agreement"]) == (False, False)
    listed = api.get(url)
    assert ids(listed) == [not_obtained.json()["id"], agreement["id"]]
    assert PlanAgreement.objects.count() == 2


# --- Lists cost the same whatever the page size ------------------------------------------


@pytest.mark.parametrize("suffix", ["goals/", "actions/", "agreements/"])
def test_list_queries_do_not_grow_with_the_page(
    as_user, django_assert_num_queries, caseworker, second_caseworker, case, partner_agency, suffix
):
    form = make_document(caseworker, case)
    note = casework.add_note(actor=caseworker, case_id=case.pk, body="Done.")
    for index in range(4):
        goal = _goal(caseworker, case, statement=f"Goal {index}")
        action = _action(
            caseworker,
            case,
            goal,
            responsible="staff" if index % 2 else "partner",
            responsible_user=second_caseworker.pk if index % 2 else None,
            responsible_agency=None if index % 2 else partner_agency.pk,
        )
        casework.update_action(
            actor=caseworker,
            case_id=case.pk,
            action_id=action.pk,
            expected_version=1,
            changes={"evidence_document": form.pk, "evidence_note": note.pk},
        )
        version = IntegrationPlan.objects.get(case=case).version
        casework.record_plan_agreement(
            actor=caseworker,
            case_id=case.pk,
            plan_version=version,
            method="signed_form",
            agreed_at=timezone.now(),
            document_id=form.pk,
        )
    api = as_user(caseworker)
    with CaptureQueriesContext(connection) as one_row:
        first = api.get(plan_url(case, suffix), {"page_size": 1})
    assert len(first.json()["results"]) == 1
    with django_assert_num_queries(len(one_row.captured_queries)):
        page = api.get(plan_url(case, suffix), {"page_size": 4})
    assert len(page.json()["results"]) == 4


# --- Referrals carrying an action out ----------------------------------------------------


def test_a_referral_names_the_action_it_carries_out(
    as_user, caseworker, referral_officer, client_record, case, partner_agency
):
    make_consent(
        caseworker,
        client_record,
        recipient_agencies=[partner_agency],
        data_categories=["identity", "contact", "integration_plan"],
    )
    goal = _goal(caseworker, case, domain="housing", statement="Find a flat")
    action = _action(
        caseworker,
        case,
        goal,
        description="Apply for social housing",
        responsible="partner",
        responsible_agency=partner_agency.pk,
    )
    other = _action(caseworker, case, goal, description="Visit the housing office")
    api = as_user(caseworker)
    body = {
        "case": str(case.pk),
        "to_agency": str(partner_agency.pk),
        "purpose": "Social housing application",
        "respond_by": SOON,
        "data_categories": ["identity", "integration_plan"],
    }
    wrong = api.post("/api/v1/referrals/", {**body, "plan_action": str(other.pk)}, format="json")
    assert error_fields(wrong) == {"plan_action"}
    response = api.post(
        "/api/v1/referrals/", {**body, "plan_action": str(action.pk)}, format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["plan_action"] == str(action.pk)
    again = api.post("/api/v1/referrals/", {**body, "plan_action": str(action.pk)}, format="json")
    assert_problem(again, 409, "action_referred")
    moved = api.get(action_url(case, action.pk)).json()
    assert (moved["referral_state"], moved["status"]) == ("sent", "planned")
    # The receiving agency reads the referral without the sender's ids.
    received = as_user(referral_officer).get(f"/api/v1/referrals/{response.json()['id']}/")
    assert received.status_code == 200
    assert received.json()["plan_action"] is None
    # Without one, it carries none out.
    plain = as_user(caseworker).post("/api/v1/referrals/", {**body, "send": False}, format="json")
    assert plain.status_code == 201, plain.content
    assert plain.json()["plan_action"] is None


# --- The schema --------------------------------------------------------------------------


def test_the_schema_documents_the_plan_operations(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    operations = {
        (path, method): operation
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if isinstance(operation, dict) and "operationId" in operation
    }
    base = "/api/v1/cases/{case_id}/plan/"
    expected = {
        (base, "get"): "cases_plan_retrieve",
        (base + "goals/", "get"): "cases_plan_goals_list",
        (base + "goals/", "post"): "cases_plan_goals_create",
        (base + "goals/{goal_id}/", "get"): "cases_plan_goals_retrieve",
        (base + "goals/{goal_id}/", "patch"): "cases_plan_goals_partial_update",
        (base + "actions/", "get"): "cases_plan_actions_list",
        (base + "actions/", "post"): "cases_plan_actions_create",
        (base + "actions/{action_id}/", "get"): "cases_plan_actions_retrieve",
        (base + "actions/{action_id}/", "patch"): "cases_plan_actions_partial_update",
        (base + "agreements/", "get"): "cases_plan_agreements_list",
        (base + "agreements/", "post"): "cases_plan_agreements_create",
    }
    for key, operation_id in expected.items():
        assert operations[key]["operationId"] == operation_id, key
    for path in (base + "goals/{goal_id}/", base + "actions/{action_id}/"):
        patch = operations[(path, "patch")]
        if_match = [p for p in patch["parameters"] if p["name"] == "If-Match"]
        assert if_match and if_match[0]["required"], path
        assert {"412", "428"} <= set(patch["responses"]), path
        assert "ETag" in patch["responses"]["200"]["headers"], path
    for path in (base + "goals/", base + "actions/"):
        assert "Location" in operations[(path, "post")]["responses"]["201"]["headers"], path
    components = schema["components"]["schemas"]
    assert components["PlanGoalInRequest"]["additionalProperties"] is False
    assert "plan_action" in components["ReferralCreateInRequest"]["properties"]
    assert "plan_action" in components["ReferralDetail"]["properties"]
