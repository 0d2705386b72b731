"""How many requests a second do two gunicorn workers serve? Run after ``bench.generate``.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sanad_bench python -m bench.throughput

Starts gunicorn (``config/gunicorn.py``, ``--workers`` workers, default 2) on
127.0.0.1 against the bench database, and locust headless (``bench/locustfile.py``)
for ``--seconds`` (60) with ``--users`` (10) simulated caseworkers of eight
agencies, each sending its next request as soon as the last is answered: the
case list (50 %), a case (25 %), a client search (15 %), a note (10 %). Both
run on this machine's cores: the load generator's CPU is part of what the
servers are measured against, and printed.

Before the run: two caseworkers of each of eight agencies, from the largest
to a small one, each with a bearer token minted by ``issue_api_token``; the
cases each may open (a sample, read in SQL from the agency's rows: its
unrestricted cases and those assigned to the user), their own open cases
for the notes, and search terms: names of their agency's clients in their
own scripts, a common name, and a name nobody has.

After the run: every case id any answer named, and every client id a search
answered, is checked against the database in SQL, independently of Sanad's
selectors (a caseworker of an agency sees its unrestricted cases, those
assigned to them and those granted to them or their group; its unrestricted
clients and the clients of their own cases). Prints requests per
second, the median and p95 of each kind of request and of all, errors, ids
outside the user's scope, the CPU of the servers, the database and the load
generator, and the load average; exits 1 on any error or any id outside the
scope. Tokens are revoked afterwards; the notes written stay (they are bench
rows like the rest: ``bench.generate --reset`` removes them).

Knobs: ``--workers``, ``--threads``, ``--users``, ``--seconds``, ``--port``
(8300), ``--mix`` (the four weights), ``--no-history`` (the servers write no
history rows: ``bench.settings_without_history``, to measure what history
costs), ``--redis-url`` (the cache and throttle store, as in production;
default database 14 of the local Redis; ``none`` for the in-process cache).
"""

import argparse
import csv
import json
import os
import random
import resource
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from bench.case_list import cpu_counters, granted_case_ids_sql, view_case_permission_id
from bench.common import BENCH_DOMAIN, bench_environment, is_sqlite, setup_django

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
TARGETS = {"requests_per_second": 300.0, "p95_ms": 50.0}
AGENCIES = 8
USERS_PER_AGENCY = 2
SAMPLE = 300
ABSENT_NAME = "Zzyzxqwv"
COMMON_NAME = "Mohammad"


def pick_agencies(cursor) -> list[tuple]:
    """(id, slug) of eight bench agencies, spread over the sizes: the largest,
    then down the tail to a small one."""
    cursor.execute(
        "SELECT a.id, a.slug, count(c.id) FROM accounts_agency a "
        "JOIN casework_case c ON c.agency_id = a.id "
        "WHERE a.contact_email LIKE %s GROUP BY a.id, a.slug ORDER BY count(c.id) DESC",
        [f"%@{BENCH_DOMAIN}"],
    )
    rows = cursor.fetchall()
    if len(rows) < AGENCIES:
        raise SystemExit("bench.throughput: run bench.generate first (too few bench agencies)")
    positions = [0, 2, 5, 10, 20, 30, len(rows) - 8, len(rows) - 1]
    return [rows[position][:2] for position in positions]


