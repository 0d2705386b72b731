"""Verifying the chains: every row's hash and link, and the chains against the
last checkpoint."""

import datetime
import hmac
import logging
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_noop

from accounts.access_log import checkpoints, hashchain
from accounts.models import AccessLog

logger = logging.getLogger("accounts.access_log")
# Where each checkpoint is forwarded (ACCESS_LOG_CHECKPOINT_SYSLOG routes it to syslog).
checkpoint_logger = logging.getLogger("sanad.access_log.checkpoint")

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
    if not hmac.compare_digest(hashchain.row_hash(row), row.hash):
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
    ``checkpoints.checkpoint_grace()``; and, for ACCESS_LOG_CHECKPOINT_PATH (not for a
    copy, which may be old), a last checkpoint older than that."""
    # Read before the rows: a checkpoint written while the chains are walked
    # may name rows appended after the walk passed them, which would look cut.
    damaged = ""
    try:
        checkpoint = checkpoints.last_checkpoint(checkpoint_path)
    except checkpoints.CheckpointUnreadableError as error:
        checkpoint, damaged = None, error.problem
    anchors = checkpoint.heads if checkpoint else {}
    checked = unkeyed = 0
    first_broken: Verdict | None = None
    chains = set(AccessLog.objects.order_by().values_list("chain", flat=True).distinct())
    for chain in sorted(chains | set(anchors)):
        anchor = anchors.get(chain)
        expected_seq, prev_hash, keyed = 1, hashchain.GENESIS, False
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
            problem = checkpoints.CHAIN_MISSING if expected_seq == 1 else checkpoints.TAIL_MISSING
            broken = Verdict(False, 0, chain, expected_seq, None, problem)
        if broken is not None and (first_broken is None or _first(broken) < _first(first_broken)):
            first_broken = broken
    if first_broken is None:
        if damaged:
            first_broken = Verdict(False, 0, problem=damaged)
        elif checkpoint is None and checkpoints._oldest_row_is_overdue():
            first_broken = Verdict(False, 0, problem=checkpoints.CHECKPOINT_MISSING)
        elif (
            checkpoint is not None
            and checkpoint_path is None
            and checkpoint.at < timezone.now() - checkpoints.checkpoint_grace()
        ):
            first_broken = Verdict(False, 0, problem=checkpoints.CHECKPOINT_STALE)
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
