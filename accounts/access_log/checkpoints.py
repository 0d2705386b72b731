"""Checkpoints: the chains' heads, signed and kept outside the database, each
written only if every row the previous one recorded is still there."""

import datetime
import fcntl
import hmac
import json
import logging
import os
import smtplib
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

from django.conf import settings
from django.core.mail import send_mail
from django.db.models import Max, Min, Q
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from accounts.access_log import hashchain
from accounts.models import AccessLog

logger = logging.getLogger("accounts.access_log")
# Where each checkpoint is forwarded (ACCESS_LOG_CHECKPOINT_SYSLOG routes it to syslog).
checkpoint_logger = logging.getLogger("sanad.access_log.checkpoint")

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
            at=hashchain._canonical(rows[top["chain"], top["seq"]].at),
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
        key_id = hashchain.current_key_id()
        body = {
            "v": 2,
            "at": hashchain._canonical(at),
            "key_id": key_id,
            "prev": previous.mac if previous else "",
            "chains": [{"chain": h.chain, "seq": h.seq, "hash": h.hash, "at": h.at} for h in heads],
        }
        body["mac"] = hashchain._mac(key_id, _signed_content(body))
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
        expected = hashchain._mac(body["key_id"], _signed_content(body))
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
