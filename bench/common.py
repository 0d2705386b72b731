"""What both benchmark scripts share: Django start-up and how bench data is marked."""

import os
import secrets

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


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def bench_email(local_part: str) -> str:
    return f"{local_part}@{BENCH_DOMAIN}"


def is_sqlite() -> bool:
    from django.db import connection

    return connection.vendor == "sqlite"
