"""Appending to the access log's hash chains: keys, row hashes, the chain a
row goes to, the insert that handles losing the race (see the package's
docstring)."""

import datetime
import hashlib
import hmac
import json
import logging
import uuid
import zlib

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounts.models import AccessLog

logger = logging.getLogger("accounts.access_log")
# Where each checkpoint is forwarded (ACCESS_LOG_CHECKPOINT_SYSLOG routes it to syslog).
checkpoint_logger = logging.getLogger("sanad.access_log.checkpoint")

GENESIS = "0" * 64
HASHED_FIELDS = (
    "chain",
    "seq",
    "at",
    "actor_id",
    "agency_id",
    "role",
    "action",
    "object_type",
    "object_id",
    "client_id",
    "case_id",
    "route",
    "ip",
    "user_agent",
    "outcome",
    "prev_hash",
)
_LOCK_NAMESPACE = 0x5A4E  # "SN": the access log's advisory locks


def _canonical(value) -> str:
    if value is None:
        return ""
    if isinstance(value, uuid.UUID):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return str(value)


class UnknownKeyError(KeyError):
    """A row or checkpoint names a key id that is not in ACCESS_LOG_KEYS."""


def current_key_id() -> str:
    """The id of the key new rows and checkpoints are hashed with (the first listed)."""
    return next(iter(settings.ACCESS_LOG_KEYS))


def _mac(key_id: str, content: bytes) -> str:
    secret = settings.ACCESS_LOG_KEYS.get(key_id)
    if secret is None:
        raise UnknownKeyError(key_id)
    return hmac.new(secret.encode(), content, hashlib.sha256).hexdigest()


def row_content(row: AccessLog) -> bytes:
    """The bytes a row's hash covers: its content, its link to the previous row
    and (for a keyed row) its key id, in one canonical form."""
    names = (*HASHED_FIELDS, "key_id") if row.key_id else HASHED_FIELDS
    return json.dumps(
        [_canonical(getattr(row, name)) for name in names],
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode()


def row_hash(row: AccessLog) -> str:
    """HMAC-SHA256 of ``row_content(row)`` with the key ``row.key_id`` names. A
    row without a key id (written before the log was keyed) has the plain
    SHA-256 it was written with; ``verify`` accepts such rows only with
    ACCESS_LOG_ACCEPT_UNKEYED. Raises ``UnknownKeyError`` for a key id not in
    ACCESS_LOG_KEYS."""
    if not row.key_id:
        return hashlib.sha256(row_content(row)).hexdigest()
    return _mac(row.key_id, row_content(row))


def chain_for(actor_id: uuid.UUID | int | None, ip: str | None) -> int:
    """The chain a row goes to: stable per actor (or per address when anonymous)."""
    chains = max(1, settings.ACCESS_LOG_CHAINS)
    key = str(actor_id or ip or "")
    return zlib.crc32(key.encode()) % chains


def _lock_chain(chain: int) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_LOCK_NAMESPACE, chain])


def _head(chain: int) -> tuple[int, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT seq, hash FROM {AccessLog._meta.db_table} "  # noqa: S608 - model metadata  # nosec B608
            "WHERE chain = %s ORDER BY seq DESC LIMIT 1",
            [chain],
        )
        found = cursor.fetchone()
    return (found[0], found[1]) if found else (0, GENESIS)


def _insert_after_head(chain: int, fields: dict, *, alone: bool = False) -> AccessLog:
    seq, prev_hash = _head(chain)
    row = AccessLog(
        chain=chain,
        seq=seq + 1,
        prev_hash=prev_hash,
        key_id=current_key_id(),
        at=fields.pop("at", None) or timezone.now(),
        **fields,
    )
    # Store exactly what will be read back (microseconds, UTC).
    row.at = row.at.astimezone(datetime.UTC)
    row.hash = row_hash(row)
    if alone:
        # Outside any transaction: the INSERT … RETURNING is a transaction of
        # its own (autocommit), without the BEGIN and COMMIT round trips that
        # bulk_create's atomic block would add. save() of a model without
        # parents opens no transaction; the log has no signal receivers.
        row.save(force_insert=True)
    else:
        # One INSERT … RETURNING inside the caller's transaction or savepoint.
        AccessLog.objects.bulk_create([row])
    return row


def append(**fields) -> AccessLog:
    """Append one row (fields of ``AccessLog`` except the chain bookkeeping).

    Two paths append to a chain, and both handle losing a race on the unique
    (chain, seq), so an append never fails the request it belongs to:

    - On its own (a read request's row), the row is inserted optimistically:
      the head is read and the row inserted in autocommit, two statements
      and no lock, the INSERT its own transaction; the loser of a race
      (the unique (chain, seq) refuses its row, which nothing else had
      written) tries again under the chain's lock in a transaction.
    - Inside the caller's transaction (a write request), the chain is locked
      until that transaction ends, but an optimistic reader that read the
      same head may still win the position; the insert then runs in a
      savepoint, so the loss rolls back only the insert, and is retried with
      the head read again (READ COMMITTED: each statement sees the rows
      committed before it)."""
    chain = chain_for(fields.get("actor_id"), fields.get("ip"))
    if connection.in_atomic_block:
        # Outside the savepoint: a lock taken inside one is released when it rolls back.
        _lock_chain(chain)
        return _insert_retrying(chain, fields, lock_after_first_loss=False)
    return _insert_retrying(chain, fields, lock_after_first_loss=True)


def _insert_retrying(chain: int, fields: dict, *, lock_after_first_loss: bool) -> AccessLog:
    # Once the chain is locked only first tries can overtake the writer, and
    # each of them moves the head on, so a few attempts always suffice.
    attempts = 50
    for attempt in range(attempts):
        try:
            if attempt == 0 and lock_after_first_loss and connection.get_autocommit():
                return _insert_after_head(chain, dict(fields), alone=True)
            with transaction.atomic():
                if attempt and lock_after_first_loss:
                    _lock_chain(chain)
                return _insert_after_head(chain, dict(fields))
        except IntegrityError:
            if attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")
