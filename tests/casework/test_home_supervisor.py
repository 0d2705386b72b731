"""The supervisor's section of the home page (issue 11): the team, one line per
caseworker, with open cases, high-risk ones, those with overdue follow-ups
and those without activity; the cases assigned to no one; the totals. Every
number links to the case list filtered to exactly those cases: each count is
checked against the rows its link shows, on the page and in the API."""

import html
import re
from datetime import timedelta
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.db import connection, transaction
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts import services as accounts_services
from accounts.audit import save_with_history
from accounts.models import Membership
from accounts.permissions import Role
from accounts.selectors import memberships_of
from casework import services
from casework.home import supervisor_context
from casework.models import CaseNote, FollowUp
from casework.services.cases import save_new_case
from tests.factories import make_case, make_client, make_document, make_follow_up, make_member
from tests.helpers import error_fields, field_errors, ids, page

pytestmark = pytest.mark.django_db

HOME = "/"
CASES = reverse("casework:case_list")

# A number of the team table: its column (data-label), link and count.
CELL = re.compile(r'<td class="number" data-label="([^"]*)"><a href="([^"]*)">(\d+)<span', re.S)


def days_ago(days: int):
    return timezone.now() - timedelta(days=days)


def opened_long_ago(monkeypatch, actor, days: int = 30, **data):
    """A case opened ``days`` ago and not touched since (``updated_at`` is then)."""
    real_now = timezone.now
    then = real_now() - timedelta(days=days)
    monkeypatch.setattr(timezone, "now", lambda: then)
    try:
        return make_case(actor, **data)
    finally:
        monkeypatch.setattr(timezone, "now", real_now)


def unassigned_case(actor, client, **data):
    """A case assigned to no one (as an import leaves it): written the way
    open_case writes one, without an assignee."""
    fields = {"case_type": "housing", "reason": "imported"}
    fields.update(data)
    with transaction.atomic():
        return save_new_case(actor=actor, client=client, assigned_to=None, **fields)


@pytest.fixture
def team(monkeypatch, agency, agency_admin, supervisor, caseworker, second_caseworker):
    """Layla (caseworker) and Nour (second_caseworker) with cases in every
    state; Zaid, a caseworker without cases; Dana, who left with a case;
    two cases assigned to no one. The counts each line must show, at the
    default 14 days without activity, are in ``expected``."""
    past = timezone.now().date() - timedelta(days=3)
    idle = make_member(agency, Role.CASEWORKER, display_name="Zaid Idle")
    departed = make_member(agency, Role.CASEWORKER, display_name="Dana Departed")
    client = make_client(caseworker)

    # Layla: 3 open (2 at high or critical risk, 1 overdue, 1 inactive), one
    # closed and one on hold with overdue follow-ups (not open: not counted).
    late = make_case(caseworker, client, risk_level="high")
    make_follow_up(caseworker, late, title="Call back", due_on=past)
    critical = make_case(caseworker, client, risk_level="critical")
    forgotten = opened_long_ago(monkeypatch, caseworker, client=client, risk_level="low")
    closed = make_case(caseworker, client, risk_level="high")
    make_follow_up(caseworker, closed, title="Never done", due_on=past)
    services.close_case(actor=caseworker, case_id=closed.pk, closure_reason="goals_met")
    paused = make_case(caseworker, client, risk_level="high")
    make_follow_up(caseworker, paused, title="Waiting", due_on=past)
    services.put_case_on_hold(actor=caseworker, case_id=paused.pk, reason="travelling")

    # Nour: 3 open (1 restricted at high risk), a follow-up done after its date,
    # an old case with a note written today (activity).
    done = make_case(supervisor, client, assigned_to=second_caseworker)
    follow_up = make_follow_up(second_caseworker, done, title="Done late", due_on=past)
    services.complete_follow_up(actor=second_caseworker, case_id=done.pk, follow_up_id=follow_up.pk)
    noted = opened_long_ago(monkeypatch, supervisor, client=client, assigned_to=second_caseworker)
    services.add_note(actor=second_caseworker, case_id=noted.pk, body="Phoned today.")
    restricted = make_case(
        supervisor, client, assigned_to=second_caseworker, is_restricted=True, risk_level="high"
    )

    # Dana keeps one open case after leaving.
    make_case(supervisor, client, assigned_to=departed)
    membership = Membership.objects.get(agency=agency, user=departed)
    accounts_services.deactivate_member(
        actor=agency_admin, agency=agency, membership_id=membership.pk
    )

    # Two open cases assigned to no one, one of them untouched for a month.
    unassigned_case(supervisor, client)
    real_now = timezone.now
    monkeypatch.setattr(timezone, "now", lambda: real_now() - timedelta(days=30))
    try:
        unassigned_case(supervisor, client, risk_level="critical")
    finally:
        monkeypatch.setattr(timezone, "now", real_now)

    return {
        "idle": idle,
        "departed": departed,
        "cases": {
            "late": late,
            "critical": critical,
            "forgotten": forgotten,
            "closed": closed,
            "paused": paused,
            "done": done,
            "noted": noted,
            "restricted": restricted,
        },
        # name: (open, high or critical risk, overdue, inactive)
        "expected": {
            "Layla Caseworker": (3, 2, 1, 1),
            "Nour Second": (3, 1, 0, 0),
            "Zaid Idle": (0, 0, 0, 0),
            "Dana Departed": (1, 0, 0, 0),
            "Not assigned": (2, 1, 0, 1),
            "Team total": (9, 4, 1, 2),
        },
    }


