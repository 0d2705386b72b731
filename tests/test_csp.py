"""Content-Security-Policy (issue 14): every response carries the policy, and
no page needs what it forbids — no ``<script>`` without ``src`` (a JSON data
block is data), no ``<style>``, no ``style=""``, no ``on…=`` handler, no
``hx-on``, no ``javascript:`` URL, no htmx attribute evaluated as script.

Three nets: the pages rendered (every HTML page of the access-log walk in
tests/accounts/test_every_route_logs.py, the pages without personal data, the
error pages, the API docs, htmx fragments), the template files themselves
(every branch, even one no test renders) and the static scripts (no eval).
The browser step (.ci/browser, tests/e2e/test_phone_layout.py) fails on any
violation Chromium reports.
"""

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from accounts.models import Membership
from accounts.permissions import Role
from referrals.models import Service
from tests.accounts import test_every_route_logs as route_walk
from tests.accounts.test_every_route_logs import READS_PERSONAL_DATA, World

pytestmark = pytest.mark.django_db

# The access-log walk's records (a client, a case, a consent, a document, referrals).
world = route_walk.world

ROOT = Path(__file__).resolve().parent.parent
REQUIRED = {
    "default-src": {"'self'"},
    "script-src": {"'self'"},
    "style-src": {"'self'"},
    "img-src": {"'self'"},
    "connect-src": {"'self'"},
    "object-src": {"'none'"},
    "base-uri": {"'none'"},
    "frame-ancestors": {"'none'"},
    "form-action": {"'self'"},
}
DATA_SCRIPT_TYPES = {"application/json", "application/ld+json"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "hx-get", "hx-post"}
# htmx evaluates these as script when their value starts with js: or javascript:.
HTMX_VALUE_ATTRIBUTES = {"hx-vals", "hx-headers", "hx-vars", "data-hx-vals", "data-hx-headers"}
# Rendered to PDF by WeasyPrint only (reports.pdf), never served as a page:
# its <style> is the PDF's page layout, not a browser's concern.
PDF_ONLY_TEMPLATES = {"reports/print_base.html"}


def policy_of(response) -> dict[str, set[str]]:
    header = response.get("Content-Security-Policy", "")
    assert header, f"no Content-Security-Policy on {response.status_code} {response!r}"
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = set(words[1:])
    return directives


