"""The access log's hash chains: appending a row, checkpointing the chains'
heads outside the database, and verifying the chains against the last
checkpoint.

Each row stores ``prev_hash`` (the hash of the row before it in its chain)
and ``hash`` (HMAC-SHA256 of its own content, ``prev_hash`` included, with
the key ``key_id`` names in ``ACCESS_LOG_KEYS``: the key is not in the
database, so whoever can write to the database cannot recompute a chain).
Editing a row breaks its own hash, deleting one leaves a gap in ``seq`` and a
``prev_hash`` pointing at nothing, inserting one breaks the link of the row
after it. Deleting the last rows of a chain, a whole chain or the whole table
leaves nothing behind in the database: the checkpoints (every chain's last
position and hash, signed with the key, appended to a file and forwarded)
are what shows it. A checkpoint is written only if every row the previous
one recorded is still there, so a cut is never laundered into the next one.
Rows are spread over ``ACCESS_LOG_CHAINS`` chains by actor,
so concurrent writers meet only on their own chain, never on the whole log.

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
import fcntl
import hashlib
import hmac
import json
import logging
import os
import smtplib
import uuid
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, connection, transaction
from django.db.models import Max, Min, Q
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from accounts.models import AccessLog

logger = logging.getLogger(__name__)
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
        key_id=current_key_id(),
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


# --- Checkpoints: the chains' heads, kept outside the database ----------------------------

# Stored in English, translated where shown (the page, not the command).
CHECKPOINT_UNREADABLE = gettext_noop(
    "the last checkpoint cannot be read or its signature does not match"
)
CHECKPOINT_UNLINKED = gettext_noop(
    "the last checkpoint does not follow the one before it in the file (a checkpoint was "
    "deleted or the lines were reordered)"
)
CHECKPOINT_MISSING = gettext_noop(
    "there is no checkpoint although the log holds rows older than two checkpoint intervals: "
    "the checkpoint file is missing or checkpoints are not being written"
)
CHECKPOINT_STALE = gettext_noop(
    "the last checkpoint is older than two checkpoint intervals: checkpoints are not being "
    "written, or the last ones were removed from the file"
)
CHAIN_MISSING = gettext_noop("the whole chain is missing: the last checkpoint recorded rows in it")
TAIL_MISSING = gettext_noop(
    "rows are missing from this position to the end of the chain: the last checkpoint recorded them"
)
# Only in a refused checkpoint's log line and e-mail, in English as the log is.
CHECKPOINTED_ROW_MISSING = "the row the last checkpoint recorded at this position is missing"
CHECKPOINTED_ROW_REPLACED = (
    "the row at this position is not the one the last checkpoint recorded (the chain was rewritten)"
)


@dataclass(frozen=True)
class Head:
    """A chain's last row when a checkpoint was taken."""

    chain: int
    seq: int
    hash: str
    at: str


@dataclass(frozen=True)
class Checkpoint:
    at: datetime.datetime
    key_id: str
    heads: dict[int, Head] = field(default_factory=dict)
    # This checkpoint's signature, and the one of the line before it ("" for the first).
    mac: str = ""
    prev: str = ""


class CheckpointUnreadableError(Exception):
    """The last checkpoint cannot be read, its signature does not match, or it
    does not follow the line before it. ``problem`` says which."""

    def __init__(self, problem: str = CHECKPOINT_UNREADABLE):
        super().__init__(problem)
        self.problem = problem


class CheckpointRefusedError(Exception):
    """``write_checkpoint`` wrote nothing: the database no longer holds what the
    previous checkpoint recorded, or the previous checkpoint cannot be read."""


def checkpoint_grace() -> datetime.timedelta:
    """How old the last checkpoint (without one, the oldest row) may be before
    checkpoints count as not being written: two intervals and five minutes for
    a slow beat."""
    return datetime.timedelta(minutes=2 * settings.ACCESS_LOG_CHECKPOINT_MINUTES + 5)


