"""How long an import keeps its uploaded file, and the runs whose worker died.

The uploaded spreadsheet holds many people's personal data, so it is kept
only while the import needs it: to check it again, to run it. It is deleted
(``discard_file``: the row is saved without it, the stored file goes after
commit) when

- the import is undone (``undo_import``);
- the undo window is over (``IMPORT_UNDO_DAYS`` after ``imported_at``);
- it was checked but nobody ran it for ``IMPORT_STALE_DAYS``: the import is
  then closed (running or remapping it answers 409 ``file_deleted``);
- a person it holds is erased (``forget_client_in_imports``).

The report (one ``ImportRow`` per row, no cell values) stays. A running
import's file is never deleted: its worker reads it.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from casework.models import Client, ClientImport, ImportRow
from casework.services.imports.running import _fail_and_remove, discard_file

logger = logging.getLogger(__name__)

State = ClientImport.State


def _file_expired(now: datetime) -> Q:
    """The imports whose file is due for deletion at ``now`` (never a running one)."""
    undo_over = now - timedelta(days=settings.IMPORT_UNDO_DAYS)
    stale = now - timedelta(days=settings.IMPORT_STALE_DAYS)
    not_run_since = (
        Q(state__in=[State.CHECKING, State.CHECKED, State.FAILED])
        & (Q(checked_at__lt=stale) | Q(checked_at__isnull=True, created_at__lt=stale))
        & (Q(started_at__isnull=True) | Q(started_at__lt=stale))
    )
    return (
        ~Q(file="")
        & ~Q(state=State.RUNNING)
        & (
            Q(state=State.UNDONE)  # its on-commit deletion did not happen
            | Q(state=State.IMPORTED, imported_at__lt=undo_over)
            | not_run_since
            # An erasure decided it while the import was running.
            | Q(file_deleted_at__isnull=False)
        )
    )


def fail_stale_import_runs() -> int:
    """Fail the imports running for longer than ``IMPORT_RUN_TIMEOUT_MINUTES``
    (their worker died): ``run_error``, and an all-or-nothing one first
    removes what its batches wrote, as a run that stops on an error does. An
    import whose lock is held (a batch being written right now) is left for
    the next sweep. Returns how many failed."""
    cutoff = timezone.now() - timedelta(minutes=settings.IMPORT_RUN_TIMEOUT_MINUTES)
    stale = Q(state=State.RUNNING, started_at__lt=cutoff)
    failed = 0
    for import_pk in list(ClientImport.objects.filter(stale).values_list("pk", flat=True)):
        with transaction.atomic():
            client_import = (
                ClientImport.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("run_by")
                .filter(stale, pk=import_pk)
                .first()
            )
            if client_import is None:
                continue  # a batch holds it, or it finished meanwhile
            client_import = _fail_and_remove(
                import_pk, client_import.run_by, None, code=ClientImport.ErrorCode.RUN_ERROR
            )
            failed += client_import.state == State.FAILED
    if failed:
        logger.warning(
            "%s import run(s) stopped longer than %s minutes ago were failed",
            failed,
            settings.IMPORT_RUN_TIMEOUT_MINUTES,
        )
    return failed


def delete_expired_import_files() -> int:
    """Delete the uploaded files the imports no longer need (see the module's
    docstring), and first fail the runs whose worker died
    (``fail_stale_import_runs``). Each import is taken under its lock,
    skipping one that is locked (a run or a remap starting this very moment),
    and its state checked again. Returns how many files were deleted. Hourly
    (CELERY_BEAT_SCHEDULE) or ``manage.py delete_expired_imports`` from cron."""
    fail_stale_import_runs()
    now = timezone.now()
    due = _file_expired(now)
    deleted = 0
    for import_pk in list(ClientImport.objects.filter(due).values_list("pk", flat=True)):
        with transaction.atomic():
            client_import = (
                ClientImport.objects.select_for_update(skip_locked=True)
                .filter(due, pk=import_pk)
                .first()
            )
            if client_import is None:
                continue
            discard_file(client_import)
            deleted += 1
    if deleted:
        logger.info("deleted the uploaded files of %s import(s)", deleted)
    return deleted


def forget_client_in_imports(client: Client) -> int:
    """An erasure's step: the import rows that wrote or named ``client`` lose
    its file reference, candidate lists lose its id, and the uploaded files of
    these imports are deleted (they hold the person). A running import's
    file goes when its run ends (``file_deleted_at`` is set now; the hourly
    sweep deletes it). Returns how many files were deleted now. No permission
    check: the caller (privacy's erasure) has checked and holds the client's
    lock."""
    client_id = str(client.pk)
    own = ImportRow.objects.filter(Q(client=client) | Q(linked_client=client))
    import_ids = set(own.values_list("client_import_id", flat=True))
    for row in own.exclude(reference=""):
        row.reference = ""
        row.save(update_fields=["reference"])
    # The candidates are clients of the importing agency; the text match finds
    # the rows, the list says exactly.
    named = ImportRow.objects.filter(
        client_import__agency_id=client.agency_id, candidates__icontains=client_id
    ).only("pk", "client_import_id", "candidates")
    for row in named:
        if client_id in row.candidates:
            row.candidates = [each for each in row.candidates if each != client_id]
            row.save(update_fields=["candidates"])
            import_ids.add(row.client_import_id)
    deleted = 0
    imports = ClientImport.objects.select_for_update().filter(pk__in=import_ids).order_by("pk")
    for client_import in imports:
        if client_import.state == State.RUNNING:
            if client_import.file_deleted_at is None:
                client_import.file_deleted_at = timezone.now()
                client_import.save(update_fields=["file_deleted_at"])
        elif client_import.file:
            discard_file(client_import)
            deleted += 1
    return deleted
