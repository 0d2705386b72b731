"""How long do a 50,000-row spreadsheet's dry run and import take, and how
much memory do they need? (Issue 18: dry run ≤ 60 s and ≤ 500 MB; the
import runs as a background job, batch by batch.)

    python -m bench.imports                  # 50,000 rows, SQLite in a temporary folder
    python -m bench.imports --rows 5000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sanad_bench python -m bench.imports

Each phase runs in a process of its own, so that its peak resident memory
(``ru_maxrss``) is its own: ``prepare`` (migrate, an agency with a
supervisor and 2,000 clients already registered, the file: made-up people in
Arabic, Cyrillic, Ge'ez and Latin script, a case and an identity document on
each row, a few errors and duplicates), ``dry-run`` (``upload_import``: the
file checks, reading, every row validated, the duplicate check, the report
written), ``run`` (``run_import``: every valid row written with its case,
document and history, IMPORT_BATCH_ROWS a transaction) and ``undo``. Prints
each phase's wall time and peak memory; exits 1 when the dry run misses a
target.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DRY_RUN_SECONDS = 60
DRY_RUN_MB = 500

ARABIC = ["محمد", "فاطمة", "أحمد", "خالد", "آمنة", "يوسف", "مريم", "عمر", "ليلى", "حسن"]
ARABIC_FAMILY = ["الحسن", "الزهراء", "يوسف", "العمر", "إبراهيم", "عبد الله", "صالح", "حسين"]
CYRILLIC = ["Олександр", "Оксана", "Дмитро", "Марія", "Ірина", "Богдан", "Олена", "Тарас"]
CYRILLIC_FAMILY = ["Коваленко", "Шевченко", "Бондаренко", "Ткаченко", "Мельник", "Савчук"]
GEEZ = ["ሰላም", "ዳዊት", "ሳባ", "ዮናስ", "ሄለን", "ሚኪኤል", "ኤልሳ"]
GEEZ_FAMILY = ["ተስፋይ", "ገብረመድህን", "ሃይለ", "ብርሃነ", "ኪዳነ", "ተኽለ"]
LATIN = ["Aminata", "Mamadou", "Kwame", "Blessing", "Samuel", "Hawa", "Ibrahima", "Ana"]
LATIN_FAMILY = ["Diallo", "Bah", "Mensah", "Okafor", "Okoro", "Conteh", "Sow", "Gómez"]
SCRIPTS = [
    (ARABIC, ARABIC_FAMILY, "Syrie", "arabe"),
    (CYRILLIC, CYRILLIC_FAMILY, "Ukraine", "ukrainien"),
    (GEEZ, GEEZ_FAMILY, "Érythrée", "Tigrinya"),
    (LATIN, LATIN_FAMILY, "Guinée", "français"),
]
CASE_TYPES = ["Housing", "Legal", "Health", "Employment", "Education", "Language", "سكن"]
HEADERS = [
    "Ref",
    "Nom",
    "Date de naissance",
    "Sexe",
    "Nationalité",
    "Langues",
    "Téléphone",
    "City",
    "Case type",
    "Summary",
    "Document type",
    "Document number",
]


def _row(n: int) -> list:
    given, family, country, language = SCRIPTS[n % len(SCRIPTS)]
    # A unique name per row (the number spelled into the family name's suffix
    # keeps rows from being each other's duplicates).
    name = f"{given[n % len(given)]} {family[(n // 7) % len(family)]} {_suffix(n)}"
    birth = f"{1 + n % 28:02d}/{1 + n % 12:02d}/{1950 + n % 60}"
    if n % 997 == 0:
        birth = "31/02/1990"  # an error
    return [
        f"R-{n:06d}",
        name,
        birth,
        "F" if n % 2 else "M",
        country,
        language,
        f"+39 3{n:09d}",
        "Torino",
        CASE_TYPES[n % len(CASE_TYPES)],
        "Imported from the old system.",
        "passport",
        f"P{n:08d}",
    ]


def _suffix(n: int) -> str:
    letters = "bcdfghjklmnprstvz"
    out = ""
    n += 1
    while n:
        n, digit = divmod(n, len(letters))
        out += letters[digit]
    return out.capitalize()


def write_file(path: Path, rows: int) -> None:
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Clients")
    sheet.append(HEADERS)
    for n in range(rows):
        sheet.append(_row(n))
    book.save(path)


def _setup_django() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def phase_prepare(work: Path, rows: int) -> dict:
    _setup_django()
    from django.core.management import call_command

    from accounts.permissions import Role
    from casework import services
    from tests.factories import AgencyFactory, make_member

    call_command("migrate", verbosity=0)
    agency = AgencyFactory(slug="bench", name="Bench Agency")
    supervisor = make_member(agency, Role.SUPERVISOR, email="supervisor@bench.example")
    for n in range(2000):
        services.register_client(
            actor=supervisor,
            agency=agency,
            data={"name": f"Existing Person {_suffix(n + 10**6)}"},
            confirmed_not_duplicate=True,
        )
    started = time.perf_counter()
    write_file(work / "clients.xlsx", rows)
    return {
        "file_mb": round((work / "clients.xlsx").stat().st_size / 2**20, 1),
        "write_seconds": round(time.perf_counter() - started, 1),
    }


def phase_dry_run(work: Path) -> dict:
    _setup_django()
    from accounts.models import User
    from casework.services.imports import upload_import

    supervisor = User.objects.get(email="supervisor@bench.example")
    agency = supervisor.memberships.get().agency
    data = (work / "clients.xlsx").read_bytes()
    started = time.perf_counter()
    client_import = upload_import(
        actor=supervisor, agency=agency, data=data, file_name="clients.xlsx"
    )
    seconds = time.perf_counter() - started
    (work / "import_id").write_text(str(client_import.pk))
    return {"seconds": round(seconds, 1), "peak_mb": round(_peak_mb()), **client_import.counts}


def phase_run(work: Path) -> dict:
    _setup_django()
    from django.db import transaction

    from accounts.models import User
    from casework.models import ClientImport
    from casework.services.imports import run_import

    supervisor = User.objects.get(email="supervisor@bench.example")
    import_id = (work / "import_id").read_text()
    # What start_import does before it queues the job (valid rows only: the file has errors).
    with transaction.atomic():
        ClientImport.objects.filter(pk=import_id).update(
            state=ClientImport.State.RUNNING, run_by=supervisor, mode="valid_only"
        )
    started = time.perf_counter()
    client_import = run_import(import_id)
    seconds = time.perf_counter() - started
    return {
        "seconds": round(seconds, 1),
        "peak_mb": round(_peak_mb()),
        "state": client_import.state,
        **{key: client_import.counts.get(key) for key in ("created", "skipped")},
    }


def phase_undo(work: Path) -> dict:
    _setup_django()
    from accounts.models import User
    from casework.services.imports import undo_import

    supervisor = User.objects.get(email="supervisor@bench.example")
    started = time.perf_counter()
    client_import = undo_import(actor=supervisor, import_id=(work / "import_id").read_text())
    return {
        "seconds": round(time.perf_counter() - started, 1),
        "peak_mb": round(_peak_mb()),
        "state": client_import.state,
    }


PHASES = {"dry-run": phase_dry_run, "run": phase_run, "undo": phase_undo}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--phase", choices=["prepare", *PHASES], help=argparse.SUPPRESS)
    parser.add_argument("--work", help=argparse.SUPPRESS)
    parser.add_argument("--no-undo", action="store_true", help="Skip the undo phase.")
    arguments = parser.parse_args()
    if arguments.phase:
        work = Path(arguments.work)
        if arguments.phase == "prepare":
            result = phase_prepare(work, arguments.rows)
        else:
            result = PHASES[arguments.phase](work)
        print(json.dumps(result))
        return 0

    with tempfile.TemporaryDirectory(prefix="sanad-bench-import-") as folder:
        env = {
            **os.environ,
            "DEBUG": "0",
            "SECRET_KEY": os.environ.get("SECRET_KEY", "bench-only-secret-key-" + "x" * 40),
            "ACCESS_LOG_KEYS": os.environ.get("ACCESS_LOG_KEYS", "bench:" + "y" * 40),
            "SANAD_VAR_DIR": folder,
            "PRIVATE_MEDIA_ROOT": str(Path(folder) / "private"),
            "LOG_LEVEL": "WARNING",
        }
        if "DATABASE_URL" not in os.environ:
            env["SQLITE_PATH"] = str(Path(folder) / "bench.sqlite3")
        phases = ["prepare", "dry-run", "run"] + ([] if arguments.no_undo else ["undo"])
        results = {}
        for phase in phases:
            completed = subprocess.run(  # noqa: S603 - our own module, fixed arguments
                [
                    sys.executable,
                    "-m",
                    "bench.imports",
                    "--phase",
                    phase,
                    "--work",
                    folder,
                    "--rows",
                    str(arguments.rows),
                ],
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            if completed.returncode != 0:
                print(completed.stdout, completed.stderr, file=sys.stderr)
                return 2
            results[phase] = json.loads(completed.stdout.strip().splitlines()[-1])
            print(f"{phase:8} {json.dumps(results[phase], ensure_ascii=False)}", flush=True)
    dry = results["dry-run"]
    missed = dry["seconds"] > DRY_RUN_SECONDS or dry["peak_mb"] > DRY_RUN_MB
    print(
        f"dry run of {arguments.rows:,} rows: {dry['seconds']} s, {dry['peak_mb']} MB "
        f"(targets ≤ {DRY_RUN_SECONDS} s, ≤ {DRY_RUN_MB} MB): {'MISSED' if missed else 'met'}"
    )
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
