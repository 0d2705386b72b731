"""Every 4xx of the API is one shape: an RFC 9457 problem with a machine code."""

import pytest

pytestmark = pytest.mark.django_db

PROBLEM_KEYS = {"type", "title", "status", "detail", "code"}


def assert_whole_problem(response, status, code):
    """Stricter than ``tests.helpers.assert_problem``: every member and the type URN."""
    assert response.status_code == status
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert set(body) >= PROBLEM_KEYS
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"] == f"urn:sanad:problem:{code}"
    return body


def test_unauthenticated(api_client):
    assert_whole_problem(api_client.get("/api/v1/me/"), 401, "not_authenticated")


def test_validation_error_names_the_fields(api_client):
    body = assert_whole_problem(
        api_client.post("/api/v1/auth/token/", {}, format="json"), 400, "validation_error"
    )
    assert {e["field"] for e in body["errors"]} == {"email", "password"}
    assert all(e["code"] == "required" for e in body["errors"])


def test_malformed_json(api_client):
    response = api_client.post(
        "/api/v1/auth/token/", data="{not json", content_type="application/json"
    )
    assert_whole_problem(response, 400, "parse_error")


def test_unknown_api_route(api_client, caseworker):
    api_client.force_authenticate(caseworker)
    body = assert_whole_problem(api_client.get("/api/v1/no-such-thing/"), 404, "not_found")
    assert body["instance"] == "/api/v1/no-such-thing/"


def test_method_not_allowed(api_client, caseworker):
    api_client.force_authenticate(caseworker)
    assert_whole_problem(
        api_client.put("/api/v1/me/", {}, format="json"), 405, "method_not_allowed"
    )


def test_throttled(api_client, settings):
    statuses = [
        api_client.post("/api/v1/auth/token/", {}, format="json").status_code for _ in range(30)
    ]
    assert statuses[-1] == 429
    response = api_client.post("/api/v1/auth/token/", {}, format="json")
    assert_whole_problem(response, 429, "throttled")
    assert "Retry-After" in response


def test_html_pages_keep_html_errors(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
