"""Agency admins manage their own agency's team and nothing else."""

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import translation

from accounts import services
from accounts.models import ApiToken, Membership, RoleGroup, User
from accounts.permissions import Role
from tests.factories import PASSWORD, UserFactory, make_member

pytestmark = pytest.mark.django_db


def team_url(agency):
    return reverse("accounts:team", kwargs={"slug": agency.slug})


def member_url(agency, membership):
    return reverse("accounts:member", kwargs={"slug": agency.slug, "membership_id": membership.pk})


def membership_of(user, agency):
    return Membership.objects.get(user=user, agency=agency)


def in_role_group(user, agency, role) -> bool:
    group = RoleGroup.objects.get(agency=agency, role=role).group
    return user.groups.filter(pk=group.pk).exists()


# --- Who sees the team page ------------------------------------------------------


def test_admin_sees_own_team(client_as, agency_admin, caseworker, agency):
    response = client_as(agency_admin).get(team_url(agency))
    assert response.status_code == 200
    assert caseworker.display_name in response.content.decode()
    assert response.context["can_manage"] is True


def test_supervisor_reads_the_team_but_cannot_add(client_as, supervisor, agency):
    client = client_as(supervisor)
    response = client.get(team_url(agency))
    assert response.status_code == 200
    assert response.context["can_manage"] is False
    before = Membership.objects.count()
    response = client.post(
        team_url(agency), {"email": "new@test.example", "role": "caseworker", "display_name": "New"}
    )
    assert response.status_code == 403
    assert Membership.objects.count() == before


def test_caseworker_may_not_open_the_team_page(client_as, caseworker, agency):
    assert client_as(caseworker).get(team_url(agency)).status_code == 403


def test_admin_of_another_agency_gets_404(client_as, outsider_admin, agency, caseworker):
    client = client_as(outsider_admin)
    assert client.get(team_url(agency)).status_code == 404
    membership = membership_of(caseworker, agency)
    assert client.get(member_url(agency, membership)).status_code == 404
    response = client.post(member_url(agency, membership), {"action": "deactivate"})
    assert response.status_code == 404
    membership.refresh_from_db()
    assert membership.is_active


def test_membership_of_another_agency_is_not_found_through_own_agency(
    client_as, agency_admin, agency, outsider, other_agency
):
    foreign = membership_of(outsider, other_agency)
    response = client_as(agency_admin).post(member_url(agency, foreign), {"action": "deactivate"})
    assert response.status_code == 404
    foreign.refresh_from_db()
    assert foreign.is_active


# --- Adding members -------------------------------------------------------------


def test_admin_adds_a_new_person_who_gets_an_invitation(
    client_as, agency_admin, agency, django_capture_on_commit_callbacks
):
    client = client_as(agency_admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            team_url(agency),
            {"email": "Nour@Test.example", "display_name": "Nour Aziz", "role": "caseworker"},
        )
    assert response.status_code == 302
    user = User.objects.get(email="nour@test.example")
    assert not user.has_usable_password()
    assert in_role_group(user, agency, Role.CASEWORKER)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["nour@test.example"]
    assert "/accounts/reset/" in mail.outbox[0].body
    history = membership_of(user, agency).history.first()
    assert history.history_user == agency_admin
    assert history.history_change_reason == "member added"


