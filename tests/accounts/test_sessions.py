"""Sessions (issue 14): 30 minutes without activity and 12 hours after
signing in end a session; changing the password or losing a role ends every
other session and every API token; "sign out everywhere" for oneself and by
an agency administrator for a member.

"Two clients" are two browsers of the same person: each test checks that
the session that acted is kept or ended as promised, and the other one too.
"""

from datetime import timedelta
from unittest import mock

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.tokens import default_token_generator
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from rest_framework.test import APIClient

from accounts import services
from accounts.models import AccessLog, ApiToken, Membership, User
from accounts.permissions import Role
from accounts.sessions import SEEN_AT, SIGNED_IN_AT
from config.errors import Conflict, Forbidden, InvalidInput, NotFound
from tests.factories import PASSWORD, make_member
from tests.helpers import field_errors, page, run_together

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a brand new passphrase 2026"
HOME = reverse("accounts:home")
ACCOUNT = reverse("accounts:account")
LOGIN = reverse("accounts:login")
OWN_PASSWORD = reverse("accounts:own_password")
SIGN_OUT = reverse("accounts:sign_out_everywhere")
API_ME = "/api/v1/me/"
API_SIGN_OUT = "/api/v1/me/sign-out-everywhere/"


def browser(user) -> Client:
    """A new browser signed in as ``user`` (its own session)."""
    web = Client()
    web.force_login(user)
    return web


def api_session(user) -> APIClient:
    api = APIClient()
    api.force_login(user)
    return api


def api_with_token(user) -> tuple[APIClient, ApiToken]:
    token, plain = services.issue_api_token(actor=user)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {plain}")
    return api, token


def signed_in(web: Client) -> bool:
    """Does this browser's next page request find it signed in?"""
    response = web.get(HOME)
    if response.status_code == 200:
        return True
    assert response.status_code == 302 and response["Location"].startswith(LOGIN), response
    return False


def set_clocks(web: Client, *, signed_in_ago: timedelta, seen_ago: timedelta) -> None:
    now = int(timezone.now().timestamp())
    session = web.session
    session[SIGNED_IN_AT] = now - int(signed_in_ago.total_seconds())
    session[SEEN_AT] = now - int(seen_ago.total_seconds())
    session.save()


def live_tokens(user) -> int:
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True).count()


def history_reasons(user) -> list[str]:
    return list(
        user.history.order_by("history_date").values_list("history_change_reason", flat=True)
    )


def membership_of(user, agency) -> Membership:
    return Membership.objects.get(user=user, agency=agency)


# --- Timeouts ----------------------------------------------------------------------------


def test_the_limits_come_from_the_settings():
    assert timedelta(minutes=30) == settings.SESSION_IDLE_TIMEOUT
    assert timedelta(hours=12) == settings.SESSION_ABSOLUTE_TIMEOUT
    # The cookie never outlives the absolute limit.
    assert settings.SESSION_COOKIE_AGE == 12 * 3600
    assert not getattr(settings, "SESSION_SAVE_EVERY_REQUEST", False)


def test_signing_in_starts_both_clocks(client, caseworker):
    before = int(timezone.now().timestamp())
    response = client.post(LOGIN, {"username": caseworker.email, "password": PASSWORD})
    assert response.status_code == 302
    session = client.session
    assert before <= session[SIGNED_IN_AT] <= before + 5
    assert session[SEEN_AT] == session[SIGNED_IN_AT]


def test_a_session_idle_for_30_minutes_ends_with_a_sentence(caseworker):
    web = browser(caseworker)
    set_clocks(web, signed_in_ago=timedelta(hours=1), seen_ago=timedelta(minutes=30, seconds=1))

    response = web.get(ACCOUNT)

    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next={ACCOUNT}"
    login_page = page(web.get(response["Location"]))
    assert "Your session ended after 30 minutes without activity; sign in again." in login_page
    assert SESSION_KEY not in web.session
    assert not signed_in(web)
    logout = AccessLog.objects.filter(action="logout", actor_id=caseworker.pk)
    assert logout.count() == 1


def test_a_session_idle_for_29_minutes_goes_on_and_records_the_activity(caseworker):
    web = browser(caseworker)
    set_clocks(web, signed_in_ago=timedelta(hours=1), seen_ago=timedelta(minutes=29))

    assert web.get(ACCOUNT).status_code == 200
    assert int(timezone.now().timestamp()) - web.session[SEEN_AT] < 5


