"""The uploaded spreadsheet holds many people's data: it is deleted when the
import is undone, once its undo window is over, when nobody ran a checked
import for IMPORT_STALE_DAYS (which closes it) and when a person in it is
erased — never while it runs. The hourly sweep also fails runs whose worker
died, removing what an all-or-nothing run wrote."""

import io
import threading
from datetime import date, timedelta

import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import connection, transaction
from django.test import TestCase, override_settings
from django.utils import timezone

from casework.models import Client, ClientImport, ImportRow
from casework.services.imports import (
    change_mapping,
    decide_duplicate,
    delete_expired_import_files,
    run_import,
    start_import,
    undo_import,
)
from casework.services.imports.running import discard_file
from casework.tasks import delete_expired_import_files_task
from config.errors import Conflict
from privacy.services.erasure import erase_client
from tests.casework.test_imports import CYRILLIC, GOOD, NAMES, clients_file, run, upload
from tests.factories import make_client

pytestmark = pytest.mark.django_db


def sweep() -> int:
    with TestCase.captureOnCommitCallbacks(execute=True):
        return delete_expired_import_files()


def age(client_import, **fields_days) -> None:
    """Move the import's dates ``days`` into the past (no history on imports)."""
    past = {name: timezone.now() - timedelta(days=days) for name, days in fields_days.items()}
    ClientImport.objects.filter(pk=client_import.pk).update(**past)


def stale(client_import) -> None:
    days = settings.IMPORT_STALE_DAYS + 1
    age(client_import, created_at=days, checked_at=days)


def test_undo_deletes_the_file_after_commit_and_keeps_the_report(supervisor, agency):
    client_import = run(supervisor, upload(supervisor, agency, clients_file(GOOD, CYRILLIC)))
    name = client_import.file.name
    assert name and default_storage.exists(name)
    with TestCase.captureOnCommitCallbacks(execute=False) as callbacks:
        undo_import(actor=supervisor, import_id=client_import.pk)
    # Not before the commit: a rollback must keep the file.
    assert default_storage.exists(name)
    for callback in callbacks:
        callback()
    assert not default_storage.exists(name)
    client_import.refresh_from_db()
    assert client_import.state == ClientImport.State.UNDONE
    assert client_import.file.name == "" and client_import.file_deleted_at is not None
    assert list(client_import.rows.values_list("result", flat=True)) == ["undone", "undone"]


