"""How fast are Sanad's PDFs, database reads included?

    python -m bench.pdf                      # a throw-away SQLite file
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres python -m bench.pdf

Three documents, each as the application makes it (reads through the scoped
selectors, template, WeasyPrint):

* **summary**: a case summary of about two pages, end to end through Django's
  test client (``GET /cases/<id>/summary.pdf``: session, middleware, access
  log, selectors, render) — target median ≤ 0.35 s;
* **case file**: the full case file of a case with 1,000 history rows (about
  50 pages), through the report kind's ``check`` and ``build`` as the job
  runs them — target median ≤ 3 s and peak memory ≤ 250 MB;
* **consent bundle**: the consent forms of several clients with Arabic and
  Latin names in one PDF of at least 10 pages
  (``reports.documents.consent_form.consent_forms_pdf``) — target ≤ 0.8 s.

Peak memory is ``resource.getrusage(RUSAGE_SELF).ru_maxrss`` of a fresh
process per document (tracemalloc does not see the C allocations of Pango,
HarfBuzz and cairo): the process imports Django, renders the document
``--iterations`` times and reports its high-water mark; the figure before the
first render (Django, the app, one warm-up query) is printed beside it.

The data lives in a database of its own: a temporary SQLite file, or with
``DATABASE_URL`` a new database created next to the one named there and
dropped at the end (the named database is only used to connect). It is made
with the same services and factories as the tests. Runs with ``DEBUG`` off,
a throw-away ``SECRET_KEY`` and access-log key, and private files in a
temporary folder. Exits 1 when a target is missed.
"""

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bench.common import bench_environment

TARGETS = {
    "summary": {"median_s": 0.35},
    "case_file": {"median_s": 3.0, "peak_mb": 250.0},
    "consent_bundle": {"median_s": 0.8},
}
HISTORY_ROWS = 1000
BUNDLE_PAGES = 10

ARABIC_NAMES = [
    ("محمد الحسن", "Mohammed al-Hassan"),
    ("فاطمة الزهراء", "Fatima al-Zahraa"),
    ("أحمد عبد الله", "Ahmad Abdullah"),
    ("مريم خليل", "Maryam Khalil"),
    ("يوسف إبراهيم", "Yusuf Ibrahim"),
    ("نور الهدى", "Nour al-Huda"),
    ("علي رضا", "Ali Reza"),
    ("سارة منصور", "Sara Mansour"),
    ("خالد سليمان", "Khaled Suleiman"),
    ("ليلى حداد", "Layla Haddad"),
    ("عمر فاروق", "Omar Farouk"),
    ("زينب كريم", "Zainab Karim"),
]
NOTE_BODIES = [
    "Home visit: the family of five shares two rooms; the landlord wants them out by the end "
    "of the month. Discussed the housing allowance and the documents it needs.",
    "Phone call with the school: the eldest daughter is enrolled from Monday.",
    "اتصل المستفيد وأكد موعد المقابلة في مكتب الهجرة يوم الخميس.",
    "Meeting at the office with an interpreter. The client asked about family reunification "
    "for his wife and two children, still in Gaziantep; explained the procedure and the "
    "deadlines, gave the list of documents.",
]


def _environment(workdir: Path) -> None:
    os.environ["DEBUG"] = os.environ.get("BENCH_DEBUG", "0")
    bench_environment()
    os.environ["PRIVATE_MEDIA_ROOT"] = str(workdir / "private")
    os.environ["ACCESS_LOG_CHECKPOINT_PATH"] = str(workdir / "checkpoints.jsonl")
    os.environ["STATIC_ROOT"] = str(workdir / "static")
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "1"
    if not os.environ.get("DATABASE_URL"):
        os.environ["SQLITE_PATH"] = str(workdir / "bench.sqlite3")


# --- A database of its own ---------------------------------------------------------------


def _create_postgres(url: str) -> tuple[str, str]:
    """A new database beside the one ``url`` names: (its URL, its name)."""
    import psycopg

    name = f"sanad_pdf_bench_{os.getpid()}"
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}")), name


