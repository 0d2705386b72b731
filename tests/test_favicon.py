"""The site's icon (issue 15): every page links static/img/favicon.svg, and
/favicon.ico — which browsers ask for whatever a page links — answers with a
redirect to it instead of a 404 (a console error on every first visit)."""

from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.templatetags.static import static
from django.urls import reverse

from tests.helpers import page

pytestmark = pytest.mark.django_db

ICON = "img/favicon.svg"


def test_the_icon_is_a_static_svg():
    path = finders.find(ICON)
    assert path, f"static/{ICON} is missing"
    text = Path(path).read_text(encoding="utf-8")
    assert text.startswith('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"')
    assert text.rstrip().endswith("</svg>")
    # Drawn, not fetched: no external reference (the policy allows images from 'self' only).
    assert "href" not in text and "<script" not in text


def test_favicon_ico_redirects_to_the_icon_for_anyone(client, caseworker):
    anonymous = client.get("/favicon.ico")
    client.force_login(caseworker)
    logged_in = client.get("/favicon.ico")
    for response in (anonymous, logged_in):
        # Not permanent: the icon's address changes with its content (hashed names).
        assert response.status_code == 302, response.status_code
        assert response["Location"] == static(ICON)
    assert reverse("favicon") == "/favicon.ico"


def test_favicon_ico_answers_only_reads(client):
    assert client.head("/favicon.ico").status_code == 302
    assert client.post("/favicon.ico").status_code == 405


def test_pages_link_the_icon(client, caseworker):
    link = f'<link rel="icon" href="{static(ICON)}" type="image/svg+xml">'
    assert link in page(client.get(reverse("accounts:login")))
    client.force_login(caseworker)
    assert link in page(client.get(reverse("accounts:home")))