def test_an_undo_rolled_back_keeps_the_file(supervisor, agency):
    client_import = run(supervisor, upload(supervisor, agency, clients_file(GOOD)))
    name = client_import.file.name
    with (
        TestCase.captureOnCommitCallbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        undo_import(actor=supervisor, import_id=client_import.pk)
        raise RuntimeError("the request failed after the undo")
    assert callbacks == []
    assert default_storage.exists(name)
    client_import.refresh_from_db()
    assert (client_import.state, client_import.file.name) == ("imported", name)
    assert client_import.file_deleted_at is None


def test_the_file_goes_once_the_undo_window_is_over(supervisor, agency):
    client_import = run(supervisor, upload(supervisor, agency, clients_file(GOOD)))
    name = client_import.file.name
    assert sweep() == 0
    assert default_storage.exists(name)
    age(client_import, imported_at=settings.IMPORT_UNDO_DAYS - 1)
    assert sweep() == 0
    assert default_storage.exists(name)
    age(client_import, imported_at=settings.IMPORT_UNDO_DAYS + 1)
    assert sweep() == 1
    assert not default_storage.exists(name)
    client_import.refresh_from_db()
    assert client_import.file.name == "" and client_import.file_deleted_at is not None
    assert client_import.state == ClientImport.State.IMPORTED
    assert client_import.rows.get().result == ImportRow.Result.CREATED
    assert sweep() == 0  # once


def test_an_import_nobody_ran_is_closed(as_user, supervisor, agency):
    fresh = upload(supervisor, agency, clients_file(CYRILLIC))
    unused = upload(supervisor, agency, clients_file(GOOD))
    name = unused.file.name
    stale(unused)
    assert sweep() == 1
    assert not default_storage.exists(name)
    assert default_storage.exists(fresh.file.name)
    unused.refresh_from_db()
    assert unused.state == ClientImport.State.CHECKED and unused.file_deleted_at is not None

    for attempt in (
        lambda: start_import(actor=supervisor, import_id=unused.pk),
        lambda: change_mapping(
            actor=supervisor,
            import_id=unused.pk,
            expected_version=unused.version,
            mode="valid_only",
        ),
        lambda: decide_duplicate(
            actor=supervisor, import_id=unused.pk, row_number=2, decision="skip"
        ),
    ):
        with pytest.raises(Conflict) as refused:
            attempt()
        assert refused.value.code == "file_deleted"

    api = as_user(supervisor)
    url = f"/api/v1/imports/{unused.pk}/"
    shown = api.get(url)
    assert shown.status_code == 200 and shown.json()["file_deleted_at"] is not None
    assert api.get(f"/api/v1/imports/{fresh.pk}/").json()["file_deleted_at"] is None
    ran = api.post(f"{url}run/", {}, format="json")
    assert (ran.status_code, ran.json()["code"]) == (409, "file_deleted")
    remapped = api.patch(url, {"mode": "valid_only"}, format="json", HTTP_IF_MATCH=shown["ETag"])
    assert (remapped.status_code, remapped.json()["code"]) == (409, "file_deleted")
    # The report stays.
    rows = api.get(f"{url}rows/")
    assert rows.status_code == 200 and len(rows.json()["results"]) == 1
    unused.refresh_from_db()
    assert (
        unused.state == ClientImport.State.CHECKED
        and not Client.objects.filter(name=GOOD[1]).exists()
    )


def test_a_failed_import_retried_lately_keeps_its_file(supervisor, agency):
    client_import = upload(supervisor, agency, clients_file(GOOD))
    ClientImport.objects.filter(pk=client_import.pk).update(state=ClientImport.State.FAILED)
    stale(client_import)
    age(client_import, started_at=1)  # run (and failed) yesterday
    assert sweep() == 0
    assert default_storage.exists(client_import.file.name)
    age(client_import, started_at=settings.IMPORT_STALE_DAYS + 1)
    assert sweep() == 1
    assert not default_storage.exists(client_import.file.name)


def test_a_running_import_keeps_its_file(supervisor, agency):
    client_import = upload(supervisor, agency, clients_file(GOOD))
    ClientImport.objects.filter(pk=client_import.pk).update(
        state=ClientImport.State.RUNNING,
        run_by=supervisor,
        started_at=timezone.now(),
        imported_at=timezone.now() - timedelta(days=settings.IMPORT_UNDO_DAYS + 1),
        # As an erasure leaves it: the file goes once the run ends.
        file_deleted_at=timezone.now(),
    )
    stale(client_import)
    assert sweep() == 0
    assert default_storage.exists(client_import.file.name)
    client_import.refresh_from_db()
    assert client_import.state == ClientImport.State.RUNNING and client_import.file
    # The run ends: now it goes.
    ClientImport.objects.filter(pk=client_import.pk).update(state=ClientImport.State.FAILED)
    assert sweep() == 1
    assert not default_storage.exists(client_import.file.name)


def test_undo_needs_no_file(supervisor, agency):
    client_import = run(supervisor, upload(supervisor, agency, clients_file(GOOD)))
    with TestCase.captureOnCommitCallbacks(execute=True), transaction.atomic():
        discard_file(ClientImport.objects.select_for_update().get(pk=client_import.pk))
    assert not default_storage.exists(client_import.file.name)
    undone = undo_import(actor=supervisor, import_id=client_import.pk)
    assert undone.state == ClientImport.State.UNDONE
    assert not Client.objects.filter(name=GOOD[1]).exists()


class WorkerKilled(BaseException):
    """What a killed worker looks like to the code: nothing catches it."""


@override_settings(IMPORT_BATCH_ROWS=1)
def test_a_stale_all_or_nothing_run_fails_and_its_writes_are_removed(
    supervisor, agency, monkeypatch
):
    from casework.services.imports import running

    rows = [[f"R-{n}", name, "", "", "F", "SY", "Housing"] for n, name in enumerate(NAMES[:3])]
    client_import = upload(supervisor, agency, clients_file(*rows))
    start_import(actor=supervisor, import_id=client_import.pk)  # its task never delivered here
    real_write_row = running._write_row
    calls = []

    def write_row(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise WorkerKilled
        return real_write_row(*args, **kwargs)

    monkeypatch.setattr(running, "_write_row", write_row)
    with pytest.raises(WorkerKilled):
        run_import(client_import.pk)
    client_import.refresh_from_db()
    assert client_import.state == ClientImport.State.RUNNING
    assert Client.objects.filter(name=NAMES[0]).exists()  # the first batch is written

    assert sweep() == 0  # not yet past IMPORT_RUN_TIMEOUT_MINUTES
    client_import.refresh_from_db()
    assert client_import.state == ClientImport.State.RUNNING

    minutes = settings.IMPORT_RUN_TIMEOUT_MINUTES + 1
    ClientImport.objects.filter(pk=client_import.pk).update(
        started_at=timezone.now() - timedelta(minutes=minutes)
    )
    sweep()
    client_import.refresh_from_db()
    assert (client_import.state, client_import.error_code) == ("failed", "run_error")
    assert not Client.objects.filter(name__in=NAMES[:3]).exists()
    assert set(client_import.rows.values_list("result", flat=True)) == {""}
    # Failed lately: the file stays for IMPORT_STALE_DAYS, it may be run again.
    assert default_storage.exists(client_import.file.name)


@override_settings(IMPORT_BATCH_ROWS=1)
def test_a_stale_valid_only_run_fails_and_keeps_what_it_wrote(supervisor, agency, monkeypatch):
    from casework.services.imports import running

    rows = [[f"R-{n}", name, "", "", "F", "SY", "Housing"] for n, name in enumerate(NAMES[:2])]
    client_import = upload(supervisor, agency, clients_file(*rows))
    start_import(actor=supervisor, import_id=client_import.pk, mode="valid_only")
    real_write_row = running._write_row
    calls = []

    def write_row(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise WorkerKilled
        return real_write_row(*args, **kwargs)

    monkeypatch.setattr(running, "_write_row", write_row)
    with pytest.raises(WorkerKilled):
        run_import(client_import.pk)
    minutes = settings.IMPORT_RUN_TIMEOUT_MINUTES + 1
    ClientImport.objects.filter(pk=client_import.pk).update(
        started_at=timezone.now() - timedelta(minutes=minutes)
    )
    sweep()
    client_import.refresh_from_db()
    assert (client_import.state, client_import.error_code) == ("failed", "run_error")
    assert Client.objects.filter(name=NAMES[0]).exists()


def test_erasure_forgets_the_person_in_imports(dpo, supervisor, caseworker, agency):
    # Import A wrote the client to erase, under the file's reference C-1.
    written = run(supervisor, upload(supervisor, agency, clients_file(GOOD)))
    person = Client.objects.get(name=GOOD[1])
    # Import B, not run: two registered clients are candidates for its row.
    twin = make_client(caseworker, agency, name=CYRILLIC[1], date_of_birth=date(1985, 5, 12))
    other = make_client(caseworker, agency, name=CYRILLIC[1], date_of_birth=date(1985, 5, 12))
    checked = upload(supervisor, agency, clients_file(CYRILLIC))
    row = checked.rows.get()
    assert sorted(row.candidates) == sorted([str(twin.pk), str(other.pk)])
    # Import C has nobody erased in it.
    unrelated = upload(supervisor, agency, clients_file(["Z-9", "Idris Musa"]))
    files = {each.pk: each.file.name for each in (written, checked, unrelated)}

    with TestCase.captureOnCommitCallbacks(execute=True):
        erasure = erase_client(actor=dpo, client_id=person.pk, reason="asked")
    written.refresh_from_db()
    assert written.rows.get().reference == ""
    assert written.file.name == "" and written.file_deleted_at is not None
    assert not default_storage.exists(files[written.pk])
    assert erasure.counts["import_files"] == 1
    assert default_storage.exists(files[checked.pk])

    with TestCase.captureOnCommitCallbacks(execute=True):
        erase_client(actor=dpo, client_id=twin.pk, reason="asked")
    row.refresh_from_db()
    assert row.candidates == [str(other.pk)]
    assert row.reference == "C-2"  # the row is someone else, perhaps
    checked.refresh_from_db()
    assert checked.file_deleted_at is not None
    assert not default_storage.exists(files[checked.pk])
    assert default_storage.exists(files[unrelated.pk])
    unrelated.refresh_from_db()
    assert unrelated.file_deleted_at is None


def test_erasure_during_a_run_deletes_the_file_when_the_run_ends(
    dpo, supervisor, caseworker, agency
):
    twin = make_client(caseworker, agency, name=CYRILLIC[1], date_of_birth=date(1985, 5, 12))
    client_import = upload(supervisor, agency, clients_file(CYRILLIC))
    name = client_import.file.name
    ClientImport.objects.filter(pk=client_import.pk).update(
        state=ClientImport.State.RUNNING, started_at=timezone.now(), run_by=supervisor
    )
    with TestCase.captureOnCommitCallbacks(execute=True):
        erase_client(actor=dpo, client_id=twin.pk, reason="asked")
    client_import.refresh_from_db()
    assert client_import.rows.get().candidates == []
    assert client_import.file_deleted_at is not None and client_import.file.name == name
    assert default_storage.exists(name)
    ClientImport.objects.filter(pk=client_import.pk).update(state=ClientImport.State.IMPORTED)
    assert sweep() == 1
    assert not default_storage.exists(name)


def test_the_command_and_the_task(supervisor, agency):
    first = upload(supervisor, agency, clients_file(GOOD))
    second = upload(supervisor, agency, clients_file(CYRILLIC))
    stale(first)
    stale(second)
    out = io.StringIO()
    with TestCase.captureOnCommitCallbacks(execute=True):
        call_command("delete_expired_imports", stdout=out)
    assert out.getvalue().strip() == "2 import file(s) deleted."
    assert not default_storage.exists(first.file.name)
    assert not default_storage.exists(second.file.name)
    assert delete_expired_import_files_task() == 0
    assert "delete-expired-import-files" in settings.CELERY_BEAT_SCHEDULE


@pytest.mark.django_db(transaction=True)
def test_a_locked_import_is_left_for_the_next_sweep(supervisor, agency):
    """A run or a remap holding the import's lock at this very moment: the
    sweep skips it (PostgreSQL's SKIP LOCKED; SQLite has one writer at a time)."""
    if connection.vendor != "postgresql":
        pytest.skip("needs row locks")
    unused = upload(supervisor, agency, clients_file(GOOD))
    stale(unused)
    running = upload(supervisor, agency, clients_file(CYRILLIC))
    ClientImport.objects.filter(pk=running.pk).update(
        state=ClientImport.State.RUNNING,
        run_by=supervisor,
        started_at=timezone.now() - timedelta(minutes=settings.IMPORT_RUN_TIMEOUT_MINUTES + 1),
    )
    locked, release = threading.Event(), threading.Event()

    def hold() -> None:
        try:
            with transaction.atomic():
                list(
                    ClientImport.objects.select_for_update().filter(pk__in=[unused.pk, running.pk])
                )
                locked.set()
                release.wait(10)
        finally:
            connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert locked.wait(10)
        assert delete_expired_import_files() == 0
        assert default_storage.exists(unused.file.name)
        assert ClientImport.objects.get(pk=running.pk).state == ClientImport.State.RUNNING
    finally:
        release.set()
        holder.join()
    assert delete_expired_import_files() == 1
    assert not default_storage.exists(unused.file.name)
    assert ClientImport.objects.get(pk=running.pk).state == ClientImport.State.FAILED
