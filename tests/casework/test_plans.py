"""Integration plans through the services: goals, actions, agreement on each
version, special-category goals, concurrency, and referrals carrying actions out."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.permissions import Role
from casework import selectors
from casework import services as casework
from casework.models import IntegrationPlan, PlanAction, PlanAgreement, PlanGoal
from config.errors import Conflict, Forbidden, InvalidInput, NotFound, PreconditionFailed
from referrals import services as referrals
from tests.factories import make_consent, make_member, make_referral
from tests.helpers import run_together

pytestmark = pytest.mark.django_db

SOON = timezone.now().date() + timedelta(days=30)


def _goal(actor, case, **data):
    fields = {
        "domain": "language",
        "statement": "Reach A2 in Italian",
        "statement_client": "أريد أن أتكلم الإيطالية",
        "target_date": SOON,
    }
    fields.update(data)
    return casework.add_goal(actor=actor, case_id=case.pk, **fields)


def _action(actor, case, goal, **data):
    fields = {"description": "Enrol in the evening course", "responsible": "client"}
    fields.update(data)
    return casework.add_action(actor=actor, case_id=case.pk, goal_id=goal.pk, **fields)


def test_the_first_goal_draws_the_plan_up_and_each_change_is_a_version(caseworker, case):
    goal = _goal(caseworker, case)
    plan = IntegrationPlan.objects.get(case=case)
    assert plan.version == 1
    assert goal.statement_client == "أريد أن أتكلم الإيطالية"
    action = _action(caseworker, case, goal)
    plan.refresh_from_db()
    assert plan.version == 2
    # Progress is not a new version.
    casework.update_action(
        actor=caseworker,
        case_id=case.pk,
        action_id=action.pk,
        expected_version=action.version,
        changes={"status": "in_progress"},
    )
    plan.refresh_from_db()
    assert plan.version == 2
    # Rewording is.
    casework.update_goal(
        actor=caseworker,
        case_id=case.pk,
        goal_id=goal.pk,
        expected_version=goal.version,
        changes={"statement": "Reach B1 in Italian"},
    )
    plan.refresh_from_db()
    assert plan.version == 3
    assert [h.history_change_reason for h in plan.history.order_by("history_date")] == [
        "plan drawn up",
        "action added",
        "goal changed",
    ]


def test_agreement_is_recorded_on_each_version(caseworker, case):
    goal = _goal(caseworker, case)
    view = selectors.plan_view_for(caseworker, case)
    assert view.awaits_agreement and not view.is_agreed
    casework.record_plan_agreement(
        actor=caseworker,
        case_id=case.pk,
        plan_version=1,
        method="verbal_interpreter",
        agreed_at=timezone.now(),
    )
    view = selectors.plan_view_for(caseworker, case)
    assert view.is_agreed and not view.awaits_agreement
    _action(caseworker, case, goal)
    view = selectors.plan_view_for(caseworker, case)
    assert view.awaits_agreement, "a new version asks for agreement again"
    # Agreeing to a version the client was not shown is refused.
    with pytest.raises(Conflict) as refused:
        casework.record_plan_agreement(
            actor=caseworker,
            case_id=case.pk,
            plan_version=1,
            method="signed_form",
            agreed_at=timezone.now(),
        )
    assert refused.value.code == "plan_changed"
    # Not obtained needs a reason.
    with pytest.raises(InvalidInput) as missing:
        casework.record_plan_agreement(
            actor=caseworker, case_id=case.pk, plan_version=2, method="not_obtained"
        )
    assert missing.value.field == "reason"
    casework.record_plan_agreement(
        actor=caseworker,
        case_id=case.pk,
        plan_version=2,
        method="not_obtained",
        reason="Client in hospital; to be asked at the next visit",
    )
    view = selectors.plan_view_for(caseworker, case)
    assert not view.awaits_agreement and not view.is_agreed
    assert list(PlanAgreement.objects.filter(case=case).values_list("plan_version", "method")) == [
        (2, "not_obtained"),
        (1, "verbal_interpreter"),
    ]


def test_a_health_goal_is_hidden_from_who_may_not_see_special_category_data(
    caseworker, second_caseworker, supervisor, case
):
    _goal(caseworker, case)
    health = _goal(caseworker, case, domain="health", statement="Register with a GP")
    _action(caseworker, case, health, description="Book the appointment")
    # The assigned caseworker and the supervisor see it.
    for reader in (caseworker, supervisor):
        assert {g.domain for g in selectors.goals_visible_to(reader, case)} == {
            "language",
            "health",
        }
    # Another caseworker of the agency sees the plan, not the health goal.
    assert [g.domain for g in selectors.goals_visible_to(second_caseworker, case)] == ["language"]
    assert list(selectors.actions_visible_to(second_caseworker, case)) == []
    with pytest.raises(NotFound):
        selectors.get_goal_for(second_caseworker, case.pk, health.pk)
    with pytest.raises(Forbidden):
        _goal(second_caseworker, case, domain="health", statement="Dentist")
    # Another caseworker may change the rest of the plan.
    _goal(second_caseworker, case, domain="housing", statement="Find a flat")


def test_outsiders_and_referral_officers_see_no_plan(caseworker, outsider, referral_officer, case):
    goal = _goal(caseworker, case)
    for stranger in (outsider, referral_officer):
        with pytest.raises(NotFound):
            selectors.get_goal_for(stranger, case.pk, goal.pk)
        with pytest.raises(NotFound):
            _goal(stranger, case)


def test_bad_input_names_the_field(caseworker, case, partner_agency):
    with pytest.raises(InvalidInput) as error:
        _goal(caseworker, case, domain="astrology")
    assert error.value.field == "domain"
    with pytest.raises(InvalidInput) as error:
        _goal(caseworker, case, target_date=timezone.now().date() - timedelta(days=1))
    assert error.value.field == "target_date"
    goal = _goal(caseworker, case)
    with pytest.raises(InvalidInput) as error:
        _action(caseworker, case, goal, responsible="partner")
    assert error.value.field == "responsible_agency"
    with pytest.raises(InvalidInput) as error:
        _action(caseworker, case, goal, responsible="partner", responsible_agency=case.agency_id)
    assert error.value.field == "responsible_agency"
    with pytest.raises(InvalidInput) as error:
        _action(caseworker, case, goal, responsible="staff", responsible_user=None)
    assert error.value.field == "responsible_user"
    action = _action(caseworker, case, goal)
    with pytest.raises(InvalidInput) as error:
        casework.update_action(
            actor=caseworker,
            case_id=case.pk,
            action_id=action.pk,
            expected_version=action.version,
            changes={"status": "dropped"},
        )
    assert error.value.field == "reason"
    assert PlanAction.objects.get(pk=action.pk).status == "planned"


def test_a_stale_version_is_412_and_changes_nothing(caseworker, second_caseworker, case):
    goal = _goal(caseworker, case)
    action = _action(caseworker, case, goal)
    casework.update_action(
        actor=caseworker,
        case_id=case.pk,
        action_id=action.pk,
        expected_version=1,
        changes={"description": "Enrol in the morning course"},
    )
    with pytest.raises(PreconditionFailed):
        casework.update_action(
            actor=second_caseworker,
            case_id=case.pk,
            action_id=action.pk,
            expected_version=1,
            changes={"description": "Enrol online"},
        )
    assert PlanAction.objects.get(pk=action.pk).description == "Enrol in the morning course"


@pytest.mark.django_db(transaction=True)
def test_concurrent_edits_of_one_action_never_lose_an_update(agency, client_record):
    from tests.factories import make_case

    workers = [make_member(agency, Role.CASEWORKER) for _ in range(2)]
    supervisor = make_member(agency, Role.SUPERVISOR)
    case = make_case(supervisor, client_record, assigned_to=workers[0])
    goal = _goal(supervisor, case)
    action = _action(supervisor, case, goal)

    def edit(worker, text):
        def run():
            return casework.update_action(
                actor=worker,
                case_id=case.pk,
                action_id=action.pk,
                expected_version=1,
                changes={"description": text},
            )

        return run

    results = run_together(edit(workers[0], "first"), edit(workers[1], "second"))
    won = [r for r in results if isinstance(r, PlanAction)]
    lost = [r for r in results if isinstance(r, PreconditionFailed)]
    assert len(won) == 1 and len(lost) == 1, results
    stored = PlanAction.objects.get(pk=action.pk)
    assert stored.description == won[0].description
    assert stored.version == 2


def test_a_closed_case_keeps_its_plan_as_it_is(caseworker, supervisor, case):
    goal = _goal(caseworker, case)
    casework.close_case(actor=supervisor, case_id=case.pk, closure_reason="goals_met")
    with pytest.raises(Conflict) as refused:
        _action(caseworker, case, goal)
    assert refused.value.code == "case_closed"


def test_action_done_achieves_its_goal(caseworker, case):
    goal = _goal(caseworker, case)
    first = _action(caseworker, case, goal)
    second = _action(caseworker, case, goal, description="Buy the book")
    casework.update_action(
        actor=caseworker,
        case_id=case.pk,
        action_id=second.pk,
        expected_version=second.version,
        changes={"status": "dropped"},
        reason="The course lends it",
    )
    casework.update_action(
        actor=caseworker,
        case_id=case.pk,
        action_id=first.pk,
        expected_version=first.version,
        changes={"status": "done"},
    )
    assert PlanGoal.objects.get(pk=goal.pk).status == "achieved"


# --- Referrals carrying actions out -----------------------------------------------------


@pytest.fixture
def plan_consent(caseworker, client_record, partner_agency):
    return make_consent(
        caseworker,
        client_record,
        recipient_agencies=[partner_agency],
        data_categories=["identity", "contact", "integration_plan"],
    )


def _partner_action(caseworker, case, partner_agency, **data):
    goal = _goal(caseworker, case, domain="housing", statement="Find a flat")
    other = _action(caseworker, case, goal, description="Visit the housing office")
    action = _action(
        caseworker,
        case,
        goal,
        description="Apply for social housing",
        responsible="partner",
        responsible_agency=partner_agency.pk,
        **data,
    )
    return goal, other, action


def test_the_partner_sees_exactly_the_action_referred_to_it(
    caseworker, referral_officer, case, partner_agency, plan_consent
):
    goal, other, action = _partner_action(caseworker, case, partner_agency)
    referral = make_referral(
        caseworker,
        case,
        partner_agency,
        data_categories=["identity", "integration_plan"],
        plan_action_id=action.pk,
    )
    packet = referral.packet.data
    assert packet["integration_plan"]["actions"] == [
        {
            "id": str(action.pk),
            "goal_domain": "housing",
            "description": "Apply for social housing",
            "due_on": None,
            "status": "planned",
        }
    ]
    assert "Find a flat" not in str(packet) and "Visit the housing office" not in str(packet)
    with pytest.raises(NotFound):
        selectors.get_goal_for(referral_officer, case.pk, goal.pk)
    # The referral's answer moves the action on, and completion its goal.
    referrals.accept_referral(actor=referral_officer, referral_id=referral.pk)
    assert PlanAction.objects.get(pk=action.pk).status == "in_progress"
    referrals.report_referral_progress(
        actor=referral_officer, referral_id=referral.pk, note="Application filed"
    )
    assert PlanAction.objects.get(pk=action.pk).status_reason == "Application filed"
    casework.update_action(
        actor=caseworker,
        case_id=case.pk,
        action_id=other.pk,
        expected_version=other.version,
        changes={"status": "done"},
    )
    referrals.complete_referral(
        actor=referral_officer, referral_id=referral.pk, outcome="Flat allocated"
    )
    done = PlanAction.objects.get(pk=action.pk)
    assert (done.status, done.status_reason, done.referral_state) == (
        "done",
        "Flat allocated",
        "completed",
    )
    assert PlanGoal.objects.get(pk=goal.pk).status == "achieved"


def test_a_declined_referral_blocks_the_action_with_the_reason(
    caseworker, referral_officer, case, partner_agency, plan_consent
):
    _, _, action = _partner_action(caseworker, case, partner_agency)
    referral = make_referral(
        caseworker, case, partner_agency, data_categories=["identity"], plan_action_id=action.pk
    )
    # Only one open referral per action.
    with pytest.raises(Conflict):
        make_referral(
            caseworker, case, partner_agency, data_categories=["identity"], plan_action_id=action.pk
        )
    referrals.decline_referral(actor=referral_officer, referral_id=referral.pk, reason="Full")
    blocked = PlanAction.objects.get(pk=action.pk)
    assert (blocked.status, blocked.status_reason, blocked.referral_state) == (
        "blocked",
        "Full",
        "declined",
    )
    # It may be referred again.
    make_referral(
        caseworker, case, partner_agency, data_categories=["identity"], plan_action_id=action.pk
    )
    assert PlanAction.objects.get(pk=action.pk).status == "planned"


def test_a_referral_to_another_agency_than_the_actions_is_refused(
    caseworker, case, partner_agency, other_agency, plan_consent
):
    _, other, action = _partner_action(caseworker, case, partner_agency)
    for wrong, agency in ((other, partner_agency), (action, other_agency)):
        with pytest.raises(InvalidInput) as refused:
            make_referral(
                caseworker,
                case,
                agency,
                send=False,
                data_categories=["identity"],
                plan_action_id=wrong.pk,
            )
        assert refused.value.field == "plan_action"


def test_withdrawing_the_consent_blocks_the_referred_action(
    caseworker, case, partner_agency, plan_consent
):
    _, _, action = _partner_action(caseworker, case, partner_agency)
    referral = make_referral(
        caseworker, case, partner_agency, data_categories=["identity"], plan_action_id=action.pk
    )
    casework.withdraw_consent(actor=caseworker, consent_id=plan_consent.pk, reason="Changed mind")
    referral.refresh_from_db()
    assert referral.state == "cancelled"
    blocked = PlanAction.objects.get(pk=action.pk)
    assert (blocked.status, blocked.referral_state) == ("blocked", "cancelled")


def test_supervisors_see_overdue_and_stalled_plans(caseworker, supervisor, case, settings):
    goal = _goal(caseworker, case)
    action = _action(caseworker, case, goal)
    assert selectors.plans_needing_attention(supervisor, stalled_days=30) == []
    later = timezone.now() + timedelta(days=31)
    rows = selectors.plans_needing_attention(supervisor, stalled_days=30, now=later)
    assert [(row.case.pk, row.stalled, row.overdue) for row in rows] == [(case.pk, True, True)]
    casework.update_action(
        actor=caseworker,
        case_id=case.pk,
        action_id=action.pk,
        expected_version=action.version,
        changes={"status": "done"},
    )
    assert selectors.plans_needing_attention(supervisor, stalled_days=30, now=later) == []
    # Caseworkers have no such list.
    assert selectors.plans_needing_attention(caseworker, stalled_days=30, now=later) == []


def test_dropping_a_goal_drops_its_open_actions(caseworker, case):
    goal = _goal(caseworker, case)
    done = _action(caseworker, case, goal, description="Placement test")
    open_action = _action(caseworker, case, goal)
    casework.update_action(
        actor=caseworker,
        case_id=case.pk,
        action_id=done.pk,
        expected_version=done.version,
        changes={"status": "done"},
    )
    goal.refresh_from_db()
    goal = casework.update_goal(
        actor=caseworker,
        case_id=case.pk,
        goal_id=goal.pk,
        expected_version=goal.version,
        changes={"status": "dropped"},
        reason="Moved to another city",
    )
    assert goal.status == "dropped"
    statuses = dict(PlanAction.objects.filter(goal=goal).values_list("pk", "status"))
    assert statuses == {done.pk: "done", open_action.pk: "dropped"}
    assert PlanAction.objects.get(pk=open_action.pk).status_reason == "Moved to another city"


def test_a_referred_action_and_its_goal_are_not_dropped_under_the_referral(
    caseworker, case, partner_agency, plan_consent
):
    goal, _other, action = _partner_action(caseworker, case, partner_agency)
    make_referral(
        caseworker, case, partner_agency, data_categories=["identity"], plan_action_id=action.pk
    )
    action.refresh_from_db()
    with pytest.raises(Conflict) as refused:
        casework.update_action(
            actor=caseworker,
            case_id=case.pk,
            action_id=action.pk,
            expected_version=action.version,
            changes={"status": "dropped"},
            reason="No longer needed",
        )
    assert refused.value.code == "action_referred"
    goal.refresh_from_db()
    with pytest.raises(Conflict) as refused:
        casework.update_goal(
            actor=caseworker,
            case_id=case.pk,
            goal_id=goal.pk,
            expected_version=goal.version,
            changes={"status": "dropped"},
            reason="No longer needed",
        )
    assert refused.value.code == "action_referred"
    assert PlanGoal.objects.get(pk=goal.pk).status == "active"


def test_an_action_no_longer_done_makes_its_goal_active_again(caseworker, case):
    goal = _goal(caseworker, case)
    action = _action(caseworker, case, goal)
    action = casework.update_action(
        actor=caseworker,
        case_id=case.pk,
        action_id=action.pk,
        expected_version=action.version,
        changes={"status": "done"},
    )
    assert PlanGoal.objects.get(pk=goal.pk).status == "achieved"
    casework.update_action(
        actor=caseworker,
        case_id=case.pk,
        action_id=action.pk,
        expected_version=action.version,
        changes={"status": "in_progress"},
    )
    assert PlanGoal.objects.get(pk=goal.pk).status == "active"


def test_sending_unchanged_values_is_no_new_version_and_no_handover(
    caseworker, case, partner_agency, plan_consent
):
    goal, _, action = _partner_action(caseworker, case, partner_agency)
    make_referral(
        caseworker, case, partner_agency, data_categories=["identity"], plan_action_id=action.pk
    )
    plan = IntegrationPlan.objects.get(case=case)
    version = plan.version
    action.refresh_from_db()
    goal.refresh_from_db()
    # A form or PATCH that sends every field as it is: no new version, no 409.
    casework.update_action(
        actor=caseworker,
        case_id=case.pk,
        action_id=action.pk,
        expected_version=action.version,
        changes={
            "description": action.description,
            "responsible": "partner",
            "responsible_agency": partner_agency.pk,
            "due_on": action.due_on,
        },
    )
    casework.update_goal(
        actor=caseworker,
        case_id=case.pk,
        goal_id=goal.pk,
        expected_version=goal.version,
        changes={"statement": goal.statement, "priority": goal.priority, "status": "active"},
    )
    plan.refresh_from_db()
    assert plan.version == version


def test_the_case_history_tells_who_changed_what_in_the_plan(
    caseworker, second_caseworker, supervisor, case
):
    goal = _goal(caseworker, case)
    health = _goal(caseworker, case, domain="health", statement="Register with a GP")
    action = _action(caseworker, case, goal)
    casework.update_action(
        actor=caseworker,
        case_id=case.pk,
        action_id=action.pk,
        expected_version=action.version,
        changes={"due_on": SOON},
    )
    casework.record_plan_agreement(
        actor=caseworker,
        case_id=case.pk,
        plan_version=4,
        method="signed_form",
        agreed_at=timezone.now(),
    )
    entries = selectors.case_history(supervisor, case.pk)
    kinds = [(e["object"], e["action"]) for e in entries if e["object"] != "case"]
    assert ("agreement", "created") in kinds
    assert ("action", "changed") in kinds and ("goal", "created") in kinds
    assert [e["changes"][0]["new"] for e in entries if e["object"] == "plan"] == [
        "4",
        "3",
        "2",
        "1",
    ]
    changed = next(e for e in entries if e["object"] == "action" and e["action"] == "changed")
    assert [c["field"] for c in changed["changes"]] == ["due_on"]
    assert changed["actor_id"] == caseworker.pk
    assert {e["object_id"] for e in entries if e["object"] == "goal"} == {goal.pk, health.pk}
    # The plan's part of the history is read with the reader's own scope: a
    # goal about health is not there for who may not see it.
    from casework.selectors.history import _plan_history

    ids = {e["object_id"] for e in _plan_history(second_caseworker, case)}
    assert health.pk not in ids and goal.pk in ids