def _oldest_row_is_overdue() -> bool:
    oldest = AccessLog.objects.aggregate(at=Min("at"))["at"]
    return oldest is not None and oldest < timezone.now() - checkpoint_grace()


def _signed_content(body: dict) -> bytes:
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def _current_heads() -> list[Head]:
    tops = list(
        AccessLog.objects.order_by().values("chain").annotate(seq=Max("seq")).order_by("chain")
    )
    if not tops:
        return []
    at_top = Q()
    for top in tops:
        at_top |= Q(chain=top["chain"], seq=top["seq"])
    # Rows are never removed, so the head read by the first query is still there.
    rows = {
        (row.chain, row.seq): row
        for row in AccessLog.objects.filter(at_top).only("chain", "seq", "hash", "at")
    }
    return [
        Head(
            chain=top["chain"],
            seq=top["seq"],
            hash=rows[top["chain"], top["seq"]].hash,
            at=_canonical(rows[top["chain"], top["seq"]].at),
        )
        for top in tops
    ]


def _behind(previous: Checkpoint) -> list[str]:
    """What the database no longer holds of ``previous``: one finding per chain
    whose recorded head is missing or another row (a cut end, a deleted chain,
    an emptied table, a rewritten chain). Empty when the log only grew."""
    if not previous.heads:
        return []
    at_heads = Q()
    for head in previous.heads.values():
        at_heads |= Q(chain=head.chain, seq=head.seq)
    stored = {
        (chain, seq): hash_
        for chain, seq, hash_ in AccessLog.objects.filter(at_heads).values_list(
            "chain", "seq", "hash"
        )
    }
    tops = dict(
        AccessLog.objects.filter(chain__in=previous.heads)
        .order_by()
        .values("chain")
        .annotate(seq=Max("seq"))
        .values_list("chain", "seq")
    )
    findings = []
    for head in sorted(previous.heads.values(), key=lambda head: head.chain):
        found = stored.get((head.chain, head.seq))
        top = tops.get(head.chain)
        if found is None and top is None:
            findings.append(f"chain {head.chain} from position 1: {CHAIN_MISSING}")
        elif found is None and top < head.seq:
            findings.append(f"chain {head.chain} from position {top + 1}: {TAIL_MISSING}")
        elif found is None:
            findings.append(
                f"chain {head.chain} at position {head.seq}: {CHECKPOINTED_ROW_MISSING}"
            )
        elif not hmac.compare_digest(found, head.hash):
            findings.append(
                f"chain {head.chain} at position {head.seq}: {CHECKPOINTED_ROW_REPLACED}"
            )
    return findings


def _last_lines(file, count: int) -> list[bytes]:
    """The last ``count`` checkpoint lines of a binary file, read from its end
    (lines without a JSON object, e.g. other syslog lines, skipped)."""

    def checkpoint_lines(text: bytes) -> list[bytes]:
        return [line for line in text.split(b"\n") if b"{" in line]

    end = file.seek(0, os.SEEK_END)
    tail = b""
    while end > 0:
        start = max(0, end - 8192)
        file.seek(start)
        tail = file.read(end - start) + tail
        end = start
        lines = checkpoint_lines(tail)
        # More than asked for: the first one, perhaps cut by the block's start, is not needed.
        if len(lines) > count:
            return lines[-count:]
    return checkpoint_lines(tail)[-count:]


def _email(subject: str, message: str) -> None:
    recipients = settings.ACCESS_LOG_CHECKPOINT_EMAILS
    if not recipients:
        return
    try:
        send_mail(subject=subject, message=message, from_email=None, recipient_list=recipients)
    except (OSError, smtplib.SMTPException):
        # The file and the logger have it already; a mail server that is down
        # must not stop the next checkpoint.
        logger.exception("An access log checkpoint message could not be e-mailed: %s", subject)