def _drop_postgres(url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- The data (in a child process) ---------------------------------------------------------


def _setup(state_path: Path) -> None:
    from bench.common import setup_django

    setup_django()
    from django.core.management import call_command
    from django.utils import timezone

    call_command("migrate", verbosity=0)

    from accounts.permissions import Role
    from casework import services as casework
    from tests.factories import (
        AgencyFactory,
        make_case,
        make_client,
        make_consent,
        make_follow_up,
        make_member,
        make_referral,
        make_service,
    )

    started = time.perf_counter()
    # An agency working in English for Arabic speakers: their consent forms are bilingual.
    agency = AgencyFactory(slug="amal", name="Amal Refugee Support", languages=["en", "ar"])
    partner = AgencyFactory(slug="casa", name="Casa Comune", languages=["it", "en"])
    make_member(agency, Role.AGENCY_ADMIN, display_name="Karim Admin")
    caseworker = make_member(agency, Role.CASEWORKER, display_name="Layla Caseworker")
    supervisor = make_member(agency, Role.SUPERVISOR, display_name="Omar Supervisor")
    make_service(partner)
    today = timezone.now().date()

    # (i) the summary's case: what a caseworker's case holds after a few months.
    client = make_client(caseworker, name=ARABIC_NAMES[0][0], name_latin=ARABIC_NAMES[0][1])
    summary_case = make_case(caseworker, client, summary="Family of five at risk of eviction.")
    casework.update_client_sensitive(
        actor=caseworker,
        client_id=client.pk,
        changes={"health": "Asthma; needs an inhaler.", "vulnerabilities": ["serious_illness"]},
        reason="intake",
    )
    for number, body in enumerate(NOTE_BODIES * 4):
        casework.add_note(actor=caseworker, case_id=summary_case.pk, body=f"{body} ({number})")
    for days, title in [(3, "Housing allowance form"), (7, "School meeting"), (14, "Renew ID")]:
        make_follow_up(caseworker, summary_case, due_on=today + timedelta(days), title=title)
    make_consent(
        caseworker,
        client,
        recipient_agencies=[partner],
        data_categories=["identity", "contact", "legal_status"],
    )
    make_consent(caseworker, client, purpose="case_management", data_categories=["identity"])
    make_referral(caseworker, summary_case, partner)

    # (ii) the case file's case: 1,000 rows in the history the file prints (the case's
    # creation, 100 follow-ups created and 40 of them done, case changes), plus 400
    # notes, which the file prints in their own section (their creation rows are not
    # repeated in its history, see reports.documents.case_file).
    file_client = make_client(caseworker, name=ARABIC_NAMES[1][0], name_latin=ARABIC_NAMES[1][1])
    file_case = make_case(caseworker, file_client)
    risks = ["low", "medium", "high"]
    follow_ups = 100
    done = 40
    notes = 400
    changes = HISTORY_ROWS - follow_ups - done - 1  # the case's creation is one row
    for number in range(notes):
        body = NOTE_BODIES[number % len(NOTE_BODIES)]
        casework.add_note(actor=caseworker, case_id=file_case.pk, body=body)
    for number in range(follow_ups):
        follow_up = make_follow_up(
            caseworker,
            file_case,
            due_on=today + timedelta(days=number % 60),
            title=f"Task {number}",
        )
        if number < done:
            casework.complete_follow_up(
                actor=caseworker, case_id=file_case.pk, follow_up_id=follow_up.pk
            )
    version = file_case.version
    for number in range(changes):
        case = casework.update_case(
            actor=caseworker,
            case_id=file_case.pk,
            expected_version=version,
            changes={"risk_level": risks[number % 3]},
            reason="risk reassessed",
        )
        version = case.version

    # (iii) the consent bundle's clients: Arabic names with their Latin spelling.
    bundle = [
        str(make_client(caseworker, name=arabic, name_latin=latin, languages=["ar"]).pk)
        for arabic, latin in ARABIC_NAMES
    ]
    state = {
        "caseworker": str(caseworker.pk),
        "supervisor": str(supervisor.pk),
        "summary_case": str(summary_case.pk),
        "file_case": str(file_case.pk),
        "bundle_clients": bundle,
        "setup_s": round(time.perf_counter() - started, 1),
    }
    state_path.write_text(json.dumps(state))


# --- One scenario (in a fresh child process) -----------------------------------------------


def _maxrss_mb() -> float:
    # Linux reports kilobytes.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _pages(content: bytes) -> int:
    import io

    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(content)).pages)


