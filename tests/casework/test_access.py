"""The list scope and the object check never disagree, for every persona and
every demo case; strangers see nothing."""

import pytest
from django.core.management import call_command
from guardian.shortcuts import assign_perm

from accounts.models import User
from accounts.permissions import Perm
from casework.models import Case, Client
from casework.selectors import cases_visible_to, clients_visible_to, scope_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(db):
    call_command("seed_demo", "--password", "demo pass phrase", "--quiet")


def fresh(user):
    return User.objects.get(pk=user.pk)


def test_scope_and_object_check_agree_for_every_demo_persona_and_case(demo):
    from django.contrib.auth.models import Group

    cases = list(Case.objects.all())
    clients = list(Client.objects.all())
    assert len(cases) >= 30
    assert any(c.is_restricted for c in cases)
    assert any(c.is_restricted for c in clients)
    users = list(User.objects.filter(memberships__isnull=False).distinct())
    assert len(users) == 15
    # Exceptions: a grant to one user, and one to a role group of another agency.
    amal_cases = Case.objects.filter(agency__slug="amal").order_by("number")
    officer = User.objects.get(email="referral_officer@city.example")
    assign_perm(Perm.VIEW_CASE, officer, amal_cases[0])
    assign_perm(Perm.VIEW_CASE, Group.objects.get(name="casa:caseworker"), amal_cases[1])
    for user in users:
        visible = set(cases_visible_to(fresh(user)).values_list("pk", flat=True))
        visible_clients = set(clients_visible_to(fresh(user)).values_list("pk", flat=True))
        for case in cases:
            allowed = fresh(user).has_perm(Perm.VIEW_CASE, case)
            assert (case.pk in visible) == allowed, (user.email, case.number)
        for client in clients:
            allowed = fresh(user).has_perm(Perm.VIEW_CLIENT, client)
            assert (client.pk in visible_clients) == allowed, (user.email, str(client.pk))
    assert amal_cases[0].pk in set(cases_visible_to(fresh(officer)).values_list("pk", flat=True))
    casa_worker = User.objects.get(email="caseworker@casa.example")
    assert amal_cases[1] in cases_visible_to(fresh(casa_worker))


def test_a_grant_on_a_case_shows_neither_its_client_nor_its_notes(case, outsider):
    from casework.selectors import notes_visible_to

    assign_perm(Perm.VIEW_CASE, outsider, case)
    user = fresh(outsider)
    assert case in cases_visible_to(user)
    assert case.client not in clients_visible_to(user)
    assert not user.has_perm(Perm.VIEW_CLIENT, case.client)
    assert not notes_visible_to(user, case).exists()


def test_who_sees_what_in_the_demo(demo):
    def visible(email):
        return cases_visible_to(User.objects.get(email=email))

    amal = Case.objects.filter(agency__slug="amal")
    assert set(visible("supervisor@amal.example")) == set(amal)
    caseworker = User.objects.get(email="caseworker@amal.example")
    expected = {c for c in amal if not c.is_restricted or c.assigned_to_id == caseworker.pk}
    assert set(visible("caseworker@amal.example")) == expected
    for email in (
        "dpo@amal.example",
        "agency_admin@amal.example",
        "referral_officer@amal.example",
        "caseworker@casa.example",
    ):
        assert not visible(email).filter(agency__slug="amal").exists(), email


def test_restricted_case_is_seen_only_by_assignee_and_supervisors(
    restricted_case, caseworker, second_caseworker, supervisor
):
    assert restricted_case in cases_visible_to(fresh(caseworker))
    assert restricted_case in cases_visible_to(fresh(supervisor))
    assert restricted_case not in cases_visible_to(fresh(second_caseworker))
    assert not fresh(second_caseworker).has_perm(Perm.VIEW_CASE, restricted_case)


def test_scope_is_one_query_once_the_grant_shape_is_loaded(
    case, caseworker, django_assert_num_queries
):
    user = fresh(caseworker)
    scope_of(user)
    with django_assert_num_queries(1):
        list(cases_visible_to(user)[:50])
    with django_assert_num_queries(1):
        assert cases_visible_to(user).count() == 1


def test_stranger_and_roles_without_casework_see_nothing(
    case, outsider, dpo, agency_admin, referral_officer
):
    for user in (outsider, dpo, agency_admin, referral_officer):
        assert not cases_visible_to(fresh(user)).exists()
        assert not clients_visible_to(fresh(user)).exists()
        assert not fresh(user).has_perm(Perm.VIEW_CASE, case)


def test_a_platform_superuser_gets_no_implicit_access(case):
    root = User.objects.create_superuser("root@test.example", "x" * 20, display_name="Root")
    assert not root.has_perm(Perm.VIEW_CASE, case)
    assert not cases_visible_to(root).exists()


def test_special_category_permission(
    case, restricted_case, caseworker, second_caseworker, supervisor
):
    client = case.client
    assert fresh(supervisor).has_perm(Perm.VIEW_SENSITIVE, client)
    assert fresh(caseworker).has_perm(Perm.VIEW_SENSITIVE, client)  # assigned to its case
    assert not fresh(second_caseworker).has_perm(Perm.VIEW_SENSITIVE, client)
    assert not fresh(second_caseworker).has_perm(Perm.VIEW_SENSITIVE, case)


def test_a_client_whose_cases_are_all_restricted_is_hidden_like_them(
    supervisor, caseworker, second_caseworker
):
    from casework import services
    from tests.factories import make_case, make_client

    client = make_client(supervisor, name="Hidden Person")
    case = make_case(supervisor, client, assigned_to=caseworker, is_restricted=True)
    client.refresh_from_db()
    assert client.is_restricted
    assert client in clients_visible_to(fresh(caseworker))
    assert client in clients_visible_to(fresh(supervisor))
    assert client not in clients_visible_to(fresh(second_caseworker))
    assert not fresh(second_caseworker).has_perm(Perm.VIEW_CLIENT, client)
    # Lifting the restriction shows the client again.
    services.set_case_restricted(actor=supervisor, case_id=case.pk, restricted=False)
    client.refresh_from_db()
    assert not client.is_restricted
    assert client in clients_visible_to(fresh(second_caseworker))


def test_a_role_change_forgets_the_scope_cached_on_the_user(
    agency, agency_admin, second_caseworker, restricted_case
):
    from accounts.models import Membership
    from accounts.permissions import Role
    from accounts.selectors import forget_cached_permissions
    from accounts.services import change_member_role
    from casework.backends import BREAK_GLASS_CACHE_ATTR
    from casework.selectors.scope import USER_CACHE_ATTRS

    user = fresh(second_caseworker)
    assert restricted_case not in cases_visible_to(user)
    assert not clients_visible_to(user).filter(pk=restricted_case.client_id).exists()
    assert not user.has_perm(Perm.VIEW_CASE, restricted_case)
    for attr in (*USER_CACHE_ATTRS, BREAK_GLASS_CACHE_ATTR):
        assert hasattr(user, attr), attr

    membership = Membership.objects.get(user=user, agency=agency, is_active=True)
    change_member_role(
        actor=agency_admin, agency=agency, membership_id=membership.pk, role=Role.SUPERVISOR
    )
    # What the service does to its own copy of the user: casework registered its
    # caches with accounts, which names none of them.
    forget_cached_permissions(user)

    for attr in (*USER_CACHE_ATTRS, BREAK_GLASS_CACHE_ATTR):
        assert not hasattr(user, attr), attr
    assert restricted_case in cases_visible_to(user)
    assert clients_visible_to(user).filter(pk=restricted_case.client_id).exists()
    assert user.has_perm(Perm.VIEW_CASE, restricted_case)
