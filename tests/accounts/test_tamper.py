"""Issue 9: tampering by someone who can write to the database, but has
neither the log's key nor the checkpoints kept outside it, is reported —
rows cut from a chain's end, a whole chain deleted, the table emptied, a
chain edited and recomputed without the key, rows forged without a key —
and stays reported: the next checkpoint refuses to record a damaged log.
Honest appends are not reported. Keys rotate without breaking old rows.
Runs on SQLite and PostgreSQL."""

import datetime
import fcntl
import json
import logging
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from accounts import access_log
from accounts.models import AccessLog
from accounts.tasks import checkpoint_access_log_task
from tests.accounts.test_chain import plain_sha256, raw

pytestmark = pytest.mark.django_db

KEY = "k" * 40


@pytest.fixture
def rows(settings):
    settings.ACCESS_LOG_CHAINS = 1  # one chain: positions are easy to reason about
    actor = uuid.uuid4()
    return [access_log.append(actor_id=actor, action="view", object_id=str(i)) for i in range(10)]


def two_chains(settings) -> dict[int, list[AccessLog]]:
    """Rows on two chains, at least three on each (actors are random)."""
    settings.ACCESS_LOG_CHAINS = 2
    by_chain: dict[int, list[AccessLog]] = {0: [], 1: []}
    while min(len(found) for found in by_chain.values()) < 3:
        row = access_log.append(actor_id=uuid.uuid4(), action="view")
        by_chain[row.chain].append(row)
    return by_chain


def rewrite(rows_from: list[AccessLog], hash_with) -> None:
    """Edit the first row and recompute every later link, as someone who can
    write to the database would: ``hash_with(row)`` makes each new hash."""
    prev_hash = AccessLog.objects.get(chain=rows_from[0].chain, seq=rows_from[0].seq).prev_hash
    for index, original in enumerate(rows_from):
        row = AccessLog.objects.get(pk=original.pk)
        if index == 0:
            row.object_id = "forged"
        row.prev_hash = prev_hash
        hash_with(row)
        raw(
            "UPDATE accounts_accesslog SET object_id = %s, prev_hash = %s, hash = %s, key_id = %s "
            "WHERE id = %s",
            [row.object_id, row.prev_hash, row.hash, row.key_id, row.pk],
        )
        prev_hash = row.hash


def with_plain_sha256(row):
    row.hash = plain_sha256(row)


def unkeyed_sha256(row):
    row.key_id = ""
    row.hash = plain_sha256(row)


def truncate():
    with connection.cursor() as cursor:
        # TRUNCATE does not fire PostgreSQL's row trigger: only the owner's rights are needed.
        cursor.execute(
            "TRUNCATE accounts_accesslog"
            if connection.vendor == "postgresql"
            else "DELETE FROM accounts_accesslog"
        )


def later(monkeypatch, minutes: int) -> None:
    """The clock, ``minutes`` from now."""
    moment = datetime.datetime.now(datetime.UTC) + datetime.timedelta(minutes=minutes)
    monkeypatch.setattr(timezone, "now", lambda: moment)


def checkpoint_lines(settings) -> list[str]:
    path = Path(settings.ACCESS_LOG_CHECKPOINT_PATH)
    return path.read_text().splitlines() if path.exists() else []


def with_a_wrong_key(settings):
    def hash_with(row):
        real = settings.ACCESS_LOG_KEYS
        settings.ACCESS_LOG_KEYS = {row.key_id: "a guessed key that is not the real one"}
        row.hash = access_log.row_hash(row)
        settings.ACCESS_LOG_KEYS = real

    return hash_with


# --- The honest case ---------------------------------------------------------------------------


def test_rows_are_keyed_with_the_current_key(rows, settings):
    current = access_log.current_key_id()
    assert {row.key_id for row in AccessLog.objects.all()} == {current}
    row = AccessLog.objects.get(pk=rows[0].pk)
    assert row.hash == access_log.row_hash(row) != plain_sha256(row)


