"""Personal data never reaches the logs (issue 14).

A canary (a made-up value no real record holds) is sent through every path
that logs: a client created and refused through the API and the page, failed
logins until the lock-out (axes), the token endpoint, a search's query string,
headers (User-Agent, Referer, Origin, Host), paths that match no route or a
route with a slug, an unknown HTTP method, CSRF refusals, unhandled
exceptions (a page and the API; the message and its cause's), a failing
Celery task, SQL logged with DEBUG's cursor, the development server's request
line. Every logger is opened to DEBUG, and what the handlers of
settings.LOGGING write — their own filters and formatter, tracebacks
included — is read back: the canary is nowhere, while the lines each path
writes are there (so the test cannot pass by logging nothing).

The fix for a leak belongs in config/logging.py (the ``personal_data`` filter
of every handler), not here.
"""

import io
import logging
import logging.config
import uuid
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.core.servers.basehttp import WSGIRequestHandler
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from casework.models import Client as ClientRecord
from config import celery_app
from config.logging import WithoutPersonalData, route_of_path, traceback_without_messages

pytestmark = pytest.mark.django_db


# Libraries that put a handler of their own on their logger when imported,
# out of reach of settings.LOGGING (which is applied before they are imported).
OWN_HANDLERS_ALLOWED = {
    # rfc3987-syntax's parser: its logger stays at CRITICAL (grammar errors).
    "lark": "grammar errors of a URI parser, never request data",
    # webauthn's ASN.1 decoder: writes only once pyasn1.debug.setLogger() turns
    # its debug flags on, which nothing in Sanad does.
    "pyasn1": "silent unless its debug flags are switched on in code",
}


@celery_app.task(name="tests.fail_with_message")
def fail_with_message(message: str) -> None:
    raise ValueError(message)


def _filtered_handlers() -> list[logging.Handler]:
    return [
        handler
        for handler in logging.getLogger().handlers
        if any(isinstance(each, WithoutPersonalData) for each in handler.filters)
    ]


@pytest.fixture
def log_output():
    """Everything the configured handlers write, every logger at DEBUG."""
    stream = io.StringIO()
    handlers = _filtered_handlers()
    assert handlers, "settings.LOGGING's console handler carries the personal_data filter"
    streams = [(handler, handler.setStream(stream)) for handler in handlers]
    levels = {}
    loggers = [logging.getLogger()] + [
        logging.getLogger(name) for name in list(logging.root.manager.loggerDict)
    ]
    for logger in loggers:
        levels[logger] = logger.level
        if logger.level != logging.NOTSET:
            logger.setLevel(logging.DEBUG)
    logging.getLogger().setLevel(logging.DEBUG)
    try:
        yield stream
    finally:
        for handler, previous in streams:
            handler.setStream(previous)
        for logger, level in levels.items():
            logger.setLevel(level)


@pytest.fixture
def canary() -> str:
    # Lower case letters and digits: valid in an e-mail, a host name, a slug and a path.
    return f"canary{uuid.uuid4().hex}"


