"""Client search at scale (issue 16): ``GET /api/v1/clients/?q=…`` for a
common, a rare and an absent name in three scripts (Latin, Arabic, Cyrillic),
as the supervisor of the largest agency, who sees every client of it.

    DATABASE_URL=postgres://…/sanad_bench .venv/bin/python -m bench.client_search
        [--iterations 100] [--warmup 10] [--explain]

The nine searches run in turn within each timed round (a change in the
machine's load hits them alike). Each is a whole request through the test
client (session, middleware, DRF, the access log's row, the serializer,
JSON); "statements" counts the SQL statements the request sends, with
BEGIN/COMMIT/SAVEPOINT counted apart (``bench.common.statement_counts``). The "rare" term of a
script is the word of the generator's name pools (bench/names.py) that the
fewest visible clients carry (at least one); the absent ones are names the
pools do not hold. Targets (issue 16): median ≤ 25 ms for every term,
≤ 8 statements a request. Exit status 1 when one is missed.
"""

import argparse
import os
import sys
import time

from bench.case_list import cpu_counters, percentile, timed
from bench.common import BENCH_DOMAIN, bench_environment, setup_django, statement_counts

TARGET_MEDIAN_MS = 25.0
TARGET_STATEMENTS = 8
COMMON = {"Latin": "Mohammed", "Arabic": "محمد", "Cyrillic": "Олександр"}
ABSENT = {"Latin": "Zbigniew", "Arabic": "غضنفر", "Cyrillic": "Святополк"}


def pool_words() -> dict[str, list[str]]:
    """Every single word of the name pools, by script."""
    from bench import names

    latin, arabic, cyrillic = set(), set(), set()
    for pool in (names.ARABIC_GIVEN, names.FARSI_GIVEN):
        for written, _sex, spellings in pool:
            arabic.update(written.split())
            latin.update(word for spelling in spellings for word in spelling.split())
    for pool in (names.ARABIC_FAMILY, names.FARSI_FAMILY):
        for written, spellings in pool:
            arabic.update(written.split())
            latin.update(word for spelling in spellings for word in spelling.split())
    for written, _sex, _spellings in names.UKRAINIAN_GIVEN:
        cyrillic.update(written.split())
    for written, _spellings in names.UKRAINIAN_FAMILY:
        cyrillic.update(written.split())
    return {"Latin": sorted(latin), "Arabic": sorted(arabic), "Cyrillic": sorted(cyrillic)}


def largest_agency_supervisor():
    from django.db.models import Count

    from accounts.models import Agency, Membership
    from accounts.permissions import Role

    agency = (
        Agency.objects.annotate(client_count=Count("clients"))
        .order_by("-client_count")
        .values_list("pk", "client_count", "name")
        .first()
    )
    membership = Membership.objects.filter(
        agency_id=agency[0],
        role=Role.SUPERVISOR,
        is_active=True,
        user__email__endswith=f"@{BENCH_DOMAIN}",
    ).select_related("user")[0]
    return membership.user, agency


def matches(user, term: str) -> int:
    from casework.selectors.search import search_clients

    return search_clients(user, term).count()


def rare_term(user, words: list[str]) -> tuple[str, int]:
    """The pool word with the fewest visible clients (at least one)."""
    counted = [(matches(user, word), word) for word in words]
    found = sorted((count, word) for count, word in counted if count > 0)
    return (found[0][1], found[0][0]) if found else ("", 0)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.client_search", description="Time client search at scale."
    )
    parser.add_argument("--iterations", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--explain", action="store_true", help="print each search's plan")
    options = parser.parse_args(argv)

    bench_environment()
    setup_django()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from casework.models import Case
    from casework.selectors.search import search_clients

    user, (_agency, clients, agency_name) = largest_agency_supervisor()
    cases = Case.objects.count()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_indexes WHERE indexname = 'client_search_text_trgm'"
            if connection.vendor == "postgresql"
            else "SELECT 0"
        )
        trigram = bool(cursor.fetchone()[0])
    print(
        f"{cases:,} cases; {agency_name}: {clients:,} clients, all visible to its supervisor; "
        f"trigram index {'present' if trigram else 'absent'}; {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.2f}; {options.iterations} timed rounds after "
        f"{options.warmup} warm-up"
    )

    terms: list[tuple[str, str, str, int]] = []  # (script, kind, term, matches)
    words = pool_words()
    for script in ("Latin", "Arabic", "Cyrillic"):
        terms.append((script, "common", COMMON[script], matches(user, COMMON[script])))
        rare, count = rare_term(user, words[script])
        terms.append((script, "rare", rare, count))
        terms.append((script, "absent", ABSENT[script], matches(user, ABSENT[script])))

    http = Client()
    http.force_login(user)
    statements: dict[str, int] = {}

    def search(term: str):
        def run():
            response = http.get("/api/v1/clients/", {"q": term})
            assert response.status_code == 200, response.content[:300]

        return run

    for _script, _kind, term, _count in terms:
        with CaptureQueriesContext(connection) as queries:
            search(term)()
        statements[term] = statement_counts(queries.captured_queries)[0]

    before = cpu_counters()
    started = time.perf_counter()
    results = timed(
        {term: search(term) for _s, _k, term, _c in terms}, options.iterations, options.warmup
    )
    elapsed = time.perf_counter() - started
    after = cpu_counters()
    busy = (after[0] - before[0]) / max(1, after[1] - before[1]) * 100 if before and after else 0

    print(
        f"\n{'script':9} {'kind':7} {'term':12} {'matches':>8} {'median':>8} {'p95':>8} {'SQL':>4}"
    )
    ok = True
    for script, kind, term, count in terms:
        values = sorted(results[term])
        middle = percentile(values, 0.5)
        p95 = percentile(values, 0.95)
        missed = middle > TARGET_MEDIAN_MS or statements[term] > TARGET_STATEMENTS
        ok = ok and not missed
        print(
            f"{script:9} {kind:7} {term:12} {count:>8,} {middle:>6.1f}ms {p95:>6.1f}ms "
            f"{statements[term]:>4}{'  MISSED' if missed else ''}"
        )
    print(
        f"\n{elapsed:.1f} s; machine CPU busy {busy:.0f} % of {os.cpu_count()} cores; "
        f"load average after {os.getloadavg()[0]:.2f}. "
        f"Targets: median ≤ {TARGET_MEDIAN_MS:.0f} ms, ≤ {TARGET_STATEMENTS} statements a request."
    )

    if options.explain and connection.vendor == "postgresql":
        for _script, _kind, term, _count in terms:
            query = search_clients(user, term).order_by("-created_at", "-id")[:51]
            sql, params = query.query.sql_with_params()
            with connection.cursor() as cursor:
                cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)  # nosec B608
                plan = "\n".join(row[0] for row in cursor.fetchall())
            print(f"\n-- {term}\n{plan}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
