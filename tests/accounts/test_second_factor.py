"""The second factor (issue 14): who must pass it, enrolment by QR code with
backup codes, the step after the password, passkeys' registration behind the
password, an administrator's reset, the token endpoint's ``otp``, and the
lock-out counting wrong codes."""

import os
import re
import subprocess
import sys

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential
from rest_framework.test import APIClient

from accounts.models import ApiToken, Membership
from accounts.permissions import Role
from accounts.services import issue_api_token
from tests.factories import PASSWORD, make_member
from tests.helpers import assert_problem
from tests.test_settings import ROOT

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _required(settings):
    settings.SECOND_FACTOR_REQUIRED = True


def code_of(device: TOTPDevice) -> str:
    """The code the person's authenticator app shows now."""
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def enrol_app(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


def backup_codes_for(user, codes=("abcd2345", "efgh6789")) -> list[str]:
    device = StaticDevice.objects.create(user=user, name="backup", confirmed=True)
    for code in codes:
        StaticToken.objects.create(device=device, token=code)
    return list(codes)


def log_in(client, user):
    return client.post(reverse("accounts:login"), {"username": user.email, "password": PASSWORD})


def verify(client, code, next_url=""):
    return client.post(reverse("second_factor:verify"), {"code": code, "next": next_url})


# --- Who must pass it -----------------------------------------------------------------


def test_a_supervisor_without_a_factor_is_sent_to_set_one_up(client, supervisor):
    response = log_in(client, supervisor)
    assert response.status_code == 302
    home = client.get(reverse("accounts:home"))
    assert home.status_code == 302
    assert home.url.startswith(reverse("second_factor:setup"))
    # Nothing else opens either: a client list, an API read through the session.
    assert client.get(reverse("casework:client_list")).status_code == 302
    api = client.get("/api/v1/me/")
    assert_problem(api, 401, "otp_required")


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.DPO, Role.AGENCY_ADMIN])
def test_the_roles_that_must_use_a_second_factor(agency, role):
    user = make_member(agency, role)
    client = Client()
    log_in(client, user)
    assert client.get(reverse("accounts:home")).status_code == 302


