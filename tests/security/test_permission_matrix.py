"""The permission matrix (issue 14): every route and method of the URL conf ×
every persona × the relation of the record to them, against the statuses of
``permission_matrix.toml``; every response scanned for canaries the persona
may not see; every refused write checked to change no row.

The world is built once for the module (``world``), in a transaction rolled
back at the end; every cell runs in a savepoint rolled back after it
(``matrix.run_cell``). One test per persona collects every mismatch of that
persona into one message: under xdist the personas spread over the workers.
"""

import logging
import re
import time
from urllib.parse import urlsplit

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.db import transaction
from django.test import Client
from django.test.utils import override_settings
from django.urls import reverse
from rest_framework.test import APIClient

from tests.security import matrix
from tests.security.world import build_world

pytestmark = pytest.mark.django_db

MATRIX = matrix.load()
PERSONAS = tuple(MATRIX["personas"])
# The persona half-way through the second factor has a test of its own.
MATRIX_PERSONAS = tuple(persona for persona in PERSONAS if persona != "otp")
PUBLIC = frozenset(MATRIX["public"]["routes"].split())


def _storages(location) -> dict:
    storages = dict(django_settings.STORAGES)
    storages["default"] = {
        **storages["default"],
        "OPTIONS": {**storages["default"].get("OPTIONS", {}), "location": location},
    }
    return storages


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    """The world, built once for the module and rolled back after it."""
    location = tmp_path_factory.mktemp("matrix-private")
    with (
        django_db_blocker.unblock(),
        override_settings(
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
            PRIVATE_MEDIA_ROOT=location,
            STORAGES=_storages(location),
            SECOND_FACTOR_REQUIRED=False,
        ),
        transaction.atomic(),
    ):
        cache.clear()
        built = build_world()
        built.location = location
        yield built
        transaction.set_rollback(True)


@pytest.fixture
def matrix_settings(settings, world):
    """The world's private storage (its documents' files) for the test, and
    no second factor (the ``otp`` persona's test turns it on)."""
    settings.PRIVATE_MEDIA_ROOT = world.location
    settings.STORAGES = _storages(world.location)
    settings.SECOND_FACTOR_REQUIRED = False
    return settings


@pytest.fixture
def quiet():
    """Thousands of 4xx answers: no log line each (they cost time, not information)."""
    logging.disable(logging.WARNING)
    yield
    logging.disable(logging.NOTSET)


def _clients(world, persona: str) -> tuple[Client, APIClient]:
    """The persona's browser (a session) and API client (its bearer token)."""
    # A 500 is a cell's answer like any other, not an exception of the test.
    page, api = Client(raise_request_exception=False), APIClient(raise_request_exception=False)
    if persona != "anon":
        page.force_login(world.users[persona])
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {world.tokens[persona]}")
    return page, api


def _describe(name, method, relation, persona, wanted, answer) -> str:
    where = f" → {answer.location}" if answer.location else ""
    code = f" ({answer.problem_code})" if answer.problem_code else ""
    return (
        f"{name} {method} [{relation}] as {persona}: {answer.status}{code}{where}, "
        f"expected {wanted}"
    )


def _wrong_redirect(persona: str, answer, name: str) -> bool:
    """A 302 says where it goes: to the login page for whoever is not logged
    in (anonymous, deactivated), anywhere else for everyone else (but from a
    public route, or one that logs out: ``logs_out = true``)."""
    if answer.status != 302 or MATRIX["routes"][name].get("logs_out") or name in PUBLIC:
        return False
    to_login = matrix.redirect_target(answer.location) == "accounts:login"
    return to_login != (persona in MATRIX["defaults"])


# --- The file and the URL conf agree ------------------------------------------------------