@pytest.mark.parametrize("language", ["fa", "uk"])
def test_the_invitation_is_in_the_new_members_language(
    client_as, agency_admin, agency, django_capture_on_commit_callbacks, language
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_as(agency_admin).post(
            team_url(agency),
            {
                "email": "nour@test.example",
                "display_name": "Nour Aziz",
                "role": "caseworker",
                "preferred_language": language,
            },
        )
    assert response.status_code == 302
    [invitation] = mail.outbox
    with translation.override(language):
        subject = translation.gettext("You have been added to %(agency)s on Sanad")
        greeting = translation.gettext(
            "Hello %(name)s,\n\n%(agency)s has given you access to Sanad. "
            "Choose your password here:\n\n%(base)s%(link)s\n"
        ).split("%(name)s", 1)[0]
    assert subject != "You have been added to %(agency)s on Sanad"
    # The Latin agency and person names keep their order inside the Farsi
    # text (Unicode isolates); Ukrainian runs the same way as they do.
    shown = f"\u2068{agency.name}\u2069" if language == "fa" else agency.name
    assert invitation.subject == subject % {"agency": shown}
    assert invitation.body.startswith(greeting)
    assert ("\u2068Nour Aziz\u2069" in invitation.body) == (language == "fa")
    assert "/accounts/reset/" in invitation.body


def test_admin_adds_an_existing_user_without_a_new_account(
    client_as, agency_admin, agency, outsider
):
    client = client_as(agency_admin)
    users_before = User.objects.count()
    response = client.post(team_url(agency), {"email": outsider.email, "role": "supervisor"})
    assert response.status_code == 302
    assert User.objects.count() == users_before
    assert in_role_group(outsider, agency, Role.SUPERVISOR)


def test_adding_needs_a_name_for_a_new_person(client_as, agency_admin, agency):
    response = client_as(agency_admin).post(
        team_url(agency), {"email": "x@test.example", "role": "caseworker"}
    )
    assert response.status_code == 400
    assert "display_name" in response.context["form"].errors
    assert not User.objects.filter(email="x@test.example").exists()


def test_adding_the_same_role_twice_is_refused(client_as, agency_admin, agency, caseworker):
    response = client_as(agency_admin).post(
        team_url(agency), {"email": caseworker.email, "role": "caseworker"}
    )
    assert response.status_code == 400
    assert "role" in response.context["form"].errors


# --- Changing roles, deactivating ----------------------------------------------------


def test_admin_changes_a_role(client_as, agency_admin, agency, caseworker):
    membership = membership_of(caseworker, agency)
    response = client_as(agency_admin).post(
        member_url(agency, membership), {"action": "change_role", "role": "supervisor"}
    )
    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.role == Role.SUPERVISOR
    assert in_role_group(caseworker, agency, Role.SUPERVISOR)
    assert not in_role_group(caseworker, agency, Role.CASEWORKER)


def test_deactivation_ends_sessions_and_tokens_at_once(client, agency_admin, agency, caseworker):
    # The caseworker is logged in on the web and holds an API token.
    client.post(reverse("accounts:login"), {"username": caseworker.email, "password": PASSWORD})
    assert client.get(reverse("accounts:home")).status_code == 200
    _token, plain = services.issue_api_token(actor=caseworker)

    services.deactivate_member(
        actor=agency_admin,
        agency=agency,
        membership_id=membership_of(caseworker, agency).pk,
        reason="left the agency",
    )

    response = client.get(reverse("accounts:home"))
    assert response.status_code == 302  # the session is gone
    assert ApiToken.objects.filter(user=caseworker, revoked_at__isnull=True).count() == 0
    from rest_framework.test import APIClient

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {plain}")
    assert api.get("/api/v1/me/").status_code == 401
    caseworker.refresh_from_db()
    assert not caseworker.is_active  # no active membership left
    assert not in_role_group(caseworker, agency, Role.CASEWORKER)


def test_deactivation_through_the_page(client_as, agency_admin, agency, caseworker):
    membership = membership_of(caseworker, agency)
    response = client_as(agency_admin).post(
        member_url(agency, membership), {"action": "deactivate", "reason": "contract ended"}
    )
    assert response.status_code == 302
    membership.refresh_from_db()
    assert not membership.is_active
    assert membership.history.first().history_change_reason == "contract ended"


def test_person_with_another_agency_stays_active_but_loses_this_role(
    agency_admin, agency, other_agency
):
    person = UserFactory()
    make_member(agency, Role.CASEWORKER, user=person)
    make_member(other_agency, Role.CASEWORKER, user=person)
    services.deactivate_member(
        actor=agency_admin, agency=agency, membership_id=membership_of(person, agency).pk
    )
    person.refresh_from_db()
    assert person.is_active
    assert not in_role_group(person, agency, Role.CASEWORKER)
    assert in_role_group(person, other_agency, Role.CASEWORKER)


def test_the_last_admin_cannot_be_removed(client_as, agency_admin, agency):
    membership = membership_of(agency_admin, agency)
    response = client_as(agency_admin).post(
        member_url(agency, membership), {"action": "deactivate"}
    )
    assert response.status_code == 200
    assert "at least one active administrator" in response.content.decode()
    membership.refresh_from_db()
    assert membership.is_active


def test_reactivation_restores_the_role(agency_admin, agency, caseworker):
    membership = membership_of(caseworker, agency)
    services.deactivate_member(actor=agency_admin, agency=agency, membership_id=membership.pk)
    services.reactivate_member(actor=agency_admin, agency=agency, membership_id=membership.pk)
    caseworker.refresh_from_db()
    assert caseworker.is_active
    assert in_role_group(caseworker, agency, Role.CASEWORKER)


def test_group_membership_follows_active_memberships(
    agency, agency_admin, caseworker, supervisor, dpo
):
    # One membership inactive, and every membership looked at: an empty loop or
    # an all-active team would pass whatever the groups held.
    services.deactivate_member(
        actor=agency_admin, agency=agency, membership_id=membership_of(dpo, agency).pk
    )
    memberships = list(Membership.objects.filter(agency=agency))
    assert {(m.user, m.is_active) for m in memberships} == {
        (agency_admin, True),
        (caseworker, True),
        (supervisor, True),
        (dpo, False),
    }
    for membership in memberships:
        assert in_role_group(membership.user, agency, membership.role) == membership.is_active
