"""Who may take a case, listed for whoever chooses: the receiving agency's
officer opening its case from a referral (``/referrals/{id}/assignees/``)
and a supervisor assigning the agency's cases (``/agencies/{slug}/staff/``).
Each list is exactly whom the service accepts: every id listed is taken,
everyone left out is refused. Whoever may not choose gets the answer the
action gives them (404 unseen, 403 seen without the permission)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts import services as account_services
from accounts.models import AccessLog, Membership
from accounts.permissions import Role
from casework.models import Case
from tests.factories import make_case, make_consent, make_member, make_referral
from tests.helpers import assert_problem, error_fields

pytestmark = pytest.mark.django_db

REFERRALS = "/api/v1/referrals/"


def assignees_url(referral) -> str:
    return f"{REFERRALS}{referral.pk}/assignees/"


def staff_url(slug: str) -> str:
    return f"/api/v1/agencies/{slug}/staff/"


def listed(response) -> list[tuple[str, str]]:
    """(display name, role) of every row of the page, in order."""
    assert response.status_code == 200, response.content
    return [(row["display_name"], row["role"]) for row in response.json()["results"]]


def deactivate(agency, user) -> None:
    admin = Membership.objects.filter(agency=agency, role=Role.AGENCY_ADMIN).first().user
    membership = Membership.objects.get(agency=agency, user=user)
    account_services.deactivate_member(actor=admin, agency=agency, membership_id=membership.pk)


@pytest.fixture
def partner_staff(partner_agency, other_agency, partner_caseworker, referral_officer):
    """Casa's people: who may take a case (a caseworker, a supervisor, one who
    is both) and who may not (the referral officer, the DPO, the
    administrator, a caseworker who left, one who left Casa but works at
    City), and a caseworker of City."""
    supervisor = make_member(partner_agency, Role.SUPERVISOR, display_name="Bianca Supervisor")
    both = make_member(partner_agency, Role.CASEWORKER, display_name="Anna Both")
    make_member(partner_agency, Role.SUPERVISOR, user=both)
    gone = make_member(partner_agency, Role.CASEWORKER, display_name="Dario Gone")
    deactivate(partner_agency, gone)
    moved = make_member(partner_agency, Role.CASEWORKER, display_name="Elena Moved")
    make_member(other_agency, Role.CASEWORKER, user=moved)
    deactivate(partner_agency, moved)
    return {
        "caseworker": partner_caseworker,
        "supervisor": supervisor,
        "both": both,
        "officer": referral_officer,
        "dpo": make_member(partner_agency, Role.DPO, display_name="Fabio DPO"),
        "gone": gone,
        "moved": moved,
        "stranger": make_member(other_agency, Role.CASEWORKER, display_name="Gino Stranger"),
    }


@pytest.fixture
def sent(caseworker, case, consent, partner_agency, referral_officer):
    return make_referral(caseworker, case, partner_agency)


def accepted_referral(caseworker, partner_agency, referral_officer, api):
    """A fresh referral of a new client to Casa, accepted by its officer."""
    case = make_case(caseworker)
    make_consent(
        caseworker,
        case.client,
        recipient_agencies=[partner_agency],
        data_categories=["identity", "contact", "legal_status"],
    )
    referral = make_referral(caseworker, case, partner_agency)
    assert api.post(f"{REFERRALS}{referral.pk}/accept/", {}).status_code == 200
    return referral


def open_case(api, referral, user):
    return api.post(
        f"{REFERRALS}{referral.pk}/open-case/", {"assigned_to": str(user.pk)}, format="json"
    )


# --- The referral's assignees -----------------------------------------------------------


def test_the_officer_lists_the_receiving_agencys_caseworkers_and_supervisors(
    as_user, sent, partner_staff
):
    answer = as_user(partner_staff["officer"]).get(assignees_url(sent))
    assert listed(answer) == [
        ("Anna Both", "supervisor"),  # a caseworker too: one row
        ("Bianca Supervisor", "supervisor"),
        ("Marco Partner", "caseworker"),
    ]
    assert set(answer.json()["results"][0]) == {"id", "display_name", "role"}


def test_every_one_listed_may_take_the_case_and_no_one_else(
    as_user, sent, partner_staff, caseworker, partner_agency
):
    api = as_user(partner_staff["officer"])
    listed_ids = {row["id"] for row in api.get(assignees_url(sent)).json()["results"]}
    assert listed_ids == {
        str(partner_staff[name].pk) for name in ("caseworker", "supervisor", "both")
    }
    for user_id in sorted(listed_ids):
        referral = accepted_referral(caseworker, partner_agency, partner_staff["officer"], api)
        response = api.post(
            f"{REFERRALS}{referral.pk}/open-case/", {"assigned_to": user_id}, format="json"
        )
        assert response.status_code == 201, response.content
        case = Case.objects.get(pk=response.json()["case"]["id"])
        assert str(case.assigned_to_id) == user_id
    refused = accepted_referral(caseworker, partner_agency, partner_staff["officer"], api)
    for name in ("officer", "dpo", "gone", "moved", "stranger"):
        response = open_case(api, refused, partner_staff[name])
        assert error_fields(response) == {"assigned_to"}, name
    assert open_case(api, refused, partner_staff["caseworker"]).status_code == 201


def test_a_receiving_supervisor_lists_them_too(as_user, sent, partner_staff):
    names = [
        name
        for name, _role in listed(as_user(partner_staff["supervisor"]).get(assignees_url(sent)))
    ]
    assert names == ["Anna Both", "Bianca Supervisor", "Marco Partner"]


def test_the_list_is_there_before_and_after_the_case_is_opened(as_user, sent, partner_staff):
    api = as_user(partner_staff["officer"])
    assert len(listed(api.get(assignees_url(sent)))) == 3  # sent, not yet accepted
    assert api.post(f"{REFERRALS}{sent.pk}/accept/", {}).status_code == 200
    assert open_case(api, sent, partner_staff["caseworker"]).status_code == 201
    assert len(listed(api.get(assignees_url(sent)))) == 3


def test_whoever_may_not_open_the_case_gets_what_open_case_answers(
    as_user, sent, partner_staff, caseworker, supervisor, outsider, partner_caseworker
):
    # The sending side sees the referral but may not answer it: 403, as open-case.
    for user in (caseworker, supervisor):
        api = as_user(user)
        assert_problem(api.get(assignees_url(sent)), 403)
        assert_problem(open_case(api, sent, partner_caseworker), 403)
    # Those who do not see it (a stranger, Casa's DPO, Casa's caseworker
    # before a case is theirs): 404, as open-case.
    for user in (outsider, partner_staff["dpo"], partner_caseworker):
        api = as_user(user)
        assert_problem(api.get(assignees_url(sent)), 404)
        assert_problem(open_case(api, sent, partner_caseworker), 404)
    assert_problem(
        as_user(partner_staff["officer"]).get(
            f"{REFERRALS}00000000-0000-0000-0000-000000000000/assignees/"
        ),
        404,
    )


def test_a_declined_referral_is_no_longer_the_partners(as_user, sent, partner_staff):
    api = as_user(partner_staff["officer"])
    assert api.post(f"{REFERRALS}{sent.pk}/decline/", {"reason": "Full."}).status_code == 200
    assert_problem(api.get(assignees_url(sent)), 404)


# --- The agency's staff -------------------------------------------------------------------


@pytest.fixture
def amal_staff(agency, other_agency, caseworker, supervisor, second_caseworker, dpo):
    left = make_member(agency, Role.CASEWORKER, display_name="Zaid Left")
    deactivate(agency, left)
    return {"left": left}


def logged_reads() -> int:
    return AccessLog.objects.exclude(action__in=["login", "logout"]).count()


def test_a_supervisor_lists_who_may_be_assigned_the_agencys_cases(
    as_user, supervisor, amal_staff, partner_staff
):
    api = as_user(supervisor)
    before = logged_reads()
    answer = api.get(staff_url("amal"))
    # Staff names and roles: no client data, nothing for the access log.
    assert logged_reads() == before
    assert listed(answer) == [
        ("Layla Caseworker", "caseworker"),
        ("Nour Second", "caseworker"),
        ("Omar Supervisor", "supervisor"),
    ]


def test_every_one_listed_may_be_assigned_a_case_and_no_one_else(
    as_user, supervisor, case, amal_staff, dpo, outsider, agency_admin
):
    api = as_user(supervisor)
    listed_ids = [row["id"] for row in api.get(staff_url("amal")).json()["results"]]
    assert len(listed_ids) == 3
    for user_id in listed_ids:
        response = api.post(
            f"/api/v1/cases/{case.pk}/assign/", {"assignee": user_id}, format="json"
        )
        assert response.status_code == 200, response.content
        case.refresh_from_db()
        assert str(case.assigned_to_id) == user_id
    for user in (dpo, agency_admin, outsider, amal_staff["left"]):
        response = api.post(
            f"/api/v1/cases/{case.pk}/assign/", {"assignee": str(user.pk)}, format="json"
        )
        assert error_fields(response) == {"assignee"}


def test_only_who_assigns_the_agencys_cases_lists_its_staff(
    as_user, amal_staff, caseworker, dpo, agency_admin, partner_staff, outsider, foreign_supervisor
):
    # Members without ASSIGN_CASE: 403.
    for user in (caseworker, dpo, agency_admin):
        assert_problem(as_user(user).get(staff_url("amal")), 403)
    # A partner's officer or supervisor, another agency's people: 404 (not theirs).
    for user in (
        partner_staff["officer"],
        partner_staff["supervisor"],
        outsider,
        foreign_supervisor,
    ):
        assert_problem(as_user(user).get(staff_url("amal")), 404)
    assert_problem(as_user(partner_staff["officer"]).get(staff_url("casa")), 403)
    assert_problem(as_user(partner_staff["supervisor"]).get(staff_url("nowhere")), 404)
    # Casa's supervisor lists Casa's, not Amal's.
    names = {
        name for name, _role in listed(as_user(partner_staff["supervisor"]).get(staff_url("casa")))
    }
    assert names == {"Anna Both", "Bianca Supervisor", "Marco Partner"}


# --- Pages --------------------------------------------------------------------------------


def test_pages_follow_display_name_then_id(as_user, sent, partner_staff, partner_agency):
    twins = sorted(
        [
            make_member(partner_agency, Role.CASEWORKER, display_name="Carla Twin"),
            make_member(partner_agency, Role.CASEWORKER, display_name="Carla Twin"),
        ],
        key=lambda user: str(user.pk),
    )
    api = as_user(partner_staff["officer"])
    seen, address = [], f"{assignees_url(sent)}?page_size=2"
    while address:
        body = api.get(address).json()
        assert len(body["results"]) <= 2
        seen += [row["id"] for row in body["results"]]
        address = body["next"]
    everything = [row["id"] for row in api.get(assignees_url(sent)).json()["results"]]
    assert seen == everything
    assert everything[2:4] == [str(twin.pk) for twin in twins]
    assert error_fields(api.get(assignees_url(sent), {"cursor": "nope"})) == {"cursor"}


def test_a_page_costs_the_same_queries_whatever_its_size(as_user, sent, partner_staff):
    api = as_user(partner_staff["officer"])
    api.get(assignees_url(sent))
    counts = []
    for size in (1, 3):
        with CaptureQueriesContext(connection) as queries:
            assert len(listed(api.get(assignees_url(sent), {"page_size": size}))) == size
        counts.append(len(queries))
    assert counts[0] == counts[1]