class InlineCode(HTMLParser):
    """What in a page the policy would refuse, each with its line."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def _report(self, what: str) -> None:
        self.found.append(f"line {self.getpos()[0]}: {what}")

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script" and not attributes.get("src"):
            kind = (attributes.get("type") or "").strip().lower()
            if kind not in DATA_SCRIPT_TYPES:
                self._report("<script> without src")
        if tag == "style":
            self._report("<style>")
        for name, value in attrs:
            value = (value or "").strip()
            if name == "style":
                self._report(f'<{tag} style="{value[:40]}">')
            elif name.startswith("on"):
                self._report(f"<{tag} {name}=…> (an event handler)")
            elif re.match(r"(data-)?hx-on", name):
                self._report(f"<{tag} {name}=…> (htmx runs it with eval)")
            elif name in URL_ATTRIBUTES and value.lower().startswith("javascript:"):
                self._report(f"<{tag} {name}=javascript:…>")
            elif name in HTMX_VALUE_ATTRIBUTES and value.lower().startswith(("js:", "javascript:")):
                self._report(f"<{tag} {name}=js:…> (htmx runs it with eval)")

    handle_startendtag = handle_starttag


def inline_code_in(html: str) -> list[str]:
    parser = InlineCode()
    parser.feed(html)
    parser.close()
    return parser.found


def test_the_checker_finds_each_kind_of_inline_code():
    page = (
        '<p style="color: red">x</p><script>alert(1)</script><style>p{}</style>'
        '<button onclick="go()">x</button><a href=" JavaScript:go()">x</a>'
        '<div hx-on:click="go()"></div><div hx-vals="js:{a: go()}"></div>'
        '<script type="application/json" id="d">{"a": 1}</script><script src="/s.js"></script>'
    )
    found = inline_code_in(page)
    assert len(found) == 7, found


def test_the_policy_is_the_one_the_issue_asks_for(client):
    policy = policy_of(client.get(reverse("accounts:login")))
    assert policy == REQUIRED
    assert not any("unsafe" in source for sources in policy.values() for source in sources)


@pytest.mark.urls("tests.error_urls")
def test_every_kind_of_response_carries_the_policy(caseworker, case):
    http = Client(raise_request_exception=False)
    http.force_login(caseworker)
    answers = {
        "page": http.get(reverse("casework:case_detail", args=[case.pk])),
        "API answer": http.get(f"/api/v1/cases/{case.pk}/"),
        "API problem": http.get("/api/v1/cases/not-a-case/"),
        "missing page": http.get("/no-such-page/"),
        "server error page": http.get("/test-only/fail/"),
        "server error in the API": http.get("/api/v1/test-only/fail/"),
        "health check": http.get("/healthz"),
    }
    refused_csrf = Client(enforce_csrf_checks=True)
    refused_csrf.force_login(caseworker)
    answers["CSRF refusal"] = refused_csrf.post(reverse("accounts:switch_language"))
    statuses = {name: response.status_code for name, response in answers.items()}
    assert statuses == {
        "page": 200,
        "API answer": 200,
        "API problem": 404,
        "missing page": 404,
        "server error page": 500,
        "server error in the API": 500,
        "health check": 200,
        "CSRF refusal": 403,
    }
    for name, response in answers.items():
        assert policy_of(response) == REQUIRED, name
        if response["Content-Type"].startswith("text/html"):
            assert inline_code_in(response.content.decode()) == [], name


def _admin_of(agency):
    return (
        Membership.objects.filter(agency=agency, role=Role.AGENCY_ADMIN, is_active=True)
        .select_related("user")
        .first()
        .user
    )


def _pages_without_personal_data(world: World, agency_admin) -> list[tuple[str, object, str]]:
    """(name, who asks, address) for the pages the access-log walk leaves out."""
    from reports.services import request_report
    from tests.factories import platform_operator

    service = Service.objects.filter(agency=world.partner_agency).first()
    partner_admin = _admin_of(world.partner_agency)
    membership = Membership.objects.get(user=world.caseworker, agency__slug="amal")
    job = request_report(
        actor=world.caseworker, kind="case_list", format="csv", parameters={}, language="en"
    )
    slug = "amal"
    return [
        ("accounts:login", None, reverse("accounts:login")),
        ("accounts:password_reset_complete", None, reverse("accounts:password_reset_complete")),
        ("api-docs", None, reverse("api-docs")),
        ("accounts:account", world.caseworker, reverse("accounts:account")),
        ("accounts:notifications", world.caseworker, reverse("accounts:notifications")),
        ("accounts:team", agency_admin, reverse("accounts:team", args=[slug])),
        ("accounts:member", agency_admin, reverse("accounts:member", args=[slug, membership.pk])),
        ("casework:client_register", world.caseworker, reverse("casework:client_register")),
        ("privacy:break_glass", world.supervisor, reverse("privacy:break_glass")),
        ("privacy:emergency_access", agency_admin, reverse("privacy:emergency_access", args=[slug])),  # noqa: E501
        ("privacy:retention", world.dpo, reverse("privacy:retention", args=[slug])),
        ("referrals:directory", world.caseworker, reverse("referrals:directory")),
        ("referrals:service_detail", world.caseworker, reverse("referrals:service_detail", args=[service.pk])),  # noqa: E501
        ("referrals:service_add", partner_admin, reverse("referrals:service_add")),
        ("referrals:service_edit", partner_admin, reverse("referrals:service_edit", args=[service.pk])),  # noqa: E501
        ("referrals:service_import", partner_admin, reverse("referrals:service_import")),
        ("reports:index", world.supervisor, reverse("reports:index")),
        ("reports:jobs", world.caseworker, reverse("reports:jobs")),
        ("reports:job", world.caseworker, reverse("reports:job", args=[job.pk])),
        ("reports:disclosure_register", world.dpo, reverse("reports:disclosure_register")),
        ("admin:login", None, reverse("admin:login")),
        ("admin:index", platform_operator(), reverse("admin:index")),
    ]  # fmt: skip


def test_no_page_has_inline_code(world, agency_admin):
    """Every HTML page of the access-log walk and the pages without personal
    data, each as a persona who may see it: 200, the policy, nothing inline."""
    pages = [
        (name, getattr(world, spec.persona), spec.url(world))
        for name, spec in sorted(READS_PERSONAL_DATA.items())
        if not spec.url(world).startswith("/api/")
    ] + _pages_without_personal_data(world, agency_admin)
    problems = {}
    html_pages = 0
    for name, persona, address in pages:
        http = Client()
        if persona is not None:
            http.force_login(persona)
        response = http.get(address)
        if response.status_code != 200:
            problems[name] = f"HTTP {response.status_code} for {address}"
            continue
        if policy_of(response) != REQUIRED and name != "api-docs":
            problems[name] = f"policy {response['Content-Security-Policy']}"
        if not response["Content-Type"].startswith("text/html"):
            continue  # a download: the policy is enough
        html_pages += 1
        found = inline_code_in(response.content.decode())
        if found:
            problems[name] = found
    assert not problems, problems
    assert html_pages >= 40, html_pages


def test_htmx_fragments_have_no_inline_code(
    client_as, caseworker, referral_officer, case, consent, partner_agency
):
    from tests.factories import make_referral, make_service

    make_service(partner_agency)
    referral = make_referral(caseworker, case, partner_agency)
    htmx = {"HTTP_HX_REQUEST": "true"}
    fragments = {
        "note added": client_as(caseworker).post(
            reverse("casework:note_add", args=[case.pk]),
            {"kind": "note", "body": "Met the client."},
            **htmx,
        ),
        "packet summary": client_as(referral_officer).get(
            reverse("referrals:packet", args=[referral.pk]) + "?part=summary", **htmx
        ),
    }
    assert b"Met the client." in fragments["note added"].content
    for name, response in fragments.items():
        assert response.status_code == 200, (name, response.content[:300])
        body = response.content.decode()
        assert "<html" not in body, name  # a fragment, not a page
        assert inline_code_in(body) == [], (name, inline_code_in(body))


def _template_files() -> list[Path]:
    folders = [Path(folder) for engine in settings.TEMPLATES for folder in engine["DIRS"]]
    return sorted(path for folder in folders for path in folder.rglob("*.html"))


TEMPLATE_COMMENT = re.compile(r"\{#.*?#\}|\{% comment %\}.*?\{% endcomment %\}", re.DOTALL)
SOURCE_PATTERNS = {
    "<script> without src": re.compile(
        r"<script\b(?![^>]*\bsrc\s*=)(?![^>]*type=[\"']application/(?:ld\+)?json)[^>]*>", re.I
    ),
    "<style>": re.compile(r"<style\b", re.I),
    "style= attribute": re.compile(r"<[a-z][^>]*\sstyle\s*=", re.I),
    "event handler attribute": re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I),
    "hx-on attribute": re.compile(r"<[a-z][^>]*\s(?:data-)?hx-on[:-]", re.I),
    "javascript: URL": re.compile(r"=\s*[\"']?\s*javascript:", re.I),
    "htmx value run as script": re.compile(r"hx-(?:vals|headers|vars)\s*=\s*[\"']\s*js:", re.I),
}


def test_no_template_has_inline_code():
    """Every branch of every template, including those no test renders."""
    files = _template_files()
    assert len(files) > 50
    problems = []
    for path in files:
        name = path.relative_to(ROOT / "templates").as_posix()
        if name in PDF_ONLY_TEMPLATES:
            continue
        source = TEMPLATE_COMMENT.sub("", path.read_text())
        for what, pattern in SOURCE_PATTERNS.items():
            for match in pattern.finditer(source):
                line = source.count("\n", 0, match.start()) + 1
                problems.append(f"{name}:{line}: {what}")
    assert not problems, "\n".join(problems)


def test_the_pdf_only_template_is_never_a_page():
    """print_base.html keeps its <style>: it and the documents extending it are
    named only by the code that makes PDFs (reports/pdf.py, reports/documents/)."""
    templates = ROOT / "templates"
    pdf_templates = {"reports/print_base.html"} | {
        path.relative_to(templates).as_posix()
        for path in templates.rglob("*.html")
        if '{% extends "reports/print_base.html" %}' in path.read_text()
    }
    assert len(pdf_templates) > 3
    named_by = {}
    for app in ("accounts", "casework", "referrals", "privacy", "reports", "config", "demo"):
        for path in (ROOT / app).rglob("*.py"):
            text = path.read_text()
            for name in pdf_templates:
                if f'"{name}"' in text:
                    named_by.setdefault(path.relative_to(ROOT).as_posix(), set()).add(name)
    assert named_by
    assert all(
        path == "reports/pdf.py" or path.startswith("reports/documents/") for path in named_by
    ), named_by


def test_static_scripts_never_evaluate_strings():
    scripts = sorted((ROOT / "static" / "js").glob("*.js"))
    assert scripts
    for path in scripts:
        text = path.read_text()
        assert not re.search(
            r"\beval\s*\(|new\s+Function\s*\(|set(?:Timeout|Interval)\s*\(\s*[\"'`]", text
        ), path.name
        assert ".innerHTML" not in text and 'setAttribute("style"' not in text, path.name


def test_htmx_is_configured_for_the_policy(client_as, caseworker):
    html = client_as(caseworker).get(reverse("accounts:home")).content.decode()
    meta = re.search(r"<meta name=\"htmx-config\" content='([^']*)'>", html)
    assert meta, "base.html sets htmx's configuration"
    config = json.loads(meta[1])
    assert config == {"includeIndicatorStyles": False, "allowEval": False, "allowScriptTags": False}
    assert re.search(r'<script src="/static/django_htmx/htmx-2\.min\.js" defer>', html)


def test_api_docs_run_from_static_files(client):
    response = client.get(reverse("api-docs"))
    assert response.status_code == 200
    html = response.content.decode()
    assert inline_code_in(html) == []
    assert '<script src="/static/js/api-docs.js">' in html
    assert '<link rel="stylesheet" href="/static/css/api-docs.css">' in html
    block = re.search(
        r'<script id="swagger-ui-config" type="application/json">(.*?)</script>', html, re.S
    )
    config = json.loads(block[1])
    assert config["schemaUrl"] == "/api/schema/"
    assert config["settings"]["validatorUrl"] is None
    assert config["csrfHeaderName"] == "X-CSRFTOKEN" and config["csrfToken"]
    # Only Swagger UI's own data: images are allowed on top of the site's policy.
    policy = policy_of(response)
    assert policy == {**REQUIRED, "img-src": {"'self'", "data:"}}
    assert (
        "Cross-Origin-Opener-Policy" in response
        and response["Cross-Origin-Opener-Policy"] == "same-origin"
    )
