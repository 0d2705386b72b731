"""The access log's hash chain: intact after appends, and every kind of
tampering (edit, delete, insert in the middle) found at the right row. Cut
ends, missing chains, recomputed chains and keys: test_tamper.py."""

import hashlib
import threading
import uuid

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.db.models.signals import post_save, pre_save
from django.db.utils import DatabaseError
from django.test.utils import CaptureQueriesContext

from accounts import access_log
from accounts.models import AccessLog
from tests.helpers import run_together

pytestmark = pytest.mark.django_db


@pytest.fixture
def rows(settings):
    settings.ACCESS_LOG_CHAINS = 1  # one chain: positions are easy to reason about
    actor = uuid.uuid4()
    return [
        access_log.append(
            actor_id=actor, action="view", object_type="casework.case", object_id=str(i)
        )
        for i in range(10)
    ]


def plain_sha256(row):
    """What someone without the key can compute: SHA-256 of the same content."""
    return hashlib.sha256(access_log.row_content(row)).hexdigest()


def raw(sql, params=()):
    """Write past the append-only trigger, as an attacker with the owner role would."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(sql, params)


def test_intact_chain(rows, capsys):
    assert access_log.verify().intact
    call_command("verify_access_log")
    assert "intact, 10 rows" in capsys.readouterr().out


def test_edited_row_is_found(rows):
    raw("UPDATE accounts_accesslog SET object_id = %s WHERE id = %s", ["999", rows[4].pk])
    verdict = access_log.verify()
    assert not verdict.intact
    assert (verdict.row_id, verdict.seq) == (rows[4].pk, 5)
    assert "changed" in verdict.problem
    with pytest.raises(CommandError, match=f"row {rows[4].pk}"):
        call_command("verify_access_log")


def test_deleted_row_is_found(rows):
    raw("DELETE FROM accounts_accesslog WHERE id = %s", [rows[6].pk])
    verdict = access_log.verify()
    assert not verdict.intact
    assert verdict.row_id == rows[7].pk  # the row after the gap
    assert "missing" in verdict.problem


@pytest.mark.parametrize("keyed", [False, True], ids=["unkeyed", "claiming-the-key"])
def test_inserted_row_is_found(rows, keyed):
    """Without the key a forger can hash a row only with plain SHA-256: an
    unkeyed row after keyed ones, or a row whose keyed hash does not match."""
    key_id = access_log.current_key_id() if keyed else ""
    # Make room at position 4 and insert a forged row that links to position 3.
    for row in reversed(rows[3:]):
        raw("UPDATE accounts_accesslog SET seq = seq + 1 WHERE id = %s", [row.pk])
    forged = AccessLog(
        chain=0,
        seq=4,
        actor_id=uuid.uuid4(),
        action="view",
        prev_hash=rows[2].hash,
        at=rows[2].at,
        key_id=key_id,
    )
    forged.hash = plain_sha256(forged)
    raw(
        "INSERT INTO accounts_accesslog (chain, seq, at, actor_id, role, action, object_type, "
        "object_id, route, user_agent, outcome, prev_hash, hash, key_id) "
        "VALUES (0, 4, %s, %s, '', 'view', '', '', '', '', 'ok', %s, %s, %s)",
        [
            forged.at,
            forged.actor_id.hex if connection.vendor == "sqlite" else forged.actor_id,
            forged.prev_hash,
            forged.hash,
            key_id,
        ],
    )
    verdict = access_log.verify()
    assert not verdict.intact
    assert (verdict.seq, verdict.row_id) == (4, AccessLog.objects.get(chain=0, seq=4).pk)
    assert ("changed" if keyed else "has no key") in verdict.problem


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_postgres_refuses_update_and_delete(rows):
    for sql in (
        "UPDATE accounts_accesslog SET object_id = 'x' WHERE id = %s",
        "DELETE FROM accounts_accesslog WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [rows[0].pk])
    assert AccessLog.objects.filter(pk=rows[0].pk, object_id="0").exists()


@pytest.mark.django_db(transaction=True)
def test_a_row_on_its_own_is_two_statements_without_a_transaction(settings):
    """A read request's row: the head, then one INSERT in autocommit (no
    BEGIN, COMMIT or lock round trips on the common path), and it is kept."""
    settings.ACCESS_LOG_CHAINS = 1
    access_log.append(actor_id=uuid.uuid4(), action="view", object_id="first")
    with CaptureQueriesContext(connection) as queries:
        row = access_log.append(actor_id=uuid.uuid4(), action="view", object_id="second")
    statements = [query["sql"].split()[0].upper() for query in queries.captured_queries]
    assert statements == ["SELECT", "INSERT"], statements
    assert AccessLog.objects.get(pk=row.pk).seq == 2
    assert access_log.verify().intact
    # save() sends pre_save and post_save: nothing may listen to the log's rows
    # (a receiver would run on every request, and could write inside the insert).
    assert not pre_save.has_listeners(AccessLog)
    assert not post_save.has_listeners(AccessLog)


@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_on_one_chain_keep_it_whole(settings):
    """Eight writers on one chain: every row lands, positions stay gapless,
    the chain verifies (lost races are retried, not lost)."""
    settings.ACCESS_LOG_CHAINS = 1
    actor = uuid.uuid4()

    def writer():
        for i in range(15):
            access_log.append(actor_id=actor, action="view", object_id=str(i))
        return True

    results = run_together(*[writer] * 8)
    assert results == [True] * 8, results
    assert AccessLog.objects.count() == 120
    assert sorted(AccessLog.objects.values_list("seq", flat=True)) == list(range(1, 121))
    assert access_log.verify().intact


@pytest.mark.skipif("connection.vendor != 'postgresql'")
@pytest.mark.django_db(transaction=True)
def test_a_write_that_loses_its_position_to_a_reader_retries(settings, monkeypatch):
    """Issue 9, defect 1: a write request's row (inside its transaction, chain
    locked) and a read request's optimistic row (no lock) read the same head;
    the reader inserts first. The writer must retry, not fail its request."""
    settings.ACCESS_LOG_CHAINS = 1
    writer_has_read_head, reader_is_done = threading.Event(), threading.Event()
    in_writer = threading.local()
    real_head = access_log.hashchain._head

    def head_then_let_the_reader_in(chain):
        found = real_head(chain)
        if getattr(in_writer, "flag", False) and not writer_has_read_head.is_set():
            writer_has_read_head.set()
            assert reader_is_done.wait(10)
        return found

    monkeypatch.setattr(access_log.hashchain, "_head", head_then_let_the_reader_in)

    def writer():
        in_writer.flag = True
        with transaction.atomic():
            row = access_log.append(actor_id=uuid.uuid4(), action="view", object_id="w")
            # The caller's transaction is still usable after the lost race.
            assert AccessLog.objects.filter(object_id="w").count() == 1
        return row.seq

    def reader():
        assert writer_has_read_head.wait(10)
        try:
            return access_log.append(actor_id=uuid.uuid4(), action="view", object_id="r").seq
        finally:
            reader_is_done.set()

    assert run_together(writer, reader) == [2, 1]
    assert list(AccessLog.objects.order_by("seq").values_list("object_id", flat=True)) == [
        "r",
        "w",
    ]
    assert access_log.verify().intact