def test_appends_after_a_checkpoint_are_intact(rows, settings, capsys):
    checkpoint = access_log.write_checkpoint()
    assert checkpoint.heads[0].seq == 10 and checkpoint.heads[0].hash == rows[-1].hash
    access_log.append(actor_id=uuid.uuid4(), action="view")  # the same chain goes on
    settings.ACCESS_LOG_CHAINS = 8
    for _ in range(5):  # and new chains appear
        access_log.append(actor_id=uuid.uuid4(), action="list")
    verdict = access_log.verify()
    assert verdict.intact, verdict
    assert verdict.rows == 16 and verdict.checkpoint_at == checkpoint.at
    call_command("verify_access_log")
    assert "intact, 16 rows; the chains' ends match the checkpoint of" in capsys.readouterr().out


def test_without_a_checkpoint_the_verdict_says_so(rows):
    verdict = access_log.verify()
    assert verdict.intact and verdict.checkpoint_at is None
    assert str(verdict) == "intact, 10 rows; no checkpoint yet to check the chains' ends against"


# --- Cut ends, missing chains, an emptied table ------------------------------------------------


def test_the_last_row_deleted_after_a_checkpoint_is_reported(rows):
    access_log.write_checkpoint()
    raw("DELETE FROM accounts_accesslog WHERE id = %s", [rows[-1].pk])
    verdict = access_log.verify()
    assert not verdict.intact
    assert (verdict.chain, verdict.seq, verdict.row_id) == (0, 10, None)
    assert "missing from this position to the end of the chain" in verdict.problem
    with pytest.raises(CommandError, match="broken in chain 0 from position 10: rows are missing"):
        call_command("verify_access_log")


def test_rows_cut_and_appended_again_are_reported(rows):
    """Cutting the end and appending fresh rows through the application (so
    that the positions are back) leaves another row at the checkpoint's place."""
    access_log.write_checkpoint()
    raw("DELETE FROM accounts_accesslog WHERE seq >= 8")
    for _ in range(4):
        access_log.append(actor_id=uuid.uuid4(), action="view")
    verdict = access_log.verify()
    assert not verdict.intact
    assert verdict.seq == 10 and verdict.row_id == AccessLog.objects.get(seq=10).pk
    assert "not the row the last checkpoint recorded" in verdict.problem


def test_a_chain_recomputed_as_if_from_before_keys_is_reported(rows, settings, tmp_path):
    """A whole chain rewritten with plain SHA-256 and no key id: reported at
    its first row; with unkeyed rows accepted (ACCESS_LOG_ACCEPT_UNKEYED, for
    rows from before keys) it checks row by row, and only the checkpoint shows
    that the row at its position is another one."""
    access_log.write_checkpoint()
    rewrite(list(AccessLog.objects.filter(chain=0).order_by("seq")), unkeyed_sha256)
    verdict = access_log.verify(tmp_path / "none.jsonl")
    assert not verdict.intact and (verdict.seq, verdict.row_id) == (1, rows[0].pk)
    assert verdict.problem.startswith("it has no key: it was forged without the key")

    settings.ACCESS_LOG_ACCEPT_UNKEYED = True
    without_checkpoint = access_log.verify(tmp_path / "none.jsonl")
    assert without_checkpoint.intact and without_checkpoint.unkeyed == 10  # the documented limit
    verdict = access_log.verify()
    assert not verdict.intact
    assert (verdict.seq, verdict.row_id) == (10, rows[-1].pk)
    assert "not the row the last checkpoint recorded" in verdict.problem


def test_a_deleted_chain_is_reported(settings):
    by_chain = two_chains(settings)
    victim = max(by_chain)
    access_log.write_checkpoint()
    raw("DELETE FROM accounts_accesslog WHERE chain = %s", [victim])
    verdict = access_log.verify()
    assert not verdict.intact
    assert (verdict.chain, verdict.seq, verdict.row_id) == (victim, 1, None)
    assert verdict.problem == "the whole chain is missing: the last checkpoint recorded rows in it"


