"""manage.py database_fingerprint: what the restore drill (.ci/restore_drill)
compares — every table's row count and checksum — and that a changed or a
missing row is found, by table, without printing any row."""

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from casework.models import Client

pytestmark = pytest.mark.django_db


@pytest.fixture
def original(tmp_path, client_record, case):
    path = tmp_path / "original.json"
    call_command("database_fingerprint", output=str(path))
    return path


def compare(path) -> str:
    from io import StringIO

    out = StringIO()
    call_command("database_fingerprint", compare=str(path), stdout=out)
    return out.getvalue()


def test_the_same_data_has_the_same_fingerprint(original):
    shown = compare(original)
    assert "tables" in shown and "the same as" in shown


def sql(statement: str, params=()) -> None:
    # Straight to the table, as a damaged restore would be: no service, no history.
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def test_a_changed_row_is_found_by_its_table(original, client_record):
    table = Client._meta.db_table
    sql(f"UPDATE {table} SET city = %s", ["Elsewhere"])  # noqa: S608 - the model's table  # nosec B608
    with pytest.raises(CommandError) as refused:
        compare(original)
    message = str(refused.value)
    assert f"{table}: " in message and "rows whose contents differ" in message
    assert "Elsewhere" not in message and client_record.name not in message


def test_a_missing_row_is_found(original, client_record):
    history = Client.history.model._meta.db_table
    sql(
        f"DELETE FROM {history} WHERE history_id IN "  # noqa: S608 - the model's table  # nosec B608
        f"(SELECT history_id FROM {history} ORDER BY history_date LIMIT 1)"
    )
    with pytest.raises(CommandError) as refused:
        compare(original)
    assert f"{history}: 1 rows, 0 restored" in str(refused.value)


@pytest.mark.django_db(transaction=True)
def test_one_snapshot_while_someone_else_writes():
    """A session created by another connection after the first table was read
    is not counted: every table is read from the same snapshot, as pg_dump's."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers; the snapshot is PostgreSQL's question")
    import threading

    from django.contrib.sessions.backends.db import SessionStore
    from django.db import connections

    from accounts.management.commands import database_fingerprint as command

    real = command.table_fingerprint
    written = []

    def write_elsewhere():
        try:
            SessionStore().create()
        finally:
            connections.close_all()

    def read_then_let_another_write(table):
        result = real(table)
        if not written:
            writer = threading.Thread(target=write_elsewhere)
            writer.start()
            writer.join()
            written.append(table)
        return result

    before = command.database_fingerprint()["django_session"]["rows"]
    command.table_fingerprint = read_then_let_another_write
    try:
        during = command.database_fingerprint()
    finally:
        command.table_fingerprint = real
    assert written and written[0] < "django_session"
    assert during["django_session"]["rows"] == before
    assert command.database_fingerprint()["django_session"]["rows"] == before + 1