def _scenario(name: str, state_path: Path, iterations: int, profile: bool = False) -> None:
    from bench.common import setup_django

    setup_django()
    from django.test import Client
    from django.urls import reverse

    from accounts.models import User

    state = json.loads(state_path.read_text())
    User.objects.count()  # one warm-up query: the connection is open before the baseline
    baseline = _maxrss_mb()
    info: dict = {}

    if name == "summary":
        http = Client()
        http.force_login(User.objects.get(pk=state["caseworker"]))
        url = reverse("reports:case_summary", args=[state["summary_case"]])

        def run() -> bytes:
            response = http.get(url)
            assert response.status_code == 200, response.status_code
            return response.content

    elif name == "case_file":
        from reports.kinds import report_kind
        from reports.models import ReportJob

        kind = report_kind(ReportJob.Kind.CASE_FILE)

        def run() -> bytes:
            # A fresh user object, as the job loads it: no permission cache carried over.
            user = User.objects.get(pk=state["supervisor"])
            agency, parameters = kind.check(user, {"case": state["file_case"]})
            job = ReportJob(
                requested_by=user,
                agency=agency,
                kind=ReportJob.Kind.CASE_FILE,
                format="pdf",
                parameters=parameters,
                language="en",
            )
            content, _filename = kind.build(job, lambda percent: None)
            return content

        from casework.selectors import get_case_for
        from reports.documents.case_file import printed_history
        from reports.documents.case_summary import case_history_rows

        supervisor = User.objects.get(pk=state["supervisor"])
        # The rows the file prints (not the history page's note-creation rows).
        info["history_rows"] = len(
            printed_history(
                case_history_rows(supervisor, get_case_for(supervisor, state["file_case"]))
            )
        )

    elif name == "consent_bundle":
        clients = state["bundle_clients"]
        try:
            from reports.documents.consent_form import consent_forms_pdf
        except ImportError:  # pragma: no cover - before the consent form module exists
            consent_forms_pdf = None
        info["document"] = (
            "reports.documents.consent_form.consent_forms_pdf" if consent_forms_pdf else "none"
        )
        if consent_forms_pdf is None:
            print(json.dumps({"name": name, "error": "consent_forms_pdf missing"}))
            return
        # As many clients as make at least BUNDLE_PAGES pages (untimed).
        chosen = 1
        while True:
            actor = User.objects.get(pk=state["caseworker"])
            content, _ = consent_forms_pdf(actor=actor, client_ids=clients[:chosen])
            if _pages(content) >= BUNDLE_PAGES or chosen == len(clients):
                break
            chosen += 1
        info["clients"] = chosen

        def run() -> bytes:
            actor = User.objects.get(pk=state["caseworker"])
            content, _filename = consent_forms_pdf(actor=actor, client_ids=clients[:chosen])
            return content

    else:
        raise SystemExit(f"unknown scenario {name}")

    content = run()  # warm-up: templates, fonts
    if profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        profiler.runcall(run)
        pstats.Stats(profiler, stream=sys.stdout).sort_stats("cumulative").print_stats(40)
    info["pages"] = _pages(content)
    info["bytes"] = len(content)
    timings, cpu = [], []
    for _ in range(iterations):
        started, started_cpu = time.perf_counter(), time.process_time()
        run()
        timings.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    from weasyprint.text.ffi import harfbuzz_subset

    info["subsetting"] = "HarfBuzz" if harfbuzz_subset is not None else "fontTools"
    print(
        json.dumps(
            {
                "name": name,
                "timings": timings,
                "cpu": cpu,
                "baseline_mb": baseline,
                "peak_mb": _maxrss_mb(),
                **info,
            }
        )
    )


# --- The parent ------------------------------------------------------------------------------