def test_an_emptied_table_is_reported(settings):
    by_chain = two_chains(settings)
    checkpoint = access_log.write_checkpoint()
    assert set(checkpoint.heads) == set(by_chain)
    truncate()
    assert AccessLog.objects.count() == 0
    verdict = access_log.verify()
    assert not verdict.intact and verdict.rows == 0
    assert (verdict.chain, verdict.seq) == (min(by_chain), 1)
    assert "whole chain is missing" in verdict.problem
    with pytest.raises(CommandError, match=f"broken in chain {min(by_chain)} from position 1"):
        call_command("verify_access_log")


# --- The next checkpoint does not launder a cut -------------------------------------------


def assert_refused(settings, caplog, lines_before: int, match: str) -> None:
    """The next checkpoint, by the function, the command and the scheduled
    task: each refuses, logs at ERROR, e-mails, and writes nothing."""
    settings.ACCESS_LOG_CHECKPOINT_EMAILS = ["dpo@amal.example"]
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="sanad.access_log.checkpoint"):
        with pytest.raises(access_log.CheckpointRefusedError, match=match):
            access_log.write_checkpoint()
        with pytest.raises(CommandError, match=f"checkpoint refused, nothing written: .*{match}"):
            call_command("checkpoint_access_log")
        with pytest.raises(access_log.CheckpointRefusedError, match=match):
            checkpoint_access_log_task.delay().get()
    assert len(checkpoint_lines(settings)) == lines_before
    refusals = [record for record in caplog.records if record.name == "sanad.access_log.checkpoint"]
    assert [record.levelno for record in refusals] == [logging.ERROR] * 3
    assert all("access log checkpoint refused: " in r.getMessage() for r in refusals)
    assert [m.subject for m in mail.outbox] == ["Sanad: access log checkpoint refused"] * 3
    assert "Sanad did not write a checkpoint" in mail.outbox[0].body


def test_a_cut_end_is_not_laundered_by_the_next_checkpoint(rows, settings, caplog):
    access_log.write_checkpoint()
    raw("DELETE FROM accounts_accesslog WHERE seq >= 8")
    access_log.append(actor_id=uuid.uuid4(), action="view")  # position 8 again
    assert_refused(
        settings, caplog, 1, "chain 0 from position 9: rows are missing from this position"
    )
    verdict = access_log.verify()
    assert not verdict.intact and (verdict.chain, verdict.seq) == (0, 9)
    assert "rows are missing from this position" in verdict.problem


def test_a_cut_refilled_to_past_the_checkpoint_is_not_laundered(rows, settings, caplog):
    access_log.write_checkpoint()
    raw("DELETE FROM accounts_accesslog WHERE seq >= 8")
    for _ in range(5):  # positions 8-12: the checkpoint's position 10 is back, another row
        access_log.append(actor_id=uuid.uuid4(), action="view")
    assert_refused(settings, caplog, 1, "chain 0 at position 10: the row at this position is not")
    verdict = access_log.verify()
    assert not verdict.intact and verdict.seq == 10
    assert "not the row the last checkpoint recorded" in verdict.problem


def test_an_emptied_table_is_not_laundered_by_the_next_checkpoint(settings, caplog):
    by_chain = two_chains(settings)
    access_log.write_checkpoint()
    truncate()
    settings.ACCESS_LOG_CHAINS = 1
    for _ in range(3):  # the application goes on writing, on chain 0
        access_log.append(actor_id=uuid.uuid4(), action="view")
    assert_refused(settings, caplog, 1, "chain 1 from position 1: the whole chain is missing")
    verdict = access_log.verify()
    assert not verdict.intact and verdict.rows == 3 and len(by_chain[1]) >= 3


def test_a_deleted_chain_is_not_laundered_by_the_next_checkpoint(settings, caplog):
    by_chain = two_chains(settings)
    access_log.write_checkpoint()
    raw("DELETE FROM accounts_accesslog WHERE chain = 1")
    settings.ACCESS_LOG_CHAINS = 1
    for _ in range(3):  # chain 0 goes on
        access_log.append(actor_id=uuid.uuid4(), action="view")
    assert_refused(settings, caplog, 1, "chain 1 from position 1: the whole chain is missing")
    verdict = access_log.verify()
    assert not verdict.intact and (verdict.chain, verdict.seq, verdict.row_id) == (1, 1, None)
    assert len(by_chain[0]) >= 3