def test_activity_is_written_at_most_once_a_minute(caseworker, django_assert_num_queries):
    web = browser(caseworker)
    set_clocks(web, signed_in_ago=timedelta(minutes=5), seen_ago=timedelta(seconds=30))
    seen = web.session[SEEN_AT]

    assert web.get(ACCOUNT).status_code == 200
    assert web.session[SEEN_AT] == seen  # not written: seen 30 s ago

    set_clocks(web, signed_in_ago=timedelta(minutes=5), seen_ago=timedelta(seconds=61))
    assert web.get(ACCOUNT).status_code == 200
    assert web.session[SEEN_AT] > seen


def test_a_session_ends_12_hours_after_signing_in_however_active(caseworker):
    web = browser(caseworker)
    set_clocks(web, signed_in_ago=timedelta(hours=12, seconds=1), seen_ago=timedelta(seconds=5))

    response = web.get(HOME)

    assert response.status_code == 302 and response["Location"].startswith(LOGIN)
    assert "Your session ended after 12 hours; sign in again." in page(web.get(LOGIN))
    assert not signed_in(web)


def test_the_limits_follow_the_settings(caseworker, settings):
    settings.SESSION_IDLE_TIMEOUT = timedelta(minutes=5)
    web = browser(caseworker)
    set_clocks(web, signed_in_ago=timedelta(minutes=10), seen_ago=timedelta(minutes=6))
    response = web.get(HOME)
    assert response.status_code == 302
    assert "after 5 minutes without activity" in page(web.get(LOGIN))


def test_time_travel_ends_the_session_too(caseworker):
    """The clocks read django.utils.timezone.now: 31 minutes later, the same session is over."""
    web = browser(caseworker)
    assert signed_in(web)
    later = timezone.now() + timedelta(minutes=31)
    with mock.patch("django.utils.timezone.now", return_value=later):
        response = web.get(HOME)
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)


def test_a_form_sent_after_the_limit_goes_to_the_login_without_next(caseworker):
    web = browser(caseworker)
    set_clocks(web, signed_in_ago=timedelta(hours=1), seen_ago=timedelta(hours=1))
    response = web.post(reverse("accounts:own_time_zone"), {"time_zone": "Europe/Rome"})
    assert response.status_code == 302
    assert response["Location"] == LOGIN
    caseworker.refresh_from_db()
    assert caseworker.time_zone == ""  # nothing was saved


def test_an_htmx_request_after_the_limit_is_told_to_go_to_the_login(caseworker):
    web = browser(caseworker)
    set_clocks(web, signed_in_ago=timedelta(hours=1), seen_ago=timedelta(hours=1))
    response = web.get(HOME, headers={"HX-Request": "true"})
    assert response.status_code == 204
    assert response["HX-Redirect"] == LOGIN
    assert "session ended after 30 minutes" in page(web.get(LOGIN))


def test_an_api_request_after_the_limit_is_anonymous(caseworker):
    api = api_session(caseworker)
    assert api.get(API_ME).status_code == 200
    set_clocks(api, signed_in_ago=timedelta(hours=1), seen_ago=timedelta(hours=1))

    response = api.get(API_ME)

    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert api.get(API_ME).status_code == 401


def test_a_poll_is_not_activity_but_still_ends_an_idle_session(caseworker):
    web = browser(caseworker)
    set_clocks(web, signed_in_ago=timedelta(hours=1), seen_ago=timedelta(minutes=20))
    seen = web.session[SEEN_AT]

    assert web.get(HOME, headers={"X-Sanad-Poll": "1", "HX-Request": "true"}).status_code == 200
    assert web.session[SEEN_AT] == seen  # the poll did not keep it alive

    set_clocks(web, signed_in_ago=timedelta(hours=1), seen_ago=timedelta(minutes=31))
    response = web.get(HOME, headers={"X-Sanad-Poll": "1", "HX-Request": "true"})
    assert response.status_code == 204 and response["HX-Redirect"] == LOGIN


def test_the_report_job_poll_says_it_is_a_poll():
    with open(settings.BASE_DIR / "templates" / "reports" / "_job_state.html") as template:
        text = template.read()
    assert 'hx-trigger="every' in text
    assert '"X-Sanad-Poll": "1"' in text


def test_bearer_tokens_are_not_sessions(caseworker):
    api, _token = api_with_token(caseworker)
    later = timezone.now() + timedelta(hours=13)
    with mock.patch("django.utils.timezone.now", return_value=later):
        assert api.get(API_ME).status_code == 200


def test_a_session_from_before_the_clocks_gets_them(caseworker):
    web = browser(caseworker)
    session = web.session
    del session[SIGNED_IN_AT]
    del session[SEEN_AT]
    session.save()
    assert web.get(HOME).status_code == 200
    assert SIGNED_IN_AT in web.session and SEEN_AT in web.session


