"""Verifying the access log's chains writes a kept verdict, so it is a POST:
the page's form (with its CSRF token) and ``POST /api/v1/audit/access-log/verify/``
keep a verdict; the access log page and the API's GET only read. Tried as the
DPO, a member without VIEW_ACCESS_LOG and a stranger."""

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.services import issue_api_token
from privacy.models import AccessLogVerification
from tests.helpers import page

pytestmark = pytest.mark.django_db

LOG = reverse("privacy:access_log")
VERIFY = reverse("privacy:access_log_verify")
API_VERIFY = reverse("api-audit-access-log-verify")


def test_the_page_and_the_api_get_write_no_verdict(client_as, as_user, dpo, case):
    web = client_as(dpo)
    assert web.get(LOG).status_code == 200
    assert web.get(LOG, {"verify": "1"}).status_code == 200
    assert web.get(VERIFY).status_code == 405
    body = as_user(dpo).get(API_VERIFY).json()
    assert body["intact"] is True and body["rows"] > 0
    assert not AccessLogVerification.objects.exists()


def test_the_form_posts_and_keeps_the_verdict(client_as, dpo, case):
    web = client_as(dpo)
    response = web.post(VERIFY, follow=True)
    assert response.redirect_chain == [(LOG, 302)]
    kept = AccessLogVerification.objects.get()
    assert kept.verified_by == dpo and kept.intact
    content = page(response)
    assert kept.rows > 0 and f"Intact, {kept.rows} row" in content
    assert f"Verified by {dpo.display_name}." in content


def test_the_api_post_keeps_the_verdict(as_user, dpo, case):
    body = as_user(dpo).post(API_VERIFY).json()
    kept = AccessLogVerification.objects.get()
    assert kept.verified_by == dpo
    assert body["intact"] is kept.intact is True and body["rows"] == kept.rows


@pytest.mark.parametrize("persona", ["caseworker", "supervisor", "agency_admin", "outsider"])
def test_only_a_dpo_may_verify(request, client_as, as_user, persona):
    user = request.getfixturevalue(persona)
    assert client_as(user).post(VERIFY).status_code == 403
    api = as_user(user)
    assert api.post(API_VERIFY).status_code == 403
    assert api.get(API_VERIFY).status_code == 403
    assert not AccessLogVerification.objects.exists()


def test_the_form_needs_its_csrf_token(dpo):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(dpo)
    assert browser.post(VERIFY).status_code == 403
    assert not AccessLogVerification.objects.exists()
    content = page(browser.get(LOG))
    token = browser.cookies["csrftoken"].value
    assert f'<form method="post" action="{VERIFY}"' in content
    assert 'name="csrfmiddlewaretoken"' in content
    response = browser.post(VERIFY, {"csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert AccessLogVerification.objects.count() == 1


def test_the_api_post_needs_csrf_with_a_session_not_with_a_token(dpo):
    session = APIClient(enforce_csrf_checks=True)
    session.force_login(dpo)
    assert session.post(API_VERIFY).status_code == 403
    assert not AccessLogVerification.objects.exists()
    _token, plain = issue_api_token(actor=dpo)
    bearer = APIClient(enforce_csrf_checks=True)
    bearer.credentials(HTTP_AUTHORIZATION=f"Bearer {plain}")
    assert bearer.post(API_VERIFY).status_code == 200
    assert AccessLogVerification.objects.count() == 1