def test_honest_appends_between_checkpoints_keep_checkpointing(settings):
    settings.ACCESS_LOG_CHAINS = 3
    for round_ in range(3):
        for _ in range(4):
            access_log.append(actor_id=uuid.uuid4(), action="view")
        checkpoint = access_log.write_checkpoint()
        assert sum(head.seq for head in checkpoint.heads.values()) == 4 * (round_ + 1)
        verdict = access_log.verify()
        assert verdict.intact and verdict.checkpoint_at == checkpoint.at, verdict
    # With no row in between, too.
    access_log.write_checkpoint()
    assert len(checkpoint_lines(settings)) == 4
    assert access_log.verify().intact


# --- The checkpoint file: linked lines, one writer at a time, missing or stale ------------


@pytest.mark.parametrize("tampering", ["delete-the-one-before", "reorder"])
def test_a_deleted_or_moved_checkpoint_line_is_reported(rows, settings, caplog, tampering):
    for _ in range(3):
        access_log.write_checkpoint()
        access_log.append(actor_id=uuid.uuid4(), action="view")
    lines = checkpoint_lines(settings)
    lines = lines[:1] + lines[2:] if tampering == "delete-the-one-before" else lines[1:] + lines[:1]
    Path(settings.ACCESS_LOG_CHECKPOINT_PATH).write_text("\n".join(lines) + "\n")
    unlinked = "the last checkpoint does not follow the one before it in the file"
    verdict = access_log.verify()
    assert not verdict.intact and verdict.chain is None
    assert verdict.problem.startswith(unlinked)
    # And the next checkpoint does not paper over it.
    assert_refused(settings, caplog, len(lines), unlinked)
    assert access_log.verify().problem.startswith(unlinked)


def test_the_last_checkpoints_are_read_from_the_end_of_a_long_file(settings):
    settings.ACCESS_LOG_CHAINS = 200  # long lines: the last two span more than one 8 KB read
    for _ in range(80):
        access_log.append(actor_id=uuid.uuid4(), action="view")
    for _ in range(5):
        checkpoint = access_log.write_checkpoint()
    path = Path(settings.ACCESS_LOG_CHECKPOINT_PATH)
    assert path.stat().st_size > 3 * 8192 and len(checkpoint_lines(settings)[-1]) > 4096
    assert access_log.last_checkpoint().mac == checkpoint.mac
    assert access_log.verify().intact
    lines = checkpoint_lines(settings)
    path.write_text("\n".join(lines[:-2] + lines[-1:]) + "\n")
    assert access_log.verify().problem.startswith("the last checkpoint does not follow")


def test_a_checkpoint_is_written_under_an_exclusive_lock_on_the_file(rows, settings, monkeypatch):
    """Beat and the command at once: the second waits for the first to have
    read the heads, checked and appended, so the lines stay in order."""
    path = Path(settings.ACCESS_LOG_CHECKPOINT_PATH)
    access_log.write_checkpoint()
    read_heads = access_log.checkpoints._current_heads
    locked = []

    def heads_while_someone_tries_the_lock():
        with path.open("rb") as other:  # another open file, as another process has
            try:
                fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                locked.append(True)
            else:
                locked.append(False)
        return read_heads()

    monkeypatch.setattr(
        access_log.checkpoints, "_current_heads", heads_while_someone_tries_the_lock
    )
    access_log.write_checkpoint()
    assert locked == [True]
    with path.open("rb") as other:  # released afterwards
        fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)


