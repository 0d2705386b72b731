"""Proof in CI (issue 9): the app as a real server on 127.0.0.1, driven by
concurrent HTTP clients with bearer tokens, against the test database.

``manage.py runserver --noreload`` (a thread per request, one database
connection each) serves the committed test data in a process of its own,
with the access log on one chain (``ACCESS_LOG_CHAINS=1``) so that every
request meets every other on the same chain. While two users of different
agencies read cases in a loop, the run posts notes, closes one case from
many clients at once, accepts one referral from many clients at once, and
repeats creates (a case, a referral) with one Idempotency-Key. Afterwards:
no 5xx (nor any unexpected status), exactly one winner per transition, one
record per key, and access-log chains without gaps that verify.

On PostgreSQL at full size; on SQLite smaller, once with the embedded default
(``SQLITE_PATH``) and once named by ``DATABASE_URL=sqlite:///…`` (defect 2:
that form had none of the SQLite tuning and answered "database is locked").
Select it with ``-m live``; it prints the request counts.
"""

import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.db.models import Count, Max, Min
from django.utils import timezone
from guardian.shortcuts import assign_perm

from accounts import access_log
from accounts.models import AccessLog
from accounts.permissions import Perm
from accounts.services import issue_api_token
from casework.models import Case, CaseNote
from referrals.models import Referral, ReferralEvent
from tests.factories import make_case, make_client, make_consent, make_referral

ROOT = Path(__file__).resolve().parent.parent
ON_POSTGRESQL = "postgresql" in django_settings.DATABASES["default"]["ENGINE"]
FORMS = ["postgresql"] if ON_POSTGRESQL else ["sqlite-embedded", "sqlite-url"]


@dataclass(frozen=True)
class Size:
    notes: int
    note_writers: int
    closes: int
    accepts: int
    idempotent: int


# PostgreSQL: the sizes that reproduced defect 1 (12/100, 8/30, 5/50 answered 500).
SIZES = {
    "postgresql": Size(notes=100, note_writers=4, closes=30, accepts=50, idempotent=20),
    "sqlite-embedded": Size(notes=40, note_writers=3, closes=15, accepts=20, idempotent=10),
    "sqlite-url": Size(notes=40, note_writers=3, closes=15, accepts=20, idempotent=10),
}
REQUEST_TIMEOUT = 60
SERVER_START_TIMEOUT = 30

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]


# --- The server ------------------------------------------------------------------------


def _database_environment(form: str) -> dict[str, str]:
    """How the server process names the test database, in the given form."""
    database = connection.settings_dict
    if form == "postgresql":
        credentials = quote(database["USER"] or "", safe="")
        if database["PASSWORD"]:
            credentials += ":" + quote(database["PASSWORD"], safe="")
        host = database["HOST"] or "127.0.0.1"
        port = database["PORT"] or "5432"
        url = f"postgres://{credentials}@{host}:{port}/{database['NAME']}"
        return {"DATABASE_URL": url}
    if form == "sqlite-url":
        return {"DATABASE_URL": f"sqlite:///{database['NAME']}"}
    return {"SQLITE_PATH": str(database["NAME"])}


# Django's threaded WSGI server (what ``manage.py runserver`` and
# LiveServerTestCase run: a thread per request), closing the thread's database
# connection when its request ends, as LiveServerTestCase's does: runserver
# leaves it to the garbage collector, so under a burst the connections pile up
# past PostgreSQL's max_connections. The listen queue is a production server's
# length instead of runserver's 10, which a burst of 50 clients overflows (the
# kernel then resets connections that never reached the application).
SERVE = """
import os
import sys
import django
django.setup()
from django.core.servers.basehttp import ThreadedWSGIServer, get_internal_wsgi_application, run

class Server(ThreadedWSGIServer):
    request_queue_size = 1024

def announce(port):
    with open(sys.argv[1] + ".tmp", "w") as found:
        found.write(str(port))
    os.replace(sys.argv[1] + ".tmp", sys.argv[1])

run("127.0.0.1", 0, get_internal_wsgi_application(), server_cls=Server, on_bind=announce)
"""


