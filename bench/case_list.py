"""How fast is the case list for every user shape? Run after ``bench.generate``.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sanad_bench python -m bench.case_list

For each user shape it measures, in one run (``--iterations`` timed runs after
``--warmup`` untimed ones; median and p95, in milliseconds):

* **API**: ``GET /api/v1/cases/?page_size=50`` through Django's test client
  (session login with ``force_login``; middleware, DRF, serializer, JSON),
  and the SQL queries of one request (``CaptureQueriesContext``);
* **scope, cold**: the page query the case list runs, ``first_rows(
  filter_cases(user), ("-updated_at", "-id"), 50, case_list_parts(user))``
  (one limited read per agency and one for the grants, where the scope has
  more than one part), with a fresh user object each time, so loading the user's
  grant shape (``scope_of``: role permissions, explicit grants) is included,
  as in every request; ``scope_of`` alone and ``agency_permissions`` alone
  are timed too;
* **scope, warm**: the same with the grant shape already cached on the user:
  the page query alone;
* **raw**: a hand-written SQL query for the same page through
  ``connection.cursor()``, built from the user's memberships and grant rows
  (one ``ORDER BY … LIMIT 50`` per index-friendly branch, merged): the lower
  bound;
* **single OR (before)**: the same page as one query filtered by the
  scope's OR, ``cases_visible_to(user).order_by(…)[:50]``, warm: what the
  list ran before it read the parts one by one;
* **guardian** (explicit-grants shape only, where it computes the same set):
  ``get_objects_for_user(user, "casework.view_case", Case)`` for the page;
* **calibration**: the same API request with a one-row page, and
  ``GET /api/v1/me/`` (the cheapest authenticated endpoint: session,
  middleware, DRF), to split the API time into floor, fixed and per-row cost.

Every measurement of a shape runs in turn within each iteration, so that a
change in the machine's load hits them alike; the share of the machine's
CPU that was busy during the run is printed (others' work inflates every
figure, the ratios much less).

Shapes, found in the generated data: (a) a caseworker of the median-size
agency, (b) a supervisor of the largest agency, (c) a caseworker of a small
agency (~200 cases), (d) a referral officer who sees ≈20 cases through
explicit grants only; and three extra shapes that mix index families: (e) a
caseworker of the largest agency with 5 user grants, (f) a caseworker of a
tail agency (~0.6 % of the cases) whose role group holds 5 grants, (g) a
caseworker of two tail agencies.

Runs with ``DEBUG`` off unless told otherwise (DEBUG keeps every query in
memory), a throw-away ``SECRET_KEY``, ``testserver`` allowed and a user
throttle high enough not to answer 429. ``--explain`` prints ``EXPLAIN
(ANALYZE, BUFFERS)`` of the scope's page query for each shape. Exits 1 when
a target is missed for one of the shapes (a)–(d).
"""

import argparse
import copy
import math
import os
import statistics
import sys
import time
from dataclasses import dataclass, field

from bench.common import (
    BENCH_DOMAIN,
    GRANTS_AGENCY_SLUG,
    bench_environment,
    collect_static,
    is_sqlite,
    settle_garbage,
    setup_django,
    statement_counts,
    throwaway_static,
    timed_ms,
)

TARGETS = {
    "api_median_ms": 10.0,
    "api_p95_ms": 25.0,
    "page_median_ms": 15.0,
    "scope_over_raw": 3.0,
    "queries": 8,
}
PAGE = 50
ORDER = ("-updated_at", "-id")
CORE_SHAPES = "abcd"


@dataclass
class Shape:
    key: str
    label: str
    user_id: object
    raw_sql: str = ""
    raw_params: list = field(default_factory=list)
    visible: int = 0
    timings: dict = field(default_factory=dict)  # name -> [ms]
    api_queries: int = 0  # statements, BEGIN/COMMIT/SAVEPOINT not counted
    api_transaction_statements: int = 0  # those, apart
    page_queries: int = 0
    page_transaction_statements: int = 0
    api_rows: int = 0
    cold_queries: int = 0


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def median(shape: Shape, name: str) -> float | None:
    values = shape.timings.get(name)
    return statistics.median(values) if values else None


# --- The shapes and their raw lower bound ----------------------------------------


