"""What the production profile changes at the HTTP level (issue 14), tried
here with the settings it sets: HTTPS only but the health check, the API
documentation behind a login, no browsable API; and, everywhere, no API
answer kept in a cache (``Cache-Control: no-store``). The profile's settings
themselves, and `check --deploy`, are in tests/test_settings.py.
"""

import pytest
from django.test import Client

from accounts.services import issue_api_token
from tests.helpers import assert_problem

pytestmark = pytest.mark.django_db


# --- HTTPS ----------------------------------------------------------------------------


@pytest.fixture
def https_only(settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")


def test_plain_http_is_redirected_but_the_health_check(https_only):
    http = Client()
    login = http.get("/accounts/login/")
    assert login.status_code == 301
    assert login["Location"] == "https://testserver/accounts/login/"
    # A load balancer's probe over plain HTTP.
    health = http.get("/healthz")
    assert health.status_code == 200
    assert health.json() == {"status": "ok"}
    assert "Strict-Transport-Security" not in health  # never over plain HTTP
    ready = http.get("/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "ok"


def test_behind_the_tls_proxy_pages_answer_with_hsts(https_only):
    http = Client()
    for address in ("/accounts/login/", "/healthz"):
        response = http.get(address, HTTP_X_FORWARDED_PROTO="https")
        assert response.status_code == 200, address
        assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


# --- The API documentation -------------------------------------------------------------


def test_docs_and_schema_are_open_while_api_docs_public(client, settings):
    settings.API_DOCS_PUBLIC = True
    assert client.get("/api/docs/").status_code == 200
    assert (
        client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").status_code
        == 200
    )


@pytest.fixture
def docs_need_login(settings):
    settings.API_DOCS_PUBLIC = False


def test_docs_page_sends_a_visitor_to_the_login(client, docs_need_login):
    response = client.get("/api/docs/")
    assert response.status_code == 302
    # An absolute address, as every Location under /api/ (config.http.middleware).
    assert response["Location"] == "http://testserver/accounts/login/?next=/api/docs/"


@pytest.mark.parametrize(
    "accept", ["application/vnd.oai.openapi", "application/vnd.oai.openapi+json", "*/*"]
)
def test_schema_refuses_a_visitor_with_a_problem_document(client, docs_need_login, accept):
    response = client.get("/api/schema/", HTTP_ACCEPT=accept)
    body = assert_problem(response, 401, "not_authenticated")
    assert body["instance"] == "/api/schema/"
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_signed_in_staff_read_the_docs_and_the_schema(client_as, caseworker, docs_need_login):
    http = client_as(caseworker)
    page = http.get("/api/docs/")
    assert page.status_code == 200
    assert b"swagger-ui-config" in page.content
    schema = http.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    assert "/api/v1/me/" in schema.json()["paths"]


def test_a_bearer_token_reads_the_schema(client, caseworker, docs_need_login):
    _token, plain = issue_api_token(actor=caseworker)
    response = client.get(
        "/api/schema/",
        HTTP_ACCEPT="application/vnd.oai.openapi+json",
        HTTP_AUTHORIZATION=f"Bearer {plain}",
    )
    assert response.status_code == 200
    assert response.json()["openapi"].startswith("3.")


def test_without_debug_a_browser_gets_json_not_the_browsable_api(client_as, caseworker):
    response = client_as(caseworker).get(
        "/api/v1/me/", HTTP_ACCEPT="text/html,application/xhtml+xml,*/*;q=0.8"
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json()["email"] == caseworker.email


# --- Cache-Control on the API ----------------------------------------------------------


def _no_store(response) -> bool:
    directives = {part.strip() for part in response.get("Cache-Control", "").split(",")}
    return "no-store" in directives


def test_every_api_answer_is_no_store(as_user, caseworker, outsider, case, client_record):
    api = as_user(caseworker)
    answers = {
        "a client (200)": api.get(f"/api/v1/clients/{client_record.pk}/"),
        "a list (200)": api.get("/api/v1/cases/"),
        "a write (201)": api.post(
            f"/api/v1/cases/{case.pk}/notes/", {"body": "Called the client."}
        ),
        "refused input (400)": api.post("/api/v1/clients/", {"name": ""}),
        "not found (404)": api.get("/api/v1/cases/00000000-0000-4000-8000-000000000000/"),
        "no such address (404)": api.get("/api/v1/no-such-thing/"),
        "wrong method (405)": api.delete("/api/v1/cases/"),
        "unsupported body (415)": api.post(
            "/api/v1/clients/", "name=x", content_type="application/x-www-form-urlencoded"
        ),
    }
    outsider_answer = as_user(outsider).get(f"/api/v1/clients/{client_record.pk}/")
    answers["an outsider (404)"] = outsider_answer
    api.logout()
    answers["signed out (401)"] = api.get(f"/api/v1/clients/{client_record.pk}/")
    statuses = {name: response.status_code for name, response in answers.items()}
    assert statuses == {
        "a client (200)": 200,
        "a list (200)": 200,
        "a write (201)": 201,
        "refused input (400)": 400,
        "not found (404)": 404,
        "no such address (404)": 404,
        "wrong method (405)": 405,
        "unsupported body (415)": 415,
        "an outsider (404)": 404,
        "signed out (401)": 401,
    }
    for name, response in answers.items():
        assert response.get("Cache-Control") == "private, no-store", name


def test_a_bearer_token_answer_is_no_store(api_client, caseworker, client_record):
    _token, plain = issue_api_token(actor=caseworker)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {plain}")
    response = api_client.get(f"/api/v1/clients/{client_record.pk}/")
    assert response.status_code == 200
    assert _no_store(response)


def test_a_download_keeps_its_own_no_store(as_user, caseworker, case):
    response = as_user(caseworker).get(f"/api/v1/cases/{case.pk}/summary.pdf")
    assert response.status_code == 200
    assert _no_store(response)
    assert response["Cache-Control"].count("no-store") == 1