class LiveServer:
    """``manage.py runserver`` in a process of its own; stderr (request lines,
    tracebacks) goes to ``log``."""

    def __init__(self, environment: dict[str, str], log: Path):
        self.environment = environment
        self.log = log
        self.process: subprocess.Popen | None = None
        self.port = 0

    def start(self) -> None:
        # Port 0: the kernel picks a free port, so parallel test processes can
        # never find each other's server; the server writes the port it got.
        port_file = self.log.with_suffix(".port")
        port_file.unlink(missing_ok=True)
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-c", SERVE, str(port_file)],
                cwd=ROOT,
                env=self.environment,
                stdout=subprocess.DEVNULL,  # the console mail backend writes here
                stderr=log,
                start_new_session=True,
            )
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while not port_file.exists() and self.process.poll() is None:
            if time.monotonic() > deadline:
                break
            time.sleep(0.05)
        if port_file.exists():
            self.port = int(port_file.read_text())
            if self._answers():
                return
        self.stop()
        raise RuntimeError(f"No live server started; see {self.log}:\n{self.log_tail()}")

    def _answers(self) -> bool:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            try:
                status, _body, _headers = call(self.port, "GET", "/healthz", None)
            except OSError:
                time.sleep(0.1)
                continue
            return status == 200
        return False

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self.process = None

    def log_tail(self, lines: int = 60) -> str:
        if not self.log.exists():
            return ""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def call(port: int, method: str, path: str, token: str | None, body=None, headers=None):
    """One request on a connection of its own: (status, parsed body, headers)."""
    connection_ = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT)
    try:
        sent = {"Accept": "application/json", "Connection": "close"}
        if token:
            sent["Authorization"] = f"Bearer {token}"
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            sent["Content-Type"] = "application/json"
        sent.update(headers or {})
        connection_.request(method, path, body=payload, headers=sent)
        response = connection_.getresponse()
        raw = response.read()
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = None
        return response.status, parsed, dict(response.getheaders())
    finally:
        connection_.close()


# --- The clients -----------------------------------------------------------------------


@dataclass
class Tally:
    """Every answer, by kind of request; status 0 is a connection that failed."""

    statuses: dict[str, Counter] = field(default_factory=dict)
    bodies: dict[str, list] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def request(self, kind: str, port: int, method: str, path: str, token: str, **options):
        try:
            status, body, _headers = call(port, method, path, token, **options)
        except OSError as error:
            status, body = 0, {"error": repr(error)}
        with self.lock:
            self.statuses.setdefault(kind, Counter())[status] += 1
            self.bodies.setdefault(kind, []).append((status, body))
        return status, body

    def of(self, kind: str) -> Counter:
        return self.statuses.get(kind, Counter())

    def total(self) -> int:
        return sum(sum(counter.values()) for counter in self.statuses.values())

    def refusals(self) -> list:
        """A few answers that were neither a success nor a 409/412, to show."""
        return [
            (kind, status, body)
            for kind, answers in self.bodies.items()
            for status, body in answers
            if status == 0 or (status >= 400 and status not in (409, 412))
        ][:5]

    def server_errors(self) -> dict[str, dict[int, int]]:
        return {
            kind: {status: n for status, n in counter.items() if status >= 500 or status == 0}
            for kind, counter in self.statuses.items()
            if any(status >= 500 or status == 0 for status in counter)
        }


def burst(count: int, job) -> None:
    """``count`` threads released together, each running ``job(index)``."""
    barrier = threading.Barrier(count)

    def run(index):
        barrier.wait(timeout=REQUEST_TIMEOUT)
        job(index)

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=REQUEST_TIMEOUT * 2)
    assert not any(thread.is_alive() for thread in threads), "a client never finished"


def workers(count: int, jobs: list) -> None:
    """``count`` threads sharing ``jobs`` (callables) between them."""
    queue = list(jobs)
    lock = threading.Lock()

    def run():
        while True:
            with lock:
                if not queue:
                    return
                job = queue.pop()
            job()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=REQUEST_TIMEOUT * 5)
    assert not any(thread.is_alive() for thread in threads), "a client never finished"


# --- The test --------------------------------------------------------------------------