def _refuse(problem: str) -> NoReturn:
    checkpoint_logger.error("access log checkpoint refused: %s", problem)
    _email(
        gettext("Sanad: access log checkpoint refused"),
        gettext(
            "Sanad did not write a checkpoint of its access log: the database no longer holds "
            "what the last checkpoint recorded, or the checkpoint file cannot be read. The last "
            "good checkpoint stays the one verify_access_log compares with; investigate before "
            "anything else."
        )
        + f"\n\n{problem}\n",
    )
    raise CheckpointRefusedError(problem)


def write_checkpoint(*, first: bool = False) -> Checkpoint:
    """Record every chain's head (position, hash, time), signed with the
    current key and linked to the previous checkpoint's signature, outside the
    database: one JSON line appended to ACCESS_LOG_CHECKPOINT_PATH, the same
    line logged on ``sanad.access_log.checkpoint`` (syslog when configured) and
    e-mailed to ACCESS_LOG_CHECKPOINT_EMAILS. Positions and hashes only: no
    personal data.

    Refuses (``CheckpointRefusedError``, logged at ERROR and e-mailed, nothing
    written) when the previous checkpoint cannot be read, when a row it
    recorded is gone or another one, or — unless ``first`` — when there is no
    previous checkpoint although the log holds rows older than
    ``checkpoint_grace()``: a new line would make verify compare with the
    damaged log and call it intact."""
    path = Path(settings.ACCESS_LOG_CHECKPOINT_PATH)
    path.parent.mkdir(parents=True, exist_ok=True)
    # O_APPEND: each checkpoint is added at the end in one write, never over another.
    descriptor = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        # Beat and a manual run at once: one reads the heads, checks and
        # appends after the other, so the lines stay in order and linked.
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        try:
            with os.fdopen(os.dup(descriptor), "rb") as file:
                previous = _last_of(file)
        except CheckpointUnreadableError as error:
            _refuse(error.problem)
        if previous is not None:
            findings = _behind(previous)
            if findings:
                _refuse("; ".join(findings))
        elif not first and _oldest_row_is_overdue():
            _refuse(CHECKPOINT_MISSING)
        at = timezone.now()
        heads = _current_heads()
        key_id = current_key_id()
        body = {
            "v": 2,
            "at": _canonical(at),
            "key_id": key_id,
            "prev": previous.mac if previous else "",
            "chains": [{"chain": h.chain, "seq": h.seq, "hash": h.hash, "at": h.at} for h in heads],
        }
        body["mac"] = _mac(key_id, _signed_content(body))
        line = json.dumps(body, sort_keys=True, separators=(",", ":"))
        os.write(descriptor, (line + "\n").encode())
        os.fsync(descriptor)
    finally:
        os.close(descriptor)  # releases the lock
    checkpoint_logger.info("access log checkpoint %s", line)
    _email(
        gettext("Sanad: access log checkpoint %(at)s") % {"at": body["at"]},
        gettext(
            "The last position and hash of every chain of Sanad's access log, signed "
            "with the log's key. Keep this message: if the log or its checkpoint file "
            "is ever cut, this copy shows what was there."
        )
        + f"\n\n{line}\n",
    )
    return Checkpoint(at, key_id, {h.chain: h for h in heads}, body["mac"], body["prev"])


