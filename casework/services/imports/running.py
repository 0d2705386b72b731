"""The import's use cases: upload and dry run, the duplicate decisions, the
run (all rows or nothing, or only the valid ones; batch by batch,
resumable), the undo.

Every write is the importing agency's, by a holder of IMPORT_CLIENTS there.
Records are written through the services registration and intake use
(``save_new_client``, ``save_new_case``), saved with history under the
reason "imported from a spreadsheet" and the importing user as actor.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from datetime import datetime, time, timedelta
from typing import Any
from uuid import UUID

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import ProtectedError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from guardian.models import GroupObjectPermission, UserObjectPermission

from accounts.access import Action, record_access
from accounts.audit import save_with_history
from accounts.models import Agency, User
from accounts.permissions import Perm
from accounts.selectors import agencies_where
from casework.models import (
    Case,
    CaseGroupObjectPermission,
    CaseUserObjectPermission,
    Client,
    ClientGroupObjectPermission,
    ClientImport,
    ClientUserObjectPermission,
    Consent,
    DataCategory,
    IdentityDocument,
    ImportMapping,
    ImportRow,
)
from casework.names import name_key
from casework.selectors import DuplicateIndex, clients_visible_to
from casework.services.cases import save_new_case
from casework.services.clients import add_identity_document_of, save_new_client
from casework.services.common import ExpectedVersion, check_version
from casework.services.file_checks import check_spreadsheet
from casework.services.imports.fields import guess_columns
from casework.services.imports.mappings import fits, matching_mapping
from casework.services.imports.reading import Workbook, read_workbook
from casework.services.imports.rows import (
    Mapping,
    RowPlan,
    check_mapping,
    plan_rows,
    unjoined_rows,
)
from config.errors import Conflict, Forbidden, InvalidInput, NotFound

logger = logging.getLogger(__name__)

IMPORT_REASON = gettext_noop("imported from a spreadsheet")
UNDO_REASON = gettext_noop("import undone")
# What an imported consent covers when the file does not say more: who the
# client is and how to reach them.
IMPORTED_CONSENT_CATEGORIES = [DataCategory.IDENTITY, DataCategory.CONTACT]
# The information notice an imported consent refers to: the paper record's.
IMPORTED_NOTICE = "paper record"
# How many errors outside any client row (a case row naming no client) are kept.
MAX_OTHER_ERRORS = 1000


class ImportBlocked(Conflict):
    """409 with the reasons (rows or records) that stop the action."""

    def __init__(self, message, *, code: str, reasons: list[dict]):
        self.reasons = reasons
        # Shown in the API's problem document (config.http.api).
        self.extensions = {"reasons": reasons}
        super().__init__(message, code=code)


def _require_importer(actor: User, agency: Agency) -> None:
    if not actor.has_perm(Perm.IMPORT_CLIENTS, agency):
        raise Forbidden(_("Only a supervisor or an agency admin may import clients."))


def importing_agencies(actor: User):
    """The agencies where ``actor`` may import, by name."""
    return Agency.objects.filter(pk__in=agencies_where(actor, Perm.IMPORT_CLIENTS)).order_by(
        "name", "pk"
    )


def imports_visible_to(actor: User):
    """The imports of the agencies where ``actor`` may import."""
    return ClientImport.objects.filter(agency_id__in=agencies_where(actor, Perm.IMPORT_CLIENTS))


def get_import_for(actor: User, import_id: UUID | str, *, lock: bool = False) -> ClientImport:
    """An import of an agency where ``actor`` may import, else NotFound."""
    queryset = imports_visible_to(actor).select_related("agency", "created_by")
    if lock:
        queryset = queryset.select_for_update(of=("self",))
    try:
        return queryset.get(pk=import_id)
    except (ClientImport.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def visible_candidates(actor: User, client_import: ClientImport, ids) -> dict[str, Client]:
    """{id: client} of the candidates ``ids`` that ``actor`` may see (the
    others are shown as ids, or as "a client you cannot see")."""
    return {
        str(client.pk): client
        for client in clients_visible_to(actor).filter(agency=client_import.agency, pk__in=ids)
    }


def get_row_for(actor: User, import_id: UUID | str, row_number: int) -> ImportRow:
    """A row of an import ``actor`` may see, else NotFound."""
    row = (
        ImportRow.objects.select_related("client_import")
        .filter(client_import=get_import_for(actor, import_id), row_number=row_number)
        .first()
    )
    if row is None:
        raise NotFound()
    return row


# --- Reading the stored file -------------------------------------------------------------


def workbook_of(client_import: ClientImport) -> Workbook:
    with client_import.file.open("rb") as handle:
        data = handle.read()
    return read_workbook(data, client_import.format, name=client_import.file_name)


def mapping_of(client_import: ClientImport) -> Mapping:
    stored = client_import.mapping or {}
    return Mapping(
        sheet=client_import.sheet,
        case_sheet=client_import.case_sheet,
        document_sheet=client_import.document_sheet,
        columns=stored.get("columns", {}),
        values=stored.get("values", {}),
        day_first=stored.get("day_first", True),
    )


def _clean_mapping(value: Any) -> dict:
    """The mapping's JSON shape, or InvalidInput naming the part that is wrong."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidInput(_("Expected an object with fields."), code="invalid", field="mapping")
    unknown = set(value) - {"columns", "values", "day_first"}
    if unknown:
        raise InvalidInput(
            _("Unknown field: %(field)s.") % {"field": sorted(unknown)[0]},
            code="unknown_field",
            field=f"mapping.{sorted(unknown)[0]}",
        )
    columns = value.get("columns", {})
    values = value.get("values", {})
    day_first = value.get("day_first", True)
    for part, name in ((columns, "columns"), (values, "values")):
        if not isinstance(part, dict) or not all(
            isinstance(inner, dict)
            and all(isinstance(k, str) and isinstance(v, str) for k, v in inner.items())
            for inner in part.values()
        ):
            raise InvalidInput(
                _("Expected an object of objects of text."), code="invalid", field=f"mapping.{name}"
            )
    if not isinstance(day_first, bool):
        raise InvalidInput(_("Must be true or false."), code="invalid", field="mapping.day_first")
    return {"columns": columns, "values": values, "day_first": day_first}