@pytest.fixture
def live_server_for(tmp_path, settings):
    """live_server_for(form) → a started server on the test database; stopped afterwards."""
    started = []
    settings.ACCESS_LOG_CHAINS = 1  # rows written by the test itself go to the same chain

    def start(form: str) -> LiveServer:
        environment = {
            name: value
            for name, value in os.environ.items()
            if name not in {"DATABASE_URL", "SQLITE_PATH", "DEBUG"}
        }
        environment.update(
            _database_environment(form),
            DEBUG="0",
            ALLOWED_HOSTS="127.0.0.1",
            SECRET_KEY=django_settings.SECRET_KEY,
            # The server hashes with the suite's keys, so the test can verify its rows.
            ACCESS_LOG_KEYS=",".join(
                f"{key_id}:{secret}" for key_id, secret in django_settings.ACCESS_LOG_KEYS.items()
            ),
            SANAD_VAR_DIR=str(tmp_path / "server-var"),
            ACCESS_LOG_CHAINS="1",
            # The run measures concurrency, not the throttle.
            THROTTLE_USER="1000000/min",
            THROTTLE_ANON="1000000/min",
            PYTHONUNBUFFERED="1",
        )
        server = LiveServer(environment, tmp_path / "server.log")
        started.append(server)
        server.start()
        return server

    yield start
    for server in started:
        server.stop()


