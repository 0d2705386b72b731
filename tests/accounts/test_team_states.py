"""The team page's member states (invited, active, deactivated), last login,
and resending an invitation: the agency admin (allowed), a supervisor who
reads the team without MANAGE_MEMBERS (403), another agency's admin (404)."""

from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts import selectors, services
from accounts.models import Membership, User
from accounts.permissions import Role
from config.errors import Conflict, Forbidden
from tests.factories import make_member
from tests.helpers import page

pytestmark = pytest.mark.django_db


def team_url(agency) -> str:
    return reverse("accounts:team", kwargs={"slug": agency.slug})


def member_url(agency, membership) -> str:
    return reverse("accounts:member", kwargs={"slug": agency.slug, "membership_id": membership.pk})


def resend_url(agency, membership) -> str:
    return reverse(
        "accounts:resend_invitation", kwargs={"slug": agency.slug, "membership_id": membership.pk}
    )


@pytest.fixture
def invited(agency, agency_admin, django_capture_on_commit_callbacks):
    """A new person added by the admin: invited, no password chosen yet."""
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


def later(minutes: int):
    """The clock ``minutes`` from now (the rate limit reads timezone.now)."""
    return mock.patch(
        "django.utils.timezone.now", return_value=timezone.now() + timedelta(minutes=minutes)
    )


# --- States -----------------------------------------------------------------------------


def test_states_and_last_login(client_as, agency_admin, agency, caseworker, supervisor, invited):
    services.deactivate_member(
        actor=agency_admin,
        agency=agency,
        membership_id=Membership.objects.get(user=supervisor, agency=agency).pk,
    )
    client_as(caseworker)  # signs in: last_login is set
    states = {m.user.email: m.state for m in selectors.team_of(agency)}
    assert states[invited.user.email] == "invited"
    assert states[caseworker.email] == "active"
    assert states[supervisor.email] == "deactivated"
    assert selectors.team_counts(agency) == {"invited": 1, "active": 2, "deactivated": 1}

    html = page(client_as(agency_admin).get(team_url(agency)))
    row = html.split(f'id="member-{invited.pk}"', 1)[1].split("</tr>", 1)[0]
    assert 'data-state="invited"' in row and "Invited" in row and "invitation sent" in row
    assert "Never" in row
    assert resend_url(agency, invited) in row
    worker = html.split(f'id="member-{Membership.objects.get(user=caseworker).pk}"', 1)[1]
    worker = worker.split("</tr>", 1)[0]
    assert 'data-state="active"' in worker and "Never" not in worker and "<time" in worker
    assert resend_url(agency, Membership.objects.get(user=caseworker)) not in html


def test_an_invited_person_who_chose_a_password_is_active(agency, invited):
    user = invited.user
    user.set_password("a long enough password 123")
    user.save()
    assert selectors.get_team_member(agency, invited.pk).state == "active"


def test_the_team_page_stays_one_query_for_the_members(
    client_as, agency_admin, agency, invited, django_assert_max_num_queries
):
    for number in range(5):
        make_member(agency, Role.CASEWORKER, display_name=f"Worker {number}")
    web = client_as(agency_admin)
    web.get(team_url(agency))
    with django_assert_max_num_queries(30) as first:
        web.get(team_url(agency))
    make_member(agency, Role.CASEWORKER, display_name="One more")
    with django_assert_max_num_queries(len(first.captured_queries)):
        web.get(team_url(agency))


def test_a_supervisor_sees_the_states_without_the_button(client_as, supervisor, agency, invited):
    html = page(client_as(supervisor).get(team_url(agency)))
    assert 'data-state="invited"' in html
    assert resend_url(agency, invited) not in html


# --- Resending an invitation ---------------------------------------------------------


def test_the_admin_resends_an_invitation_once_in_ten_minutes(
    client_as, agency_admin, agency, invited, django_capture_on_commit_callbacks
):
    web = client_as(agency_admin)
    old_password = User.objects.get(pk=invited.user_id).password
    # Just after the first invitation: refused, no mail.
    with django_capture_on_commit_callbacks(execute=True):
        response = web.post(resend_url(agency, invited))
    assert response.status_code == 409
    assert "less than 10 minutes ago" in page(response)
    assert mail.outbox == []

    with later(11), django_capture_on_commit_callbacks(execute=True):
        response = web.post(resend_url(agency, invited))
    assert response.status_code == 302
    assert response["Location"] == team_url(agency)
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["nour@test.example"]
    assert "/accounts/reset/" in mail.outbox[0].body
    user = User.objects.get(pk=invited.user_id)
    assert not user.has_usable_password() and user.password != old_password  # old link ended
    record = user.history.first()
    assert (record.history_user, record.history_change_reason) == (
        agency_admin,
        "invitation resent",
    )
    # And not again within ten minutes of the resend.
    with later(15), django_capture_on_commit_callbacks(execute=True):
        assert web.post(resend_url(agency, invited)).status_code == 409
    with later(22), django_capture_on_commit_callbacks(execute=True):
        assert web.post(resend_url(agency, invited)).status_code == 302
    assert len(mail.outbox) == 2


def test_resending_to_someone_active_or_deactivated_is_refused(
    agency_admin, agency, caseworker, invited
):
    active = Membership.objects.get(user=caseworker, agency=agency)
    with later(11), pytest.raises(Conflict) as refused:
        services.resend_invitation(actor=agency_admin, agency=agency, membership_id=active.pk)
    assert refused.value.code == "invitation_accepted"
    services.deactivate_member(actor=agency_admin, agency=agency, membership_id=invited.pk)
    with later(11), pytest.raises(Conflict) as refused:
        services.resend_invitation(actor=agency_admin, agency=agency, membership_id=invited.pk)
    assert refused.value.code == "inactive_member"


def test_a_supervisor_may_not_resend(client_as, supervisor, agency, invited):
    with later(11):
        response = client_as(supervisor).post(resend_url(agency, invited))
    assert response.status_code == 403
    assert mail.outbox == []
    with later(11), pytest.raises(Forbidden):
        services.resend_invitation(actor=supervisor, agency=agency, membership_id=invited.pk)
    assert User.objects.get(pk=invited.user_id).history.first().history_change_reason != (
        "invitation resent"
    )


def test_another_agencys_admin_gets_404(client_as, outsider_admin, agency, invited):
    with later(11):
        response = client_as(outsider_admin).post(resend_url(agency, invited))
    assert response.status_code == 404
    assert mail.outbox == []


def test_an_admin_cannot_reach_another_agencys_member(
    client_as, agency_admin, agency, other_agency, outsider_admin
):
    foreign = make_member(other_agency, Role.CASEWORKER, display_name="Far")
    membership = Membership.objects.get(user=foreign, agency=other_agency)
    with later(11):
        response = client_as(agency_admin).post(resend_url(agency, membership))
    assert response.status_code == 404


def test_the_member_page_offers_the_resend(client_as, agency_admin, agency, invited, caseworker):
    web = client_as(agency_admin)
    html = page(web.get(member_url(agency, invited)))
    assert resend_url(agency, invited) in html and "Invited" in html
    active = Membership.objects.get(user=caseworker, agency=agency)
    assert resend_url(agency, active) not in page(web.get(member_url(agency, active)))


def test_resending_needs_a_post(client_as, agency_admin, agency, invited):
    assert client_as(agency_admin).get(resend_url(agency, invited)).status_code == 405
