from datetime import timedelta

import pytest
from django.utils import timezone

from accounts import services
from accounts.authentication import hash_token
from accounts.models import ApiToken
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"


def obtain(api_client, email, password):
    return api_client.post(
        TOKEN_URL, {"email": email, "password": password, "name": "import"}, format="json"
    )


def test_obtain_use_and_revoke_a_token(api_client, caseworker, agency):
    response = obtain(api_client, caseworker.email, PASSWORD)
    assert response.status_code == 201
    plain = response.json()["token"]
    assert "no-store" in response["Cache-Control"].replace(" ", "").split(",")

    # Stored hashed only: the plain token is nowhere in the table.
    token = ApiToken.objects.get(pk=response.json()["id"])
    assert token.token_hash == hash_token(plain)
    assert plain not in {token.token_hash, token.prefix, token.name}

    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {plain}")
    me = api_client.get("/api/v1/me/")
    assert me.status_code == 200
    assert me.json()["email"] == caseworker.email
    assert me.json()["memberships"] == [
        {
            "agency_slug": agency.slug,
            "agency_name": agency.name,
            "agency_time_zone": "UTC",
            "role": "caseworker",
        }
    ]

    assert api_client.delete(TOKEN_URL).status_code == 204
    after = api_client.get("/api/v1/me/")
    assert after.status_code == 401
    assert after["Content-Type"] == "application/problem+json"
    assert after.json()["code"] == "invalid_token"


def test_wrong_password_and_unknown_email_get_the_same_401(api_client, caseworker):
    wrong = obtain(api_client, caseworker.email, "wrong password")
    unknown = obtain(api_client, "nobody@test.example", "wrong password")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["code"] == unknown.json()["code"] == "invalid_credentials"
    assert wrong.json()["detail"] == unknown.json()["detail"]
    assert not ApiToken.objects.exists()


def test_missing_fields_are_named(api_client):
    response = api_client.post(TOKEN_URL, {"email": "not-an-email"}, format="json")
    assert response.status_code == 400
    fields = {error["field"] for error in response.json()["errors"]}
    assert fields == {"email", "password"}


def test_expired_and_garbage_tokens_are_refused(api_client, caseworker):
    token, plain = services.issue_api_token(actor=caseworker)
    token.expires_at = timezone.now() - timedelta(seconds=1)
    token.save(update_fields=["expires_at"])
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {plain}")
    assert api_client.get("/api/v1/me/").status_code == 401
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    assert api_client.get("/api/v1/me/").status_code == 401
    api_client.credentials(HTTP_AUTHORIZATION="Bearer")
    assert api_client.get("/api/v1/me/").json()["code"] == "invalid_token"


def test_revoking_needs_a_bearer_token(api_client, caseworker):
    api_client.force_authenticate(caseworker)
    response = api_client.delete(TOKEN_URL)
    assert response.status_code == 400
    assert response.json()["code"] == "no_token"


def test_token_of_a_deactivated_user_stops_working(api_client, caseworker):
    _token, plain = services.issue_api_token(actor=caseworker)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {plain}")
    assert api_client.get("/api/v1/me/").status_code == 200
    caseworker.is_active = False
    caseworker.save(update_fields=["is_active"])
    assert api_client.get("/api/v1/me/").status_code == 401


def test_a_user_revokes_only_their_own_tokens_on_the_account_page(
    client_as, caseworker, supervisor
):
    theirs, _plain = services.issue_api_token(actor=supervisor)
    client = client_as(caseworker)
    response = client.post(f"/accounts/me/tokens/{theirs.pk}/revoke/")
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


def test_account_page_shows_a_new_token_once(client_as, caseworker):
    client = client_as(caseworker)
    response = client.post("/accounts/me/", {"name": "laptop script"})
    assert response.status_code == 200
    token = ApiToken.objects.get(user=caseworker)
    shown = response.context["new_token"]
    assert hash_token(shown) == token.token_hash
    again = client.get("/accounts/me/")
    assert shown not in again.content.decode()
    assert token.prefix in again.content.decode()


def test_token_endpoint_is_throttled(api_client, settings, caseworker):
    responses = [obtain(api_client, "nobody@test.example", "x").status_code for _ in range(25)]
    assert 429 in responses
    throttled = obtain(api_client, "nobody@test.example", "x")
    assert throttled.json()["code"] in {"throttled", "locked_out"}


def test_a_locked_out_login_says_when_to_come_back(api_client, settings, caseworker):
    # django-axes locks the e-mail after AXES_FAILURE_LIMIT failures from one address.
    answers = [obtain(api_client, caseworker.email, "wrong").status_code for _ in range(25)]
    locked = obtain(api_client, caseworker.email, "wrong")
    assert 429 in answers and locked.status_code == 429
    if locked.json()["code"] == "locked_out":
        assert locked["Retry-After"] == str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    else:  # the throttle answered first: DRF says when too
        assert int(locked["Retry-After"]) >= 0