@pytest.mark.parametrize("form", FORMS)
def test_a_live_server_answers_concurrent_clients_correctly(
    form,
    live_server_for,
    capsys,
    agency,
    partner_agency,
    caseworker,
    supervisor,
    referral_officer,
    outsider,
    client_record,
    case,
):
    size = SIZES[form]
    assert connection.vendor == ("postgresql" if form == "postgresql" else "sqlite")

    # The records, committed before the server starts.
    make_consent(
        caseworker,
        client_record,
        recipient_agencies=[partner_agency],
        data_categories=["identity", "contact"],
    )
    referral = make_referral(caseworker, case, partner_agency)
    closing = make_case(supervisor, client_record)
    referred_again = make_case(caseworker, client_record)
    elsewhere = make_case(outsider, make_client(outsider, name="Amina Yusuf", name_latin="Amina"))
    # The outsider is also granted the case the notes go to: her case list has
    # two parts (her agency, the grant), read one by one on PostgreSQL while
    # the notes move the granted case up the list.
    assign_perm(Perm.VIEW_CASE.value, outsider, case)
    tokens = {
        user: issue_api_token(actor=user, name="live test")[1]
        for user in (caseworker, supervisor, referral_officer, outsider)
    }
    cases_of_client = Case.objects.filter(client=client_record).count()

    server = live_server_for(form)
    port = server.port
    tally = Tally()
    stop_reading = threading.Event()

    def read_in_a_loop(kind, user, path):
        def loop():
            while not stop_reading.is_set():
                tally.request(kind, port, "GET", path, tokens[user])

        return threading.Thread(target=loop)

    readers = [
        # A user of another agency reads her own agency's case (the same chain) …
        read_in_a_loop("read (other agency)", outsider, f"/api/v1/cases/{elsewhere.pk}/"),
        # … and a colleague reads the very case the notes go to.
        read_in_a_loop("read (same case)", supervisor, f"/api/v1/cases/{case.pk}/"),
        # … and her case list of two parts, one of them the case being written.
        read_in_a_loop("list (two parts)", outsider, "/api/v1/cases/"),
    ]
    started_at = time.monotonic()
    for reader in readers:
        reader.start()
    try:
        # Notes on one case, while both read.
        workers(
            size.note_writers,
            [
                lambda n=n: tally.request(
                    "note",
                    port,
                    "POST",
                    f"/api/v1/cases/{case.pk}/notes/",
                    tokens[caseworker],
                    body={"body": f"Call {n} about the housing application."},
                )
                for n in range(size.notes)
            ],
        )

        # Many closes of one case at once: half name the version they saw.
        version = f'"{closing.version}"'

        def close(index):
            tally.request(
                "close",
                port,
                "POST",
                f"/api/v1/cases/{closing.pk}/close/",
                tokens[supervisor],
                body={"closure_reason": "goals_met"},
                headers={"If-Match": version} if index % 2 else None,
            )

        burst(size.closes, close)

        # Many accepts of one referral at once.
        burst(
            size.accepts,
            lambda index: tally.request(
                "accept",
                port,
                "POST",
                f"/api/v1/referrals/{referral.pk}/accept/",
                tokens[referral_officer],
                body={"note": "We can see them next week."},
            ),
        )

        # The same create, with the same Idempotency-Key, many times at once.
        burst(
            size.idempotent,
            lambda index: tally.request(
                "open case (one key)",
                port,
                "POST",
                "/api/v1/cases/",
                tokens[caseworker],
                body={"client": str(client_record.pk), "case_type": "asylum_legal"},
                headers={"Idempotency-Key": "live-open-case"},
            ),
        )
        respond_by = (timezone.now().date() + timedelta(days=14)).isoformat()
        burst(
            size.idempotent,
            lambda index: tally.request(
                "send referral (one key)",
                port,
                "POST",
                "/api/v1/referrals/",
                tokens[caseworker],
                body={
                    "case": str(referred_again.pk),
                    "to_agency": str(partner_agency.pk),
                    "purpose": "Legal advice on the asylum appeal",
                    "respond_by": respond_by,
                    "data_categories": ["identity", "contact"],
                },
                headers={"Idempotency-Key": "live-send-referral"},
            ),
        )
    finally:
        stop_reading.set()
        for reader in readers:
            reader.join(timeout=REQUEST_TIMEOUT * 2)
        elapsed = time.monotonic() - started_at
        server.stop()

    counts = {kind: dict(sorted(counter.items())) for kind, counter in tally.statuses.items()}
    verdict = access_log.verify()
    summary = (
        f"live concurrency [{form}]: {tally.total()} requests in {elapsed:.1f} s "
        f"(statuses by kind: {counts}); access log: {verdict}"
    )
    with capsys.disabled():
        print(f"\n{summary}")
    summary += f"\nfirst refusals: {tally.refusals()}"

    # No server error, no failed connection, anywhere.
    assert not tally.server_errors(), f"{summary}\nserver log:\n{server.log_tail()}"

    # Reads and notes all succeed.
    for kind in ("read (other agency)", "read (same case)", "list (two parts)"):
        assert set(tally.of(kind)) == {200}, summary
    # Every list answer holds exactly her two cases, newest first.
    for _status, body in tally.bodies["list (two parts)"]:
        listed = [item["id"] for item in body["results"]]
        assert sorted(listed) == sorted([str(case.pk), str(elsewhere.pk)]), body
        moments = [item["updated_at"] for item in body["results"]]
        assert moments == sorted(moments, reverse=True), body
    assert tally.of("note") == Counter({201: size.notes}), summary
    assert CaseNote.objects.filter(case=case).count() == size.notes

    # Exactly one close and one accept win; the others are told why.
    closes = tally.of("close")
    assert closes[200] == 1, summary
    assert set(closes) <= {200, 409, 412}, summary
    closing.refresh_from_db()
    assert closing.status == Case.Status.CLOSED
    accepts = tally.of("accept")
    assert accepts == Counter({200: 1, 409: size.accepts - 1}), summary
    referral.refresh_from_db()
    assert referral.state == Referral.State.ACCEPTED
    assert (
        ReferralEvent.objects.filter(referral=referral, kind=ReferralEvent.Kind.ACCEPTED).count()
        == 1
    )

    # One record per Idempotency-Key, every answer naming it.
    for kind in ("open case (one key)", "send referral (one key)"):
        assert tally.of(kind) == Counter({201: size.idempotent}), summary
        assert len({body["id"] for _status, body in tally.bodies[kind]}) == 1, summary
    assert Case.objects.filter(client=client_record).count() == cases_of_client + 1
    assert Referral.objects.filter(case=referred_again).count() == 1

    # Every read of the other agency's case is in the log; chains without gaps that verify.
    assert (
        AccessLog.objects.filter(
            actor_id=outsider.pk, action="view", object_id=str(elsewhere.pk)
        ).count()
        == tally.of("read (other agency)")[200]
    )
    for chain in AccessLog.objects.values("chain").annotate(
        rows=Count("id"), first=Min("seq"), last=Max("seq")
    ):
        assert chain["first"] == 1 and chain["last"] == chain["rows"], chain
    assert verdict.intact, summary