def test_platform_staff_must_use_one(client, db):
    from tests.factories import UserFactory

    staff = UserFactory(is_staff=True)
    log_in(client, staff)
    response = client.get(reverse("accounts:home"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("second_factor:setup"))


def test_a_caseworker_without_a_factor_goes_straight_in(client, caseworker):
    log_in(client, caseworker)
    assert client.get(reverse("accounts:home")).status_code == 200


def test_whoever_has_a_factor_is_always_asked(client, caseworker, settings):
    settings.SECOND_FACTOR_REQUIRED = False
    enrol_app(caseworker)
    log_in(client, caseworker)
    response = client.get(reverse("accounts:home"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("second_factor:verify"))


def test_with_the_setting_off_a_supervisor_goes_straight_in_and_the_page_says_so(
    client, supervisor, settings
):
    settings.SECOND_FACTOR_REQUIRED = False
    login_page = client.get(reverse("accounts:login")).content.decode()
    assert "second factor is off" in login_page
    log_in(client, supervisor)
    assert client.get(reverse("accounts:home")).status_code == 200


def test_a_pending_session_sees_no_navigation_and_no_counts(client, supervisor):
    enrol_app(supervisor)
    log_in(client, supervisor)
    page = client.get(reverse("second_factor:verify"))
    assert page.status_code == 200
    content = page.content.decode()
    assert reverse("casework:client_list") not in content
    assert 'id="site-nav"' not in content


def test_a_pending_session_may_log_out_and_switch_language(client, supervisor):
    enrol_app(supervisor)
    log_in(client, supervisor)
    assert client.post(reverse("accounts:switch_language"), {"language": "fr"}).status_code == 302
    assert client.post(reverse("accounts:logout")).status_code == 302
    assert "_auth_user_id" not in client.session


# --- Enrolment: QR code, confirmation, backup codes ---------------------------------------


def test_enrolling_an_authenticator_app_by_qr_code_then_backup_codes(client, supervisor):
    log_in(client, supervisor)
    page = client.get(reverse("second_factor:setup"))
    assert page.status_code == 200
    assert client.post(reverse("second_factor:app_start")).status_code == 302

    page = client.get(reverse("second_factor:setup")).content.decode()
    assert "<svg" in page  # the QR code, drawn on the server
    device = TOTPDevice.objects.get(user=supervisor, confirmed=False)
    secret = re.search(r'<code dir="ltr">([A-Z2-7 ]+)</code>', page).group(1)
    assert secret.replace(" ", "") in device.config_url

    wrong = client.post(reverse("second_factor:app_confirm"), {"code": "000000"})
    assert wrong.status_code == 400
    assert "This code is not right" in wrong.content.decode()
    assert not TOTPDevice.objects.filter(user=supervisor, confirmed=True).exists()

    done = client.post(reverse("second_factor:app_confirm"), {"code": code_of(device)})
    assert done.status_code == 200
    codes = re.findall(r"<li><code>([a-z2-7]{8})</code></li>", done.content.decode())
    assert len(codes) == 10
    assert StaticToken.objects.filter(device__user=supervisor).count() == 10
    # This session is now past the second factor.
    assert client.get(reverse("accounts:home")).status_code == 200
    reasons = set(supervisor.history.values_list("history_change_reason", flat=True))
    assert {"second factor added: authenticator app", "second factor: new backup codes"} <= reasons


def test_confirming_needs_a_pending_app(client, supervisor):
    log_in(client, supervisor)
    response = client.post(reverse("second_factor:app_confirm"), {"code": "123456"})
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=supervisor).exists()


# --- The step after the password ----------------------------------------------------------


def test_a_code_from_the_app_lets_the_session_in(client, supervisor):
    device = enrol_app(supervisor)
    response = log_in(client, supervisor)
    response = client.get(reverse("casework:client_list"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("second_factor:verify"))
    assert "next=" in response.url

    wrong = verify(client, "000000")
    assert wrong.status_code == 400
    assert client.get(reverse("accounts:home")).status_code == 302

    device.refresh_from_db()
    device.throttling_failure_count = 0
    device.throttling_failure_timestamp = None
    device.save()
    ok = verify(client, code_of(device), next_url=reverse("casework:client_list"))
    assert ok.status_code == 302
    assert ok.url == reverse("casework:client_list")
    assert client.get(reverse("casework:client_list")).status_code == 200
    assert client.get("/api/v1/me/").status_code == 200


def test_a_backup_code_works_once(supervisor):
    enrol_app(supervisor)
    first, _second = backup_codes_for(supervisor)
    client = Client()
    log_in(client, supervisor)
    assert verify(client, first.upper()).status_code == 302
    assert client.get(reverse("accounts:home")).status_code == 200

    again = Client()
    log_in(again, supervisor)
    assert verify(again, first).status_code == 400


def test_an_offsite_next_is_not_followed(client, supervisor):
    device = enrol_app(supervisor)
    log_in(client, supervisor)
    response = verify(client, code_of(device), next_url="https://evil.example/")
    assert response.status_code == 302
    assert response.url == reverse("accounts:home")


def test_wrong_codes_lock_the_account_out_like_wrong_passwords(client, supervisor):
    device = enrol_app(supervisor)
    log_in(client, supervisor)
    for _ in range(5):
        verify(client, "000000")
    locked = verify(client, code_of(device))
    assert locked.status_code == 429
    assert locked["Retry-After"]
    assert client.get(reverse("accounts:home")).status_code == 302
    # And the password login is locked out too: the same account.
    other = Client()
    assert log_in(other, supervisor).status_code == 429


def test_a_guessed_code_is_throttled_by_the_device(supervisor):
    device = enrol_app(supervisor)
    client = Client()
    log_in(client, supervisor)
    verify(client, "000000")
    device.refresh_from_db()
    assert device.throttling_failure_count == 1
    # Right after a miss the device refuses even the right code (django-otp's back-off).
    assert verify(client, code_of(device)).status_code == 400


def test_password_reset_never_logs_in_past_the_second_factor(client, supervisor):
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    enrol_app(supervisor)
    uid = urlsafe_base64_encode(force_bytes(supervisor.pk))
    token = default_token_generator.make_token(supervisor)
    url = reverse("accounts:password_reset_confirm", args=[uid, token])
    form_url = client.get(url).url
    response = client.post(
        form_url,
        {"new_password1": "a new long passphrase 42", "new_password2": "a new long passphrase 42"},
    )
    assert response.status_code == 302
    # Not logged in by the reset; the next login asks for the second factor.
    assert client.get(reverse("accounts:home")).status_code == 302
    client.post(
        reverse("accounts:login"),
        {"username": supervisor.email, "password": "a new long passphrase 42"},
    )
    response = client.get(reverse("accounts:home"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("second_factor:verify"))


# --- Changing one's factors asks for the password again --------------------------------


def _verified_client(user) -> Client:
    device = enrol_app(user)
    client = Client()
    log_in(client, user)
    assert verify(client, code_of(device)).status_code == 302
    return client


def _age_password(client):
    session = client.session
    session["sanad_password_at"] = "2000-01-01T00:00:00+00:00"
    session.save()


def test_changing_factors_asks_for_the_password_again(supervisor):
    client = _verified_client(supervisor)
    _age_password(client)
    response = client.post(reverse("second_factor:app_start"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("second_factor:confirm_password"))
    assert not TOTPDevice.objects.filter(user=supervisor, confirmed=False).exists()
    assert client.post(reverse("second_factor:backup_codes")).url.startswith(
        reverse("second_factor:confirm_password")
    )

    wrong = client.post(reverse("second_factor:confirm_password"), {"password": "nope"})
    assert wrong.status_code == 400
    assert "This is not your password" in wrong.content.decode()
    right = client.post(
        reverse("second_factor:confirm_password"),
        {"password": PASSWORD, "next": reverse("second_factor:setup")},
    )
    assert right.status_code == 302
    assert right.url == reverse("second_factor:setup")
    assert client.post(reverse("second_factor:app_start")).status_code == 302
    assert TOTPDevice.objects.filter(user=supervisor, confirmed=False).exists()


def test_guessing_the_password_at_the_factor_step_is_locked_out(supervisor):
    client = _verified_client(supervisor)
    _age_password(client)
    for _ in range(6):
        client.post(reverse("second_factor:confirm_password"), {"password": "nope"})
    locked = client.post(reverse("second_factor:confirm_password"), {"password": PASSWORD})
    assert locked.status_code == 429
    assert "Too many failed attempts" in locked.content.decode()
    assert "This is not your password" not in locked.content.decode()
    # The right password did not count: changing factors still asks for it.
    assert client.post(reverse("second_factor:app_start")).url.startswith(
        reverse("second_factor:confirm_password")
    )


def test_the_last_factor_of_a_required_role_cannot_be_removed(supervisor):
    client = _verified_client(supervisor)
    device = TOTPDevice.objects.get(user=supervisor)
    response = client.post(
        reverse("second_factor:remove"), {"kind": "app", "device_id": device.pk}, follow=True
    )
    assert "before you remove your last one" in response.content.decode()
    assert TOTPDevice.objects.filter(pk=device.pk).exists()

    second = TOTPDevice.objects.create(user=supervisor, name="tablet", confirmed=True)
    response = client.post(reverse("second_factor:remove"), {"kind": "app", "device_id": second.pk})
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(pk=second.pk).exists()
    # This session stays; it was the one that made the change.
    assert client.get(reverse("accounts:home")).status_code == 200


def test_another_persons_factor_is_not_found(supervisor, dpo):
    client = _verified_client(supervisor)
    theirs = enrol_app(dpo)
    response = client.post(reverse("second_factor:remove"), {"kind": "app", "device_id": theirs.pk})
    assert response.status_code == 404
    assert TOTPDevice.objects.filter(pk=theirs.pk).exists()


def test_new_backup_codes_replace_the_old_ones(supervisor):
    client = _verified_client(supervisor)
    old = backup_codes_for(supervisor)
    response = client.post(reverse("second_factor:backup_codes"))
    codes = re.findall(r"<li><code>([a-z2-7]{8})</code></li>", response.content.decode())
    assert len(codes) == 10
    assert not StaticToken.objects.filter(token__in=old).exists()


def test_a_factor_change_ends_the_persons_other_sessions(supervisor):
    client = _verified_client(supervisor)
    other = _verified_client_again(supervisor)
    client.post(reverse("second_factor:backup_codes"))
    assert client.get(reverse("accounts:home")).status_code == 200
    other_home = other.get(reverse("accounts:home"))
    assert other_home.status_code == 302
    assert other_home.url.startswith(reverse("accounts:login"))


def _verified_client_again(user) -> Client:
    device = TOTPDevice.objects.get(user=user)
    device.last_t = -1
    device.save()
    client = Client()
    log_in(client, user)
    assert verify(client, code_of(device)).status_code == 302
    return client


# --- Passkeys -------------------------------------------------------------------------


def test_adding_a_passkey_needs_the_password_again(supervisor):
    client = _verified_client(supervisor)
    begin = reverse("otp_webauthn:credential-registration-begin")
    fresh = client.post(begin, content_type="application/json")
    assert fresh.status_code == 200
    options = fresh.json()
    assert options["rp"]["name"] == "Sanad"
    assert options["user"]["name"] == supervisor.email

    _age_password(client)
    stale = client.post(begin, content_type="application/json")
    assert stale.status_code == 403
    assert stale.json()["code"] == "password_needed"


def test_a_pending_session_cannot_add_a_passkey_to_get_around_its_factor(client, supervisor):
    enrol_app(supervisor)
    log_in(client, supervisor)
    response = client.post(
        reverse("otp_webauthn:credential-registration-begin"), content_type="application/json"
    )
    assert response.status_code == 403
    assert not WebAuthnCredential.objects.filter(user=supervisor).exists()


def test_the_setup_page_offers_passkeys_with_the_package_scripts(supervisor):
    client = _verified_client(supervisor)
    page = client.get(reverse("second_factor:setup")).content.decode()
    assert 'id="passkey-register-button"' in page
    assert "otp_webauthn_register.js" in page
    assert 'id="otp_webauthn_config" type="application/json"' in page


# --- The agency administrator's reset ------------------------------------------------


def test_an_agency_admin_resets_a_members_factors(supervisor, agency_admin, agency):
    member_client = _verified_client(supervisor)
    backup_codes_for(supervisor)
    _token, plain = issue_api_token(actor=supervisor)
    membership = Membership.objects.get(user=supervisor, agency=agency)

    admin_client = _verified_client(agency_admin)
    response = admin_client.post(
        reverse("accounts:reset_second_factor", args=[agency.slug, membership.pk])
    )
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=supervisor).exists()
    assert not StaticDevice.objects.filter(user=supervisor).exists()
    assert ApiToken.objects.get(user=supervisor).revoked_at is not None
    assert APIClient().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {plain}").status_code == 401
    # Their session ended; at the next login they set up a factor again.
    assert member_client.get(reverse("accounts:home")).url.startswith(reverse("accounts:login"))
    log_in(member_client, supervisor)
    assert member_client.get(reverse("accounts:home")).url.startswith(
        reverse("second_factor:setup")
    )
    history = supervisor.history.order_by("-history_date").first()
    assert history.history_user_id == agency_admin.pk
    assert history.history_change_reason == "second factor reset by an agency administrator"


def test_only_the_members_own_agency_admin_may_reset(supervisor, agency, other_agency, caseworker):
    outsider_admin = make_member(other_agency, Role.AGENCY_ADMIN)
    device = enrol_app(supervisor)
    membership = Membership.objects.get(user=supervisor, agency=agency)
    url = reverse("accounts:reset_second_factor", args=[agency.slug, membership.pk])
    outsider = _verified_client(outsider_admin)
    assert outsider.post(url).status_code in (403, 404)
    own_caseworker = Client()
    own_caseworker.force_login(caseworker)
    assert own_caseworker.post(url).status_code in (403, 404)
    assert TOTPDevice.objects.filter(pk=device.pk).exists()


def test_the_reset_needs_post(supervisor, agency_admin, agency):
    membership = Membership.objects.get(user=supervisor, agency=agency)
    client = _verified_client(agency_admin)
    url = reverse("accounts:reset_second_factor", args=[agency.slug, membership.pk])
    assert client.get(url).status_code == 405


# --- API tokens ------------------------------------------------------------------------


def _token(email, **extra):
    return APIClient().post(
        "/api/v1/auth/token/", {"email": email, "password": PASSWORD, **extra}, format="json"
    )


def test_a_token_needs_the_second_factor_from_those_who_must_use_one(supervisor):
    assert_problem(_token(supervisor.email), 401, "otp_required")
    assert not ApiToken.objects.filter(user=supervisor).exists()
    device = enrol_app(supervisor)
    assert_problem(_token(supervisor.email, otp="000000"), 401, "invalid_otp")
    device.refresh_from_db()
    device.throttling_failure_count = 0
    device.throttling_failure_timestamp = None
    device.save()
    issued = _token(supervisor.email, otp=code_of(device))
    assert issued.status_code == 201
    # The token reads what the supervisor may read, and nothing opens the factor pages.
    token = issued.json()["token"]
    assert APIClient().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200


def test_a_backup_code_also_obtains_a_token(supervisor):
    enrol_app(supervisor)
    code, _other = backup_codes_for(supervisor)
    assert _token(supervisor.email, otp=code).status_code == 201
    assert_problem(_token(supervisor.email, otp=code), 401, "invalid_otp")


def test_a_caseworker_without_a_factor_gets_a_token_with_the_password(caseworker):
    assert _token(caseworker.email).status_code == 201


def test_wrong_codes_at_the_token_endpoint_lock_the_account_out(supervisor):
    device = enrol_app(supervisor)
    for _ in range(5):
        _token(supervisor.email, otp="000000")
    device.refresh_from_db()
    device.throttling_failure_count = 0
    device.throttling_failure_timestamp = None
    device.save()
    response = _token(supervisor.email, otp=code_of(device))
    assert response.status_code == 429


def test_a_bearer_token_is_not_held_up_by_a_pending_session(client, supervisor):
    """A request with a token is the token's: a half-logged-in session cookie
    beside it changes nothing (and grants nothing)."""
    device = enrol_app(supervisor)
    _token_row, plain = issue_api_token(actor=supervisor)
    log_in(client, supervisor)
    response = client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {plain}")
    assert response.status_code == 200
    assert device.user_id == supervisor.pk


def _second_factor_required(tmp_path, **env) -> str:
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.SECOND_FACTOR_REQUIRED)"
    )
    environment = {
        k: v
        for k, v in os.environ.items()
        if k not in {"SECRET_KEY", "DEBUG", "DATABASE_URL", "SECOND_FACTOR_REQUIRED"}
    }
    environment.update(env, DJANGO_SETTINGS_MODULE="config.settings", SANAD_VAR_DIR=str(tmp_path))
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_on_by_default_off_only_in_debug_with_the_variable_unset(tmp_path):
    key = "a" * 50
    assert _second_factor_required(tmp_path, DEBUG="0", SECRET_KEY=key) == "True"
    assert _second_factor_required(tmp_path, DEBUG="1") == "False"
    assert _second_factor_required(tmp_path, DEBUG="1", SECOND_FACTOR_REQUIRED="1") == "True"
    assert (
        _second_factor_required(tmp_path, DEBUG="0", SECRET_KEY=key, SECOND_FACTOR_REQUIRED="0")
        == "False"
    )


def test_whether_a_user_has_a_factor_is_one_statement(caseworker, django_assert_num_queries):
    from accounts.second_factor import has_factor

    with django_assert_num_queries(1):
        assert has_factor(caseworker) is False
    StaticDevice.objects.create(user=caseworker, name="backup", confirmed=False)
    with django_assert_num_queries(1):
        assert has_factor(caseworker) is False  # not confirmed: not a factor yet
    TOTPDevice.objects.create(user=caseworker, name="phone", confirmed=True)
    with django_assert_num_queries(1):
        assert has_factor(caseworker) is True