def test_no_checkpoint_although_rows_are_old_is_reported(rows, settings, monkeypatch, capsys):
    """A fresh install has no checkpoint yet; a log whose rows are older than
    two checkpoint intervals (and five minutes) should have one: its file is
    gone, or checkpoints are not being written."""
    later(monkeypatch, 2 * 15 + 4)
    assert access_log.verify().intact
    later(monkeypatch, 2 * 15 + 6)
    verdict = access_log.verify()
    assert not verdict.intact and verdict.chain is None and verdict.checkpoint_at is None
    assert verdict.problem.startswith(
        "there is no checkpoint although the log holds rows older than two checkpoint intervals"
    )
    # Starting a new file would make the log's state the new anchor: only on purpose.
    with pytest.raises(access_log.CheckpointRefusedError, match="there is no checkpoint"):
        access_log.write_checkpoint()
    assert checkpoint_lines(settings) == []
    call_command("checkpoint_access_log", "--first")
    assert "checkpoint of 1 chains, 10 rows" in capsys.readouterr().out
    assert access_log.verify().intact


def test_a_stale_checkpoint_is_reported(rows, settings, monkeypatch, tmp_path):
    """Checkpoints stopped, or the last lines of the file were removed."""
    access_log.write_checkpoint()
    copy = tmp_path / "copy.jsonl"
    copy.write_text(Path(settings.ACCESS_LOG_CHECKPOINT_PATH).read_text())
    later(monkeypatch, 36)
    verdict = access_log.verify()
    assert not verdict.intact and verdict.chain is None
    assert verdict.problem.startswith("the last checkpoint is older than two checkpoint intervals")
    assert access_log.verify(copy).intact  # a copy is expected to be older
    # The log itself is unchanged: the next checkpoint is written, and all is well.
    access_log.write_checkpoint()
    assert access_log.verify().intact


# --- Edited and recomputed without the key -----------------------------------------------------


@pytest.mark.parametrize(
    "forgery, found",
    [
        (lambda settings: with_plain_sha256, "the row was changed after it was written"),
        (lambda settings: with_a_wrong_key(settings), "the row was changed after it was written"),
        (lambda settings: unkeyed_sha256, "it has no key: it was forged without the key"),
        (
            lambda settings: setattr(settings, "ACCESS_LOG_ACCEPT_UNKEYED", True) or unkeyed_sha256,
            "it has no key although the rows before it have one",
        ),
    ],
    ids=["plain-sha256", "wrong-key", "posing-as-unkeyed", "posing-as-unkeyed-accepted"],
)
def test_an_edited_row_with_every_later_hash_recomputed_is_reported(rows, settings, forgery, found):
    rewrite(rows[4:], forgery(settings))
    assert AccessLog.objects.get(pk=rows[4].pk).object_id == "forged"
    verdict = access_log.verify()
    assert not verdict.intact
    assert (verdict.row_id, verdict.seq) == (rows[4].pk, 5)
    assert verdict.problem.startswith(found)


# --- Keys: rotation, unknown ids, rows from before keys ------------------------------------------


def test_a_rotated_key_still_verifies_the_rows_it_hashed(settings):
    settings.ACCESS_LOG_CHAINS = 1
    settings.ACCESS_LOG_KEYS = {"2025": "o" * 40}
    for _ in range(3):
        access_log.append(actor_id=uuid.uuid4(), action="view")
    access_log.write_checkpoint()  # signed with the old key
    settings.ACCESS_LOG_KEYS = {"2026": "n" * 40, "2025": "o" * 40}  # new first, old retired
    for _ in range(3):
        access_log.append(actor_id=uuid.uuid4(), action="view")

    assert (
        list(AccessLog.objects.order_by("seq").values_list("key_id", flat=True))
        == ["2025"] * 3 + ["2026"] * 3
    )
    verdict = access_log.verify()
    assert verdict.intact and verdict.rows == 6 and verdict.checkpoint_at is not None

    settings.ACCESS_LOG_KEYS = {"2026": "n" * 40}  # the old key dropped too early
    verdict = access_log.verify()
    assert not verdict.intact
    assert verdict.seq == 1 and "a key Sanad does not have" in verdict.problem


def test_a_row_claiming_an_unknown_key_is_reported(rows):
    raw("UPDATE accounts_accesslog SET key_id = 'ghost' WHERE id = %s", [rows[2].pk])
    verdict = access_log.verify()
    assert not verdict.intact
    assert (verdict.row_id, verdict.seq) == (rows[2].pk, 3)
    assert "a key Sanad does not have" in verdict.problem


