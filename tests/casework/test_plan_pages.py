"""The integration plan's pages: the plan of a case with its forms, the edit
pages of a goal and an action, the case page's panel, and "Refer this
action" on the referral form. Tried as the assigned caseworker, another
caseworker of the agency, the supervisor, the partner's referral officer and
an outsider."""

import itertools
import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from casework import services
from casework.models import IntegrationPlan, PlanAction, PlanAgreement, PlanGoal
from referrals import services as referral_services
from referrals.models import Referral
from tests.factories import make_case, make_consent
from tests.helpers import field_errors, page
from tests.test_bidi import assert_isolated

pytestmark = pytest.mark.django_db

STALE = "This record was changed by someone else while you were editing."
ARABIC_WORDS = "أريد أن أتكلم الإيطالية"


def url(name, *args):
    return reverse(f"casework:{name}", args=args)


def soon(days=30):
    return timezone.localdate() + timedelta(days=days)


def add_goal(actor, case, **data):
    fields = {
        "domain": "language",
        "statement": "Reach A2 in Italian",
        "statement_client": ARABIC_WORDS,
        "target_date": soon(),
    }
    fields.update(data)
    return services.add_goal(actor=actor, case_id=case.pk, **fields)


def add_action(actor, case, goal, **data):
    fields = {"description": "Enrol in the evening course", "responsible": "client"}
    fields.update(data)
    return services.add_action(actor=actor, case_id=case.pk, goal_id=goal.pk, **fields)


def goal_edit_data(goal, **overrides):
    data = {
        "domain": goal.domain,
        "statement": goal.statement,
        "statement_client": goal.statement_client,
        "target_date": goal.target_date.isoformat() if goal.target_date else "",
        "priority": goal.priority,
        "status": goal.status,
        "reason": "",
        "version": goal.version,
    }
    data.update(overrides)
    return data


def action_edit_data(action, **overrides):
    data = {
        "description": action.description,
        "responsible": action.responsible,
        "responsible_user": str(action.responsible_user_id or ""),
        "responsible_agency": str(action.responsible_agency_id or ""),
        "due_on": action.due_on.isoformat() if action.due_on else "",
        "status": action.status,
        "reason": "",
        "evidence_document": "",
        "evidence_note": "",
        "version": action.version,
    }
    data.update(overrides)
    return data


@pytest.fixture
def goal(caseworker, case):
    return add_goal(caseworker, case)


@pytest.fixture
def partner_action(caseworker, case, goal, partner_agency):
    return add_action(
        caseworker,
        case,
        goal,
        description="Legal advice on the family reunification",
        responsible="partner",
        responsible_agency=partner_agency.pk,
        due_on=soon(10),
    )


@pytest.fixture
def plan_consent(caseworker, client_record, partner_agency):
    """The client's consent to share identity and the referred plan actions with the partner."""
    return make_consent(
        caseworker,
        client_record,
        recipient_agencies=[partner_agency],
        data_categories=["identity", "integration_plan"],
    )


# --- Who sees the plan -----------------------------------------------------------------


@pytest.mark.parametrize("persona", ["caseworker", "supervisor"])
def test_the_plan_page_shows_goals_actions_and_agreement(
    request, client_as, persona, case, goal, partner_action
):
    response = client_as(request.getfixturevalue(persona)).get(url("case_plan", case.pk))
    assert response.status_code == 200
    content = page(response)
    assert "<h1" in content and "Integration plan" in content
    assert "v2" in content  # the goal drew it up (v1), the action made v2
    assert "Version 2 awaits the client's agreement." in content
    assert 'id="domain-language"' in content
    assert "Reach A2 in Italian" in content
    assert "Legal advice on the family reunification" in content
    assert "Casa Comune" in content  # the partner agency responsible
    assert f'id="action-{partner_action.pk}"' in content
    # The forms, for who may change the plan.
    for panel in ("add-goal-panel", "add-action-panel", "agreement-panel"):
        assert f'id="{panel}"' in content


@pytest.mark.parametrize("persona", ["outsider", "referral_officer"])
def test_who_does_not_see_the_case_finds_no_plan(request, client_as, persona, case, goal):
    browser = client_as(request.getfixturevalue(persona))
    assert browser.get(url("case_plan", case.pk)).status_code == 404
    assert browser.get(url("plan_goal_edit", case.pk, goal.pk)).status_code == 404
    response = browser.post(url("plan_goal_add", case.pk), {"domain": "housing"})
    assert response.status_code == 404
    assert PlanGoal.objects.count() == 1