def upload_import(
    *,
    actor: User,
    agency: Agency,
    data: bytes,
    file_name: str,
    sheet: str = "",
    case_sheet: str = "",
    document_sheet: str = "",
    mapping: Any = None,
    mode: str = ClientImport.Mode.ALL_OR_NOTHING,
    saved_mapping: ImportMapping | None = None,
    keep_unusable_mapping: bool = False,
) -> ClientImport:
    """Check and keep an uploaded spreadsheet and run the dry run. Where no
    mapping is given, ``saved_mapping`` is used (refused if the file does not
    have its shape), else the agency's newest saved mapping the file fits,
    else the columns are guessed (the first sheet; the headers recognised in
    English, French and Arabic). A guessed mapping that cannot be used is
    refused, or with ``keep_unusable_mapping`` (the pages) kept as the
    import's one error, to correct on the mapping page. Needs IMPORT_CLIENTS
    in ``agency``."""
    _require_importer(actor, agency)
    if mode not in ClientImport.Mode.values:
        raise InvalidInput(_("Choose what to import."), code="invalid_choice", field="mode")
    file_format = check_spreadsheet(data=data, name=file_name, max_bytes=settings.IMPORT_MAX_BYTES)
    workbook = read_workbook(data, file_format, name=file_name)
    if not workbook.sheets:
        raise InvalidInput(_("This file has no rows."), code="empty_file", field="file")
    cleaned = _clean_mapping(mapping)
    sheets = [{"name": each.name, "headers": list(each.headers)} for each in workbook.sheets]
    if not cleaned.get("columns"):
        if saved_mapping is not None and saved_mapping.agency_id != agency.pk:
            raise InvalidInput(
                _("Choose one of the agency's saved mappings."),
                code="does_not_exist",
                field="saved_mapping",
            )
        if saved_mapping is not None and not fits(saved_mapping, sheets):
            raise InvalidInput(
                _(
                    "This file does not have the sheets and columns of the saved mapping: "
                    "choose another, or none."
                ),
                code="mapping_does_not_fit",
                field="saved_mapping",
            )
        saved_mapping = saved_mapping or matching_mapping(agency, sheets)
        if saved_mapping is not None:
            given = mapping if isinstance(mapping, dict) else {}
            cleaned = {**saved_mapping.mapping, **{k: cleaned[k] for k in cleaned if k in given}}
            sheet = sheet or saved_mapping.sheet
            case_sheet = case_sheet or saved_mapping.case_sheet
            document_sheet = document_sheet or saved_mapping.document_sheet
    else:
        saved_mapping = None
    sheet = sheet or workbook.sheets[0].name
    if not cleaned.get("columns") and sheet in {each.name for each in workbook.sheets}:
        cleaned["columns"] = {
            each.name: guess_columns(each.headers)
            for each in workbook.sheets
            if each.name in (sheet, case_sheet, document_sheet)
        }
    cleaned.setdefault("values", {})
    cleaned.setdefault("day_first", True)
    client_import = ClientImport(
        sheets=sheets,
        saved_mapping=saved_mapping,
        agency=agency,
        created_by=actor,
        file_name=(file_name or "import")[-200:],
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        format=file_format,
        sheet=sheet,
        case_sheet=case_sheet,
        document_sheet=document_sheet,
        mapping=cleaned,
        mode=mode,
    )
    unusable = None
    try:
        check_mapping(workbook, mapping_of(client_import))
    except InvalidInput as error:
        # A guessed mapping that cannot be used (no column recognised as the
        # name) is kept, to be corrected on the mapping page, if asked.
        if not keep_unusable_mapping or mapping is not None:
            raise
        unusable = error
    client_import.file.save("import", ContentFile(data), save=False)
    try:
        with transaction.atomic():
            client_import.full_clean(exclude=["file"])
            client_import.save()
            if unusable is None:
                _dry_run(actor, client_import, workbook)
            else:
                _mapping_to_correct(client_import, unusable)
    except BaseException:
        client_import.file.delete(save=False)
        raise
    return client_import