def _send_the_canary(canary: str, caseworker) -> None:
    email = f"{canary}@example.org"
    api = Client(raise_request_exception=False)
    api.force_login(caseworker)
    new_client = {
        "name": f"Zeinab {canary}",
        "name_latin": f"Zeinab {canary}",
        "sex": "female",
        "nationalities": ["AF"],
        "languages": ["fa"],
        "phone": "+39 333 000 0000",
    }
    created = api.post("/api/v1/clients/", new_client, content_type="application/json")
    assert created.status_code == 201, created.content
    refused = api.post(
        "/api/v1/clients/",
        {**new_client, "date_of_birth": canary},
        content_type="application/json",
    )
    assert refused.status_code == 400
    page = api.post("/clients/new/", {"name": canary, "date_of_birth": canary})
    assert page.status_code in (200, 400)

    # Failed logins until the lock-out (axes logs each one and the lock-out).
    anonymous = Client(raise_request_exception=False)
    for _attempt in range(settings.AXES_FAILURE_LIMIT + 1):
        anonymous.post(
            "/accounts/login/",
            {"username": email, "password": canary},
            HTTP_USER_AGENT=f"Browser/{canary}",
        )
    token = anonymous.post(
        "/api/v1/auth/token/",
        {"email": email, "password": canary, "name": canary},
        content_type="application/json",
    )
    assert token.status_code in (400, 401, 403, 429)

    # Query string, headers, paths.
    api.get(
        f"/search/?q={canary}",
        HTTP_USER_AGENT=f"Browser/{canary}",
        HTTP_REFERER=f"https://{canary}.example/page",
    )
    assert api.get(f"/clients/{canary}/").status_code == 404
    assert api.get(f"/{canary}/").status_code == 404
    assert api.get(f"/api/v1/{canary}/").status_code == 404
    assert api.get(f"/agencies/{canary}/team/").status_code == 404
    assert anonymous.generic(f"X{canary.upper()}", "/accounts/login/").status_code == 405
    assert anonymous.get("/", HTTP_HOST=f"{canary}.example").status_code == 400

    # Unhandled exceptions, with the canary in their message and their cause's.
    assert api.get(f"/test-only/fail/?message={canary}").status_code == 500
    assert api.get(f"/api/v1/test-only/fail/?message={canary}").status_code == 500

    # CSRF refusals quote the Origin or Referer they refused.
    strict = Client(enforce_csrf_checks=True, raise_request_exception=False)
    strict.force_login(caseworker)
    origin = strict.post("/language/", {"language": "en"}, HTTP_ORIGIN=f"https://{canary}.example")
    assert origin.status_code == 403
    referer = strict.post(
        "/language/",
        {"language": "en"},
        secure=True,
        HTTP_REFERER=f"https://{canary}.example/form",
    )
    assert referer.status_code == 403

    # A failing task (its message in Celery's line and in the traceback).
    result = fail_with_message.apply(args=[canary], throw=False)
    assert result.failed()

    # SQL as DEBUG's cursor logs it, with its values.
    with CaptureQueriesContext(connection):
        assert ClientRecord.objects.filter(name=canary).exists() is False

    # The development server's line: the request line with its query string.
    server = SimpleNamespace(request=None, log_date_time_string=lambda: "now")
    WSGIRequestHandler.log_message(
        server, '"%s" %s %s', f"GET /search/?q={canary} HTTP/1.1", "200", "512"
    )
    WSGIRequestHandler.log_message(
        server, "code %d, message %s", 400, f"Bad request version ('{canary}')"
    )


@pytest.mark.urls("tests.error_urls")
def test_the_canary_reaches_no_log(log_output, canary, caseworker):
    _send_the_canary(canary, caseworker)

    written = log_output.getvalue()
    leaks = [line for line in written.splitlines() if canary in line.lower()]
    assert not leaks, "\n".join(leaks)
    # Each path did log, without the canary.
    for expected in [
        "Bad Request: /api/v1/clients/",
        "AXES: New login failure",
        "AXES: Locking out",
        "Not Found: (unmatched path)",
        "Not Found: /agencies/<slug:slug>/team/",
        "Method Not Allowed ((withheld)): /accounts/login/",
        "django.security.DisallowedHost <django.core.exceptions.DisallowedHost>",
        "Internal Server Error: /test-only/fail/",
        "Internal Server Error: /api/v1/test-only/fail/",
        "RuntimeError: (message withheld)",
        "LookupError: (message withheld)",
        "Forbidden (Origin checking failed): /language/",
        "Forbidden (Referer checking failed): /language/",
        "raised unexpected: <ValueError>",
        "ValueError: (message withheld)",
        "a query on default (SQL withheld)",
        '"GET /search/ HTTP/1.1" 200 512',
        "code 400, message (withheld)",
    ]:
        assert expected in written, f"{expected!r} not in the log:\n{written}"
    assert "Traceback (most recent call last):" in written
    assert "raise RuntimeError(message) from cause" in written  # the code line stays

    # No logger those paths used writes through a handler of its own without the filter.
    unfiltered = {
        name: logger.handlers
        for name, logger in logging.root.manager.loggerDict.items()
        if isinstance(logger, logging.Logger)
        and name not in OWN_HANDLERS_ALLOWED
        and any(
            not isinstance(handler, logging.NullHandler)
            and not any(isinstance(each, WithoutPersonalData) for each in handler.filters)
            for handler in logger.handlers
        )
    }
    assert unfiltered == {}


