import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_anonymous_visitor_switches_to_arabic_right_to_left(client):
    response = client.post(
        reverse("accounts:switch_language"), {"language": "ar", "next": "/accounts/login/"}
    )
    assert response.status_code == 302
    page = client.get("/accounts/login/").content.decode()
    assert 'lang="ar" dir="rtl"' in page
    assert "تسجيل الدخول" in page


def test_logged_in_user_keeps_the_choice_on_the_account(client_as, caseworker):
    client = client_as(caseworker)
    client.post(reverse("accounts:switch_language"), {"language": "fr", "next": "/"})
    caseworker.refresh_from_db()
    assert caseworker.preferred_language == "fr"
    client.cookies.pop("django_language", None)
    page = client.get(reverse("accounts:home")).content.decode()
    assert 'lang="fr" dir="ltr"' in page
    assert "Bienvenue" in page


def test_unknown_language_and_foreign_redirects_are_ignored(client):
    response = client.post(
        reverse("accounts:switch_language"), {"language": "xx", "next": "https://evil.example/"}
    )
    assert response.status_code == 302
    assert response.url == "/"