@transaction.atomic
def change_mapping(
    *,
    actor: User,
    import_id: UUID | str,
    expected_version: ExpectedVersion,
    mapping: Any = None,
    sheet: str | None = None,
    case_sheet: str | None = None,
    document_sheet: str | None = None,
    mode: str | None = None,
    keep_unusable_mapping: bool = False,
    save_as: str = "",
) -> ClientImport:
    """Change the mapping (or the sheets, or the mode) of an import not yet run.
    With ``keep_unusable_mapping`` (the mapping page, choosing other sheets
    whose columns are guessed) a mapping that cannot be used is kept as the
    import's one error, to correct next. ``save_as`` also keeps the new
    mapping under that name (``save_mapping``), in the same transaction.
    A new mapping or sheet checks every row again (the duplicate decisions
    go with the old rows); the mode alone keeps the report and the
    decisions, except after a failed run, which only a new dry run makes
    runnable again."""
    client_import = get_import_for(actor, import_id, lock=True)
    _require_importer(actor, client_import.agency)
    _require_state(client_import, ClientImport.State.CHECKED, ClientImport.State.FAILED)
    _require_file(client_import)
    check_version(client_import, expected_version)
    before = mapping_of(client_import)
    if mapping is not None:
        cleaned = _clean_mapping(mapping)
        client_import.mapping = {
            **client_import.mapping,
            **{key: value for key, value in cleaned.items() if key in mapping},
        }
    for name, value in (
        ("sheet", sheet),
        ("case_sheet", case_sheet),
        ("document_sheet", document_sheet),
    ):
        if value is not None:
            setattr(client_import, name, value)
    if mode is not None:
        if mode not in ClientImport.Mode.values:
            raise InvalidInput(_("Choose what to import."), code="invalid_choice", field="mode")
        client_import.mode = mode
    if mapping_of(client_import) == before and client_import.state == ClientImport.State.CHECKED:
        client_import.version += 1
        client_import.save(update_fields=["mode", "version"])
        return client_import
    workbook = workbook_of(client_import)
    try:
        check_mapping(workbook, mapping_of(client_import))
    except InvalidInput as error:
        if not keep_unusable_mapping:
            raise
        client_import.rows.all().delete()
        client_import.version += 1
        _mapping_to_correct(client_import, error)
        return client_import
    client_import.rows.all().delete()
    client_import.version += 1
    client_import.save()
    _dry_run(actor, client_import, workbook)
    if save_as:
        from casework.services.imports.mappings import save_mapping

        save_mapping(actor=actor, import_id=client_import.pk, name=save_as)
        client_import.refresh_from_db()
    return client_import


def _require_file(client_import: ClientImport) -> None:
    """409 ``file_deleted`` once the uploaded file is gone (or its deletion
    decided, see ``discard_file``): the import is closed, its report stays."""
    if not client_import.file or client_import.file_deleted_at is not None:
        raise Conflict(
            _(
                "The uploaded file of this import was deleted: it can no longer be run or "
                "changed. Upload the file again."
            ),
            code="file_deleted",
        )


def discard_file(client_import: ClientImport) -> None:
    """Forget the uploaded file, which holds many people's personal data: the
    import is saved without it (``file_deleted_at`` set) and the stored file
    is deleted once the transaction commits, so a rollback keeps both. The
    report (the rows) stays. The caller holds the import's lock; never for a
    running import, whose worker reads the file."""
    name = client_import.file.name
    storage = client_import.file.storage
    client_import.file = ""
    if client_import.file_deleted_at is None:
        client_import.file_deleted_at = timezone.now()
    client_import.save(update_fields=["file", "file_deleted_at"])
    if name:
        import_pk = client_import.pk

        def delete_stored() -> None:
            try:
                storage.delete(name)
            except Exception:
                # The row already says the file is gone; the name says nothing
                # of anyone, so the leftover can be found and removed by hand.
                logger.exception("import %s: its stored file %s was not deleted", import_pk, name)

        transaction.on_commit(delete_stored)


def _require_state(client_import: ClientImport, *states: str) -> None:
    if client_import.state not in states:
        raise Conflict(
            _("This import is %(state)s: it cannot do this now.")
            % {"state": client_import.get_state_display().lower()},
            code="import_state",
        )


# --- The dry run -------------------------------------------------------------------------


def _previous_clients(agency: Agency, references: set[str]) -> dict[str, tuple]:
    """{reference: (client id, its name keys)} of the rows of earlier, not
    undone imports of the agency that wrote a client (not erased since) under
    that reference."""
    found: dict[str, tuple] = {}
    if not references:
        return found
    rows = (
        ImportRow.objects.filter(
            client_import__agency=agency,
            reference__in=references,
            client__isnull=False,
            client__anonymised_at__isnull=True,
            result__in=[ImportRow.Result.CREATED, ImportRow.Result.UPDATED],
        )
        .exclude(client_import__state=ClientImport.State.UNDONE)
        .order_by("client_import__created_at")
        .values_list("reference", "client_id", "client__name_key", "client__name_latin_key")
    )
    for reference, client_id, key, latin_key in rows:
        found[reference] = (client_id, {key, latin_key} - {""})
    return found


def _outcome(
    plan: RowPlan, index: DuplicateIndex, previous: dict[str, tuple]
) -> tuple[str, list, int | None, UUID | None]:
    """(outcome, candidates, duplicate_of_row, client it adds to). A reference
    an earlier import wrote adds to that client only when the name agrees too
    (two files may both number their people 1, 2, 3…); otherwise the client
    is a candidate the user decides about."""
    if plan.errors:
        return ImportRow.Outcome.ERROR, [], None, None
    numbers = [document.get("number", "") for document in plan.documents]
    earlier = previous.get(plan.reference) if plan.reference else None
    if earlier is not None:
        client_id, keys = earlier
        index.add(
            ("row", plan.row_number),
            name=plan.client.get("name", ""),
            name_latin=plan.client.get("name_latin", ""),
            date_of_birth=plan.client.get("date_of_birth"),
            document_numbers=numbers,
        )
        row_keys = {
            name_key(plan.client.get("name", "")),
            name_key(plan.client.get("name_latin", "")),
        } - {""}
        if keys & row_keys:
            return ImportRow.Outcome.UPDATE, [], None, client_id
        return ImportRow.Outcome.DUPLICATE, [str(client_id)], None, None
    found = index.candidates(
        name=plan.client.get("name", ""),
        name_latin=plan.client.get("name_latin", ""),
        date_of_birth=plan.client.get("date_of_birth"),
        document_numbers=numbers,
    )
    index.add(
        ("row", plan.row_number),
        name=plan.client.get("name", ""),
        name_latin=plan.client.get("name_latin", ""),
        date_of_birth=plan.client.get("date_of_birth"),
        document_numbers=numbers,
    )
    if not found:
        return ImportRow.Outcome.CREATE, [], None, None
    rows = [marker[1] for marker in found if isinstance(marker, tuple)]
    clients = [str(marker) for marker in found if not isinstance(marker, tuple)]
    return ImportRow.Outcome.DUPLICATE, clients, (rows[0] if rows else None), None