def test_every_route_is_in_the_file():
    routes = matrix.every_route()
    listed = set(MATRIX["routes"])
    missing = sorted(set(routes) - listed)
    assert not missing, (
        "Add these routes to tests/security/permission_matrix.toml (every method × "
        f"persona): {missing}"
    )
    gone = sorted(listed - set(routes))
    assert not gone, f"Listed in permission_matrix.toml but gone from the URL conf: {gone}"
    for name, spec in MATRIX["routes"].items():
        methods = [key for key in spec if key in matrix.METHODS]
        assert methods, f"{name}: list the methods it serves"
        unknown = set(spec) - set(matrix.METHODS) - matrix.ROUTE_KEYS
        assert not unknown, f"{name}: unknown keys {unknown}"


def test_the_file_follows_the_design():
    """The file is written from DESIGN §2 and §5, not copied from what the
    code answers: these rules hold for every cell it lists."""
    problems = []
    for name, route in matrix.every_route().items():
        spec = MATRIX["routes"][name]
        for method in (key for key in spec if key in matrix.METHODS):
            for relation in matrix.relations_of(route):
                statuses = matrix.expected(MATRIX, name, method, route, relation)
                problems += [
                    f"{name} {method} [{relation}] {persona}: {status}: {rule}"
                    for persona, status in statuses.items()
                    if persona in MATRIX_PERSONAS
                    and matrix.runs(MATRIX, persona, relation)
                    and not matrix.excused(MATRIX, name, persona, relation)
                    for rule in matrix.design_rules(
                        MATRIX, name, route, method, relation, persona, status
                    )
                ]
    assert not problems, "\n".join(problems)


# --- The matrix ---------------------------------------------------------------------------


def _route_methods():
    """(name, pattern, method) for every route and method of the file."""
    for name, route in matrix.every_route().items():
        spec = MATRIX["routes"][name]
        for method in (key for key in spec if key in matrix.METHODS):
            yield name, route, method


def _run_cell(world, clients, name, route, method, relation, forbidden, counter):
    """One request: the page client or the API client, the relation's address
    and body; ``counter`` when a refusal must change no row."""
    page, api = clients
    spec = MATRIX["routes"][name]
    cache.clear()  # throttles count per test, not per cell
    return matrix.run_cell(
        api if matrix.is_api(route) else page,
        method,
        matrix.address(world, name, route, relation, spec.get("query", "")),
        api=matrix.is_api(route),
        forbidden=forbidden,
        counter=counter,
        body=matrix.fill(spec[method].get("body"), matrix.placeholders(world, relation)),
        format=spec[method].get("format", "json"),
    )


@pytest.mark.parametrize("persona", MATRIX_PERSONAS)
def test_matrix(persona, world, matrix_settings, quiet, record_property):
    """Every cell of one persona: the status, no forbidden canary in the body,
    no row changed by a write that is refused."""
    started = time.monotonic()
    page, api = _clients(world, persona)
    forbidden = matrix.forbidden_canaries(MATRIX, world, persona)
    counter = matrix.RowCounter()
    mismatches, cells = [], 0
    with matrix.draw_pdfs_as_html():
        for name, route, method in _route_methods():
            for relation in matrix.relations_of(route):
                if not matrix.runs(MATRIX, persona, relation):
                    continue
                wanted = matrix.expected(MATRIX, name, method, route, relation)[persona]
                refused = method in matrix.WRITES and matrix.is_refusal(wanted, persona)
                answer = _run_cell(
                    world,
                    (page, api),
                    name,
                    route,
                    method,
                    relation,
                    forbidden,
                    counter if refused else None,
                )
                cells += 1
                if answer.status != wanted or _wrong_redirect(persona, answer, name):
                    mismatches.append(_describe(name, method, relation, persona, wanted, answer))
                if answer.leaked:
                    tags = sorted({world.canaries.tags[canary] for canary in answer.leaked})
                    mismatches.append(f"{name} {method} [{relation}] as {persona}: LEAK {tags}")
                if answer.changed:
                    mismatches.append(
                        f"{name} {method} [{relation}] as {persona}: refused ({answer.status}) "
                        f"but changed rows: {answer.changed}"
                    )
    record_property("cells", cells)
    record_property("canaries", len(world.canaries.tags))
    record_property("forbidden_canaries", len(forbidden))
    record_property("seconds", round(time.monotonic() - started, 1))
    assert cells, "no cell ran"
    assert not mismatches, f"{len(mismatches)} of {cells} cells:\n" + "\n".join(mismatches)


