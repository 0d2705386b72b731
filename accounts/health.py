"""What a load balancer or an orchestrator asks before it sends a process
work (``/readyz``): each dependency the process needs answers, and the
database's schema is the code's. Each check says only "ok", "unavailable",
"pending" or "not configured": never an address, a message or a count.

``/healthz`` (liveness) asks the database alone: a process whose Redis is
down is not dead, and restarting it would not bring Redis back.
"""

import functools
import logging
import os
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor

logger = logging.getLogger(__name__)

OK = "ok"
UNAVAILABLE = "unavailable"
PENDING = "pending"
NOT_CONFIGURED = "not configured"
# A probe waits this long for Redis at most; the balancer's own timeout is longer.
REDIS_TIMEOUT_SECONDS = 1.0


def _check(what: str):
    """A check that fails by raising answers "unavailable", and says so in
    the log (the exception's type and traceback: the filter withholds its
    message, which may name a host)."""

    def decorate(check: Callable[[], str]) -> Callable[[], str]:
        @functools.wraps(check)
        def checked() -> str:
            try:
                return check()
            except Exception:
                logger.warning("Readiness: %s did not answer", what, exc_info=True)
                return UNAVAILABLE

        return checked

    return decorate


@_check("the database")
def database() -> str:
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return OK


@_check("the migrations")
def migrations() -> str:
    """ "pending" while a migration of the code is not applied to the database
    (a new release before ``migrate``, or an old process after a rollback)."""
    executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return PENDING if plan else OK


@_check("a Redis")
def redis() -> str:
    """Every Redis the settings name (the cache, Celery's broker) answers PING;
    "not configured" in the embedded default, which needs none."""
    urls = [
        url
        for url in dict.fromkeys([settings.REDIS_URL, settings.CELERY_BROKER_URL])
        if url and url.startswith(("redis://", "rediss://", "unix://"))
    ]
    if not urls:
        return NOT_CONFIGURED
    import redis as redis_client

    for url in urls:
        connection = redis_client.Redis.from_url(
            url,
            socket_timeout=REDIS_TIMEOUT_SECONDS,
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
        )
        try:
            connection.ping()
        finally:
            connection.close()
    return OK


@_check("the file storage")
def storage() -> str:
    """The storage of documents and report files answers: its root listed
    (one request to an S3-compatible store), or on disk a folder that can be
    written to."""
    location = getattr(default_storage, "location", None)
    if location is not None and not hasattr(default_storage, "bucket_name"):
        # A folder, made at the first upload: it, or the folder it will be
        # made in, must be writable.
        folder = Path(location)
        while not folder.exists() and folder != folder.parent:
            folder = folder.parent
        return OK if folder.is_dir() and os.access(folder, os.W_OK) else UNAVAILABLE
    default_storage.listdir("")
    return OK


def readiness() -> dict[str, str]:
    """Each check's state, by name."""
    return {
        "database": database(),
        "migrations": migrations(),
        "redis": redis(),
        "storage": storage(),
    }


def is_ready(checks: dict[str, str]) -> bool:
    return all(state in (OK, NOT_CONFIGURED) for state in checks.values())
