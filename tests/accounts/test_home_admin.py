"""The agency admin's section of the home page: members by state, each count
equal to the rows of the team page it links to (filtered by state), the
invitations not taken up with a button that resends one and comes back home,
and the active members' last sign-in. Another agency's admin sees only
theirs; a caseworker, a supervisor and a DPO see no such section."""

import re
from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts import services
from accounts.home_sections import MEMBERS_SHOWN
from accounts.models import Membership, User
from accounts.permissions import Role
from tests.factories import make_member
from tests.helpers import page

pytestmark = pytest.mark.django_db

HOME = reverse("accounts:home")
SECTION = 'id="home-admin-heading"'


def team_url(agency) -> str:
    return reverse("accounts:team", kwargs={"slug": agency.slug})


def resend_url(agency, membership) -> str:
    return reverse(
        "accounts:resend_invitation", kwargs={"slug": agency.slug, "membership_id": membership.pk}
    )


def section_of(html: str) -> str:
    assert SECTION in html
    return html.split('<section class="home-section home-admin"', 1)[1]


def count_of(html: str, state: str) -> tuple[int, str]:
    found = re.search(rf'<a href="([^"]*)" data-count="{state}"[^>]*><strong>(\d+)</strong>', html)
    assert found, state
    return int(found.group(2)), found.group(1).replace("&amp;", "&")


def team_rows(html: str) -> list[str]:
    return re.findall(r'<tr id="member-[^"]+" data-state="([a-z]+)"', html)


@pytest.fixture
def invited(agency, agency_admin, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        membership = services.add_member(
            actor=agency_admin,
            agency=agency,
            email="nour@test.example",
            display_name="Nour Invited",
            role=Role.CASEWORKER,
        )
    mail.outbox.clear()
    return membership


@pytest.fixture
def deactivated(agency, agency_admin, supervisor):
    membership = Membership.objects.get(user=supervisor, agency=agency)
    services.deactivate_member(actor=agency_admin, agency=agency, membership_id=membership.pk)
    return membership


# --- Who sees the section ------------------------------------------------------------------


def test_only_agency_admins_see_the_section(client_as, agency_admin, caseworker, supervisor, dpo):
    assert SECTION in page(client_as(agency_admin).get(HOME))
    for person in (caseworker, supervisor, dpo):
        response = client_as(person).get(HOME)
        assert response.status_code == 200
        assert SECTION not in page(response), person.display_name


# --- Counts and the team page they lead to --------------------------------------------------


def test_each_count_equals_the_rows_of_the_team_page_it_links_to(
    client_as, agency_admin, agency, caseworker, dpo, invited, deactivated
):
    web = client_as(agency_admin)
    html = section_of(page(web.get(HOME)))
    expected = {"invited": 1, "active": 3, "deactivated": 1}  # admin, caseworker, DPO active
    for state, number in expected.items():
        count, link = count_of(html, state)
        assert count == number, state
        assert link == f"{team_url(agency)}?state={state}"
        response = web.get(link)
        assert response.status_code == 200
        rows = team_rows(page(response))
        assert len(rows) == count and set(rows) == {state}, state
    # Unfiltered, the team page lists everyone, with the same counts as links.
    everyone = page(web.get(team_url(agency)))
    assert len(team_rows(everyone)) == sum(expected.values())
    assert 'data-state-filter="invited"' in everyone and "1 invited" in everyone


def test_an_unknown_state_is_refused_naming_it(client_as, agency_admin, agency):
    response = client_as(agency_admin).get(team_url(agency), {"state": "retired"})
    assert response.status_code == 400
    assert "Unknown state: choose invited, active or deactivated." in page(response)


def test_a_state_without_members_says_so(client_as, agency_admin, agency):
    response = client_as(agency_admin).get(team_url(agency), {"state": "deactivated"})
    assert response.status_code == 200
    assert team_rows(page(response)) == []
    assert "No member in this state." in page(response)


def test_another_agencys_admin_sees_only_their_agency(
    client_as, outsider_admin, outsider, other_agency, agency, caseworker, invited
):
    html = section_of(page(client_as(outsider_admin).get(HOME)))
    assert other_agency.name in html and agency.name not in html
    assert caseworker.display_name not in html and "Nour Invited" not in html
    assert count_of(html, "invited")[0] == 0
    assert count_of(html, "active")[0] == 2  # the other admin and the outsider
    assert team_url(agency) not in html


# --- Invitations ---------------------------------------------------------------------------


def test_a_pending_invitation_is_resent_from_the_home(
    client_as, agency_admin, agency, invited, django_capture_on_commit_callbacks
):
    web = client_as(agency_admin)
    html = section_of(page(web.get(HOME)))
    row = re.search(rf'<tr data-invited="{invited.pk}">.*?</tr>', html, re.S).group(0)
    assert "Nour Invited" in row and "nour@test.example" in row and "<time" in row
    assert f'action="{resend_url(agency, invited)}"' in row
    assert f'name="next" value="{HOME}"' in row
    assert 'data-label="Invitation sent"' in row

    later = timezone.now() + timedelta(minutes=11)
    with (
        mock.patch("django.utils.timezone.now", return_value=later),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = web.post(resend_url(agency, invited), {"next": HOME})
    assert response.status_code == 302 and response["Location"] == HOME
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["nour@test.example"]
    assert "A new invitation was sent to nour@test.example." in page(web.get(HOME))


def test_without_pending_invitations_the_section_says_so(client_as, agency_admin, caseworker):
    html = section_of(page(client_as(agency_admin).get(HOME)))
    assert "Everyone invited has chosen a password." in html
    assert "data-invited=" not in html


# --- Last sign-in ----------------------------------------------------------------------------


def test_active_members_show_their_last_sign_in_longest_ago_first(
    client_as, agency_admin, agency, caseworker, dpo, invited, deactivated
):
    # The caseworker signed in 40 days ago; the DPO never did.
    with mock.patch("django.utils.timezone.now", return_value=timezone.now() - timedelta(days=40)):
        client_as(caseworker)
    assert User.objects.get(pk=dpo.pk).last_login is None
    html = section_of(page(client_as(agency_admin).get(HOME)))
    members = re.findall(r'<tr data-member="([^"]+)">(.*?)</tr>', html, re.S)
    by_id = {membership_id: row for membership_id, row in members}
    order = [membership_id for membership_id, _ in members]
    dpo_membership = str(Membership.objects.get(user=dpo, agency=agency).pk)
    worker_membership = str(Membership.objects.get(user=caseworker, agency=agency).pk)
    admin_membership = str(Membership.objects.get(user=agency_admin, agency=agency).pk)
    # Never signed in first, then 40 days ago, then the admin who just signed in.
    assert order == [dpo_membership, worker_membership, admin_membership]
    assert "Never" in by_id[dpo_membership]
    assert "<time" in by_id[worker_membership] and "Never" not in by_id[worker_membership]
    assert 'data-label="Last signed in"' in by_id[worker_membership]
    # Neither the invited nor the deactivated member is among them.
    assert str(invited.pk) not in order and str(deactivated.pk) not in order


def test_a_large_team_links_to_every_active_member(client_as, agency_admin, agency):
    for number in range(MEMBERS_SHOWN):
        make_member(agency, Role.CASEWORKER, display_name=f"Worker {number}")
    html = section_of(page(client_as(agency_admin).get(HOME)))
    assert len(re.findall(r"<tr data-member=", html)) == MEMBERS_SHOWN
    total = MEMBERS_SHOWN + 1
    assert f"See all {total} active members" in html
    assert count_of(html, "active")[0] == total
