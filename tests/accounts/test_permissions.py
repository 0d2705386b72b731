import pytest

from accounts.models import RoleGroup
from accounts.permissions import ROLE_PERMISSIONS, Perm, Role

pytestmark = pytest.mark.django_db


def test_creating_an_agency_creates_one_group_per_role(agency):
    groups = RoleGroup.objects.filter(agency=agency).select_related("group")
    assert {g.role for g in groups} == set(Role.values)
    for role_group in groups:
        granted = {
            f"{p.content_type.app_label}.{p.codename}"
            for p in role_group.group.permissions.select_related("content_type")
        }
        assert granted == {str(p) for p in ROLE_PERMISSIONS[role_group.role]}


def test_role_permissions_hold_only_in_the_role_agency(agency_admin, agency, other_agency):
    assert agency_admin.has_perm(Perm.MANAGE_MEMBERS, agency)
    assert not agency_admin.has_perm(Perm.MANAGE_MEMBERS, other_agency)


def test_every_vocabulary_permission_exists():
    from django.contrib.auth.models import Permission

    for perm in Perm:
        assert Permission.objects.filter(
            content_type__app_label=perm.app_label, codename=perm.codename
        ).exists(), perm


def test_inactive_user_has_no_object_permission(agency_admin, agency):
    agency_admin.is_active = False
    assert not agency_admin.has_perm(Perm.MANAGE_MEMBERS, agency)


def test_a_role_without_a_permission_gets_no_not_an_error(dpo, agency):
    # Guardian alone would raise WrongAppError for a casework permission on an agency.
    assert not dpo.has_perm(Perm.ADD_CASE, agency)
    assert not dpo.has_perm(Perm.ADD_CLIENT, agency)


def test_every_migrate_gives_the_role_groups_the_role_map(agency):
    """The map is code: after a migrate each role group holds exactly its role's
    permissions again, whichever app Django's post_migrate reaches last."""
    from django.contrib.auth.models import Permission
    from django.core.management import call_command

    supervisors = RoleGroup.objects.get(agency=agency, role=Role.SUPERVISOR).group
    supervisors.permissions.clear()
    supervisors.permissions.add(Permission.objects.get(codename="add_group"))
    call_command("migrate", verbosity=0)
    granted = {
        f"{p.content_type.app_label}.{p.codename}"
        for p in supervisors.permissions.select_related("content_type")
    }
    assert granted == {str(p) for p in ROLE_PERMISSIONS[Role.SUPERVISOR]}


def test_agencies_where_names_the_active_memberships_whose_role_holds_the_permission(
    supervisor, agency, other_agency, agency_admin
):
    from accounts import services
    from accounts.models import Membership, User
    from accounts.selectors import agencies_where
    from tests.factories import make_member

    # A caseworker elsewhere: a member there, without the permission.
    make_member(other_agency, Role.CASEWORKER, user=supervisor)
    user = User.objects.get(pk=supervisor.pk)
    assert agencies_where(user, Perm.IMPORT_CLIENTS) == {agency.pk}
    assert agencies_where(user, Perm.VIEW_CLIENT) == {agency.pk, other_agency.pk}
    assert agencies_where(user, Perm.MANAGE_MEMBERS) == frozenset()
    membership = Membership.objects.get(user=user, agency=agency)
    services.deactivate_member(actor=agency_admin, agency=agency, membership_id=membership.pk)
    user = User.objects.get(pk=supervisor.pk)
    assert agencies_where(user, Perm.IMPORT_CLIENTS) == frozenset()
    assert agencies_where(user, Perm.VIEW_CLIENT) == {other_agency.pk}
