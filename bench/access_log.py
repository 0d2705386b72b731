"""What does the access log add to a case detail request? Run after ``bench.generate``.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sanad_bench python -m bench.access_log

Issue 6 asks for at most 2 ms added to the median case detail request on
PostgreSQL. Two personas from the bench data (a caseworker of the median
agency reading a case assigned to them, a supervisor of the largest agency
reading one of its cases) each request ``GET /cases/<id>/`` (the page) and
``GET /api/v1/cases/<id>/`` (the API) through Django's test client
(``force_login``: session, every middleware, view, template or serializer),
in three variants:

* **on**: the project as it is: ``AccessLogMiddleware`` collects the
  request's accesses and writes its one row when the response is ready
  (``accounts.access_log.append``: advisory lock on the chain, the chain's
  head, the insert, the commit);
* **off**: a second client whose middleware chain was built with a
  pass-through middleware in the access-log middleware's place
  (``override_settings(MIDDLEWARE=…)`` around ``load_middleware()``), and
  ``record_access`` replaced by a no-op in every module that imported it, so
  the selectors do not even note the access. Nothing else differs: same
  user, same case, same URL, same process and database connection, and the
  same depth of calls;
* **shallow**: a third client with the access-log middleware simply removed
  (and ``record_access`` a no-op): one call shallower than the other two.
  Not the comparison for the target: on CPython 3.11 a deep template render
  can cost ~20 ms more or less depending on where the frame stack meets a
  data-stack chunk boundary (CPython gh-142183), whatever the middleware does.

The variants take turns request by request (the order rotating each round),
so a change in the machine's load hits them alike; ``--warmup`` untimed
rounds come first. Garbage collection runs between requests, never inside a
timed one. For each persona and endpoint: median and p95 of each variant,
the median of the on − off differences of paired requests with a 95 %
confidence interval, and the SQL statements of one request of each
(``CaptureQueriesContext``, which lists BEGIN and COMMIT too). The
access-log table's rows and size are read before and after.

Then the row's write path alone (``access_log.append`` in autocommit, as a
GET request writes it): each statement timed through an execute wrapper,
the commit, and the rest (Python); once more with ``synchronous_commit =
off`` on the benchmark's own connection only (a diagnostic: how much of the
commit is the WAL flush), and ``EXPLAIN (ANALYZE, BUFFERS)`` of the head
query.

Last, ``--threads`` threads (each with its own client and, as Django gives
every thread, its own database connection) request the case page, then the
API, for ``--seconds`` seconds: users whose rows go to different chains,
then one user (one chain), logging on and off, ``--rounds`` times in
alternating order. It reports requests per second, latencies, and how many
backends were waiting for a chain's advisory lock (``pg_stat_activity``
sampled every 5 ms: time measured in Python would include waiting for the GIL).

Runs with ``DEBUG`` off unless told otherwise, a throw-away ``SECRET_KEY``,
``testserver`` allowed and a user throttle high enough not to answer 429.
Writes rows to the access log (one per "on" request, one per login). Exits 1
when the median difference exceeds the target for a persona or endpoint.
"""

import argparse
import math
import os
import re
import statistics
import sys
import threading
import time
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from unittest import mock

from bench.case_list import cpu_counters, percentile, table
from bench.common import (
    BENCH_DOMAIN,
    GRANTS_AGENCY_SLUG,
    bench_environment,
    collect_static,
    settle_garbage,
    setup_django,
    throwaway_static,
    timed_ms,
)

ACCESS_MIDDLEWARE = "accounts.access.AccessLogMiddleware"
TARGET_MEDIAN_MS = 2.0
ENDPOINTS = {"page": "/cases/{}/", "api": "/api/v1/cases/{}/"}


@dataclass
class Persona:
    key: str
    label: str
    user: object
    case: object
    timings: dict = field(default_factory=dict)  # (endpoint, variant) -> [ms]
    differences: dict = field(default_factory=dict)  # endpoint -> [ms], paired on − off
    statements: dict = field(default_factory=dict)  # (endpoint, variant) -> [sql]