def _child(args: list[str]) -> str:
    result = subprocess.run(  # noqa: S603 - this module itself, with its own arguments
        [sys.executable, "-m", "bench.pdf", *args],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        check=False,
    )
    if result.returncode != 0:
        sys.stderr.write(result.stdout + result.stderr)
        raise SystemExit(f"bench.pdf {' '.join(args)} failed ({result.returncode})")
    return result.stdout


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--iterations", type=int, default=7)
    parser.add_argument(
        "--only", default="summary,case_file,consent_bundle", help="comma-separated scenarios"
    )
    parser.add_argument(
        "--keep",
        metavar="DIR",
        help="keep the SQLite data in DIR and reuse it on the next run (not with DATABASE_URL)",
    )
    parser.add_argument(
        "--profile", action="store_true", help="print a cProfile of one run of each document"
    )
    parser.add_argument("--setup", metavar="STATE", help=argparse.SUPPRESS)
    parser.add_argument("--scenario", metavar="NAME", help=argparse.SUPPRESS)
    parser.add_argument("--state", metavar="STATE", help=argparse.SUPPRESS)
    options = parser.parse_args(argv)

    if options.setup:
        _setup(Path(options.setup))
        return
    if options.scenario:
        _scenario(options.scenario, Path(options.state), options.iterations, options.profile)
        return

    server_url = os.environ.get("DATABASE_URL", "")
    if options.keep and server_url:
        raise SystemExit("--keep keeps a SQLite file; unset DATABASE_URL")
    workdir = Path(options.keep or tempfile.mkdtemp(prefix="sanad-pdf-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    _environment(workdir)
    database = None
    if server_url:
        os.environ["DATABASE_URL"], database = _create_postgres(server_url)
    try:
        state_path = workdir / "state.json"
        if not (options.keep and state_path.exists()):
            _child(["--setup", str(state_path)])
        state = json.loads(state_path.read_text())
        engine = "PostgreSQL" if server_url else "SQLite"
        load = os.getloadavg()
        print(
            f"bench.pdf on {engine} (data made in {state['setup_s']} s), DEBUG off, "
            f"{options.iterations} timed runs per document after one warm-up, "
            f"load average {load[0]:.2f}, {os.cpu_count()} CPUs"
        )
        print(
            "peak memory: ru_maxrss of a fresh process per document "
            "(baseline = after Django start-up, before the first render)"
        )
        missed = []
        for name in options.only.split(","):
            output = _child(
                [
                    "--scenario",
                    name,
                    "--state",
                    str(state_path),
                    "--iterations",
                    str(options.iterations),
                    *(["--profile"] if options.profile else []),
                ]
            )
            if options.profile:
                print(output.rsplit("\n", 2)[0])
            result = json.loads(output.strip().splitlines()[-1])
            if "error" in result:
                print(f"{name}: {result['error']}")
                missed.append(name)
                continue
            timings = result["timings"]
            median = statistics.median(timings)
            extra = ", ".join(
                f"{key} {result[key]}"
                for key in ("pages", "history_rows", "clients", "subsetting", "document")
                if key in result
            )
            verdicts = []
            target = TARGETS[name]
            if median > target["median_s"]:
                verdicts.append(f"median > {target['median_s']} s")
            if "peak_mb" in target and result["peak_mb"] > target["peak_mb"]:
                verdicts.append(f"peak > {target['peak_mb']:.0f} MB")
            if verdicts:
                missed.append(name)
            print(
                f"{name:15} median {median:.3f} s (min {min(timings):.3f}, max {max(timings):.3f}; "
                f"CPU {statistics.median(result['cpu']):.3f} s); "
                f"peak {result['peak_mb']:.0f} MB (baseline {result['baseline_mb']:.0f} MB); "
                f"{extra}; target {'missed: ' + ', '.join(verdicts) if verdicts else 'met'}"
            )
        if missed:
            print(f"targets missed: {', '.join(missed)}")
            sys.exit(1)
        print("all targets met")
    finally:
        if database:
            _drop_postgres(server_url, database)
        if not options.keep:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