@pytest.mark.urls("tests.error_urls")
def test_json_lines_hold_the_same_and_nothing_a_record_carries_besides(
    log_output, canary, caseworker
):
    """LOG_FORMAT=json: the same paths, one JSON object a line, only the
    formatter's fields (Django's records carry the request itself)."""
    import json

    from config.logging import JsonLines

    handlers = _filtered_handlers()
    formatters = [(handler, handler.formatter) for handler in handlers]
    for handler in handlers:
        handler.setFormatter(JsonLines())
    start = len(log_output.getvalue())  # the fixtures' own lines went before
    try:
        _send_the_canary(canary, caseworker)
    finally:
        for handler, formatter in formatters:
            handler.setFormatter(formatter)

    written = log_output.getvalue()[start:].splitlines()
    not_json = [line for line in written if not line.startswith("{")]
    assert not not_json, not_json[:5]
    lines = [json.loads(line) for line in written]
    assert len(lines) > 10
    assert all(set(line) <= set(JsonLines.FIELDS) for line in lines), lines[:3]
    assert all({"time", "level", "logger", "message"} <= set(line) for line in lines)
    assert not [line for line in lines if canary in json.dumps(line, ensure_ascii=False).lower()]
    errors = [
        line for line in lines if line["message"] == "Internal Server Error: /test-only/fail/"
    ]
    assert errors and errors[0]["level"] == "ERROR" and errors[0]["status_code"] == 500
    assert "RuntimeError: (message withheld)" in errors[0]["exc_info"]


def test_every_handler_of_the_settings_withholds_personal_data():
    for name, handler in settings.LOGGING["handlers"].items():
        assert "personal_data" in handler.get("filters", []), name
    assert settings.LOGGING["filters"]["personal_data"]["()"] == (
        "config.logging.WithoutPersonalData"
    )


def test_a_celery_worker_keeps_the_filtered_handlers(monkeypatch):
    """Celery's worker puts its own handlers on the root logger unless a
    setup_logging receiver answers; config/celery.py's applies settings.LOGGING."""
    from celery.signals import setup_logging

    applied = []
    monkeypatch.setattr(logging.config, "dictConfig", applied.append)
    answers = setup_logging.send(
        sender=None, loglevel="INFO", logfile=None, format="", colorize=False
    )
    assert answers, "config.celery connects a setup_logging receiver"
    assert applied == [settings.LOGGING]


def test_a_path_becomes_its_route_with_its_ids():
    client_id = uuid.uuid4()
    assert route_of_path(f"/clients/{client_id}/") == f"/clients/{client_id}/"
    assert route_of_path("/agencies/someone/team/") == "/agencies/<slug:slug>/team/"
    assert route_of_path("/clients/Maryam/") == "(unmatched path)"


def test_a_traceback_names_the_exceptions_without_their_messages():
    name = "-".join(["Maryam", "Haddad"])  # not in the source lines the traceback quotes
    try:
        try:
            raise KeyError(name)
        except KeyError as cause:
            raise ValueError(f"{name}, born 1990") from cause
    except ValueError as error:
        text = traceback_without_messages(error)
    assert "Maryam" not in text
    assert text.count("Traceback (most recent call last):") == 2
    assert text.index("KeyError: (message withheld)") < text.index("ValueError: (message withheld)")