def test_who_may_only_see_the_case_may_not_open_the_plan(client_as, viewer, case, goal):
    """Granted the case alone (another agency's staff): no plan, no panel."""
    browser = client_as(viewer)
    assert browser.get(url("case_plan", case.pk)).status_code == 403
    assert browser.get(url("plan_goal_edit", case.pk, goal.pk)).status_code == 403
    response = browser.post(url("plan_goal_add", case.pk), {"domain": "housing"})
    assert response.status_code == 403
    content = page(browser.get(url("case_detail", case.pk)))
    assert 'id="plan"' not in content and "Reach A2 in Italian" not in content
    assert PlanGoal.objects.count() == 1


def test_a_goal_about_health_is_hidden_from_another_caseworker(
    client_as, caseworker, second_caseworker, supervisor, case, goal
):
    health = add_goal(caseworker, case, domain="health", statement="Register with a family doctor")
    add_action(caseworker, case, health, description="Book the first appointment")
    content = page(client_as(supervisor).get(url("case_plan", case.pk)))
    assert "Register with a family doctor" in content
    assert "Book the first appointment" in content
    browser = client_as(second_caseworker)
    response = browser.get(url("case_plan", case.pk))
    assert response.status_code == 200
    content = page(response)
    assert "Reach A2 in Italian" in content
    assert "Register with a family doctor" not in content
    assert "Book the first appointment" not in content
    assert 'id="domain-health"' not in content
    # Nor may they write one: the domain is not offered, nor is its goal there.
    assert 'value="health"' not in content
    assert browser.get(url("plan_goal_edit", case.pk, health.pk)).status_code == 404


def test_the_headings_go_in_order_and_every_field_is_labelled(
    client_as, caseworker, case, goal, partner_action
):
    content = page(client_as(caseworker).get(url("case_plan", case.pk)))
    levels = [int(level) for level in re.findall(r"<h([1-6])\b", content)]
    assert levels[0] == 1
    assert all(later <= earlier + 1 for earlier, later in itertools.pairwise(levels))
    for control in re.findall(r"<(?:input|select|textarea)\b[^>]*>", content):
        if 'type="hidden"' in control:
            continue
        control_id = re.search(r'id="([^"]+)"', control)[1]
        assert f'<label for="{control_id}"' in content, control


# --- Adding -------------------------------------------------------------------------------


def test_the_first_goal_draws_the_plan_up(client_as, caseworker, case):
    browser = client_as(caseworker)
    content = page(browser.get(url("case_plan", case.pk)))
    assert "This case has no plan yet." in content
    assert 'id="add-goal-panel" open' in content
    response = browser.post(
        url("plan_goal_add", case.pk),
        {
            "domain": "housing",
            "statement": "Find a flat of their own",
            "statement_client": ARABIC_WORDS,
            "target_date": soon().isoformat(),
            "priority": "high",
        },
    )
    goal = PlanGoal.objects.get()
    assert response.status_code == 302
    assert response.url == url("case_plan", case.pk) + f"#goal-{goal.pk}"
    assert (goal.domain, goal.priority, goal.statement_client) == ("housing", "high", ARABIC_WORDS)
    assert IntegrationPlan.objects.get(case=case).version == 1
    content = page(browser.get(response.url))
    assert "The goal was added. The plan is now version 1." in content


def test_an_action_is_added_under_a_goal(client_as, caseworker, second_caseworker, case, goal):
    browser = client_as(caseworker)
    # "Add an action to this goal" opens the form with the goal chosen.
    content = page(browser.get(url("case_plan", case.pk), {"goal": goal.pk}))
    assert 'id="add-action-panel" open' in content
    assert re.search(rf'<option value="{goal.pk}" selected>', content)
    assert "Nour Second" in content  # the agency's staff to choose from
    response = browser.post(
        url("plan_action_add", case.pk),
        {
            "goal": goal.pk,
            "description": "Go with the client to the language school",
            "responsible": "staff",
            "responsible_user": second_caseworker.pk,
            "due_on": soon(7).isoformat(),
        },
    )
    action = PlanAction.objects.get()
    assert response.status_code == 302
    assert response.url == url("case_plan", case.pk) + f"#action-{action.pk}"
    assert (action.goal, action.responsible_user) == (goal, second_caseworker)
    content = page(browser.get(url("case_plan", case.pk)))
    assert "Go with the client to the language school" in content
    assert "Nour Second" in content