def plan_user(cursor, user, agency_id, rng: random.Random) -> dict:
    """What one simulated caseworker asks for, read from the agency's rows."""
    from accounts.services import issue_api_token

    cursor.execute(
        "SELECT id FROM casework_case WHERE agency_id = %s "
        "AND (NOT is_restricted OR assigned_to_id = %s) ORDER BY random() LIMIT %s",
        [agency_id, user.pk, SAMPLE],
    )
    cases = [str(row[0]) for row in cursor.fetchall()]
    cursor.execute(
        "SELECT id FROM casework_case WHERE agency_id = %s AND assigned_to_id = %s "
        "AND status <> 'closed' ORDER BY random() LIMIT %s",
        [agency_id, user.pk, SAMPLE],
    )
    own_cases = [str(row[0]) for row in cursor.fetchall()]
    cursor.execute(
        "SELECT name, name_latin FROM casework_client WHERE agency_id = %s "
        "AND NOT is_restricted ORDER BY random() LIMIT 20",
        [agency_id],
    )
    terms = []
    for name, name_latin in cursor.fetchall():
        terms.append(rng.choice([name, name_latin or name]).split()[-1])
    terms += [COMMON_NAME, ABSENT_NAME]
    if not cases or not own_cases:
        raise SystemExit(f"bench.throughput: {user.email} has no cases to work on")
    _token, plain = issue_api_token(actor=user, name="bench-throughput")
    return {
        "email": user.email,
        "user_id": str(user.pk),
        "agency_id": str(agency_id),
        "token": plain,
        "cases": cases,
        "own_cases": own_cases,
        "terms": terms,
    }


def make_plan() -> dict:
    from django.db import connection

    from accounts.models import User

    rng = random.Random(16)
    by_agency = []
    with connection.cursor() as cursor:
        for agency_id, slug in pick_agencies(cursor):
            caseworkers = User.objects.filter(
                email__startswith=f"{slug}.caseworker.", email__endswith=f"@{BENCH_DOMAIN}"
            ).order_by("email")[:USERS_PER_AGENCY]
            by_agency.append([plan_user(cursor, user, agency_id, rng) for user in caseworkers])
    # One caseworker of each agency first, then the second of each: the first
    # eight simulated users already cover the eight agencies.
    users = [user for round_ in zip(*by_agency, strict=False) for user in round_]
    return {"users": users}


def out_of_scope(plan: dict, seen: dict) -> tuple[int, int, int, int]:
    """(cases seen, cases outside the user's scope, clients seen, clients
    outside), checked in SQL against the agency's own rows and the user's
    explicit grants. A case answered names its client: that is part of the
    case (a grant on a case shows its client's name); the clients checked
    are those the search answered as clients."""
    from django.db import connection

    view_case = view_case_permission_id()
    granted = granted_case_ids_sql()
    cases = bad_cases = clients = bad_clients = 0
    with connection.cursor() as cursor:
        for index, kinds in seen.items():
            user = plan["users"][int(index)]
            case_ids, client_ids = kinds["cases"], kinds["clients"]
            cases += len(case_ids)
            clients += len(client_ids)
            if case_ids:
                me = user["user_id"]
                cursor.execute(
                    "SELECT count(*) FROM casework_case WHERE id = ANY(%s::uuid[]) "
                    "AND ((agency_id = %s AND (NOT is_restricted OR assigned_to_id = %s)) "
                    f"OR id IN ({granted}))",
                    [case_ids, user["agency_id"], me, me, view_case, me, view_case],
                )
                bad_cases += len(case_ids) - cursor.fetchone()[0]
            if client_ids:
                cursor.execute(
                    "SELECT count(*) FROM casework_client cl WHERE cl.id = ANY(%s::uuid[]) "
                    "AND cl.agency_id = %s AND (NOT cl.is_restricted OR EXISTS ("
                    " SELECT 1 FROM casework_case c WHERE c.client_id = cl.id"
                    " AND c.assigned_to_id = %s))",
                    [client_ids, user["agency_id"], user["user_id"]],
                )
                bad_clients += len(client_ids) - cursor.fetchone()[0]
    return cases, bad_cases, clients, bad_clients


def warm_up(base: str, plan: dict, requests: int) -> None:
    """Before the clock starts: every worker has imported the API's code,
    opened its database connection and compiled its templates of answers."""
    token = plan["users"][0]["token"]
    for index in range(requests):
        path = "/api/v1/cases/?page_size=50" if index % 2 else "/api/v1/me/"
        request = urllib.request.Request(  # noqa: S310 (loopback)
            base + path, headers={"Authorization": f"Bearer {token}"}
        )
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (loopback)
            response.read()


