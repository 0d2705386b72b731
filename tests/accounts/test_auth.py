import pytest
from django.urls import reverse

from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def login(client, email, password):
    return client.post(reverse("accounts:login"), {"username": email, "password": password})


def test_login_with_email_and_password_then_logout(client, caseworker, agency):
    response = login(client, caseworker.email, PASSWORD)
    assert response.status_code == 302
    assert response.url == reverse("accounts:home")

    home = client.get(response.url)
    assert home.status_code == 200
    content = home.content.decode()
    assert agency.name in content
    assert "Caseworker" in content

    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert client.get(reverse("accounts:home")).status_code == 302  # back to login


def test_email_login_is_case_insensitive(client, caseworker):
    response = login(client, caseworker.email.upper(), PASSWORD)
    assert response.status_code == 302


def test_wrong_password_and_unknown_email_get_the_same_answer(client, caseworker):
    wrong_password = login(client, caseworker.email, "not the password")
    unknown_email = login(client, "nobody@test.example", "not the password")
    assert wrong_password.status_code == unknown_email.status_code == 200
    message = "The email address or the password is not right."
    assert message in wrong_password.content.decode()
    assert message in unknown_email.content.decode()
    assert "_auth_user_id" not in client.session


def test_inactive_user_cannot_log_in(client):
    user = UserFactory(is_active=False)
    response = login(client, user.email, PASSWORD)
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_repeated_failures_lock_the_login_out(client, caseworker):
    for _ in range(5):
        login(client, caseworker.email, "wrong")
    response = login(client, caseworker.email, PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_logout_needs_post(client_as, caseworker):
    client = client_as(caseworker)
    assert client.get(reverse("accounts:logout")).status_code == 405


def test_pages_need_login(client):
    response = client.get(reverse("accounts:home"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


def test_healthz_answers_when_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_private_media_is_not_served(client_as, caseworker, settings):
    client = client_as(caseworker)
    assert client.get(settings.MEDIA_URL + "secret_key").status_code == 404


def test_logging_in_records_last_login_without_a_history_row(client, caseworker):
    before = caseworker.history.count()
    login(client, caseworker.email, PASSWORD)
    caseworker.refresh_from_db()
    assert caseworker.last_login is not None
    assert caseworker.history.count() == before