def team_lines(content: str) -> dict[str, list[tuple[str, str, int]]]:
    """{line name: [(column, link, count), …]} of the team table(s) on a page."""
    lines = {}
    for row in re.findall(r"<tr[^>]*data-row=\"[^\"]*\"[^>]*>(.*?)</tr>", content, re.S):
        name = re.search(r"<bdi>(.*?)</bdi>", row, re.S).group(1)
        cells = [
            (html.unescape(label), html.unescape(link), int(count))
            for label, link, count in CELL.findall(row)
        ]
        lines[html.unescape(name)] = cells
    return lines


def rows_on_list(browser, link: str) -> int:
    response = browser.get(link)
    assert response.status_code == 200, link
    return page(response).count('scope="row"')


API_NAMES = {"overdue": "overdue_follow_ups"}


def rows_in_api(api, link: str) -> int:
    """The same filters asked of GET /api/v1/cases/ (flags as true)."""
    params = {}
    for name, value in parse_qsl(urlsplit(link).query):
        params[API_NAMES.get(name, name)] = "true" if value == "on" else value
    response = api.get("/api/v1/cases/", {**params, "page_size": 100})
    assert response.status_code == 200, response.content
    return len(ids(response))


# --- What the supervisor sees -------------------------------------------------------


def test_each_line_counts_its_caseworkers_open_cases(team, supervisor, client_as):
    content = page(client_as(supervisor).get(HOME))
    assert 'aria-labelledby="home-supervisor-heading"' in content
    lines = team_lines(content)
    assert {name: tuple(count for _c, _l, count in cells) for name, cells in lines.items()} == (
        team["expected"]
    )
    # The lines are the caseworkers by name, then no one, then the totals.
    assert list(lines) == [
        "Dana Departed",
        "Layla Caseworker",
        "Nour Second",
        "Zaid Idle",
        "Not assigned",
        "Team total",
    ]
    assert "no longer an active member" in content
    assert "Omar Supervisor" not in lines  # holds no case, not a caseworker
    assert "2 open cases are assigned to no one." in content


def test_every_number_is_the_number_of_rows_of_the_list_it_links_to(
    team, supervisor, client_as, as_user
):
    browser = client_as(supervisor)
    lines = team_lines(page(browser.get(HOME)))
    checked = 0
    for name, cells in lines.items():
        assert len(cells) == 4, name
        for column, link, count in cells:
            assert link.startswith(CASES + "?")
            assert rows_on_list(browser, link) == count, (name, column, link)
            checked += 1
    assert checked == 6 * 4
    api = as_user(supervisor)
    for name, cells in lines.items():
        for column, link, count in cells:
            assert rows_in_api(api, link) == count, (name, column, link)


def test_the_links_name_the_agency_the_person_and_the_condition(team, supervisor, client_as):
    lines = team_lines(page(client_as(supervisor).get(HOME)))
    layla = dict(parse_qsl(urlsplit(lines["Layla Caseworker"][2][1]).query))
    assert layla == {
        "agency": "amal",
        "status": "open",
        "assignee": str(team["cases"]["late"].assigned_to_id),
        "overdue": "on",
    }
    nobody = dict(parse_qsl(urlsplit(lines["Not assigned"][3][1]).query))
    assert nobody == {
        "agency": "amal",
        "status": "open",
        "assignee": "unassigned",
        "inactive": "on",
    }
    total = dict(parse_qsl(urlsplit(lines["Team total"][1][1]).query))
    assert total == {"agency": "amal", "status": "open", "high_risk": "on"}