def test_rows_from_before_keys_verify_only_where_accepted(settings, monkeypatch):
    """A database migrated with rows in it: they keep their plain SHA-256 (key
    id ""). Anyone who can write to the database can make such a row, so they
    are reported unless ACCESS_LOG_ACCEPT_UNKEYED says this database holds
    rows from before keys; then they verify and are counted."""
    settings.ACCESS_LOG_CHAINS = 1
    monkeypatch.setattr(access_log.hashchain, "current_key_id", lambda: "")
    for _ in range(3):
        access_log.append(actor_id=uuid.uuid4(), action="view")
    monkeypatch.undo()
    for _ in range(2):
        access_log.append(actor_id=uuid.uuid4(), action="view")
    row = AccessLog.objects.get(seq=1)
    assert row.key_id == "" and row.hash == plain_sha256(row)

    assert settings.ACCESS_LOG_ACCEPT_UNKEYED is False  # the default
    verdict = access_log.verify()
    assert not verdict.intact and (verdict.seq, verdict.row_id) == (1, row.pk)
    assert verdict.problem.startswith("it has no key")

    settings.ACCESS_LOG_ACCEPT_UNKEYED = True
    verdict = access_log.verify()
    assert verdict.intact and verdict.unkeyed == 3
    assert str(verdict).startswith("intact, 5 rows (3 hashed without a key")


def insert_unkeyed(chain: int, seq: int, prev_hash: str) -> AccessLog:
    """A row forged without the key, as someone who can write to the database would."""
    forged = AccessLog(
        chain=chain, seq=seq, actor_id=uuid.uuid4(), action="view", prev_hash=prev_hash, key_id=""
    )
    forged.at = AccessLog.objects.order_by("-at").first().at
    forged.hash = plain_sha256(forged)
    raw(
        "INSERT INTO accounts_accesslog (chain, seq, at, actor_id, role, action, object_type, "
        "object_id, route, user_agent, outcome, prev_hash, hash, key_id) "
        "VALUES (%s, %s, %s, %s, '', 'view', '', '', '', '', 'ok', %s, %s, '')",
        [
            chain,
            seq,
            forged.at,
            forged.actor_id.hex if connection.vendor == "sqlite" else forged.actor_id,
            prev_hash,
            forged.hash,
        ],
    )
    return AccessLog.objects.get(chain=chain, seq=seq)


def test_a_forged_unkeyed_new_chain_after_a_checkpoint_is_reported(rows, settings):
    """A chain the checkpoint did not know, forged with plain SHA-256: it
    links correctly, and used to verify as "hashed without a key"."""
    access_log.write_checkpoint()
    first = insert_unkeyed(5, 1, access_log.GENESIS)
    insert_unkeyed(5, 2, first.hash)
    verdict = access_log.verify()
    assert not verdict.intact
    assert (verdict.chain, verdict.seq, verdict.row_id) == (5, 1, first.pk)
    assert verdict.problem.startswith("it has no key: it was forged without the key")
    with pytest.raises(CommandError, match=f"broken at row {first.pk} .*: it has no key"):
        call_command("verify_access_log")


# --- The checkpoint itself ---------------------------------------------------------------------