def test_a_goal_without_its_statement_is_refused_beside_the_field(client_as, caseworker, case):
    response = client_as(caseworker).post(
        url("plan_goal_add", case.pk), {"domain": "housing", "statement": "", "priority": "low"}
    )
    assert response.status_code == 400
    content = page(response)
    assert "This field is required." in field_errors(content, "goal_statement")
    assert 'id="add-goal-panel" open' in content
    [statement] = re.findall(r'<textarea[^>]*\bid="goal_statement"[^>]*>', content)
    assert " autofocus" in statement
    assert not PlanGoal.objects.exists()
    assert not IntegrationPlan.objects.exists()


def test_the_services_refusal_shows_at_its_field(client_as, caseworker, case, goal):
    browser = client_as(caseworker)
    past = (timezone.localdate() - timedelta(days=1)).isoformat()
    response = browser.post(
        url("plan_goal_add", case.pk),
        {"domain": "housing", "statement": "A flat", "priority": "low", "target_date": past},
    )
    assert response.status_code == 400
    assert "The date cannot be in the past." in field_errors(page(response), "goal_target_date")
    # A partner agency is responsible, but which one is not said.
    response = browser.post(
        url("plan_action_add", case.pk),
        {"goal": goal.pk, "description": "Legal advice", "responsible": "partner"},
    )
    assert response.status_code == 400
    assert "Choose another agency." in field_errors(page(response), "action_responsible_agency")
    assert PlanGoal.objects.count() == 1
    assert not PlanAction.objects.exists()
    assert IntegrationPlan.objects.get().version == 1


def test_a_closed_case_offers_no_forms_and_refuses_changes(client_as, caseworker, case, goal):
    services.close_case(actor=caseworker, case_id=case.pk, closure_reason="goals_met", note="")
    browser = client_as(caseworker)
    content = page(browser.get(url("case_plan", case.pk)))
    assert 'id="add-goal-panel"' not in content
    assert "Edit the goal" not in content
    response = browser.post(
        url("plan_goal_add", case.pk),
        {"domain": "housing", "statement": "A flat", "priority": "low"},
    )
    assert response.status_code == 409
    assert "The case is closed. Reopen it first." in page(response)
    assert PlanGoal.objects.count() == 1


# --- Editing ------------------------------------------------------------------------------


def test_a_goal_is_edited_and_a_new_version_awaits_agreement(client_as, caseworker, case, goal):
    browser = client_as(caseworker)
    content = page(browser.get(url("plan_goal_edit", case.pk, goal.pk)))
    assert f'name="version" value="{goal.version}"' in content
    response = browser.post(
        url("plan_goal_edit", case.pk, goal.pk),
        goal_edit_data(goal, statement="Reach B1 in Italian"),
    )
    assert response.status_code == 302
    assert response.url == url("case_plan", case.pk) + f"#goal-{goal.pk}"
    goal.refresh_from_db()
    assert (goal.statement, goal.version) == ("Reach B1 in Italian", 2)
    assert IntegrationPlan.objects.get().version == 2


def test_dropping_a_goal_needs_a_reason(client_as, caseworker, case, goal):
    browser = client_as(caseworker)
    response = browser.post(
        url("plan_goal_edit", case.pk, goal.pk), goal_edit_data(goal, status="dropped")
    )
    assert response.status_code == 400
    assert "Say why the goal is dropped." in field_errors(page(response), "goal_edit_reason")
    goal.refresh_from_db()
    assert (goal.status, goal.version) == ("active", 1)
    response = browser.post(
        url("plan_goal_edit", case.pk, goal.pk),
        goal_edit_data(goal, status="dropped", reason="The client moved to another city"),
    )
    assert response.status_code == 302
    goal.refresh_from_db()
    assert (goal.status, goal.status_reason) == ("dropped", "The client moved to another city")


def test_a_stale_goal_edit_is_412_and_changes_nothing(
    client_as, caseworker, supervisor, case, goal
):
    stale = goal_edit_data(goal, statement="Reach A1 in Italian")
    services.update_goal(
        actor=supervisor,
        case_id=case.pk,
        goal_id=goal.pk,
        expected_version=goal.version,
        changes={"priority": "high"},
    )
    response = client_as(caseworker).post(url("plan_goal_edit", case.pk, goal.pk), stale)
    assert response.status_code == 412
    content = page(response)
    assert STALE in content
    assert "Reach A1 in Italian" in content  # what they had typed, to apply again
    goal.refresh_from_db()
    assert (goal.statement, goal.priority, goal.version) == ("Reach A2 in Italian", "high", 2)
    assert 'name="version" value="2"' in content