def test_the_agency_setting_decides_what_is_inactive(
    team, supervisor, agency_admin, agency, client_as
):
    accounts_services.set_agency_inactivity_days(
        actor=agency_admin, agency=agency, inactivity_days=40
    )
    browser = client_as(supervisor)
    content = page(browser.get(HOME))
    lines = team_lines(content)
    assert [cells[3][2] for cells in lines.values()] == [0, 0, 0, 0, 0, 0]
    assert "No activity for 40 days" in content
    assert rows_on_list(browser, CASES + "?inactive=on") == 0


def test_the_columns_are_labelled_for_stacked_rows(team, supervisor, client_as):
    content = page(client_as(supervisor).get(HOME))
    table = re.search(r'<table class="team-table">.*?</table>', content, re.S).group(0)
    cells = re.findall(r"<td\b[^>]*>", table)
    assert cells and all("data-label=" in cell for cell in cells)
    assert {label for label, _link, _count in CELL.findall(table)} == {
        "Open cases",
        "High or critical risk",
        "With overdue follow-ups",
        "No activity for 14 days",
    }


def test_a_caseworker_does_not_see_the_team(team, caseworker, client_as):
    content = page(client_as(caseworker).get(HOME))
    assert "home-supervisor-heading" not in content
    assert "team-table" not in content


def test_a_supervisor_of_another_agency_sees_only_their_own(
    team, foreign_supervisor, outsider, other_agency, client_as, as_user
):
    theirs = make_case(outsider, risk_level="critical")
    browser = client_as(foreign_supervisor)
    content = page(browser.get(HOME))
    lines = team_lines(content)
    assert {name: [count for _c, _l, count in cells] for name, cells in lines.items()} == {
        "Paolo Outsider": [1, 1, 0, 0],
        "Not assigned": [0, 0, 0, 0],
        "Team total": [1, 1, 0, 0],
    }
    assert "Layla Caseworker" not in content and 'data-agency="amal"' not in content
    # Their links show their case; the other agency is not one they may filter by.
    assert theirs.number in page(browser.get(lines["Team total"][0][1]))
    refused = browser.get(CASES, {"agency": "amal"})
    assert refused.status_code == 400  # not one of their agencies
    assert ids(as_user(foreign_supervisor).get("/api/v1/cases/", {"agency": "amal"})) == []


def test_a_supervisor_of_two_agencies_sees_a_table_for_each(
    team, supervisor, other_agency, outsider, client_as
):
    make_member(other_agency, Role.SUPERVISOR, user=supervisor)
    make_case(outsider)
    content = page(client_as(supervisor).get(HOME))
    assert content.count('<table class="team-table">') == 2
    assert 'data-agency="amal"' in content and 'data-agency="city"' in content
    assert "Paolo Outsider" in content


def test_the_agency_admin_is_offered_to_change_the_days(
    team, supervisor, agency, agency_admin, client_as
):
    change = reverse("accounts:team", args=[agency.slug]) + "#agency-inactivity"
    assert change not in page(client_as(supervisor).get(HOME))
    make_member(agency, Role.SUPERVISOR, user=agency_admin)
    assert change in page(client_as(agency_admin).get(HOME))


# --- The case list's filters ---------------------------------------------------------


def test_the_overdue_filter_leaves_closed_cases_out(team, supervisor, client_as, as_user):
    cases = team["cases"]
    content = page(client_as(supervisor).get(CASES, {"overdue": "on"}))
    assert cases["late"].number in content
    assert cases["paused"].number in content  # on hold: still to do
    assert cases["closed"].number not in content
    api = as_user(supervisor)
    found = set(ids(api.get("/api/v1/cases/", {"overdue_follow_ups": "true"})))
    assert found == {str(cases["late"].pk), str(cases["paused"].pk)}


def test_activity_is_a_change_a_note_a_follow_up_or_a_document(
    monkeypatch, supervisor, caseworker, client_record, client_as, as_user
):
    untouched = opened_long_ago(monkeypatch, caseworker, client=client_record)
    edited = opened_long_ago(monkeypatch, caseworker, client=client_record)
    services.update_case(
        actor=caseworker, case_id=edited.pk, expected_version=1, changes={"summary": "New"}
    )
    noted = opened_long_ago(monkeypatch, caseworker, client=client_record)
    services.add_note(actor=caseworker, case_id=noted.pk, body="Met today.")
    planned = opened_long_ago(monkeypatch, caseworker, client=client_record)
    make_follow_up(caseworker, planned, due_on=timezone.now().date() + timedelta(days=2))
    filed = opened_long_ago(monkeypatch, caseworker, client=client_record)
    make_document(caseworker, filed)
    closed = opened_long_ago(monkeypatch, caseworker, client=client_record)
    services.close_case(actor=caseworker, case_id=closed.pk, closure_reason="goals_met")
    recent = opened_long_ago(monkeypatch, caseworker, days=13, client=client_record)

    content = page(client_as(supervisor).get(CASES, {"inactive": "on"}))
    assert content.count('scope="row"') == 1
    assert untouched.number in content
    api = as_user(supervisor)
    assert ids(api.get("/api/v1/cases/", {"inactive": "true"})) == [str(untouched.pk)]
    assert recent.number not in content