def _dry_run(actor: User, client_import: ClientImport, workbook: Workbook) -> None:
    """Check every row and keep the report (one ImportRow each); nothing else is written."""
    mapping = mapping_of(client_import)
    agency = client_import.agency
    index = DuplicateIndex(agency.pk)
    plans = list(_light(plan_rows(actor=actor, agency=agency, workbook=workbook, mapping=mapping)))
    references = {plan.reference for plan in plans if plan.reference}
    previous = _previous_clients(agency, references)
    counts = {outcome: 0 for outcome in ImportRow.Outcome.values}
    seen_references: dict[str, int] = {}
    batch = []
    for plan in plans:
        if plan.reference and plan.reference in seen_references:
            plan.add_error(
                plan.sheet,
                plan.row_number,
                mapping.column_of(plan.sheet, "reference"),
                "reference",
                "reference_repeated",
                _("Row %(row)s has the same client reference.")
                % {"row": seen_references[plan.reference]},
            )
        elif plan.reference:
            seen_references[plan.reference] = plan.row_number
        outcome, candidates, duplicate_of_row, linked = _outcome(plan, index, previous)
        counts[outcome] += 1
        batch.append(
            ImportRow(
                client_import=client_import,
                row_number=plan.row_number,
                reference=plan.reference[:100],
                outcome=outcome,
                errors=plan.errors,
                candidates=candidates,
                duplicate_of_row=duplicate_of_row,
                linked_client_id=linked,
            )
        )
        if len(batch) >= 2000:
            ImportRow.objects.bulk_create(batch)
            batch = []
    ImportRow.objects.bulk_create(batch)
    other = unjoined_rows(workbook, mapping, references)
    counts["rows"] = len(plans)
    counts["other_errors"] = len(other)
    client_import.counts = counts
    client_import.other_errors = other[:MAX_OTHER_ERRORS]
    client_import.state = ClientImport.State.CHECKED
    client_import.checked_at = timezone.now()
    client_import.error_code = ""
    client_import.save()


def _mapping_to_correct(client_import: ClientImport, error: InvalidInput) -> None:
    """A checked import with no row read: its one error is the mapping's."""
    client_import.counts = {
        **{outcome: 0 for outcome in ImportRow.Outcome.values},
        "rows": 0,
        "other_errors": 1,
    }
    client_import.other_errors = [
        {
            "sheet": client_import.sheet,
            "row": 1,
            "column": "",
            "field": error.field or "mapping",
            "code": error.code,
            "message": str(error.message),
        }
    ]
    client_import.state = ClientImport.State.CHECKED
    client_import.checked_at = timezone.now()
    client_import.save()


def _light(plans: Iterable[RowPlan]) -> Iterable[RowPlan]:
    """The plans without what the dry run does not keep (the user objects of
    assignees), so a 50,000-row file's plans stay small."""
    for plan in plans:
        for case in plan.cases:
            case.pop("assigned_to", None)
        yield plan


# --- Decisions on possible duplicates ------------------------------------------------------


@transaction.atomic
def decide_duplicate(
    *,
    actor: User,
    import_id: UUID | str,
    row_number: Any,
    decision: str,
    client_id: UUID | str | None = None,
    expected_version: ExpectedVersion = None,
) -> ImportRow:
    """Say what a possible duplicate row is: the existing client it adds to
    (``link``, naming one of the candidates, or the earlier row of the file),
    ``skip``, or ``new`` (a different person)."""
    client_import = get_import_for(actor, import_id, lock=True)
    _require_importer(actor, client_import.agency)
    _require_state(client_import, ClientImport.State.CHECKED, ClientImport.State.FAILED)
    _require_file(client_import)
    if expected_version is not None:
        # From a page showing the report of that version: a remap since
        # changed which person each row is.
        check_version(client_import, expected_version)
    if decision not in (
        ImportRow.Decision.LINK,
        ImportRow.Decision.SKIP,
        ImportRow.Decision.NEW,
    ):
        raise InvalidInput(_("Choose link, skip or new."), code="invalid_choice", field="decision")
    try:
        number = int(row_number)
    except (TypeError, ValueError):
        raise InvalidInput(_("Give a row number."), code="invalid", field="row") from None
    row = client_import.rows.filter(row_number=number).first()
    if row is None:
        raise InvalidInput(_("This file has no such row."), code="does_not_exist", field="row")
    if row.outcome != ImportRow.Outcome.DUPLICATE:
        raise InvalidInput(
            _("Only a possible duplicate needs a decision."), code="not_a_duplicate", field="row"
        )
    row.linked_client = None
    if decision == ImportRow.Decision.LINK:
        if client_id:
            if str(client_id) not in row.candidates:
                raise InvalidInput(
                    _("Choose one of the clients this row may be."),
                    code="not_a_candidate",
                    field="client",
                )
            row.linked_client = Client.objects.filter(
                pk=client_id, agency=client_import.agency, anonymised_at__isnull=True
            ).first()
            if row.linked_client is None:
                raise InvalidInput(
                    _("Choose one of the clients this row may be."),
                    code="not_a_candidate",
                    field="client",
                )
        elif row.duplicate_of_row is None:
            raise InvalidInput(
                _("Choose the existing client this row is."), code="required", field="client"
            )
    row.decision = decision
    row.save(update_fields=["decision", "linked_client"])
    client_import.version += 1
    client_import.save(update_fields=["version"])
    return row