def test_a_checkpoint_is_an_appended_signed_line_of_positions_and_hashes(rows, settings, caplog):
    settings.ACCESS_LOG_CHECKPOINT_EMAILS = ["dpo@amal.example"]
    path = Path(settings.ACCESS_LOG_CHECKPOINT_PATH)
    with caplog.at_level(logging.INFO, logger="sanad.access_log.checkpoint"):
        access_log.write_checkpoint()
        access_log.append(actor_id=uuid.uuid4(), action="view")
        access_log.write_checkpoint()
    lines = path.read_text().splitlines()
    assert len(lines) == 2  # appended, the first one kept
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    first, body = json.loads(lines[0]), json.loads(lines[1])
    assert set(body) == {"v", "at", "key_id", "prev", "chains", "mac"}
    assert body["key_id"] == access_log.current_key_id()
    # Linked: each line carries (and signs) the signature of the one before it.
    assert (first["prev"], body["prev"]) == ("", first["mac"])
    assert body["chains"] == [
        {
            "chain": 0,
            "seq": 11,
            "hash": AccessLog.objects.get(seq=11).hash,
            "at": body["chains"][0]["at"],
        }
    ]
    # Forwarded: the same line to the logger (syslog when configured) and by e-mail.
    forwarded = [r.getMessage() for r in caplog.records if r.name == "sanad.access_log.checkpoint"]
    assert forwarded == [f"access log checkpoint {line}" for line in lines]
    assert len(mail.outbox) == 2 and mail.outbox[1].to == ["dpo@amal.example"]
    assert lines[1] in mail.outbox[1].body


def test_a_forged_checkpoint_is_reported(rows, settings):
    access_log.write_checkpoint()
    path = Path(settings.ACCESS_LOG_CHECKPOINT_PATH)
    body = json.loads(path.read_text().splitlines()[-1])
    body["chains"][0]["seq"] = 5  # "the chain ended at 5": the cut would then pass
    with path.open("a") as file:
        file.write(json.dumps(body) + "\n")
    verdict = access_log.verify()
    assert not verdict.intact and verdict.chain is None and verdict.row_id is None
    assert verdict.problem == "the last checkpoint cannot be read or its signature does not match"
    assert str(verdict).startswith("broken: the last checkpoint")


def test_a_copy_of_the_checkpoints_kept_elsewhere_can_be_used(rows, settings, tmp_path):
    access_log.write_checkpoint()
    # As syslog keeps it: each line behind a prefix.
    copy = tmp_path / "forwarded.log"
    line = Path(settings.ACCESS_LOG_CHECKPOINT_PATH).read_text()
    copy.write_text(f"Dec  3 10:15:00 app sanad: INFO access log checkpoint {line}")
    Path(settings.ACCESS_LOG_CHECKPOINT_PATH).unlink()  # the local file is gone too
    raw("DELETE FROM accounts_accesslog WHERE id = %s", [rows[-1].pk])
    assert access_log.verify().intact  # nothing to compare with
    with pytest.raises(CommandError, match="broken in chain 0 from position 10"):
        call_command("verify_access_log", "--checkpoints", str(copy))


def test_the_command_and_the_scheduled_task_write_checkpoints(rows, settings, capsys):
    call_command("checkpoint_access_log")
    assert "checkpoint of 1 chains, 10 rows appended to" in capsys.readouterr().out
    assert checkpoint_access_log_task.delay().get() == 1
    assert len(Path(settings.ACCESS_LOG_CHECKPOINT_PATH).read_text().splitlines()) == 2


def test_the_beat_schedule_checkpoints_every_quarter_of_an_hour(settings):
    from config.celery import app

    [entry] = [
        entry
        for entry in settings.CELERY_BEAT_SCHEDULE.values()
        if entry["task"] == "accounts.tasks.checkpoint_access_log_task"
    ]
    assert entry["schedule"] == 15 * 60
    assert entry["task"] in app.tasks


# --- The DPO's page and API show the new findings ------------------------------------------

VERIFY = "/api/v1/audit/access-log/verify/"


def test_the_api_reports_a_missing_chain_without_a_row(api_client, dpo, settings):
    settings.ACCESS_LOG_CHAINS = 2
    api_client.force_login(dpo)  # a login row, before the checkpoint
    by_chain = two_chains(settings)
    checkpoint = access_log.write_checkpoint()
    raw("DELETE FROM accounts_accesslog WHERE chain = 1")
    rows_left = AccessLog.objects.count()
    body = api_client.get(VERIFY).json()
    assert body["intact"] is False
    assert (body["chain"], body["seq"], body["row_id"]) == (1, 1, None)
    assert body["problem"] == "the whole chain is missing: the last checkpoint recorded rows in it"
    assert body["summary"].startswith("broken in chain 1 from position 1")
    assert body["checkpoint_at"] == checkpoint.at.isoformat().replace("+00:00", "Z")
    assert body["rows"] == rows_left and len(by_chain[1]) >= 3