def test_old_notes_and_follow_ups_are_not_activity_but_one_done_today_is(
    monkeypatch, supervisor, caseworker, client_record, client_as
):
    old = opened_long_ago(monkeypatch, caseworker, client=client_record)
    then = days_ago(20)
    # Written as they would have been 20 days ago (the services stamp now).
    note = CaseNote(case=old, author=caseworker, body="Old note", created_at=then)
    save_with_history(note, actor=caseworker)
    follow_up = FollowUp(
        case=old,
        title="Visit",
        due_on=then.date() + timedelta(days=30),
        assigned_to=caseworker,
        created_by=caseworker,
        created_at=then,
    )
    save_with_history(follow_up, actor=caseworker)
    browser = client_as(supervisor)
    assert old.number in page(browser.get(CASES, {"inactive": "on"}))
    services.complete_follow_up(actor=caseworker, case_id=old.pk, follow_up_id=follow_up.pk)
    assert old.number not in page(browser.get(CASES, {"inactive": "on"}))


def test_the_assignee_and_agency_filters(team, supervisor, caseworker, client_as, as_user):
    browser = client_as(supervisor)
    mine = page(browser.get(CASES, {"assignee": str(caseworker.pk)}))
    assert mine.count('scope="row"') == 5  # every status
    nobody = page(browser.get(CASES, {"assignee": "unassigned", "agency": "amal"}))
    assert nobody.count('scope="row"') == 2
    # The departed caseworker is offered by name, marked as no longer active.
    departed = page(browser.get(CASES, {"assignee": str(team["departed"].pk)}))
    assert "Dana Departed (no longer active)" in departed
    assert departed.count('scope="row"') == 1
    api = as_user(supervisor)
    assert len(ids(api.get("/api/v1/cases/", {"assignee": str(caseworker.pk)}))) == 5
    assert len(ids(api.get("/api/v1/cases/", {"assignee": "unassigned"}))) == 2
    assert len(ids(api.get("/api/v1/cases/", {"agency": "amal", "high_risk": "true"}))) == 6


@pytest.mark.parametrize(
    "name, value",
    [
        ("assignee", "nobody"),
        ("assignee", "00000000-0000-0000-0000-000000000000"),
        ("agency", "nowhere"),
        ("high_risk", "maybe"),
        ("inactive", "2"),
        ("overdue", "soon"),
        ("mine", "perhaps"),
        ("status", "lost"),
    ],
)
def test_a_bad_filter_on_the_page_is_a_400_next_to_the_field(
    caseworker, case, client_as, name, value
):
    response = client_as(caseworker).get(CASES, {name: value})
    assert response.status_code == 400
    content = page(response)
    assert field_errors(content, f"id_{name}")
    assert case.number not in content


@pytest.mark.parametrize(
    "name, value",
    [
        ("assignee", "nobody"),
        ("assignee", ""),
        ("agency", "no such agency"),
        ("agency", ""),
        ("agency", "a" * 21),
        ("high_risk", "maybe"),
        ("inactive", "2"),
    ],
)
def test_a_bad_filter_in_the_api_is_a_400_naming_it(caseworker, as_user, name, value):
    response = as_user(caseworker).get("/api/v1/cases/", {name: value})
    assert error_fields(response) == {name}


def test_an_unknown_agency_or_person_in_the_api_finds_nothing(caseworker, case, as_user):
    api = as_user(caseworker)
    assert ids(api.get("/api/v1/cases/", {"agency": "nowhere"})) == []
    nobody = "00000000-0000-0000-0000-000000000000"
    assert ids(api.get("/api/v1/cases/", {"assignee": nobody})) == []
    assert ids(api.get("/api/v1/cases/", {"agency": "amal"})) == [str(case.pk)]