# --- Switching the log off ------------------------------------------------------------


def _no_access_recorded(*args, **kwargs) -> None:
    return None


@contextmanager
def record_access_disabled():
    """``record_access`` as a no-op wherever it was imported (the selectors
    import the function itself, so patching ``accounts.access`` alone is not
    enough). Yields how many modules were patched."""
    import accounts.access

    original = accounts.access.record_access
    modules = [
        module
        for module in list(sys.modules.values())
        if module is not None and vars(module).get("record_access") is original
    ]
    with ExitStack() as stack:
        for module in modules:
            stack.enter_context(mock.patch.object(module, "record_access", _no_access_recorded))
        yield len(modules)


class PassThroughMiddleware:
    """Stands in for the access-log middleware in the "off" variant: the same
    depth of calls and a frame of the same size, nothing else. On CPython 3.11
    frames live in data-stack chunks; a deep template render that happens to
    straddle a chunk boundary allocates and frees a chunk on every crossing
    (CPython gh-142183), which moved the supervisor's case page by ~20 ms
    when the middleware was merely removed or replaced by a smaller frame."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        route = kwargs = trail = token = None
        if request is None:  # never true: sizes the frame like AccessLogMiddleware.__call__
            print(route, kwargs, trail, token, self)
        response = self.get_response(request)
        return response


def frame_slots(function) -> tuple[int, int]:
    """(local variable slots, evaluation stack slots) of a function's frame."""
    code = function.__code__
    return code.co_nlocals + len(code.co_cellvars) + len(code.co_freevars), code.co_stacksize


STAND_IN_MIDDLEWARE = "bench.access_log.PassThroughMiddleware"


def make_client(user, *, chain: str = "on"):
    """A logged-in test client. ``chain``: "on" (the project's middleware),
    "off" (the access-log middleware replaced by a pass-through) or
    "shallow" (the access-log middleware removed). The chain is built once
    and kept by the client."""
    from django.conf import settings
    from django.test import Client, override_settings

    client = Client()
    if chain != "on":
        if ACCESS_MIDDLEWARE not in settings.MIDDLEWARE:
            sys.exit(f"{ACCESS_MIDDLEWARE} is not in MIDDLEWARE: nothing to switch off.")
        if chain == "off":
            middleware = [
                STAND_IN_MIDDLEWARE if name == ACCESS_MIDDLEWARE else name
                for name in settings.MIDDLEWARE
            ]
        else:
            middleware = [name for name in settings.MIDDLEWARE if name != ACCESS_MIDDLEWARE]
        with override_settings(MIDDLEWARE=middleware):
            client.handler.load_middleware()
    client.force_login(user)
    return client


# --- The data ---------------------------------------------------------------------------


def bench_agencies():
    from django.db.models import Count

    from accounts.models import Agency

    agencies = list(
        Agency.objects.filter(contact_email__endswith=f"@{BENCH_DOMAIN}")
        .exclude(slug=GRANTS_AGENCY_SLUG)
        .annotate(cases_count=Count("cases"))
        .filter(cases_count__gt=0)
        .order_by("-cases_count", "slug")
    )
    if not agencies:
        sys.exit("No bench data: run python -m bench.generate first.")
    return agencies


def plain_members(agency, role):
    """Active members of ``agency`` with ``role`` and no other membership."""
    from django.db.models import Count

    from accounts.models import Membership, User

    single = (
        Membership.objects.filter(is_active=True)
        .values("user_id")
        .annotate(n=Count("agency_id"))
        .filter(n=1)
        .values("user_id")
    )
    ids = Membership.objects.filter(
        agency=agency, role=role, is_active=True, user_id__in=single
    ).values("user_id")
    return User.objects.filter(pk__in=ids, is_active=True).order_by("email")


def a_case_for(user, *, assigned: bool):
    """A case the user sees (assigned to them when asked), as the scope says."""
    from casework.selectors import cases_visible_to

    cases = cases_visible_to(user).order_by("-updated_at", "-id")
    if assigned:
        cases = cases.filter(assigned_to=user)
    return cases.first()