def verify_on_the_page(web) -> str:
    """The DPO's "Verify the chain" button: a POST, back to the log with the verdict."""
    response = web.post(reverse("privacy:access_log_verify"), follow=True)
    assert response.status_code == 200
    return response.content.decode()


def test_the_page_reports_a_cut_end_and_the_checkpoint(client_as, dpo, rows):
    web = client_as(dpo)
    content = verify_on_the_page(web)
    assert "There is no checkpoint yet" in content
    access_log.write_checkpoint()
    # The page's own rows went on the same chain, after the fixture's ten.
    raw("DELETE FROM accounts_accesslog WHERE seq >= 10")
    content = verify_on_the_page(web)
    assert "Broken" in content
    assert "The first broken link is in chain 0, from position 10:" in content
    assert "rows are missing from this position to the end of the chain" in content
    assert "compared with the last checkpoint" in content


def test_the_page_counts_rows_from_before_keys(client_as, dpo, settings, monkeypatch):
    settings.ACCESS_LOG_CHAINS = 1
    settings.ACCESS_LOG_ACCEPT_UNKEYED = True
    monkeypatch.setattr(access_log.hashchain, "current_key_id", lambda: "")
    access_log.append(actor_id=uuid.uuid4(), action="view")
    monkeypatch.undo()
    content = verify_on_the_page(client_as(dpo))
    assert "Intact" in content
    assert "1 row was written before the log was keyed" in content


# --- Settings: the key is required in production ---------------------------------------------

ROOT = Path(__file__).resolve().parent.parent.parent


def start_django(tmp_path, code="print('started')", **env):
    environment = {
        k: v
        for k, v in os.environ.items()
        if k not in {"SECRET_KEY", "DEBUG", "DATABASE_URL", "ACCESS_LOG_KEYS"}
    }
    environment.update(
        {"SECRET_KEY": "s" * 50, "SANAD_VAR_DIR": str(tmp_path)},
        **env,
        DJANGO_SETTINGS_MODULE="config.settings",
    )
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_refuses_to_start_without_an_access_log_key(tmp_path):
    result = start_django(tmp_path, DEBUG="0")
    assert result.returncode != 0
    assert "ACCESS_LOG_KEYS is not set" in result.stderr


def test_a_malformed_key_is_refused_without_echoing_it(tmp_path):
    result = start_django(tmp_path, DEBUG="0", ACCESS_LOG_KEYS="1:too-short-secret")
    assert result.returncode != 0
    assert "ACCESS_LOG_KEYS must be comma-separated id:secret pairs" in result.stderr
    assert "too-short-secret" not in result.stderr


def test_keys_are_read_current_first(tmp_path):
    code = (
        "from django.conf import settings; from accounts.access_log import current_key_id; "
        "print(current_key_id(), sorted(settings.ACCESS_LOG_KEYS))"
    )
    result = start_django(
        tmp_path, code, DEBUG="0", ACCESS_LOG_KEYS=f"2026:{'n' * 40}, 2025:{'o' * 40}"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["2026", "['2025',", "'2026']"]


def test_debug_keeps_a_private_development_key(tmp_path):
    code = "from django.conf import settings; print(list(settings.ACCESS_LOG_KEYS))"
    result = start_django(tmp_path, code, DEBUG="1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["['dev']"]
    key_file = tmp_path / "access_log_key"
    assert len(key_file.read_text()) >= 50
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"


def test_checkpoints_can_be_forwarded_to_syslog(tmp_path):
    code = (
        "import logging; handler, = logging.getLogger('sanad.access_log.checkpoint').handlers; "
        "print(type(handler).__name__, handler.address)"
    )
    result = start_django(tmp_path, code, DEBUG="1", ACCESS_LOG_CHECKPOINT_SYSLOG="127.0.0.1:8514")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["SysLogHandler", "('127.0.0.1',", "8514)"]