def revoke_tokens() -> None:
    from accounts.models import ApiToken

    ApiToken.objects.filter(name="bench-throughput").delete()


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds of these processes and their children so far."""
    total = 0.0
    ticks = os.sysconf("SC_CLK_TCK")
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += sum(int(value) for value in fields[11:15]) / ticks
    return total


def children_of(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except FileNotFoundError:
        return []
    return [int(child) for child in text.split()]


def children_cpu() -> float:
    """User + system CPU seconds of this process's finished children (locust)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def wait_for(url: str, process: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"bench.throughput: the server stopped (exit {process.returncode})")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (loopback)
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"bench.throughput: {url} did not answer")


def stop(process: subprocess.Popen | None) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def read_stats(prefix: str) -> list[dict]:
    with open(f"{prefix}_stats.csv", encoding="utf-8", newline="") as stats_file:
        return list(csv.DictReader(stats_file))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--users", type=int, default=10)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--port", type=int, default=8300)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14")
    parser.add_argument(
        "--no-history",
        action="store_true",
        help="serve with bench.settings_without_history (no history rows: what history costs)",
    )
    parser.add_argument(
        "--mix",
        default="50,25,15,10",
        help="weights of the case list, a case, a search and a note (default 50,25,15,10)",
    )
    args = parser.parse_args(argv)

    bench_environment()
    os.environ["ALLOWED_HOSTS"] = "127.0.0.1"
    os.environ["SITE_URL"] = f"http://127.0.0.1:{args.port}"
    if args.redis_url != "none":
        os.environ["REDIS_URL"] = args.redis_url
    setup_django()
    if is_sqlite():
        raise SystemExit("bench.throughput measures PostgreSQL: set DATABASE_URL")

    work = Path(tempfile.mkdtemp(prefix="sanad-throughput."))
    plan_path, seen_path = work / "plan.json", work / "seen.json"
    revoke_tokens()
    plan = make_plan()
    plan_path.write_text(json.dumps(plan), encoding="utf-8")
    agencies = len({user["agency_id"] for user in plan["users"]})
    print(f"{len(plan['users'])} caseworkers of {agencies} agencies")

    server_env = {
        **os.environ,
        "GUNICORN_BIND": f"127.0.0.1:{args.port}",
        "GUNICORN_WORKERS": str(args.workers),
        "GUNICORN_THREADS": str(args.threads),
        "GUNICORN_LOG_LEVEL": "warning",
        "LOG_LEVEL": "WARNING",
        "SANAD_VAR_DIR": str(work),
    }
    if args.no_history:
        server_env["DJANGO_SETTINGS_MODULE"] = "bench.settings_without_history"
    load_env = {
        **os.environ,
        "SANAD_THROUGHPUT_PLAN": str(plan_path),
        "SANAD_THROUGHPUT_SEEN": str(seen_path),
        "SANAD_THROUGHPUT_MIX": args.mix,
    }
    server = load = None
    try:
        server = subprocess.Popen(  # noqa: S603 (our own gunicorn, fixed arguments)
            [str(BIN / "gunicorn"), "-c", "config/gunicorn.py"],
            cwd=ROOT,
            env=server_env,
            stdout=open(work / "server.log", "w"),  # noqa: SIM115 (closed with the process)
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{args.port}"
        wait_for(f"{base}/healthz", server)
        warm_up(base, plan, 20 * args.workers)
        prefix = str(work / "locust")
        server_pids = [server.pid, *children_of(server.pid)]
        server_before = cpu_seconds(server_pids)
        load_before = children_cpu()
        busy_before = cpu_counters()
        started = time.monotonic()
        load = subprocess.run(  # noqa: S603 (our own locust, fixed arguments)
            [
                str(BIN / "locust"),
                "-f",
                "bench/locustfile.py",
                "--headless",
                "--users",
                str(args.users),
                "--spawn-rate",
                str(args.users),
                "--run-time",
                f"{args.seconds}s",
                "--host",
                base,
                "--csv",
                prefix,
                "--only-summary",
                "--loglevel",
                "WARNING",
                "--exit-code-on-error",
                "0",
            ],
            cwd=ROOT,
            env=load_env,
            capture_output=True,
            text=True,
            check=False,
        )
        elapsed = time.monotonic() - started
        load_cpu = children_cpu() - load_before
        server_pids = [server.pid, *children_of(server.pid)]
        server_cpu = cpu_seconds(server_pids) - server_before
        busy_after = cpu_counters()
        load_average = os.getloadavg()
    finally:
        stop(server)
        if load is None or load.returncode != 0:
            revoke_tokens()
    if load is None or load.returncode != 0 or not seen_path.exists():
        print(load.stdout if load else "", load.stderr if load else "", file=sys.stderr)
        raise SystemExit("bench.throughput: locust failed")

    rows = read_stats(prefix)
    total = next(row for row in rows if row["Name"] == "Aggregated")
    seen = json.loads(seen_path.read_text(encoding="utf-8"))
    cases, bad_cases, clients, bad_clients = out_of_scope(plan, seen)
    revoke_tokens()

    requests = int(total["Request Count"])
    errors = int(total["Failure Count"])
    rate = float(total["Requests/s"])
    p95 = float(total["95%"])
    busy = (busy_after[0] - busy_before[0]) / max(1, busy_after[1] - busy_before[1])
    print(
        f"\nmix {args.mix}{', no history' if args.no_history else ''}; "
        f"{args.workers} worker(s) × {args.threads} thread(s), "
        f"{args.users} users, "
        f"{args.seconds} s; {os.cpu_count()} cores, {busy:.0%} busy; load average "
        f"{load_average[0]:.2f} {load_average[1]:.2f} {load_average[2]:.2f}"
    )
    header = ("request", "count", "req/s", "median", "p95", "p99", "errors")
    print("{:34} {:>7} {:>7} {:>7} {:>6} {:>6} {:>6}".format(*header))
    for row in rows:
        print(
            f"{row['Name'][:34]:34} {row['Request Count']:>7} {float(row['Requests/s']):7.1f} "
            f"{row['Median Response Time']:>7} {row['95%']:>6} {row['99%']:>6} "
            f"{row['Failure Count']:>6}"
        )
    per_request = 1000 / max(1, requests)
    ticks = os.sysconf("SC_CLK_TCK")
    machine_cpu = (busy_after[0] - busy_before[0]) / ticks
    rest = machine_cpu - server_cpu - load_cpu
    print(
        f"\nCPU per request: gunicorn workers {server_cpu * per_request:.2f} ms, locust "
        f"{load_cpu * per_request:.2f} ms, PostgreSQL and the rest of the machine "
        f"{rest * per_request:.2f} ms (over {elapsed:.0f} s)"
    )
    print(
        f"scope: {cases} case ids and {clients} client ids seen, "
        f"{bad_cases} and {bad_clients} outside the user's scope"
    )
    for failure in read_failures(prefix):
        print(f"  error: {failure}")
    verdicts = {
        "requests/s ≥ 300": rate >= TARGETS["requests_per_second"],
        "p95 ≤ 50 ms": p95 <= TARGETS["p95_ms"],
        "zero errors": errors == 0,
        "zero ids outside the scope": bad_cases == 0 and bad_clients == 0,
    }
    for name, met in verdicts.items():
        print(f"  {'met' if met else 'MISSED'}: {name}")
    if errors or bad_cases or bad_clients:
        raise SystemExit(1)


def read_failures(prefix: str) -> list[str]:
    try:
        with open(f"{prefix}_failures.csv", encoding="utf-8", newline="") as failures:
            return [
                f"{row['Method']} {row['Name']} ×{row['Occurrences']}: {row['Error'][:160]}"
                for row in csv.DictReader(failures)
            ]
    except FileNotFoundError:
        return []


if __name__ == "__main__":
    main()