def test_progress_on_an_action_is_no_new_version(client_as, caseworker, case, goal):
    action = add_action(caseworker, case, goal)
    browser = client_as(caseworker)
    assert browser.get(url("plan_action_edit", case.pk, action.pk)).status_code == 200
    response = browser.post(
        url("plan_action_edit", case.pk, action.pk), action_edit_data(action, status="in_progress")
    )
    assert response.status_code == 302
    action.refresh_from_db()
    assert (action.status, action.version) == ("in_progress", 2)
    # The form sent every field; only the status changed: still version 2.
    assert IntegrationPlan.objects.get().version == 2


def test_an_action_done_with_its_evidence(client_as, caseworker, case, goal):
    action = add_action(caseworker, case, goal)
    note = services.add_note(actor=caseworker, case_id=case.pk, kind="note", body="Enrolled today")
    response = client_as(caseworker).post(
        url("plan_action_edit", case.pk, action.pk),
        action_edit_data(action, status="done", evidence_note=str(note.pk)),
    )
    assert response.status_code == 302
    action.refresh_from_db()
    goal.refresh_from_db()
    assert (action.status, action.evidence_note) == ("done", note)
    assert goal.status == "achieved"  # nothing else was left to do
    content = page(client_as(caseworker).get(url("case_plan", case.pk)))
    assert "Evidence:" in content and "#notes" in content


def test_a_blocked_action_needs_a_reason_and_a_stale_one_is_412(
    client_as, caseworker, second_caseworker, case, goal
):
    action = add_action(caseworker, case, goal)
    browser = client_as(caseworker)
    response = browser.post(
        url("plan_action_edit", case.pk, action.pk), action_edit_data(action, status="blocked")
    )
    assert response.status_code == 400
    assert "Say why the action is dropped or blocked." in field_errors(
        page(response), "action_edit_reason"
    )
    stale = action_edit_data(action, description="Enrol online")
    services.update_action(
        actor=second_caseworker,
        case_id=case.pk,
        action_id=action.pk,
        expected_version=action.version,
        changes={"status": "in_progress"},
    )
    response = browser.post(url("plan_action_edit", case.pk, action.pk), stale)
    assert response.status_code == 412
    assert STALE in page(response)
    action.refresh_from_db()
    assert (action.description, action.status) == ("Enrol in the evening course", "in_progress")


# --- The client's agreement ---------------------------------------------------------------


def test_the_agreement_is_recorded_for_the_version_shown(client_as, caseworker, case, goal):
    browser = client_as(caseworker)
    content = page(browser.get(url("case_plan", case.pk)))
    assert 'name="plan_version" value="1"' in content
    response = browser.post(
        url("plan_agreement", case.pk),
        {
            "plan_version": 1,
            "method": "verbal_interpreter",
            "agreed_at": timezone.localdate().isoformat(),
        },
    )
    assert response.status_code == 302
    agreement = PlanAgreement.objects.get()
    assert (agreement.plan_version, agreement.method) == (1, "verbal_interpreter")
    content = page(browser.get(url("case_plan", case.pk)))
    assert f"Agreed on {timezone.localdate():%Y-%m-%d} for version 1" in content


def test_an_agreement_not_obtained_needs_a_reason(client_as, caseworker, case, goal):
    browser = client_as(caseworker)
    response = browser.post(
        url("plan_agreement", case.pk), {"plan_version": 1, "method": "not_obtained"}
    )
    assert response.status_code == 400
    assert field_errors(page(response), "agreement_reason")
    assert not PlanAgreement.objects.exists()
    browser.post(
        url("plan_agreement", case.pk),
        {"plan_version": 1, "method": "not_obtained", "reason": "The client is in hospital"},
    )
    content = page(browser.get(url("case_plan", case.pk)))
    assert "Not obtained for version 1:" in content
    assert "The client is in hospital" in content


