"""What the benchmark scripts share: Django start-up, how bench data is
marked, and how a call is timed and its statements counted."""

import gc
import os
import secrets
import tempfile
import time
from collections.abc import Callable

# Every row the generator makes can be found again by these markers, so that
# ``--reset`` removes exactly what it made and nothing else.
BENCH_DOMAIN = "bench.invalid"
GRANTS_AGENCY_SLUG = "grants-desk"


def bench_environment() -> None:
    """What every benchmark runs with unless told otherwise: DEBUG off,
    throw-away keys, the test client's host, a throttle no run reaches, and
    no second factor (``force_login`` passes none: supervisors would get
    401 otp_required)."""
    os.environ.setdefault("DEBUG", "0")
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    os.environ.setdefault("ACCESS_LOG_KEYS", f"bench:{secrets.token_urlsafe(32)}")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    os.environ.setdefault("THROTTLE_USER", "1000000/min")
    os.environ.setdefault("SECOND_FACTOR_REQUIRED", "0")


def throwaway_static() -> tempfile.TemporaryDirectory | None:
    """Before ``setup_django``: a page's ``{% static %}`` needs a manifest when
    DEBUG is off, collected (``collect_static``) into a throw-away directory
    rather than the project's var/static. None when STATIC_ROOT is set."""
    if "STATIC_ROOT" in os.environ:
        return None
    folder = tempfile.TemporaryDirectory(prefix="sanad-bench-static-")
    os.environ["STATIC_ROOT"] = folder.name
    return folder


def collect_static(folder: tempfile.TemporaryDirectory | None) -> None:
    """After ``setup_django``: collect into ``throwaway_static``'s directory."""
    from django.conf import settings
    from django.core.management import call_command

    if folder is not None and not settings.DEBUG:
        call_command("collectstatic", interactive=False, verbosity=0)


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def bench_email(local_part: str) -> str:
    return f"{local_part}@{BENCH_DOMAIN}"


def is_sqlite() -> bool:
    from django.db import connection

    return connection.vendor == "sqlite"


def settle_garbage() -> None:
    """Before the timed runs: collect, then freeze what exists (Django's
    modules, the warmed caches), so that later collections walk only what
    the measured code allocates."""
    gc.collect()
    gc.freeze()


def timed_ms(function: Callable[[], object]) -> tuple[float, object]:
    """One timed call in milliseconds, and its result. Garbage is collected
    before the call and never inside it: a collection would otherwise land on
    whichever call the allocation count happens to reach it in. Every
    benchmark times its calls this way."""
    gc.collect()
    gc.disable()
    try:
        started = time.perf_counter_ns()
        result = function()
        return (time.perf_counter_ns() - started) / 1e6, result
    finally:
        gc.enable()


TRANSACTION_STATEMENTS = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


def statement_counts(queries: list[dict]) -> tuple[int, int]:
    """(statements, transaction statements) of a CaptureQueriesContext's
    queries: BEGIN, COMMIT, SAVEPOINT … are round trips too, but are
    counted apart so that a figure says which it includes."""
    control = sum(
        1 for query in queries if query["sql"].lstrip().upper().startswith(TRANSACTION_STATEMENTS)
    )
    return len(queries) - control, control