# --- The run -----------------------------------------------------------------------------


def start_import(
    *,
    actor: User,
    import_id: UUID | str,
    mode: str | None = None,
    expected_version: ExpectedVersion = None,
) -> ClientImport:
    """Queue the run of a checked import (eager without a broker). All rows or
    nothing (the default) needs every row valid and every possible duplicate
    decided; "only the valid rows" skips errors and undecided duplicates."""
    from casework.tasks import run_import_task

    with transaction.atomic():
        client_import = get_import_for(actor, import_id, lock=True)
        _require_importer(actor, client_import.agency)
        _require_state(client_import, ClientImport.State.CHECKED)
        _require_file(client_import)
        if expected_version is not None:
            check_version(client_import, expected_version)
        if mode is not None:
            if mode not in ClientImport.Mode.values:
                raise InvalidInput(_("Choose what to import."), code="invalid_choice", field="mode")
            client_import.mode = mode
        if client_import.mode == ClientImport.Mode.ALL_OR_NOTHING:
            _require_all_valid(client_import)
        client_import.state = ClientImport.State.RUNNING
        client_import.started_at = timezone.now()
        client_import.run_by = actor
        client_import.progress = 0
        client_import.rows_done = 0
        client_import.save()
        import_id = str(client_import.pk)
        transaction.on_commit(lambda: run_import_task.delay(import_id))
    client_import.refresh_from_db()
    return client_import


def _require_all_valid(client_import: ClientImport) -> None:
    rows = client_import.rows
    errors = list(
        rows.filter(outcome=ImportRow.Outcome.ERROR).values_list("row_number", flat=True)[:50]
    )
    undecided = list(
        rows.filter(outcome=ImportRow.Outcome.DUPLICATE, decision="").values_list(
            "row_number", flat=True
        )[:50]
    )
    if errors or client_import.counts.get("other_errors"):
        raise ImportBlocked(
            _(
                "Some rows have errors: correct the file and upload it again, or choose to "
                "import only the valid rows."
            ),
            code="rows_have_errors",
            reasons=[{"row": number, "code": "error"} for number in errors],
        )
    if undecided:
        raise ImportBlocked(
            _(
                "Decide for each possible duplicate: add to the existing client, skip, or "
                "new person."
            ),
            code="decisions_needed",
            reasons=[{"row": number, "code": "duplicate"} for number in undecided],
        )


class _RowChanged(Exception):
    def __init__(self, row_number: int):
        self.row_number = row_number


def run_import(import_id: UUID | str) -> ClientImport | None:
    """Write a running import, batch by batch (IMPORT_BATCH_ROWS rows a
    transaction), from where it stopped: a redelivered or resumed task
    continues, never writes a row twice. A row that the dry run found valid
    but is not any more (its file cannot change, the agency's records can: a
    new possible duplicate) fails an all-or-nothing import, whose batches
    already written are then removed again; in "only the valid rows" it is
    skipped."""
    client_import = (
        ClientImport.objects.select_related("agency", "run_by").filter(pk=import_id).first()
    )
    if client_import is None or client_import.state != ClientImport.State.RUNNING:
        return client_import
    actor = client_import.run_by
    workbook = workbook_of(client_import)
    mapping = mapping_of(client_import)
    agency = client_import.agency
    # The rows are read batch by batch (``_write_batch``), never all at once.
    total = max(client_import.rows.count(), 1)
    batch_size = max(1, settings.IMPORT_BATCH_ROWS)
    plans = plan_rows(actor=actor, agency=agency, workbook=workbook, mapping=mapping)
    pending: list[RowPlan] = []
    position = 0
    try:
        for plan in plans:
            position += 1
            if position <= client_import.rows_done:
                continue
            pending.append(plan)
            if len(pending) >= batch_size:
                client_import = _write_batch(client_import.pk, actor, pending, position, total)
                pending = []
                if client_import.state != ClientImport.State.RUNNING:
                    return client_import
        if pending:
            client_import = _write_batch(client_import.pk, actor, pending, position, total)
    except _RowChanged as changed:
        return _fail_and_remove(client_import.pk, actor, changed.row_number)
    except Exception:
        # Whatever else stops a run must not leave the import "running" for
        # good: it fails, and an all-or-nothing one removes what it wrote.
        logger.exception("import %s: the run stopped", import_id)
        return _fail_and_remove(
            client_import.pk, actor, None, code=ClientImport.ErrorCode.RUN_ERROR
        )
    with transaction.atomic():
        client_import = ClientImport.objects.select_for_update().get(pk=import_id)
        if client_import.state == ClientImport.State.RUNNING:
            counts = dict(client_import.counts)
            for result in (
                ImportRow.Result.CREATED,
                ImportRow.Result.UPDATED,
                ImportRow.Result.SKIPPED,
            ):
                counts[result] = client_import.rows.filter(result=result).count()
            client_import.counts = counts
            client_import.state = ClientImport.State.IMPORTED
            client_import.imported_at = timezone.now()
            client_import.progress = 100
            client_import.save()
            record_access(actor, Action.IMPORT, client_import, agency_id=agency.pk)
    return client_import