def test_unlisted_methods_are_refused(world, matrix_settings, quiet):
    """A method the file does not list for a route answers 405 (as a logged-in
    caseworker), or, for a page that says so, exactly what its GET answers and
    writes nothing."""
    page, api = _clients(world, "cw")
    counter = matrix.RowCounter()
    problems = []
    with matrix.draw_pdfs_as_html():
        for name, route in matrix.every_route().items():
            spec = MATRIX["routes"][name]
            api_route = matrix.is_api(route)
            http = api if api_route else page
            relation = matrix.relations_of(route)[0]
            url = matrix.address(world, name, route, relation, spec.get("query", ""))
            listed = [method for method in matrix.METHODS if method in spec]
            as_get = spec.get("other_methods") == "as GET"
            get_status = None
            if as_get:
                get_status = matrix.run_cell(
                    http, "GET", url, api=api_route, forbidden=frozenset(), counter=None
                ).status
            for method in matrix.METHODS:
                if method in listed:
                    continue
                cache.clear()
                answer = matrix.run_cell(
                    http,
                    method,
                    url,
                    api=api_route,
                    forbidden=frozenset(),
                    counter=counter if method in matrix.WRITES else None,
                )
                wanted = get_status if as_get else 405
                if answer.status != wanted or answer.changed:
                    problems.append(
                        f"{name} {method}: {answer.status} {answer.changed or ''}, expected "
                        f"{wanted} (list the method in permission_matrix.toml if it is served)"
                    )
    assert not problems, "\n".join(problems)


# --- Django's admin: one rule --------------------------------------------------------------


def test_the_admin_sends_everyone_without_staff_status_to_its_login(world, matrix_settings, quiet):
    """Django's admin (``admin/…``) is for platform staff. Its login page opens
    to anyone; every other admin route sends the anonymous visitor and every
    persona (none is staff) to the admin's login, for GET and POST alike, and
    a POST changes nothing."""
    rule = MATRIX["admin"]
    problems = []
    routes = matrix.admin_routes()
    assert routes, "the admin has no routes"
    for persona in ("anon", *rule["personas"].split()):
        page, _api = _clients(world, persona)
        counter = matrix.RowCounter()  # after the login, which writes its own rows
        for name, route in routes.items():
            url = _admin_address(name, route)
            for method in ("GET", "POST"):
                answer = matrix.run_cell(
                    page,
                    method,
                    url,
                    api=False,
                    forbidden=frozenset(),
                    counter=counter if method in matrix.WRITES else None,
                )
                wanted = rule["open"].get(name, {}).get(method)
                if wanted is not None:
                    ok = answer.status == wanted
                else:
                    ok = answer.status == 302 and urlsplit(answer.location).path == reverse(
                        "admin:login"
                    )
                if not ok or answer.changed:
                    problems.append(
                        f"{name} {method} as {persona}: {answer.status} → {answer.location} "
                        f"{answer.changed or ''}"
                    )
    assert not problems, "\n".join(problems)


def _admin_address(name: str, route: str) -> str:
    """An address of an admin route, its arguments made up (the admin turns
    away whoever is not staff before it looks anything up). An unnamed route
    is keyed by its pattern: its arguments are filled in by hand."""
    if name.startswith("admin/"):
        path = re.sub(r"<(?:\w+:)?\w+>", "1", route).replace("(?P<url>.*)$", "no-such-page/")
        return "/" + path
    arguments = matrix.arguments_of(route)
    if not arguments:
        # A regular expression with positional groups (simple-history's admin), or none.
        return reverse(name, args=["1"] * re.compile(route).groups)
    return reverse(
        name, kwargs={key: "accounts" if key == "app_label" else "1" for key in arguments}
    )


# --- The persona half-way through the second factor ----------------------------------------