def test_agreeing_to_a_version_that_changed_since_is_409(client_as, caseworker, case, goal):
    add_action(caseworker, case, goal)  # version 2 now
    response = client_as(caseworker).post(
        url("plan_agreement", case.pk),
        {"plan_version": 1, "method": "signed_form", "agreed_at": timezone.localdate()},
    )
    assert response.status_code == 409
    content = page(response)
    assert "The plan has changed since" in content
    # Sent again from this page, the form is about the version it shows.
    assert 'name="plan_version" value="2"' in content
    assert not PlanAgreement.objects.exists()


# --- Referring an action ------------------------------------------------------------------


def test_refer_this_action_prefills_the_referral_form(
    client_as, caseworker, case, partner_action, partner_agency, plan_consent
):
    browser = client_as(caseworker)
    content = page(browser.get(url("case_plan", case.pk)))
    refer = reverse("referrals:referral_new", args=[case.pk]) + f"?plan_action={partner_action.pk}"
    assert f'href="{refer}"' in content
    content = page(browser.get(refer))
    assert f'name="plan_action" value="{partner_action.pk}"' in content
    assert re.search(rf'<option value="{partner_agency.pk}" selected>', content)
    assert 'value="Legal advice on the family reunification"' in content
    assert "This referral carries out an action of the client's integration plan" in content
    boxes = re.findall(r'<input type="checkbox" name="data_categories"[^>]*>', content)
    ticked = {re.search(r'value="([^"]+)"', box)[1] for box in boxes if " checked" in box}
    assert ticked == {"identity", "integration_plan"}


def test_an_action_the_user_does_not_see_cannot_be_referred(client_as, caseworker, case, goal):
    browser = client_as(caseworker)
    refer = reverse("referrals:referral_new", args=[case.pk])
    other = make_case(caseworker)
    elsewhere = add_action(caseworker, other, add_goal(caseworker, other))
    for action_id in (elsewhere.pk, "not-an-id"):
        assert browser.get(refer, {"plan_action": action_id}).status_code == 404


def test_the_referral_sent_for_an_action_carries_it_out(
    client_as, caseworker, referral_officer, case, partner_action, partner_agency, plan_consent
):
    browser = client_as(caseworker)
    response = browser.post(
        reverse("referrals:referral_new", args=[case.pk]),
        {
            "service": "",
            "to_agency": str(partner_agency.pk),
            "purpose": partner_action.description,
            "urgency": "routine",
            "respond_by": soon(14).isoformat(),
            "message": "",
            "data_categories": ["identity", "integration_plan"],
            "override_reason": "",
            "plan_action": str(partner_action.pk),
            "action": "send",
        },
    )
    referral = Referral.objects.get()
    assert response.status_code == 302, page(response)
    assert referral.plan_action == partner_action
    assert referral.packet.data["integration_plan"]["actions"][0]["id"] == str(partner_action.pk)
    partner_action.refresh_from_db()
    assert (partner_action.referral_state, partner_action.is_referred) == ("sent", True)
    content = page(browser.get(url("case_plan", case.pk)))
    assert "Referred: waiting for the partner's answer." in content
    assert "?plan_action=" not in content  # referred already: no second referral
    assert f"{url('case_detail', case.pk)}#referrals" in content
    # The partner declines: the action is blocked, and the plan says why.
    referral_services.decline_referral(
        actor=referral_officer, referral_id=referral.pk, reason="No lawyer free until autumn"
    )
    content = page(browser.get(url("case_plan", case.pk)))
    assert "The partner declined:" in content
    assert "No lawyer free until autumn" in content
    assert "?plan_action=" in content  # it may be referred again


def test_a_referral_for_another_agency_is_refused_at_the_form(
    client_as, caseworker, case, partner_action, other_agency, plan_consent
):
    response = client_as(caseworker).post(
        reverse("referrals:referral_new", args=[case.pk]),
        {
            "to_agency": str(other_agency.pk),
            "purpose": "Legal advice",
            "urgency": "routine",
            "respond_by": soon(14).isoformat(),
            "data_categories": ["identity"],
            "plan_action": str(partner_action.pk),
            "action": "draft",
        },
    )
    assert response.status_code == 400
    assert "This action is not for the agency you are referring to." in page(response)
    assert not Referral.objects.exists()


# --- The case page's panel and the cost of the pages ---------------------------------------


