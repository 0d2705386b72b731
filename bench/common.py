"""What both benchmark scripts share: Django start-up and how bench data is marked."""

import os

# Every row the generator makes can be found again by these markers, so that
# ``--reset`` removes exactly what it made and nothing else.
BENCH_DOMAIN = "bench.invalid"
GRANTS_AGENCY_SLUG = "grants-desk"


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def bench_email(local_part: str) -> str:
    return f"{local_part}@{BENCH_DOMAIN}"


def is_sqlite() -> bool:
    from django.db import connection

    return connection.vendor == "sqlite"
