import re

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_schema_is_valid_openapi_3(client, tmp_path):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/auth/token/" in schema["paths"]
    # drf-spectacular's own validation against the OpenAPI 3 JSON schema.
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml")
    )


def test_schema_documents_problem_details(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    assert "Problem" in schema["components"]["schemas"]
    me = schema["paths"]["/api/v1/me/"]["get"]["responses"]
    assert "application/problem+json" in me["401"]["content"]
    assert "application/problem+json" in me["404"]["content"]
    token = schema["paths"]["/api/v1/auth/token/"]["post"]["responses"]
    assert "application/problem+json" in token["400"]["content"]
    assert "bearerAuth" in schema["components"]["securitySchemes"]


def test_docs_page_uses_installed_assets_not_a_cdn(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in html
    # Every script and stylesheet is served by us: no absolute asset URL at all.
    asset_urls = re.findall(r'(?:src|href)\s*=\s*["\']([^"\']+)', html)
    assert asset_urls
    assert all(url.startswith("/") for url in asset_urls), asset_urls
    assert not re.search(r"https?://[^\s\"']*cdn", html, re.IGNORECASE)