def test_the_case_page_sums_the_plan_up(client_as, caseworker, case, goal):
    browser = client_as(caseworker)
    action = add_action(caseworker, case, goal, due_on=timezone.localdate())
    add_action(caseworker, case, goal, description="Buy the books")
    late = PlanAction.objects.get(pk=action.pk)
    late.due_on = timezone.localdate() - timedelta(days=3)  # as if scheduled earlier
    late.save(update_fields=["due_on"])
    content = page(browser.get(url("case_detail", case.pk)))
    panel = re.search(r'<section class="card" id="plan".*?</section>', content, re.S)[0]
    assert "v3" in panel
    assert "Version 3 awaits the client's agreement." in panel
    assert re.search(r"<dt>Open actions</dt><dd>2</dd>", panel)
    assert re.search(r'<dt>Overdue actions</dt><dd class="count-overdue">1</dd>', panel)
    assert f'href="{url("case_plan", case.pk)}"' in panel


def test_the_panel_counts_only_the_actions_the_reader_sees(
    client_as, caseworker, second_caseworker, case, goal
):
    add_action(caseworker, case, goal)
    health = add_goal(caseworker, case, domain="health", statement="See a doctor")
    add_action(caseworker, case, health, description="Book the appointment")
    counts = {}
    for user in (caseworker, second_caseworker):
        content = page(client_as(user).get(url("case_detail", case.pk)))
        counts[user.display_name] = re.search(r"<dt>Open actions</dt><dd>(\d+)</dd>", content)[1]
    assert counts == {"Layla Caseworker": "2", "Nour Second": "1"}


def test_the_case_page_without_a_plan_offers_to_draw_it_up(client_as, caseworker, case):
    content = page(client_as(caseworker).get(url("case_detail", case.pk)))
    assert "No plan yet." in content and "Draw up the plan" in content


def _queries(browser, address) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert browser.get(address).status_code == 200
    return len(captured)


def test_the_pages_cost_the_same_with_more_goals_and_actions(
    client_as, caseworker, supervisor, case, goal, partner_action
):
    addresses = (url("case_plan", case.pk), url("case_detail", case.pk))

    def measure() -> dict:
        counts = {}
        for user in (caseworker, supervisor):
            browser = client_as(user)
            for address in addresses:
                browser.get(address)  # warm up: session, content types
                counts[user.display_name, address] = _queries(browser, address)
        return counts

    few = measure()
    for number in range(3):
        more = add_goal(caseworker, case, domain="housing", statement=f"Flat {number}")
        add_action(caseworker, case, more, responsible="staff", responsible_user=supervisor.pk)
        add_action(caseworker, case, more, description="Visit it")
    services.record_plan_agreement(
        actor=caseworker,
        case_id=case.pk,
        plan_version=IntegrationPlan.objects.get(case=case).version,
        method="verbal",
        agreed_at=timezone.now(),
    )
    assert measure() == few


# --- Right to left ------------------------------------------------------------------------


def test_the_plan_in_arabic_isolates_latin_values(client_as, caseworker, case, partner_action):
    caseworker.preferred_language = "ar"
    caseworker.save(update_fields=["preferred_language"])
    html = page(client_as(caseworker).get(url("case_plan", case.pk)))
    assert 'dir="rtl"' in html
    assert_isolated(html, case.number)
    assert_isolated(html, "Casa Comune")
    assert_isolated(html, "Legal advice on the family reunification")


def test_the_plan_in_english_isolates_the_clients_words(client_as, caseworker, case, goal):
    html = page(client_as(caseworker).get(url("case_plan", case.pk)))
    assert_isolated(html, ARABIC_WORDS)
    assert_isolated(html, case.client.name)


class _Headings(HTMLParser):
    def __init__(self):
        super().__init__()
        self.levels = []

    def handle_starttag(self, tag, attrs):
        if re.fullmatch(r"h[1-6]", tag):
            self.levels.append(int(tag[1]))


@pytest.mark.parametrize("name", ["plan_goal_edit", "plan_action_edit"])
def test_the_edit_pages_have_one_heading_and_labelled_fields(
    client_as, caseworker, case, goal, partner_action, name
):
    item = goal if name == "plan_goal_edit" else partner_action
    content = page(client_as(caseworker).get(url(name, case.pk, item.pk)))
    parser = _Headings()
    parser.feed(content)
    assert parser.levels[0] == 1
    for control in re.findall(r"<(?:input|select|textarea)\b[^>]*>", content):
        if 'type="hidden"' in control:
            continue
        control_id = re.search(r'id="([^"]+)"', control)[1]
        assert f'<label for="{control_id}"' in content, control
