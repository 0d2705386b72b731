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

from accounts.access_log import checkpoints, hashchain
from accounts.access_log.checkpoints import (
    CHAIN_MISSING,
    CHECKPOINT_MISSING,
    CHECKPOINT_STALE,
    CHECKPOINT_UNLINKED,
    CHECKPOINT_UNREADABLE,
    CHECKPOINTED_ROW_MISSING,
    CHECKPOINTED_ROW_REPLACED,
    TAIL_MISSING,
    Checkpoint,
    CheckpointRefusedError,
    CheckpointUnreadableError,
    Head,
    checkpoint_grace,
    last_checkpoint,
    read_checkpoint,
    write_checkpoint,
)
from accounts.access_log.hashchain import (
    GENESIS,
    HASHED_FIELDS,
    UnknownKeyError,
    append,
    chain_for,
    current_key_id,
    row_content,
    row_hash,
)
from accounts.access_log.verify import (
    Verdict,
    verify,
)

__all__ = [
    "CHAIN_MISSING",
    "CHECKPOINTED_ROW_MISSING",
    "CHECKPOINTED_ROW_REPLACED",
    "CHECKPOINT_MISSING",
    "CHECKPOINT_STALE",
    "CHECKPOINT_UNLINKED",
    "CHECKPOINT_UNREADABLE",
    "GENESIS",
    "HASHED_FIELDS",
    "TAIL_MISSING",
    "Checkpoint",
    "CheckpointRefusedError",
    "CheckpointUnreadableError",
    "Head",
    "UnknownKeyError",
    "Verdict",
    "append",
    "chain_for",
    "checkpoint_grace",
    "checkpoints",
    "current_key_id",
    "hashchain",
    "last_checkpoint",
    "read_checkpoint",
    "row_content",
    "row_hash",
    "verify",
    "write_checkpoint",
]