def find_personas() -> list[Persona]:
    agencies = bench_agencies()
    largest, middle = agencies[0], agencies[len(agencies) // 2]
    personas = []
    for user in plain_members(middle, "caseworker"):
        case = a_case_for(user, assigned=True)
        if case is not None:
            personas.append(
                Persona(
                    "caseworker",
                    f"caseworker, median agency ({middle.slug}), a case assigned to them",
                    user,
                    case,
                )
            )
            break
    for user in plain_members(largest, "supervisor"):
        case = a_case_for(user, assigned=False)
        if case is not None:
            personas.append(
                Persona("supervisor", f"supervisor, largest agency ({largest.slug})", user, case)
            )
            break
    if len(personas) != 2:
        sys.exit("Could not find a caseworker and a supervisor with a case in the bench data.")
    return personas


def users_on_distinct_chains(count: int):
    """Up to ``count`` caseworkers (one membership each, a case assigned),
    whose rows go to pairwise different chains."""
    from accounts.access_log import chain_for

    taken: dict[int, tuple] = {}
    for agency in bench_agencies():
        for user in plain_members(agency, "caseworker")[:10]:
            chain = chain_for(user.pk, None)
            if chain in taken:
                continue
            case = a_case_for(user, assigned=True)
            if case is not None:
                taken[chain] = (user, case)
            if len(taken) == count:
                return list(taken.values())
    return list(taken.values())


def log_size() -> tuple[int, int]:
    """(rows, bytes with indexes) of the access-log table."""
    from django.db import connection

    from accounts.models import AccessLog

    rows = AccessLog.objects.count()
    if connection.vendor != "postgresql":
        return rows, 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_total_relation_size(%s)", [AccessLog._meta.db_table])
        return rows, cursor.fetchone()[0]


# --- One request after another ---------------------------------------------------------


VARIANTS = ("on", "off", "shallow")


def measure_serial(persona: Persona, iterations: int, warmup: int) -> None:
    """The three variants in turn, the order rotating every iteration. Garbage
    collection runs between requests, never inside a timed one (a collection
    falls on whichever request the allocation count happens to reach it in)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from accounts.models import AccessLog

    clients = {variant: make_client(persona.user, chain=variant) for variant in VARIANTS}

    def request(variant: str, url: str) -> float:
        with record_access_disabled() if variant != "on" else ExitStack():
            elapsed, response = timed_ms(lambda: clients[variant].get(url))
        if response.status_code != 200:
            sys.exit(f"{persona.key} {variant} {url}: answered {response.status_code}.")
        return elapsed

    for endpoint, pattern in ENDPOINTS.items():
        url = pattern.format(persona.case.pk)
        for _ in range(warmup):
            for variant in VARIANTS:
                request(variant, url)
        # What each variant sends to the database (warm), and that only "on" writes a row.
        for variant in VARIANTS:
            before = AccessLog.objects.count()
            with CaptureQueriesContext(connection) as captured:
                request(variant, url)
            written = AccessLog.objects.count() - before
            if written != (1 if variant == "on" else 0):
                sys.exit(f"{persona.key} {endpoint} {variant}: {written} rows written.")
            persona.statements[endpoint, variant] = [q["sql"] for q in captured.captured_queries]
        settle_garbage()
        timings = {variant: [] for variant in VARIANTS}
        for iteration in range(iterations):
            shift = iteration % len(VARIANTS)
            for variant in VARIANTS[shift:] + VARIANTS[:shift]:
                timings[variant].append(request(variant, url))
        for variant in VARIANTS:
            persona.timings[endpoint, variant] = timings[variant]
        persona.differences[endpoint] = [
            a - b for a, b in zip(timings["on"], timings["off"], strict=True)
        ]
        persona.differences[endpoint, "shallow"] = [
            a - b for a, b in zip(timings["shallow"], timings["off"], strict=True)
        ]


# --- The row's write path alone ---------------------------------------------------------


def statement_kind(sql: str) -> str:
    text = sql.lstrip().upper()
    if "PG_ADVISORY_XACT_LOCK" in text:
        return "advisory lock"
    if text.startswith("SELECT"):
        return "chain head"
    if text.startswith("INSERT"):
        return "insert"
    return text.split(None, 1)[0].lower()


def measure_append(persona: Persona, iterations: int) -> dict[str, dict[str, list[float]]]:
    """``access_log.append`` in autocommit (as at the end of a GET request):
    each statement's time (BEGIN is sent with the first), the commit, and
    the rest (Python: model, hash, save). Normal commits, then
    ``synchronous_commit = off`` for this connection only."""
    from django.db import DEFAULT_DB_ALIAS, connection, connections

    from accounts import access_log
    from accounts.models import AccessLog
    from accounts.selectors import roles_of

    roles = roles_of(persona.user)
    fields = {
        "actor_id": persona.user.pk,
        "agency_id": persona.case.agency_id,
        "role": ",".join(sorted(roles.get(persona.case.agency_id, ()))),
        "action": AccessLog.Action.VIEW,
        "object_type": "casework.case",
        "object_id": str(persona.case.pk),
        "client_id": persona.case.client_id,
        "case_id": persona.case.pk,
        "route": "casework:case_detail",
        "ip": "127.0.0.1",
        "user_agent": "",
        "outcome": AccessLog.Outcome.OK,
    }
    postgresql = connection.vendor == "postgresql"
    wrapper = connections[DEFAULT_DB_ALIAS]
    results = {}
    for mode in ("on", "off") if postgresql else ("on",):
        if postgresql:
            with connection.cursor() as cursor:
                cursor.execute(f"SET synchronous_commit TO {mode}")
        spent: dict[str, list[float]] = {}
        current: dict[str, float] = {}

        def timer(execute, sql, params, many, context, current=current):
            started = time.perf_counter_ns()
            try:
                return execute(sql, params, many, context)
            finally:
                kind = statement_kind(sql)
                current[kind] = current.get(kind, 0.0) + (time.perf_counter_ns() - started) / 1e6

        def timed_commit(commit=wrapper.commit, current=current):
            started = time.perf_counter_ns()
            try:
                return commit()
            finally:
                current["commit"] = (time.perf_counter_ns() - started) / 1e6

        wrapper.commit = timed_commit  # this benchmark's connection only, removed below
        try:
            with connection.execute_wrapper(timer):
                for iteration in range(iterations + 10):
                    current.clear()
                    started = time.perf_counter_ns()
                    access_log.append(**fields)
                    total = (time.perf_counter_ns() - started) / 1e6
                    if iteration < 10:
                        continue
                    for kind, ms in current.items():
                        spent.setdefault(kind, []).append(ms)
                    spent.setdefault("whole append", []).append(total)
                    spent.setdefault("Python", []).append(total - sum(current.values()))
        finally:
            del wrapper.commit
        results[f"synchronous_commit {mode}"] = spent
    if postgresql:
        with connection.cursor() as cursor:
            cursor.execute("RESET synchronous_commit")
    return results


def explain_head(persona: Persona) -> str:
    from django.db import connection

    from accounts.access_log import chain_for
    from accounts.models import AccessLog

    chain = chain_for(persona.user.pk, None)
    head = AccessLog.objects.filter(chain=chain).order_by("-seq").values("seq", "hash")[:1]
    if connection.vendor != "postgresql":
        return head.explain()
    return f"{head.query}\n{head.explain(analyze=True, buffers=True)}"


# --- Threads ----------------------------------------------------------------------------


@dataclass
class Concurrent:
    endpoint: str
    users: str
    variant: str
    requests: int = 0
    seconds: float = 0.0
    latencies: list = field(default_factory=list)
    samples: int = 0
    waiting: int = 0  # backends waiting for an advisory lock, summed over samples
    samples_with_wait: int = 0
    errors: int = 0


def lock_waiters(cursor) -> int:
    """Backends of this database waiting for an advisory lock right now."""
    cursor.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND wait_event_type = 'Lock' AND wait_event = 'advisory'"
    )
    return cursor.fetchone()[0]


def run_threads(pairs, endpoint: str, variant: str, seconds: float, result: Concurrent) -> None:
    """One thread per (user, case), each with its own client and database
    connection, for ``seconds``; meanwhile this thread samples, every 5 ms,
    how many backends wait for an advisory lock (PostgreSQL's own view: time
    measured in Python would include waiting for the GIL)."""
    from django.db import connection, connections

    clients = [make_client(user, chain=variant) for user, _case in pairs]
    urls = [ENDPOINTS[endpoint].format(case.pk) for _user, case in pairs]
    ready = threading.Barrier(len(pairs) + 1)
    stop = threading.Event()
    counts = [0] * len(pairs)
    latencies = [[] for _ in pairs]
    errors = [0] * len(pairs)

    def worker(index: int) -> None:
        client, url = clients[index], urls[index]
        try:
            for _ in range(5):  # warm: connection, session, caches
                client.get(url)
            ready.wait()
            while not stop.is_set():
                started = time.perf_counter_ns()
                response = client.get(url)
                latencies[index].append((time.perf_counter_ns() - started) / 1e6)
                counts[index] += 1
                if response.status_code != 200:
                    errors[index] += 1
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(pairs))]
    sampling = connection.vendor == "postgresql"
    with record_access_disabled() if variant == "off" else ExitStack():
        for thread in threads:
            thread.start()
        ready.wait()
        started = time.perf_counter()
        deadline = started + seconds
        with connection.cursor() as cursor:
            while time.perf_counter() < deadline:
                if sampling:
                    waiting = lock_waiters(cursor)
                    result.samples += 1
                    result.waiting += waiting
                    result.samples_with_wait += waiting > 0
                time.sleep(0.005)
        stop.set()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
    result.requests += sum(counts)
    result.seconds += elapsed
    result.latencies += [ms for thread_latencies in latencies for ms in thread_latencies]
    result.errors += sum(errors)


# --- Reporting --------------------------------------------------------------------------


def median_interval(values: list[float]) -> tuple[float, float]:
    """A distribution-free 95 % confidence interval for the median (order
    statistics n/2 ± 1.96·√n/2)."""
    ordered = sorted(values)
    n = len(ordered)
    half_width = 1.96 * math.sqrt(n) / 2
    low = max(0, math.floor(n / 2 - half_width))
    high = min(n - 1, math.ceil(n / 2 + half_width))
    return ordered[low], ordered[high]


def without_literals(sql: str) -> str:
    sql = re.sub(r"'[^']*'", "?", sql)
    return re.sub(r"_django_curs_\w+", "cursor", sql)


def short_sql(sql: str, width: int = 110) -> str:
    sql = " ".join(sql.split())
    return sql if len(sql) <= width else sql[: width - 1] + "…"


def report_serial(personas: list[Persona]) -> bool:
    ok = True
    rows = []
    for persona in personas:
        for endpoint in ENDPOINTS:
            on = persona.timings[endpoint, "on"]
            off = persona.timings[endpoint, "off"]
            paired = statistics.median(persona.differences[endpoint])
            low, high = median_interval(persona.differences[endpoint])
            shallow = statistics.median(persona.differences[endpoint, "shallow"])
            meets = paired <= TARGET_MEDIAN_MS
            ok = ok and meets
            rows.append(
                [
                    f"{persona.key}, {endpoint}",
                    f"{statistics.median(off):.2f}",
                    f"{percentile(off, 0.95):.2f}",
                    f"{statistics.median(on):.2f}",
                    f"{percentile(on, 0.95):.2f}",
                    f"{statistics.median(on) - statistics.median(off):.2f}",
                    f"{paired:.2f}",
                    f"{low:.2f} … {high:.2f}",
                    f"{percentile(on, 0.95) - percentile(off, 0.95):.2f}",
                    f"{len(persona.statements[endpoint, 'off'])} → "
                    f"{len(persona.statements[endpoint, 'on'])}",
                    "met" if meets else "**not met**",
                    f"{shallow:.2f}",
                ]
            )
    print("\nOne request after another (ms; the variants take turns request by request):\n")
    table(
        [
            "persona, endpoint",
            "off med",
            "off p95",
            "on med",
            "on p95",
            "Δ medians",
            "Δ paired med",
            "95 % CI",
            "Δ p95",
            "SQL off → on",
            "≤ 2 ms",
            "shallow − off",
        ],
        rows,
    )
    print(
        "\n(on = as deployed; off = the access-log middleware replaced by a pass-through\n"
        "and record_access a no-op; shallow − off = the paired median of the same\n"
        "requests with the middleware removed instead: the chain one call shallower.)"
    )
    for persona in personas:
        for endpoint in ENDPOINTS:
            # Compared without literals: each client has its own session key.
            extra = list(persona.statements[endpoint, "on"])
            for sql in persona.statements[endpoint, "off"]:
                for index, candidate in enumerate(extra):
                    if without_literals(candidate) == without_literals(sql):
                        del extra[index]
                        break
            print(f"\nWhat the log adds to one {endpoint} request ({persona.key}), in order:")
            for sql in extra:
                print(f"  {short_sql(sql)}")
    return ok


def report_append(results: dict) -> None:
    print("\nThe row's write path alone: access_log.append in autocommit (ms):\n")
    kinds = ["advisory lock", "chain head", "insert", "commit", "Python", "whole append"]
    rows = []
    for mode, spent in results.items():
        for kind in kinds:
            values = spent.get(kind)
            if values:
                rows.append(
                    [
                        mode,
                        kind,
                        f"{statistics.median(values):.3f}",
                        f"{percentile(values, 0.95):.3f}",
                    ]
                )
    table(["connection", "part", "median", "p95"], rows)


def report_threads(results: list[Concurrent], threads: int) -> None:
    print(
        f"\n{threads} threads at once (one client and database connection each; "
        "advisory-lock waiters sampled from pg_stat_activity every 5 ms):\n"
    )
    rows = []
    for r in results:
        rate = r.requests / r.seconds if r.seconds else 0.0
        rows.append(
            [
                r.endpoint,
                r.users,
                r.variant,
                f"{r.requests:,}",
                f"{rate:.1f}",
                f"{statistics.median(r.latencies):.1f}" if r.latencies else "—",
                f"{percentile(r.latencies, 0.95):.1f}" if r.latencies else "—",
                f"{r.waiting / r.samples:.2f}" if r.samples else "—",
                f"{r.samples_with_wait / r.samples * 100:.0f} %" if r.samples else "—",
                str(r.errors),
            ]
        )
    table(
        [
            "endpoint",
            "users",
            "log",
            "requests",
            "requests/s",
            "latency med",
            "p95",
            "lock waiters (mean)",
            "samples with a waiter",
            "errors",
        ],
        rows,
    )
    by = {(r.endpoint, r.users, r.variant): r for r in results}
    for endpoint, users, _variant in by:
        if _variant != "on":
            continue
        on, off = by[endpoint, users, "on"], by.get((endpoint, users, "off"))
        if off and off.requests and on.seconds and off.seconds:
            ratio = (on.requests / on.seconds) / (off.requests / off.seconds)
            print(
                f"  {endpoint}, {users} users: with the log {ratio * 100:.0f} % of the rate without"
            )


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.access_log",
        description="Time a case detail request with the access log on and off.",
    )
    parser.add_argument("--iterations", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--append-iterations", type=int, default=300)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10.0, help="per concurrent run")
    parser.add_argument("--rounds", type=int, default=2, help="concurrent runs per setting")
    parser.add_argument("--no-threads", action="store_true", help="skip the concurrent part")
    options = parser.parse_args(argv)

    bench_environment()
    static_root = throwaway_static()
    setup_django()
    import django
    from django.conf import settings
    from django.db import connection

    from casework.models import Case

    collect_static(static_root)
    with connection.cursor() as cursor:
        sqlite = connection.vendor == "sqlite"
        cursor.execute("SELECT sqlite_version()" if sqlite else "SELECT version()")
        version = cursor.fetchone()[0]
    print(
        f"Django {django.get_version()}, {version.split(' on ')[0]}, DEBUG={settings.DEBUG}, "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}; "
        f"{Case.objects.count():,} cases; ACCESS_LOG_CHAINS={settings.ACCESS_LOG_CHAINS}; "
        f"{options.iterations} timed pairs after {options.warmup} warm-up"
    )
    from accounts.access import AccessLogMiddleware

    logged, stand_in = (
        frame_slots(AccessLogMiddleware.__call__),
        frame_slots(PassThroughMiddleware.__call__),
    )
    if logged != stand_in:
        print(
            f"  WARNING: AccessLogMiddleware.__call__ has frame slots {logged}, the stand-in "
            f"{stand_in}: resize PassThroughMiddleware.__call__, or on/off may differ by "
            "where the frame stack meets a chunk boundary, not by the log."
        )
    with record_access_disabled() as patched:
        print(
            f"  off: record_access a no-op in {patched} modules, a pass-through in place of "
            "the middleware; shallow: the same with the middleware removed"
        )

    personas = find_personas()
    for persona in personas:
        print(f"  {persona.key}: {persona.label}")
    rows_before, bytes_before = log_size()
    before = cpu_counters()
    for persona in personas:
        started = time.perf_counter()
        measure_serial(persona, options.iterations, options.warmup)
        print(f"  {persona.key}: {time.perf_counter() - started:.1f} s")
    after = cpu_counters()
    rows_after, bytes_after = log_size()
    if before and after:
        busy = (after[0] - before[0]) / max(1, after[1] - before[1]) * 100
        print(
            f"Machine CPU busy during the serial run: {busy:.0f} % of {os.cpu_count()} cores; "
            f"load average after: {os.getloadavg()[0]:.2f}"
        )
    ok = report_serial(personas)
    print(
        f"\nAccess-log table: {rows_before:,} rows, {bytes_before / 1024:,.0f} KiB before; "
        f"{rows_after:,} rows, {bytes_after / 1024:,.0f} KiB after "
        f"(+{rows_after - rows_before:,} rows, "
        f"{(bytes_after - bytes_before) / max(1, rows_after - rows_before):,.0f} bytes a row)"
    )

    report_append(measure_append(personas[0], options.append_iterations))
    print(f"\nThe chain head query, EXPLAIN:\n{explain_head(personas[0])}")

    if not options.no_threads:
        distinct = users_on_distinct_chains(options.threads)
        chains = len(distinct)
        if chains < options.threads:
            print(f"  only {chains} distinct chains available for {options.threads} threads")
        same = [(personas[0].user, personas[0].case)] * options.threads
        user_sets = [
            (f"different ({chains} chains)", distinct),
            ("same (1 chain)", same),
        ]
        results = {
            (endpoint, users, variant): Concurrent(endpoint, users, variant)
            for endpoint in ENDPOINTS
            for users, _pairs in user_sets
            for variant in ("on", "off")
        }
        before = cpu_counters()
        for round_number in range(options.rounds):
            order = ("on", "off") if round_number % 2 == 0 else ("off", "on")
            for endpoint in ENDPOINTS:
                for users, pairs in user_sets:
                    for variant in order:
                        result = results[endpoint, users, variant]
                        run_threads(pairs, endpoint, variant, options.seconds, result)
        after = cpu_counters()
        report_threads(list(results.values()), options.threads)
        if before and after:
            busy = (after[0] - before[0]) / max(1, after[1] - before[1]) * 100
            print(f"  machine CPU busy during the concurrent runs: {busy:.0f} %")
        rows_final, bytes_final = log_size()
        print(f"\nAccess-log table at the end: {rows_final:,} rows, {bytes_final / 1024:,.0f} KiB")

    print(
        f"\nTarget: the log adds ≤ {TARGET_MEDIAN_MS:g} ms to the median request "
        f"(paired on − off): {'met' if ok else 'NOT met'}."
    )
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