# --- Changing one's password ----------------------------------------------------------


def test_changing_the_password_keeps_this_session_and_ends_the_others(caseworker):
    here, elsewhere = browser(caseworker), browser(caseworker)
    api_elsewhere = api_session(caseworker)
    api, _token = api_with_token(caseworker)
    assert signed_in(elsewhere) and api_elsewhere.get(API_ME).status_code == 200

    assert here.get(OWN_PASSWORD).status_code == 200
    response = here.post(
        OWN_PASSWORD,
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 302 and response["Location"] == ACCOUNT
    assert signed_in(here)
    assert not signed_in(elsewhere)
    assert api_elsewhere.get(API_ME).status_code == 401
    assert api.get(API_ME).status_code == 401
    assert live_tokens(caseworker) == 0
    caseworker.refresh_from_db()
    assert caseworker.check_password(NEW_PASSWORD)
    assert history_reasons(caseworker)[-1] == "password changed"
    new_login = Client().post(LOGIN, {"username": caseworker.email, "password": NEW_PASSWORD})
    assert new_login.status_code == 302


def test_a_wrong_current_password_changes_nothing(caseworker):
    here, elsewhere = browser(caseworker), browser(caseworker)
    _api, _token = api_with_token(caseworker)

    response = here.post(
        OWN_PASSWORD,
        {"old_password": "not it", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 400
    assert "not your current password" in field_errors(page(response), "id_old_password")
    caseworker.refresh_from_db()
    assert caseworker.check_password(PASSWORD)
    assert signed_in(elsewhere) and live_tokens(caseworker) == 1
    # A wrong password is a failed sign-in for the access log and the lock-out.
    assert AccessLog.objects.filter(action="login_failed").count() == 1


def test_a_weak_new_password_is_refused_by_the_validators(caseworker):
    here = browser(caseworker)
    response = here.post(
        OWN_PASSWORD, {"old_password": PASSWORD, "new_password1": "short", "new_password2": "short"}
    )
    assert response.status_code == 400
    assert "too short" in field_errors(page(response), "id_new_password2")
    caseworker.refresh_from_db()
    assert caseworker.check_password(PASSWORD)


def test_guessing_the_current_password_is_locked_out(caseworker, settings):
    settings.AXES_FAILURE_LIMIT = 3
    here = browser(caseworker)
    wrong = {"old_password": "guess", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    for _attempt in range(3):
        here.post(OWN_PASSWORD, wrong)
    right = {**wrong, "old_password": PASSWORD}
    response = here.post(OWN_PASSWORD, right)
    assert response.status_code == 429
    assert response["Retry-After"]
    caseworker.refresh_from_db()
    assert caseworker.check_password(PASSWORD)


def test_the_service_names_the_field_at_fault(caseworker):
    with pytest.raises(InvalidInput) as wrong:
        services.change_password(actor=caseworker, old_password="nope", new_password=NEW_PASSWORD)
    assert wrong.value.field == "old_password"
    with pytest.raises(InvalidInput) as weak:
        services.change_password(actor=caseworker, old_password=PASSWORD, new_password="12345678")
    assert weak.value.field == "new_password"
    caseworker.refresh_from_db()
    assert caseworker.check_password(PASSWORD)


def test_the_account_page_links_password_and_sign_out(caseworker):
    content = page(browser(caseworker).get(ACCOUNT))
    assert OWN_PASSWORD in content and SIGN_OUT in content


# --- A password chosen from an e-mailed link ------------------------------------------


def reset_link(user) -> str:
    return reverse(
        "accounts:password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )


def test_a_password_from_a_link_ends_sessions_and_tokens_and_does_not_sign_in(caseworker):
    elsewhere = browser(caseworker)
    api, _token = api_with_token(caseworker)
    web = Client()

    form_url = web.get(reset_link(caseworker))["Location"]
    response = web.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_reset_complete")
    assert not signed_in(web)  # the login (and its second factor) comes next
    assert not signed_in(elsewhere)
    assert api.get(API_ME).status_code == 401
    caseworker.refresh_from_db()
    assert caseworker.check_password(NEW_PASSWORD)
    assert history_reasons(caseworker)[-1] == "password set from a link"
    # The link is spent.
    assert "expired or was already used" in page(web.get(form_url))


def test_a_weak_password_from_a_link_is_refused(caseworker):
    web = Client()
    form_url = web.get(reset_link(caseworker))["Location"]
    response = web.post(form_url, {"new_password1": "short", "new_password2": "short"})
    assert response.status_code == 200  # Django's form page, with the error
    assert "too short" in page(response)
    caseworker.refresh_from_db()
    assert caseworker.check_password(PASSWORD)


def test_the_reset_view_never_signs_in():
    from accounts.session_views import PasswordFromLinkView

    assert PasswordFromLinkView.post_reset_login is False


# --- Losing a role -----------------------------------------------------------------------


def test_a_changed_role_ends_every_session_and_token(agency_admin, agency, caseworker):
    web, api_web = browser(caseworker), api_session(caseworker)
    api, _token = api_with_token(caseworker)
    assert signed_in(web)

    admin = browser(agency_admin)
    url = reverse("accounts:member", args=[agency.slug, membership_of(caseworker, agency).pk])
    response = admin.post(url, {"action": "change_role", "role": Role.SUPERVISOR})

    assert response.status_code == 302
    assert not signed_in(web)
    assert api_web.get(API_ME).status_code == 401
    assert api.get(API_ME).status_code == 401
    assert live_tokens(caseworker) == 0
    assert signed_in(admin)  # the administrator's own session is untouched
    caseworker.refresh_from_db()
    assert history_reasons(caseworker)[-1] == "role changed: signed out"
    assert caseworker.history.first().history_user_id == agency_admin.pk


def test_an_administrator_changing_their_own_role_keeps_this_session(agency_admin, agency):
    make_member(agency, Role.AGENCY_ADMIN, display_name="Second Admin")
    here, elsewhere = browser(agency_admin), browser(agency_admin)
    url = reverse("accounts:member", args=[agency.slug, membership_of(agency_admin, agency).pk])

    response = here.post(url, {"action": "change_role", "role": Role.SUPERVISOR})

    assert response.status_code == 302
    assert signed_in(here)
    assert not signed_in(elsewhere)


def test_gaining_a_role_ends_nothing(agency_admin, agency, caseworker):
    web = browser(caseworker)
    _api, _token = api_with_token(caseworker)
    services.add_member(
        actor=agency_admin, agency=agency, email=caseworker.email, role=Role.SUPERVISOR
    )
    assert signed_in(web)
    assert live_tokens(caseworker) == 1


def test_deactivation_still_ends_sessions_and_tokens(agency_admin, agency, caseworker):
    web = browser(caseworker)
    api, _token = api_with_token(caseworker)
    services.deactivate_member(
        actor=agency_admin, agency=agency, membership_id=membership_of(caseworker, agency).pk
    )
    assert not signed_in(web)
    assert api.get(API_ME).status_code == 401
    assert "membership deactivated" in history_reasons(caseworker)


# --- Sign out everywhere: oneself ------------------------------------------------------


def test_sign_out_everywhere_asks_first_then_ends_everything(caseworker):
    here, elsewhere = browser(caseworker), browser(caseworker)
    api, _token = api_with_token(caseworker)

    confirm = here.get(SIGN_OUT)
    assert confirm.status_code == 200
    assert "Your 1 API token is revoked too" in page(confirm)
    assert signed_in(here) and signed_in(elsewhere)  # a GET changes nothing

    response = here.post(SIGN_OUT)

    assert response.status_code == 302 and response["Location"] == LOGIN
    assert "You were signed out everywhere" in page(here.get(LOGIN))
    assert not signed_in(here)
    assert not signed_in(elsewhere)
    assert api.get(API_ME).status_code == 401
    assert history_reasons(caseworker)[-1] == "signed out everywhere"


def test_sign_out_everywhere_needs_a_session(client):
    response = client.post(SIGN_OUT)
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)


def test_the_api_signs_out_everywhere_with_a_token(caseworker):
    elsewhere = browser(caseworker)
    api, token = api_with_token(caseworker)
    other_api, _other = api_with_token(caseworker)

    response = api.post(API_SIGN_OUT)

    assert response.status_code == 204
    assert api.get(API_ME).status_code == 401  # the token used is revoked too
    assert other_api.get(API_ME).status_code == 401
    assert not signed_in(elsewhere)
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_the_api_signs_out_everywhere_with_a_session(caseworker):
    api = api_session(caseworker)
    response = api.post(API_SIGN_OUT)
    assert response.status_code == 204
    assert api.get(API_ME).status_code == 401


def test_the_api_sign_out_needs_a_caller(api_client):
    assert api_client.post(API_SIGN_OUT).status_code == 401


# --- Sign out everywhere: an agency administrator for a member ------------------------


def sign_out_member_url(agency, user) -> str:
    return reverse("accounts:sign_out_member", args=[agency.slug, membership_of(user, agency).pk])


def test_an_administrator_signs_a_member_out_everywhere(agency_admin, agency, caseworker):
    web = browser(caseworker)
    api, _token = api_with_token(caseworker)
    admin = browser(agency_admin)

    response = admin.post(sign_out_member_url(agency, caseworker))

    member_page = reverse(
        "accounts:member", args=[agency.slug, membership_of(caseworker, agency).pk]
    )
    assert response.status_code == 302 and response["Location"] == member_page
    assert "was signed out everywhere" in page(admin.get(member_page))
    assert not signed_in(web)
    assert api.get(API_ME).status_code == 401
    assert signed_in(admin)
    membership = membership_of(caseworker, agency)
    assert membership.is_active and membership.role == Role.CASEWORKER  # roles stay
    latest = User.history.filter(id=caseworker.pk).first()
    assert latest.history_change_reason == "signed out everywhere by an agency administrator"
    assert latest.history_user_id == agency_admin.pk


def test_the_member_page_offers_it(agency_admin, agency, caseworker):
    url = reverse("accounts:member", args=[agency.slug, membership_of(caseworker, agency).pk])
    assert sign_out_member_url(agency, caseworker) in page(browser(agency_admin).get(url))


def test_a_supervisor_may_not_sign_a_member_out(supervisor, agency, caseworker):
    web = browser(caseworker)
    response = browser(supervisor).post(sign_out_member_url(agency, caseworker))
    assert response.status_code == 403
    assert signed_in(web)


def test_a_caseworker_may_not_sign_a_colleague_out(caseworker, second_caseworker, agency):
    web = browser(second_caseworker)
    response = browser(caseworker).post(sign_out_member_url(agency, second_caseworker))
    assert response.status_code == 403
    assert signed_in(web)


def test_another_agencys_administrator_finds_no_such_member(outsider_admin, agency, caseworker):
    web = browser(caseworker)
    response = browser(outsider_admin).post(sign_out_member_url(agency, caseworker))
    assert response.status_code == 404
    assert signed_in(web)


def test_a_member_of_another_agency_is_not_found_through_ones_own(
    agency_admin, agency, outsider, other_agency
):
    web = browser(outsider)
    foreign = membership_of(outsider, other_agency)
    response = browser(agency_admin).post(
        reverse("accounts:sign_out_member", args=[agency.slug, foreign.pk])
    )
    assert response.status_code == 404
    assert signed_in(web)
    with pytest.raises(NotFound):
        services.sign_out_member_everywhere(
            actor=agency_admin, agency=agency, membership_id=foreign.pk
        )


def test_a_deactivated_member_is_refused_with_409(agency_admin, agency, caseworker):
    membership = membership_of(caseworker, agency)
    services.deactivate_member(actor=agency_admin, agency=agency, membership_id=membership.pk)
    response = browser(agency_admin).post(sign_out_member_url(agency, caseworker))
    assert response.status_code == 409
    assert "deactivated" in page(response)
    with pytest.raises(Conflict):
        services.sign_out_member_everywhere(
            actor=agency_admin, agency=agency, membership_id=membership.pk
        )


def test_the_service_checks_manage_members(supervisor, agency, caseworker):
    with pytest.raises(Forbidden):
        services.sign_out_member_everywhere(
            actor=supervisor, agency=agency, membership_id=membership_of(caseworker, agency).pk
        )
    stamp = User.objects.get(pk=caseworker.pk).session_stamp
    assert stamp == caseworker.session_stamp


# --- Two at once ---------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_password_changes_at_once_do_not_both_win(caseworker):
    """The user's row is locked: the second change reads the first one's
    password and finds the old one wrong, instead of both succeeding."""
    results = run_together(
        lambda: services.change_password(
            actor=caseworker, old_password=PASSWORD, new_password=NEW_PASSWORD
        ),
        lambda: services.change_password(
            actor=caseworker, old_password=PASSWORD, new_password=NEW_PASSWORD + " other"
        ),
    )
    winners = [result for result in results if isinstance(result, User)]
    losers = [result for result in results if isinstance(result, InvalidInput)]
    assert len(winners) == 1 and len(losers) == 1, results
    assert losers[0].field == "old_password"
    caseworker.refresh_from_db()
    # Exactly one of the two new passwords is the password now.
    assert caseworker.check_password(NEW_PASSWORD) != caseworker.check_password(
        NEW_PASSWORD + " other"
    )
    assert history_reasons(caseworker).count("password changed") == 1