def facts_of(user_id) -> dict:
    """The user's active memberships and grant rows, read directly."""
    from accounts.models import Membership
    from casework.models import CaseGroupObjectPermission, CaseUserObjectPermission

    return {
        "memberships": list(
            Membership.objects.filter(user_id=user_id, is_active=True)
            .order_by("agency__slug")
            .values_list("agency_id", "role")
        ),
        "user_grants": CaseUserObjectPermission.objects.filter(user_id=user_id).count(),
        "group_grants": CaseGroupObjectPermission.objects.filter(group__user=user_id).count(),
    }


def view_case_permission_id() -> int:
    from django.contrib.auth.models import Permission

    return Permission.objects.get(content_type__app_label="casework", codename="view_case").pk


def granted_case_ids_sql() -> str:
    """The ids of the cases granted to a user (``view_case``) directly or
    through one of their groups; parameters: user, permission, user,
    permission."""
    from accounts.models import User
    from casework.models import CaseGroupObjectPermission, CaseUserObjectPermission

    return (
        f"SELECT content_object_id FROM {CaseUserObjectPermission._meta.db_table} "
        "WHERE user_id = %s AND permission_id = %s UNION ALL "
        f"SELECT g.content_object_id FROM {CaseGroupObjectPermission._meta.db_table} g "
        f"JOIN {User.groups.through._meta.db_table} ug ON ug.group_id = g.group_id "
        "WHERE ug.user_id = %s AND g.permission_id = %s"
    )


def raw_page_sql(user_id, facts: dict, view_case: int | None = None) -> tuple[str, list]:
    """A hand-written query for the first page: one ``ORDER BY … LIMIT`` branch
    per agency (each walks the (agency, updated_at, id) index and stops after
    50 rows) and one for the explicit grants; several branches are merged."""
    from django.db import connection

    from accounts.permissions import ROLE_PERMISSIONS, Perm
    from casework.models import Case

    def db(value):  # a UUID as the backend stores it (hex text on SQLite)
        return Case._meta.pk.get_db_prep_value(value, connection)

    user_id = db(user_id)
    table = Case._meta.db_table
    columns = ", ".join(f'"{table}"."{f.column}"' for f in Case._meta.concrete_fields)
    order = f'ORDER BY "updated_at" DESC, "id" DESC LIMIT {PAGE}'
    branches: list[tuple[str, list]] = []
    for agency_id, role in facts["memberships"]:
        perms = ROLE_PERMISSIONS[role]
        if Perm.VIEW_ALL_CASES in perms:
            branches.append(
                (f"SELECT {columns} FROM {table} WHERE agency_id = %s {order}", [db(agency_id)])
            )
        elif Perm.VIEW_CASE in perms:
            branches.append(
                (
                    f"SELECT {columns} FROM {table} WHERE agency_id = %s "
                    f"AND (NOT is_restricted OR assigned_to_id = %s) {order}",
                    [db(agency_id), user_id],
                )
            )
    if facts["user_grants"] or facts["group_grants"]:
        # Looked up by the caller once (a constant of the database), not per page.
        view_case = view_case if view_case is not None else view_case_permission_id()
        granted = granted_case_ids_sql()
        branches.append(
            (
                f"SELECT {columns} FROM {table} WHERE id IN ({granted}) {order}",
                [user_id, view_case, user_id, view_case],
            )
        )
    if len(branches) == 1:
        return branches[0]
    # SELECT * FROM (…) around each branch: SQLite takes no parenthesised
    # compound members with their own ORDER BY / LIMIT; PostgreSQL takes both.
    sql = " UNION ".join(
        f"SELECT * FROM ({branch}) AS branch{index}"
        for index, (branch, _params) in enumerate(branches)
    )
    return (
        f"SELECT * FROM ({sql}) AS page {order}",
        [param for _branch, params in branches for param in params],
    )