def _write_batch(
    import_pk,
    actor: User,
    plans: list[RowPlan],
    position: int,
    total: int,
) -> ClientImport:
    with transaction.atomic():
        client_import = (
            ClientImport.objects.select_for_update().select_related("agency").get(pk=import_pk)
        )
        if client_import.state != ClientImport.State.RUNNING or client_import.rows_done >= position:
            return client_import  # another delivery wrote this batch meanwhile
        # The rows as they are now, under the lock (another delivery may have written some).
        stored = {
            row.row_number: row
            for row in client_import.rows.filter(
                row_number__in=[plan.row_number for plan in plans]
            ).select_related("linked_client")
        }
        index = None
        # The clients of the earlier rows that rows of this batch repeat (the
        # batch's own are added as they are written).
        repeated = {row.duplicate_of_row for row in stored.values() if row.duplicate_of_row}
        created_by_row: dict[int, Client] = {
            row.row_number: row.client
            for row in client_import.rows.filter(
                client__isnull=False, row_number__in=repeated
            ).select_related("client")
        }
        for plan in plans:
            row = stored[plan.row_number]
            if row.result:
                continue  # written by an earlier delivery of this batch
            if index is None:
                index = DuplicateIndex(client_import.agency_id)
            _write_row(actor, client_import, row, plan, index, created_by_row)
        client_import.rows_done = max(client_import.rows_done, position)
        client_import.progress = min(99, position * 100 // total)
        client_import.save(update_fields=["rows_done", "progress"])
    return client_import


def _write_row(
    actor: User,
    client_import: ClientImport,
    row: ImportRow,
    plan: RowPlan,
    index: DuplicateIndex,
    created_by_row: dict[int, Client],
) -> None:
    valid_only = client_import.mode == ClientImport.Mode.VALID_ONLY
    agency = client_import.agency
    if row.outcome == ImportRow.Outcome.ERROR or plan.errors:
        if not valid_only and not row.errors:
            raise _RowChanged(row.row_number)
        if plan.errors and not row.errors:
            row.errors = plan.errors
        _mark(row, ImportRow.Result.SKIPPED)
        return
    client: Client | None = None
    if row.outcome == ImportRow.Outcome.UPDATE:
        client = Client.objects.filter(pk=row.linked_client_id, agency=agency).first()
    elif row.outcome == ImportRow.Outcome.DUPLICATE:
        if row.decision in ("", ImportRow.Decision.SKIP):
            _mark(row, ImportRow.Result.SKIPPED)
            return
        if row.decision == ImportRow.Decision.LINK:
            client = row.linked_client or created_by_row.get(row.duplicate_of_row or -1)
            if client is None:
                _mark(row, ImportRow.Result.SKIPPED)
                return
    else:
        numbers = [document.get("number", "") for document in plan.documents]
        if index.candidates(
            name=plan.client.get("name", ""),
            name_latin=plan.client.get("name_latin", ""),
            date_of_birth=plan.client.get("date_of_birth"),
            document_numbers=numbers,
        ):
            # Someone registered this person since the dry run.
            if not valid_only:
                raise _RowChanged(row.row_number)
            row.errors = [
                {
                    "sheet": plan.sheet,
                    "row": plan.row_number,
                    "column": "",
                    "field": "name",
                    "code": "possible_duplicate",
                    "message": str(_("This person was registered after the dry run.")),
                }
            ]
            _mark(row, ImportRow.Result.SKIPPED)
            return
    if client is None:
        client = save_new_client(
            actor=actor,
            agency=agency,
            data=dict(plan.client),
            documents=list(plan.documents),
            reason=IMPORT_REASON,
        )
        row.created_client = True
        documents = list(client.identity_documents.all())
        result = ImportRow.Result.CREATED
    else:
        documents = [
            add_identity_document_of(
                actor=actor, client=client, data=dict(document), reason=IMPORT_REASON
            )
            for document in plan.documents
        ]
        result = ImportRow.Result.UPDATED
    row.client = client
    created_by_row[row.row_number] = client
    index.add(
        ("row", row.row_number),
        name=client.name,
        name_latin=client.name_latin,
        date_of_birth=client.date_of_birth,
        document_numbers=[document.number for document in documents],
    )
    cases = []
    for record in plan.cases:
        opened_on = record.get("opened_on")
        case = save_new_case(
            actor=actor,
            client=client,
            case_type=record["case_type"],
            risk_level=record.get("risk_level", Case.Risk.LOW),
            summary=record.get("summary", ""),
            assigned_to=record.get("assigned_to"),
            # Added to a restricted client, the case is restricted too: adding it
            # must not open the client to the whole agency.
            is_restricted=client.is_restricted,
            reason=IMPORT_REASON,
            opened_at=(
                timezone.make_aware(datetime.combine(opened_on, time(12))) if opened_on else None
            ),
        )
        cases.append(case)
    if plan.consent:
        row.consent = _record_imported_consent(actor, client, plan.consent)
    row.save()
    row.cases.set(cases)
    row.documents.set(documents)
    _mark(row, result)


def _mark(row: ImportRow, result: str) -> None:
    row.result = result
    row.save()


def _record_imported_consent(actor: User, client: Client, consent: dict) -> Consent:
    """A consent the file records (its date, how and what for): kept as the
    transcription of a paper record by the importing user, covering the
    client's identity and contact details only."""
    given_at = timezone.make_aware(datetime.combine(consent["given_on"], time(12)))
    record = Consent(
        client=client,
        agency=client.agency,
        purpose=consent["purpose"],
        lawful_basis=Consent.LawfulBasis.CONSENT,
        data_categories=list(IMPORTED_CONSENT_CATEGORIES),
        given_by=Consent.GivenBy.CLIENT,
        method=consent["method"],
        notice_version=IMPORTED_NOTICE,
        explanation_language=(client.languages or ["und"])[0][:16],
        given_at=min(given_at, timezone.now()),
        recorded_by=actor,
        from_paper_record=True,
    )
    record.full_clean(exclude=["recipient_agencies"])
    save_with_history(record, actor=actor, reason=IMPORT_REASON)
    return record


def _fail_and_remove(
    import_pk, actor: User, row_number: int | None, *, code: str = "row_changed"
) -> ClientImport:
    """A run that cannot finish (a row no longer valid, an unexpected error):
    the import fails, naming the row; an all-or-nothing one first removes what
    its earlier batches wrote (what is already referred to elsewhere stays, and
    the import says so: ``partially_written``)."""
    with transaction.atomic():
        client_import = ClientImport.objects.select_for_update().get(pk=import_pk)
        if client_import.state != ClientImport.State.RUNNING:
            return client_import
        if client_import.mode == ClientImport.Mode.ALL_OR_NOTHING:
            try:
                with transaction.atomic():
                    _remove_written(actor, client_import)
                    client_import.rows.update(
                        result="", client=None, created_client=False, consent=None
                    )
                    client_import.rows_done = 0
            except ProtectedError:
                code = ClientImport.ErrorCode.PARTIALLY_WRITTEN
        client_import.state = ClientImport.State.FAILED
        client_import.error_code = code
        client_import.counts = {**client_import.counts, "stopped_at_row": row_number}
        client_import.progress = 0
        client_import.save()
    return client_import


# --- Undo --------------------------------------------------------------------------------


def undo_blockers(client_import: ClientImport) -> list[dict]:
    """Why the import cannot be undone: each record it made that has been
    changed since (``changed``; a consent withdrawn, ``consent_changed``; an
    identity document edited, ``document_changed``), or shared since with a
    user or a group (``shared``: the undo would take the share away
    unseen). What something else now refers to shows when the undo is
    tried (``referred_to``)."""
    blockers = []
    rows = list(
        client_import.rows.filter(client__isnull=False)
        .select_related("client", "consent")
        .prefetch_related("cases", "documents")
    )
    documents = {document.pk for row in rows for document in row.documents.all()}
    consents = {row.consent_id for row in rows if row.consent_id is not None}
    edited_documents = _edited_since_created(IdentityDocument, documents)
    edited_consents = _edited_since_created(Consent, consents)
    shared_clients, shared_cases = _shared(
        {row.client_id for row in rows if row.created_client},
        {case.pk for row in rows for case in row.cases.all()},
    )
    for row in rows:
        if row.created_client and row.client.version != 1:
            blockers.append(_blocker(row, "client", row.client.pk, "changed"))
        if row.created_client and row.client_id in shared_clients:
            blockers.append(_blocker(row, "client", row.client.pk, "shared"))
        for case in row.cases.all():
            if case.version != 1:
                blockers.append(_blocker(row, "case", case.pk, "changed", case.number))
            if case.pk in shared_cases:
                blockers.append(_blocker(row, "case", case.pk, "shared", case.number))
        for document in row.documents.all():
            if document.pk in edited_documents:
                blockers.append(_blocker(row, "identitydocument", document.pk, "document_changed"))
        consent = row.consent
        if consent is not None and (
            consent.withdrawn_at is not None or consent.pk in edited_consents
        ):
            blockers.append(_blocker(row, "consent", consent.pk, "consent_changed"))
    return blockers


def _edited_since_created(model, ids: set) -> set:
    """Those of ``ids`` whose history has more than their creation: saved again since."""
    if not ids:
        return set()
    return set(
        model.history.filter(id__in=ids)
        .exclude(history_type="+")
        .values_list("id", flat=True)
        .distinct()
    )


def _shared(client_ids: set, case_ids: set) -> tuple[set, set]:
    """(client ids, case ids) granted to a user or a group: the import grants
    nothing, so any grant came since. Guardian's direct tables and, should a
    grant have gone there, its generic ones."""
    clients: set = set()
    cases: set = set()
    for ids, found, model, tables in (
        (client_ids, clients, Client, (ClientUserObjectPermission, ClientGroupObjectPermission)),
        (case_ids, cases, Case, (CaseUserObjectPermission, CaseGroupObjectPermission)),
    ):
        if not ids:
            continue
        for table in tables:
            found.update(
                table.objects.filter(content_object_id__in=ids).values_list(
                    "content_object_id", flat=True
                )
            )
        content_type = ContentType.objects.get_for_model(model)
        by_text = {str(pk): pk for pk in ids}
        for table in (UserObjectPermission, GroupObjectPermission):
            found.update(
                by_text[object_pk]
                for object_pk in table.objects.filter(
                    content_type=content_type, object_pk__in=list(by_text)
                ).values_list("object_pk", flat=True)
            )
    return clients, cases


def _blocker(row: ImportRow, kind: str, pk, code: str, label: str = "") -> dict:
    return {"row": row.row_number, "record": kind, "id": str(pk), "label": label, "code": code}


def undo_import(*, actor: User, import_id: UUID | str) -> ClientImport:
    """Remove what an import wrote, within IMPORT_UNDO_DAYS and while nothing
    of it has changed or been shared (``undo_blockers``); the clients, cases,
    consents and identity documents are locked first, so an edit racing the
    undo either lands before it (and blocks it) or after it (and finds
    nothing). 409 ``undo_blocked`` names what blocks it."""
    with transaction.atomic():
        client_import = get_import_for(actor, import_id, lock=True)
        _require_importer(actor, client_import.agency)
        _require_state(client_import, ClientImport.State.IMPORTED)
        if client_import.imported_at < timezone.now() - timedelta(days=settings.IMPORT_UNDO_DAYS):
            raise Conflict(
                _("An import can be undone for %(days)s days; this one is older.")
                % {"days": settings.IMPORT_UNDO_DAYS},
                code="undo_too_late",
            )
        _lock_written(client_import)
        blockers = undo_blockers(client_import)
        if not blockers:
            try:
                with transaction.atomic():
                    _remove_written(actor, client_import)
            except ProtectedError as error:
                blockers = _protected_blockers(error)
        if blockers:
            client_import.counts = {**client_import.counts, "undo_blockers": len(blockers)}
            client_import.save(update_fields=["counts"])
            record_access(actor, Action.UNDO_IMPORT, client_import, outcome="failed")
        else:
            client_import.rows.exclude(result="").update(result=ImportRow.Result.UNDONE)
            client_import.state = ClientImport.State.UNDONE
            client_import.undone_at = timezone.now()
            client_import.undone_by = actor
            client_import.save()
            # Nothing of it is kept: neither is the file (deleted after commit).
            discard_file(client_import)
            record_access(actor, Action.UNDO_IMPORT, client_import)
    if blockers:
        raise ImportBlocked(
            _("Records this import made have changed since: it can no longer be undone."),
            code="undo_blocked",
            reasons=blockers,
        )
    return client_import


def _lock_written(client_import: ClientImport) -> None:
    client_ids = list(
        client_import.rows.filter(client__isnull=False).values_list("client_id", flat=True)
    )
    case_ids = list(
        Case.objects.filter(import_rows__client_import=client_import).values_list("pk", flat=True)
    )
    list(
        Client.objects.select_for_update()
        .filter(pk__in=client_ids)
        .order_by("pk")
        .values_list("pk")
    )
    list(Case.objects.select_for_update().filter(pk__in=case_ids).order_by("pk").values_list("pk"))
    # A withdrawal locks its consent (not the client): locked here, it lands
    # before the undo (and blocks it) or after (and finds nothing).
    consent_ids = list(
        client_import.rows.filter(consent__isnull=False).values_list("consent_id", flat=True)
    )
    document_ids = list(
        IdentityDocument.objects.filter(import_rows__client_import=client_import).values_list(
            "pk", flat=True
        )
    )
    list(
        Consent.objects.select_for_update()
        .filter(pk__in=consent_ids)
        .order_by("pk")
        .values_list("pk")
    )
    list(
        IdentityDocument.objects.select_for_update()
        .filter(pk__in=document_ids)
        .order_by("pk")
        .values_list("pk")
    )


def _protected_blockers(error: ProtectedError) -> list[dict]:
    blockers = []
    for obj in list(error.protected_objects)[:100]:
        blockers.append(
            {
                "row": None,
                "record": obj._meta.model_name,
                "id": str(obj.pk),
                "label": "",
                "code": "referred_to",
            }
        )
    return blockers


def _delete(instance, actor: User) -> None:
    instance._history_user = actor
    instance._change_reason = UNDO_REASON
    instance.delete()


def _remove_written(actor: User, client_import: ClientImport) -> None:
    """Delete, newest first, what the import's rows wrote (ProtectedError when
    something else refers to it)."""
    rows = list(
        client_import.rows.filter(client__isnull=False)
        .select_related("client", "consent")
        .prefetch_related("cases", "documents")
        .order_by("-row_number")
    )
    for row in rows:
        if row.consent is not None:
            row.consent._undoing_import = True
            _delete(row.consent, actor)
        for case in row.cases.all():
            _delete(case, actor)
        for document in row.documents.all():
            _delete(document, actor)
    for row in rows:
        if row.created_client and row.client is not None:
            _delete(row.client, actor)


def row_report(client_import: ClientImport) -> Iterable[dict]:
    """The row report, a row per error (or per row without one)."""
    for row in client_import.rows.order_by("row_number").iterator(chunk_size=2000):
        base = {
            "row": row.row_number,
            "outcome": row.outcome,
            "decision": row.decision,
            "result": row.result,
        }
        if not row.errors:
            yield {**base, "sheet": client_import.sheet, "column": "", "code": "", "message": ""}
        for error in row.errors:
            yield {
                **base,
                "sheet": error.get("sheet", ""),
                "row": error.get("row", row.row_number),
                "column": error.get("column", ""),
                "code": error.get("code", ""),
                "message": error.get("message", ""),
            }
    for error in client_import.other_errors or []:
        yield {"outcome": ImportRow.Outcome.ERROR, "decision": "", "result": "", **error}