def test_the_schema_documents_the_new_filters(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    parameters = {
        parameter["name"]: parameter["schema"]
        for parameter in schema["paths"]["/api/v1/cases/"]["get"]["parameters"]
    }
    assert parameters["high_risk"]["type"] == "boolean"
    assert parameters["inactive"]["type"] == "boolean"
    assert parameters["agency"]["maxLength"] == 20
    assert re.fullmatch(parameters["agency"]["pattern"].strip("^$"), "amal-2")
    assert not re.fullmatch(parameters["agency"]["pattern"].strip("^$"), "no such")
    assert parameters["assignee"]["anyOf"] == [
        {"type": "string", "format": "uuid"},
        {"type": "string", "enum": ["unassigned"], "x-enum-varnames": ["UNASSIGNED"]},
    ]


# --- Cost ----------------------------------------------------------------------------


def _section_queries(supervisor) -> int:
    request = RequestFactory().get(HOME)
    request.user = type(supervisor).objects.get(pk=supervisor.pk)
    memberships = [m for m in memberships_of(request.user) if m.role == Role.SUPERVISOR]
    with CaptureQueriesContext(connection) as queries:
        context = supervisor_context(request, memberships)
    assert context["teams"]
    return len(queries)


def test_the_section_costs_the_same_whatever_the_size_of_the_team(
    agency, supervisor, caseworker, client_record, django_assert_max_num_queries
):
    make_case(caseworker, client_record)
    small = _section_queries(supervisor)
    for n in range(8):
        person = make_member(agency, Role.CASEWORKER, display_name=f"Caseworker {n}")
        make_case(supervisor, client_record, assigned_to=person, risk_level="high")
    assert _section_queries(supervisor) == small
    request = RequestFactory().get(HOME)
    request.user = type(supervisor).objects.get(pk=supervisor.pk)
    memberships = [m for m in memberships_of(request.user) if m.role == Role.SUPERVISOR]
    with django_assert_max_num_queries(5):
        supervisor_context(request, memberships)


def test_the_home_page_costs_the_same_whatever_the_size_of_the_team(
    agency, supervisor, caseworker, client_record, client_as
):
    make_case(caseworker, client_record)
    browser = client_as(supervisor)
    browser.get(HOME)  # warm up: session, content types
    with CaptureQueriesContext(connection) as small:
        assert browser.get(HOME).status_code == 200
    for n in range(6):
        person = make_member(agency, Role.CASEWORKER, display_name=f"Caseworker {n}")
        make_case(supervisor, client_record, assigned_to=person)
    with CaptureQueriesContext(connection) as large:
        content = page(browser.get(HOME))
    assert content.count('data-row="person"') == 7
    assert len(large) == len(small)


# --- Integration plans that need attention ----------------------------------------------


def _plan_with_action(actor, case, *, due_in_days=10):
    goal = services.add_goal(
        actor=actor, case_id=case.pk, domain="housing", statement="Find a flat"
    )
    return services.add_action(
        actor=actor,
        case_id=case.pk,
        goal_id=goal.pk,
        description="Visit the housing office",
        responsible="client",
        due_on=timezone.localdate() + timedelta(days=due_in_days),
    )


def _stall(action, days: int) -> None:
    from casework.models import PlanAction

    action = PlanAction.objects.get(pk=action.pk)
    action.progressed_at = timezone.now() - timedelta(days=days)
    with transaction.atomic():
        save_with_history(action, actor=None, reason="test", update_fields=["progressed_at"])


def test_stalled_and_overdue_plans_are_on_the_supervisors_home(
    agency, supervisor, caseworker, client_record, client_as, settings
):
    settings.PLAN_STALLED_DAYS = 30
    fresh = make_case(caseworker, client_record)
    _plan_with_action(caseworker, fresh)
    stalled_case = make_case(caseworker, client_record)
    _stall(_plan_with_action(caseworker, stalled_case), days=31)
    content = page(client_as(supervisor).get(HOME))
    section = content.split('aria-labelledby="plans-attention-heading"')[1].split("</section>")[0]
    plan_url = reverse("casework:case_plan", args=[stalled_case.pk])
    assert f'href="{plan_url}"' in section
    assert stalled_case.number in section and fresh.number not in section
    assert "nobody moved on for 30 days" in section
    # Caseworkers have no team section, so no such list.
    assert "plans-attention-heading" not in page(client_as(caseworker).get(HOME))


def test_the_plans_section_costs_the_same_whatever_the_number_of_plans(
    agency, supervisor, caseworker, client_record
):
    _stall(_plan_with_action(caseworker, make_case(caseworker, client_record)), days=40)
    small = _section_queries(supervisor)
    for _n in range(4):
        _stall(_plan_with_action(caseworker, make_case(caseworker, client_record)), days=40)
    assert _section_queries(supervisor) == small
