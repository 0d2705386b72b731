"""The access log's hash chains: appending a row, and verifying the chains.

Each row stores ``prev_hash`` (the hash of the row before it in its chain)
and ``hash`` (SHA-256 of its own content, ``prev_hash`` included). Editing a
row breaks its own hash, deleting one leaves a gap in ``seq`` and a
``prev_hash`` pointing at nothing, inserting one breaks the link of the row
after it. Rows are spread over ``ACCESS_LOG_CHAINS`` chains by actor, so
concurrent writers meet only on their own chain, never on the whole log.

Appending under concurrency: a read request's row goes in its own short
transaction, optimistically (read the head, insert; the unique (chain, seq)
constraint turns a lost race into a retry under the chain's lock). A row
written inside a write's transaction first takes a transaction-scoped
advisory lock on (log, chain) on PostgreSQL and inserts in a savepoint, so
that losing to an optimistic reader retries the insert without aborting the
caller's work. On SQLite every write transaction is BEGIN IMMEDIATE, so
writers are serialised by the database itself.
"""

import datetime
import hashlib
import json
import uuid
import zlib
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from accounts.models import AccessLog

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


def row_hash(row: AccessLog) -> str:
    """SHA-256 of the row's content, its link to the previous row included."""
    content = json.dumps(
        [_canonical(getattr(row, name)) for name in HASHED_FIELDS],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(content.encode()).hexdigest()


def chain_for(actor_id, ip: str | None) -> int:
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
            f"SELECT seq, hash FROM {AccessLog._meta.db_table} "  # noqa: S608 - model metadata
            "WHERE chain = %s ORDER BY seq DESC LIMIT 1",
            [chain],
        )
        found = cursor.fetchone()
    return (found[0], found[1]) if found else (0, GENESIS)


def _insert_after_head(chain: int, fields: dict) -> AccessLog:
    seq, prev_hash = _head(chain)
    row = AccessLog(
        chain=chain,
        seq=seq + 1,
        prev_hash=prev_hash,
        at=fields.pop("at", None) or timezone.now(),
        **fields,
    )
    # Store exactly what will be read back (microseconds, UTC).
    row.at = row.at.astimezone(datetime.UTC)
    row.hash = row_hash(row)
    # One INSERT … RETURNING, without the signals of save(): the log has none.
    AccessLog.objects.bulk_create([row])
    return row


def append(**fields) -> AccessLog:
    """Append one row (fields of ``AccessLog`` except the chain bookkeeping).

    Two paths append to a chain, and both handle losing a race on the unique
    (chain, seq), so an append never fails the request it belongs to:

    - On its own (a read request's row), the row is inserted optimistically
      in a short transaction of its own; the loser of a race tries again
      under the chain's lock — no lock round trip on the common path.
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
            with transaction.atomic():
                if attempt and lock_after_first_loss:
                    _lock_chain(chain)
                return _insert_after_head(chain, dict(fields))
        except IntegrityError:
            if attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class Verdict:
    """What ``verify`` found: intact (with the row count) or the first broken link."""

    intact: bool
    rows: int
    chain: int | None = None
    seq: int | None = None
    row_id: int | None = None
    problem: str = ""

    def __str__(self) -> str:
        if self.intact:
            return f"intact, {self.rows} rows"
        return (
            f"broken at row {self.row_id} (chain {self.chain}, position {self.seq}): {self.problem}"
        )


def verify() -> Verdict:
    """Walk every chain in order and report the first broken link: a row whose
    content no longer matches its hash (edited), a position missing (deleted),
    a row that does not follow the one before it (inserted or reordered)."""
    checked = 0
    first_broken: Verdict | None = None
    chains = AccessLog.objects.order_by().values_list("chain", flat=True).distinct()
    for chain in sorted(set(chains)):
        expected_seq, prev_hash = 1, GENESIS
        for row in AccessLog.objects.filter(chain=chain).order_by("seq").iterator(chunk_size=2000):
            checked += 1
            problem = ""
            # Stored in English, translated where shown (the page, not the command).
            if row_hash(row) != row.hash:
                problem = gettext_noop("the row was changed after it was written")
            elif row.seq != expected_seq:
                problem = (
                    gettext_noop("rows are missing before it")
                    if row.seq > expected_seq
                    else gettext_noop("a row was inserted or renumbered here")
                )
            elif row.prev_hash != prev_hash:
                problem = gettext_noop(
                    "it does not follow the row before it (a row was inserted or deleted)"
                )
            if problem:
                verdict = Verdict(False, 0, chain, row.seq, row.pk, problem)
                if first_broken is None or row.pk < first_broken.row_id:
                    first_broken = verdict
                break
            expected_seq, prev_hash = row.seq + 1, row.hash
    if first_broken is not None:
        return Verdict(
            False,
            checked,
            first_broken.chain,
            first_broken.seq,
            first_broken.row_id,
            first_broken.problem,
        )
    return Verdict(True, checked)