def raw_shape_sql() -> str:
    """What a request reads before its page: the user's active memberships
    and whether any grant names them, in one hand-written statement (the
    scope reads the same facts through ``scope_of``)."""
    from accounts.models import Membership, User
    from casework.models import CaseGroupObjectPermission, CaseUserObjectPermission

    return (
        f"SELECT m.agency_id, m.role, "
        f"EXISTS (SELECT 1 FROM {CaseUserObjectPermission._meta.db_table} u "
        f"WHERE u.user_id = %s), "
        f"EXISTS (SELECT 1 FROM {CaseGroupObjectPermission._meta.db_table} g "
        f"JOIN {User.groups.through._meta.db_table} ug ON ug.group_id = g.group_id "
        f"WHERE ug.user_id = %s) "
        f"FROM {Membership._meta.db_table} m WHERE m.user_id = %s AND m.is_active "
        f"ORDER BY m.agency_id"
    )


def find_shapes() -> list[Shape]:
    from django.db.models import Count

    from accounts.models import Agency, Membership, RoleGroup
    from casework.models import CaseGroupObjectPermission

    agencies = list(
        Agency.objects.filter(contact_email__endswith=f"@{BENCH_DOMAIN}")
        .exclude(slug=GRANTS_AGENCY_SLUG)
        .annotate(cases_count=Count("cases"))
        .filter(cases_count__gt=0)
        .order_by("-cases_count", "slug")
    )
    if not agencies:
        sys.exit("No bench data: run python -m bench.generate first.")
    largest, middle, smallest = agencies[0], agencies[len(agencies) // 2], agencies[-1]

    def plain(facts):
        return len(facts["memberships"]) == 1 and not facts["user_grants"] + facts["group_grants"]

    def member(agency, role, wanted=plain):
        if agency is None:
            return None
        candidates = Membership.objects.filter(agency=agency, role=role, is_active=True)
        for user_id in candidates.order_by("user__email").values_list("user_id", flat=True):
            if wanted(facts_of(user_id)):
                return user_id
        return None

    receiving = (
        RoleGroup.objects.filter(
            group_id__in=CaseGroupObjectPermission.objects.values("group_id"), role="caseworker"
        )
        .select_related("agency")
        .first()
    )
    two_agencies = (
        Membership.objects.filter(role="caseworker", is_active=True)
        .values("user_id")
        .annotate(agencies=Count("agency_id"))
        .filter(agencies__gte=2)
        .order_by("user_id")
        .first()
    )
    grants_desk = Agency.objects.filter(slug=GRANTS_AGENCY_SLUG).first()

    def n(agency):
        return f"{agency.slug}, {agency.cases_count:,} cases"

    candidates = [
        ("a", f"caseworker, median agency ({n(middle)})", member(middle, "caseworker")),
        ("b", f"supervisor, largest agency ({n(largest)})", member(largest, "supervisor")),
        ("c", f"caseworker, small agency ({n(smallest)})", member(smallest, "caseworker")),
        (
            "d",
            "referral officer, explicit grants only",
            member(grants_desk, "referral_officer", lambda f: f["user_grants"] > 0),
        ),
        (
            "e",
            f"caseworker, largest agency + 5 user grants ({largest.slug})",
            member(largest, "caseworker", lambda f: f["user_grants"] > 0),
        ),
        (
            "f",
            "caseworker, tail agency + 5 group grants"
            + (f" ({receiving.agency.slug})" if receiving else ""),
            member(receiving.agency if receiving else None, "caseworker", lambda f: True),
        ),
        (
            "g",
            "caseworker of two tail agencies",
            two_agencies["user_id"] if two_agencies else None,
        ),
    ]
    shapes = []
    for key, label, user_id in candidates:
        if user_id is None:
            print(f"  no user for shape ({key}) {label}: skipped")
            continue
        sql, params = raw_page_sql(user_id, facts_of(user_id))
        shapes.append(Shape(key, label, user_id, sql, params))
    return shapes


# --- Measuring ----------------------------------------------------------------------


def cpu_counters() -> tuple[int, int] | None:
    """(busy, total) jiffies of the whole machine, from /proc/stat (Linux)."""
    try:
        with open("/proc/stat") as stat:
            values = [int(v) for v in stat.readline().split()[1:9]]
    except OSError:
        return None
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


def timed(functions: dict, iterations: int, warmup: int) -> dict[str, list[float]]:
    """Run the functions in turn, ``iterations`` times, the order rotating
    each time: a change in the machine's load then hits every measurement
    alike, not just one (``bench.common.timed_ms``: no garbage collection
    inside a timed call)."""
    for _ in range(warmup):
        for function in functions.values():
            function()
    settle_garbage()
    names = list(functions)
    result: dict[str, list[float]] = {name: [] for name in names}
    for iteration in range(iterations):
        shift = iteration % len(names)
        for name in names[shift:] + names[:shift]:
            result[name].append(timed_ms(functions[name])[0])
    return result


def measure(shape: Shape, iterations: int, warmup: int, with_api: bool) -> None:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from guardian.shortcuts import get_objects_for_user

    from accounts.models import User
    from accounts.selectors import agency_permissions
    from casework.models import Case
    from casework.selectors import case_list_parts, cases_visible_to, filter_cases, scope_of
    from config.http.keyset import first_rows, keys_of

    base = User.objects.get(pk=shape.user_id)

    def fresh():
        return copy.copy(base)  # nothing cached on it: no permissions, no scope

    def scope_page(user):
        queryset = filter_cases(user)
        return list(first_rows(queryset, keys_of(ORDER), PAGE, case_list_parts(user)))

    def single_or(user):
        return list(cases_visible_to(user).order_by(*ORDER)[:PAGE])

    def raw():
        with connection.cursor() as cursor:
            cursor.execute(shape.raw_sql, shape.raw_params)
            return cursor.fetchall()

    shape_sql = raw_shape_sql()
    user_key = Case._meta.pk.get_db_prep_value(shape.user_id, connection)
    view_case = view_case_permission_id()

    def raw_cold():
        # Built the way a request builds its page: read the user's memberships
        # and grants first, then write and run the page query from them.
        with connection.cursor() as cursor:
            cursor.execute(shape_sql, [user_key, user_key, user_key])
            rows = cursor.fetchall()
            facts = {
                "memberships": [(agency_id, role) for agency_id, role, _u, _g in rows],
                "user_grants": any(row[2] for row in rows),
                "group_grants": any(row[3] for row in rows),
            }
            sql, params = raw_page_sql(shape.user_id, facts, view_case)
            cursor.execute(sql, params)
            return cursor.fetchall()

    shape.visible = cases_visible_to(fresh()).count()
    page = [case.pk for case in scope_page(fresh())]
    if [Case._meta.pk.to_python(row[0]) for row in raw()] != page:
        sys.exit(f"Shape {shape.key}: the raw SQL does not return the scope's page.")
    if [Case._meta.pk.to_python(row[0]) for row in raw_cold()] != page:
        sys.exit(f"Shape {shape.key}: the cold raw SQL does not return the scope's page.")
    if [case.pk for case in single_or(fresh())] != page:
        sys.exit(f"Shape {shape.key}: the single OR query does not return the scope's page.")
    with CaptureQueriesContext(connection) as captured:
        scope_page(fresh())
    shape.cold_queries = len(captured.captured_queries)

    warm = fresh()
    functions = {
        "raw": raw,
        "raw cold": raw_cold,
        "scope cold": lambda: scope_page(fresh()),
        "scope warm": lambda: scope_page(warm),
        "scope_of": lambda: scope_of(fresh()),
        "perms": lambda: agency_permissions(fresh()),
    }
    functions["single or"] = lambda: single_or(warm)

    if shape.key == "d":
        # Guardian computes the same set only where every visible case is an
        # explicit grant; for role scopes it answers "all cases" (the role's
        # global permission) or none (accept_global_perms=False).
        def guardian_page():
            queryset = get_objects_for_user(
                fresh(), "casework.view_case", klass=Case, accept_global_perms=False
            )
            return list(queryset.order_by(*ORDER)[:PAGE])

        if [case.pk for case in guardian_page()] != page:
            print(f"  ({shape.key}) guardian's page differs from the scope's page!")
        functions["guardian"] = guardian_page

    if with_api:
        client = Client()
        # Signed in with an object of its own: whatever logging in caches on
        # the user (roles, permissions) must not reach ``base``, which every
        # cold measurement copies.
        client.force_login(User.objects.get(pk=shape.user_id))

        def api():
            response = client.get("/api/v1/cases/", {"page_size": PAGE})
            if response.status_code != 200:
                sys.exit(f"Shape {shape.key}: the API answered {response.status_code}.")
            return response

        def html():
            response = client.get("/cases/")
            if response.status_code != 200:
                sys.exit(f"Shape {shape.key}: the case list page answered {response.status_code}.")
            return response

        with CaptureQueriesContext(connection) as captured:
            response = api()
        shape.api_queries, shape.api_transaction_statements = statement_counts(
            captured.captured_queries
        )
        results = response.json().get("results", [])
        shape.api_rows = len(results)
        if [item["id"] for item in results] != [str(pk) for pk in page]:
            sys.exit(f"Shape {shape.key}: the API's first page is not the scope's page.")
        functions["api"] = api
        html()
        with CaptureQueriesContext(connection) as captured:
            html()
        shape.page_queries, shape.page_transaction_statements = statement_counts(
            captured.captured_queries
        )
        functions["page"] = html
        # Calibration: the same request with a one-row page, and the cheapest
        # authenticated endpoint (same session, middleware and DRF).
        functions["api 1 row"] = lambda: client.get("/api/v1/cases/", {"page_size": 1})
        functions["api floor"] = lambda: client.get("/api/v1/me/")
    shape.timings.update(timed(functions, iterations, warmup))


def explain(shape: Shape) -> None:
    from accounts.models import User
    from casework.selectors import case_list_parts, filter_cases
    from config.http.keyset import first_rows, keys_of

    user = User.objects.get(pk=shape.user_id)
    queryset = first_rows(filter_cases(user), keys_of(ORDER), PAGE, case_list_parts(user))
    print(f"\n--- ({shape.key}) {shape.label}: scope page query\n{queryset.query}")
    print(queryset.explain(analyze=True, buffers=True))


# --- Reporting ----------------------------------------------------------------------


def table(columns: list[str], rows: list[list[str]]) -> None:
    print("| " + " | ".join(columns) + " |")
    print("|---|" + "--:|" * (len(columns) - 1))
    for row in rows:
        print("| " + " | ".join(row) + " |")


def report(shapes: list[Shape], with_api: bool) -> bool:
    def ms(shape, name, share=None):
        values = shape.timings.get(name)
        if not values:
            return "—"
        return f"{percentile(values, share) if share else statistics.median(values):.2f}"

    def cold_ratio(shape) -> float:
        return median(shape, "scope cold") / median(shape, "raw cold")

    def meets(shape) -> bool:
        if cold_ratio(shape) > TARGETS["scope_over_raw"]:
            return False
        if not with_api:
            return True
        return (
            median(shape, "api") <= TARGETS["api_median_ms"]
            and percentile(shape.timings["api"], 0.95) <= TARGETS["api_p95_ms"]
            and median(shape, "page") <= TARGETS["page_median_ms"]
            and shape.api_queries <= TARGETS["queries"]
        )

    def statements(count: int, control: int) -> str:
        return f"{count}" + (f" (+{control})" if control else "")

    print(
        "\nAgainst the targets (times in ms; statements per request, with the"
        "\nBEGIN/COMMIT/SAVEPOINT round trips in brackets, not counted; cold scope"
        "\n= a fresh user object, as a request pays it, against the raw query built"
        "\nthe same way: the user's memberships and grants read, then the page):\n"
    )
    table(
        [
            "shape",
            "visible",
            "API med",
            "API p95",
            "SQL/req",
            "page med",
            "page p95",
            "page SQL",
            "scope cold med",
            "raw cold med",
            "cold/raw cold",
            "targets",
        ],
        [
            [
                f"({s.key}) {s.label}",
                f"{s.visible:,}",
                ms(s, "api"),
                ms(s, "api", 0.95),
                statements(s.api_queries, s.api_transaction_statements) if with_api else "—",
                ms(s, "page"),
                ms(s, "page", 0.95),
                statements(s.page_queries, s.page_transaction_statements) if with_api else "—",
                ms(s, "scope cold"),
                ms(s, "raw cold"),
                f"{cold_ratio(s):.2f}",
                "met" if meets(s) else "**not met**",
            ]
            for s in shapes
        ],
    )
    print("\nWhere the time goes (medians in ms; cold = a fresh user object, as in a request):\n")
    table(
        [
            "shape",
            "scope cold",
            "p95",
            "SQL",
            "scope warm",
            "raw (page only)",
            "warm/raw",
            "scope_of",
            "agency_permissions",
            "single OR (before)",
            "single OR/raw",
            "guardian",
        ],
        [
            [
                f"({s.key})",
                ms(s, "scope cold"),
                ms(s, "scope cold", 0.95),
                str(s.cold_queries),
                ms(s, "scope warm"),
                ms(s, "raw"),
                f"{median(s, 'scope warm') / median(s, 'raw'):.2f}",
                ms(s, "scope_of"),
                ms(s, "perms"),
                ms(s, "single or"),
                f"{median(s, 'single or') / median(s, 'raw'):.2f}",
                ms(s, "guardian"),
            ]
            for s in shapes
        ],
    )
    if with_api:
        print(
            "\nThe API request (medians in ms): floor = GET /api/v1/me/ (session,\n"
            "middleware, DRF); fixed = one-row page − floor;\n"
            "per row = (full page − one-row page) / (rows − 1).\n"
        )
        table(
            ["shape", "floor", "1-row page", "50-row page", "fixed", "per row"],
            [
                [
                    f"({s.key})",
                    ms(s, "api floor"),
                    ms(s, "api 1 row"),
                    ms(s, "api"),
                    f"{median(s, 'api 1 row') - median(s, 'api floor'):.2f}",
                    f"{(median(s, 'api') - median(s, 'api 1 row')) / (s.api_rows - 1):.3f}"
                    if s.api_rows > 1
                    else "—",
                ]
                for s in shapes
            ],
        )
    core = [s for s in shapes if s.key in CORE_SHAPES]
    extra = [s.key + ("" if meets(s) else " (not met)") for s in shapes if s not in core]
    ok = all(meets(s) for s in core)
    print(
        f"\nTargets: API median ≤ {TARGETS['api_median_ms']:g} ms and p95 ≤ "
        f"{TARGETS['api_p95_ms']:g} ms, ≤ {TARGETS['queries']} SQL statements per API "
        f"request, page median ≤ {TARGETS['page_median_ms']:g} ms, cold scope ≤ "
        f"{TARGETS['scope_over_raw']:g}× the cold raw query. "
        f"Shapes {', '.join(s.key for s in core)}: {'met' if ok else 'NOT met'}; "
        f"extra shapes: {', '.join(extra) or 'none'}."
    )
    return ok


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.case_list", description="Time the case list for each user shape."
    )
    parser.add_argument("--iterations", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--shapes", default="abcdefg", help="which shapes to run, e.g. abd")
    parser.add_argument("--explain", action="store_true", help="print the query plans too")
    parser.add_argument("--no-api", action="store_true", help="skip the API measurement")
    options = parser.parse_args(argv)

    bench_environment()
    static_root = throwaway_static()
    setup_django()
    collect_static(static_root)
    import django
    from django.conf import settings
    from django.db import connection
    from django.urls import Resolver404, resolve

    with_api = not options.no_api
    if with_api:
        try:
            resolve("/api/v1/cases/")
        except Resolver404:
            print("/api/v1/cases/ does not exist yet: measuring without the API.")
            with_api = False
    with connection.cursor() as cursor:
        cursor.execute("SELECT sqlite_version()" if is_sqlite() else "SELECT version()")
        version = cursor.fetchone()[0]
    print(
        f"Django {django.get_version()}, {version.split(' on ')[0]}, DEBUG={settings.DEBUG}, "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}; "
        f"{options.iterations} timed runs after {options.warmup} warm-up"
    )
    if settings.DEBUG:
        print("  DEBUG is on: Django records every query; the figures are pessimistic.")

    shapes = [shape for shape in find_shapes() if shape.key in options.shapes]
    before = cpu_counters()
    for shape in shapes:
        started = time.perf_counter()
        measure(shape, options.iterations, options.warmup, with_api)
        print(f"  ({shape.key}) {shape.label}: {time.perf_counter() - started:.1f} s")
    after = cpu_counters()
    if before and after:
        busy = (after[0] - before[0]) / max(1, after[1] - before[1]) * 100
        print(
            f"Machine CPU busy during the run: {busy:.0f} % of {os.cpu_count()} cores "
            f"(this benchmark alone keeps about one core busy: Python + its database "
            f"backend); load average after: {os.getloadavg()[0]:.2f}"
        )
    ok = report(shapes, with_api)
    if options.explain:
        for shape in shapes:
            explain(shape)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