def test_a_session_half_way_through_the_second_factor(world, matrix_settings, quiet):
    """A supervisor logged in with the password only, where the second factor
    is required: every page sends them to the second-factor pages and every
    API request with that session answers 401 ``otp_required``, except the few
    routes the file names (login, logout, language, the second-factor pages)."""
    matrix_settings.SECOND_FACTOR_REQUIRED = True
    rule = MATRIX["second_factor_pending"]
    page = Client(raise_request_exception=False)
    api = APIClient(raise_request_exception=False)
    page.force_login(world.users["otp"])
    api.force_login(world.users["otp"])
    forbidden = matrix.forbidden_canaries(MATRIX, world, "otp")
    counter = matrix.RowCounter()
    problems, cells = [], 0
    with matrix.draw_pdfs_as_html():
        for name, route, method in _route_methods():
            open_route = name in rule["open"].split() or (
                ":" in name and name.split(":")[0] in rule["open_namespaces"].split()
            )
            answer = _run_cell(
                world,
                (page, api),
                name,
                route,
                method,
                matrix.relations_of(route)[0],
                forbidden,
                counter if method in matrix.WRITES and not open_route else None,
            )
            cells += 1
            if answer.leaked:
                problems.append(f"{name} {method}: LEAK")
            if open_route:
                continue
            if matrix.is_api(route):
                ok = (answer.status, answer.problem_code) == (401, "otp_required")
            else:
                target = matrix.redirect_target(answer.location)
                ok = answer.status == 302 and target.split(":")[0] == "second_factor"
            if not ok or answer.changed:
                problems.append(
                    f"{name} {method}: {answer.status} {answer.problem_code} "
                    f"{answer.location} {answer.changed or ''}"
                )
    assert cells
    assert not problems, "\n".join(problems)


# --- The scanner reads every kind of body ----------------------------------------------------


def test_the_scanner_finds_canaries_in_every_kind_of_body(world, matrix_settings, quiet):
    """The canary scan is only worth something if it can see: the caseworker's
    own case summary as a real PDF (pypdf), their case-list export as CSV and
    XLSX (openpyxl), the case page (HTML) and the case (JSON) all show the
    case's canaries."""
    page, api = _clients(world, "cw")
    bundle = world.bundles["own"]
    tags = world.canaries.tags
    everything = frozenset(tags)
    checks = {
        "PDF": (page, reverse("reports:case_summary", args=[bundle.case.pk]), "own.case"),
        "API PDF": (api, reverse("api-case-summary-pdf", args=[bundle.case.pk]), "own.case"),
        "CSV": (
            page,
            reverse("reports:job_download", args=[world.objects["job_csv"].pk]),
            "own.client.identity",
        ),
        "XLSX": (
            page,
            reverse("reports:job_download", args=[world.objects["job_xlsx"].pk]),
            "own.client.identity",
        ),
        "HTML": (page, reverse("casework:case_detail", args=[bundle.case.pk]), "own.note"),
        "JSON": (api, reverse("api-case-detail", args=[bundle.case.pk]), "own.case"),
    }
    for kind, (http, url, tag) in checks.items():
        answer = matrix.run_cell(
            http, "GET", url, api=http is api, forbidden=everything, counter=None
        )
        assert answer.status == 200, (kind, answer.status, answer.location)
        assert tag in {tags[canary] for canary in answer.leaked}, (kind, answer.leaked)


def test_the_row_counter_sees_a_write_and_the_savepoint_undoes_it(world, matrix_settings, quiet):
    """A refused write is checked by row counts: they must move when a write
    happens (a note and its history row), and be back after the cell."""
    _page, api = _clients(world, "cw")
    counter = matrix.RowCounter()
    case = world.bundles["own"].case
    answer = matrix.run_cell(
        api,
        "POST",
        reverse("api-case-notes", args=[case.pk]),
        api=True,
        forbidden=frozenset(),
        counter=counter,
        body={"body": "A note"},
    )
    assert answer.status == 201, answer
    tables = {change.split()[0] for change in answer.changed}
    assert {"casework_casenote", "casework_historicalcasenote"} <= tables, answer.changed
    assert counter.changed() == []