def read_checkpoint(line: bytes | str) -> Checkpoint:
    """One checkpoint line, its signature checked (``CheckpointUnreadableError`` if not).
    Whatever precedes the JSON object (a syslog or log-line prefix) is skipped."""
    try:
        text = line.decode() if isinstance(line, bytes) else line
        body = json.loads(text[text.index("{") :])
        mac = body.pop("mac")
        expected = _mac(body["key_id"], _signed_content(body))
        if not isinstance(mac, str) or not hmac.compare_digest(mac, expected):
            raise CheckpointUnreadableError()
        heads = {
            int(c["chain"]): Head(int(c["chain"]), int(c["seq"]), str(c["hash"]), str(c["at"]))
            for c in body["chains"]
        }
        return Checkpoint(
            datetime.datetime.fromisoformat(body["at"]),
            body["key_id"],
            heads,
            mac,
            str(body.get("prev", "")),
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        raise CheckpointUnreadableError() from None


def last_checkpoint(path: Path | str | None = None) -> Checkpoint | None:
    """The last checkpoint of ``path`` (default ACCESS_LOG_CHECKPOINT_PATH);
    None when there is none. Raises ``CheckpointUnreadableError`` when it
    cannot be read, its signature does not match or it does not carry the
    signature of the checkpoint line before it (a line deleted or moved)."""
    path = Path(path or settings.ACCESS_LOG_CHECKPOINT_PATH)
    try:
        with path.open("rb") as file:
            fcntl.flock(file, fcntl.LOCK_SH)  # not half of a line being appended
            return _last_of(file)
    except FileNotFoundError:
        return None
    except OSError:
        raise CheckpointUnreadableError() from None


def _last_of(file) -> Checkpoint | None:
    lines = _last_lines(file, 2)
    if not lines:
        return None
    last = read_checkpoint(lines[-1])
    # Only the last link is checked (cheap); a lone line may carry one: a
    # forwarded copy need not hold the lines before it.
    if len(lines) == 2 and not hmac.compare_digest(read_checkpoint(lines[0]).mac, last.prev):
        raise CheckpointUnreadableError(CHECKPOINT_UNLINKED)
    return last


# --- Verifying ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    """What ``verify`` found: intact (with the row count) or the first broken link.

    A broken link names a row (``row_id``) when there is one to name; rows cut
    from a chain's end or a whole chain missing name only the chain and the
    first missing position."""

    intact: bool
    rows: int
    chain: int | None = None
    seq: int | None = None
    row_id: int | None = None
    problem: str = ""
    # Rows written before the log was keyed (plain SHA-256), accepted only
    # with ACCESS_LOG_ACCEPT_UNKEYED: whoever can write to the database could
    # have recomputed them.
    unkeyed: int = 0
    # The checkpoint the chains' ends were compared with (None: none yet).
    checkpoint_at: datetime.datetime | None = None

    def __str__(self) -> str:
        if self.intact:
            summary = f"intact, {self.rows} rows"
            if self.unkeyed:
                summary += f" ({self.unkeyed} hashed without a key, before the log was keyed)"
            if self.checkpoint_at is None:
                return summary + "; no checkpoint yet to check the chains' ends against"
            at = f"{self.checkpoint_at:%Y-%m-%d %H:%M:%S} UTC"
            return summary + f"; the chains' ends match the checkpoint of {at}"
        if self.row_id is not None:
            return (
                f"broken at row {self.row_id} (chain {self.chain}, position {self.seq}): "
                f"{self.problem}"
            )
        if self.chain is not None:
            return f"broken in chain {self.chain} from position {self.seq}: {self.problem}"
        return f"broken: {self.problem}"


def _row_problem(row: AccessLog, expected_seq: int, prev_hash: str, keyed: bool, anchor) -> str:
    # Stored in English, translated where shown (the page, not the command).
    if row.key_id and row.key_id not in settings.ACCESS_LOG_KEYS:
        return gettext_noop(
            "it names a key Sanad does not have (a retired key left out of ACCESS_LOG_KEYS, "
            "or a forged row)"
        )
    if not row.key_id and not settings.ACCESS_LOG_ACCEPT_UNKEYED:
        return gettext_noop(
            "it has no key: it was forged without the key, or written before the log was keyed "
            "(ACCESS_LOG_ACCEPT_UNKEYED accepts those)"
        )
    if keyed and not row.key_id:
        return gettext_noop(
            "it has no key although the rows before it have one (it was written without the key)"
        )
    if not hmac.compare_digest(row_hash(row), row.hash):
        return gettext_noop("the row was changed after it was written")
    if row.seq != expected_seq:
        return (
            gettext_noop("rows are missing before it")
            if row.seq > expected_seq
            else gettext_noop("a row was inserted or renumbered here")
        )
    if row.prev_hash != prev_hash:
        return gettext_noop("it does not follow the row before it (a row was inserted or deleted)")
    if anchor is not None and row.seq == anchor.seq and row.hash != anchor.hash:
        return gettext_noop(
            "it is not the row the last checkpoint recorded at this position (the chain was "
            "rewritten)"
        )
    return ""


def _first(verdict: Verdict) -> tuple:
    return (verdict.row_id is None, verdict.row_id or 0, verdict.chain or 0)


def verify(checkpoint_path: Path | str | None = None) -> Verdict:
    """Walk every chain in order and report the first broken link: a row whose
    content no longer matches its keyed hash (edited, or recomputed without the
    key), a row without a key (unless ACCESS_LOG_ACCEPT_UNKEYED), a position
    missing (deleted), a row that does not follow the one before it (inserted
    or reordered); then compare the chains' ends with the last checkpoint
    (``checkpoint_path``, default ACCESS_LOG_CHECKPOINT_PATH): rows cut from
    the end of a chain, a chain missing (a table emptied), a row at a
    checkpointed position that is not the one recorded. Also reported: a last
    checkpoint that cannot be read, is not signed or does not follow the line
    before it; no checkpoint although the log holds rows older than
    ``checkpoint_grace()``; and, for ACCESS_LOG_CHECKPOINT_PATH (not for a
    copy, which may be old), a last checkpoint older than that."""
    # Read before the rows: a checkpoint written while the chains are walked
    # may name rows appended after the walk passed them, which would look cut.
    damaged = ""
    try:
        checkpoint = last_checkpoint(checkpoint_path)
    except CheckpointUnreadableError as error:
        checkpoint, damaged = None, error.problem
    anchors = checkpoint.heads if checkpoint else {}
    checked = unkeyed = 0
    first_broken: Verdict | None = None
    chains = set(AccessLog.objects.order_by().values_list("chain", flat=True).distinct())
    for chain in sorted(chains | set(anchors)):
        anchor = anchors.get(chain)
        expected_seq, prev_hash, keyed = 1, GENESIS, False
        broken: Verdict | None = None
        for row in AccessLog.objects.filter(chain=chain).order_by("seq").iterator(chunk_size=2000):
            checked += 1
            problem = _row_problem(row, expected_seq, prev_hash, keyed, anchor)
            if problem:
                broken = Verdict(False, 0, chain, row.seq, row.pk, problem)
                break
            keyed = keyed or bool(row.key_id)
            unkeyed += not row.key_id
            expected_seq, prev_hash = row.seq + 1, row.hash
        if broken is None and anchor is not None and expected_seq <= anchor.seq:
            problem = CHAIN_MISSING if expected_seq == 1 else TAIL_MISSING
            broken = Verdict(False, 0, chain, expected_seq, None, problem)
        if broken is not None and (first_broken is None or _first(broken) < _first(first_broken)):
            first_broken = broken
    if first_broken is None:
        if damaged:
            first_broken = Verdict(False, 0, problem=damaged)
        elif checkpoint is None and _oldest_row_is_overdue():
            first_broken = Verdict(False, 0, problem=CHECKPOINT_MISSING)
        elif (
            checkpoint is not None
            and checkpoint_path is None
            and checkpoint.at < timezone.now() - checkpoint_grace()
        ):
            first_broken = Verdict(False, 0, problem=CHECKPOINT_STALE)
    checkpoint_at = checkpoint.at if checkpoint else None
    if first_broken is not None:
        return Verdict(
            False,
            checked,
            first_broken.chain,
            first_broken.seq,
            first_broken.row_id,
            first_broken.problem,
            unkeyed,
            checkpoint_at,
        )
    return Verdict(True, checked, unkeyed=unkeyed, checkpoint_at=checkpoint_at)
