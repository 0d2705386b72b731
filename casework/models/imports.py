"""Spreadsheet imports (issue 18): an agency's existing caseload brought in
from an .xlsx, .ods or .csv file.

A ``ClientImport`` keeps the uploaded file (private storage, like documents),
the mapping from its columns to Sanad's fields, the dry run's report as one
``ImportRow`` per spreadsheet row, and, once it has run, which records each
row created, so that the import can be undone while nothing it made has been
changed. Row outcomes and errors name columns and reasons, never a cell's
value: the report can be shown and downloaded without copying the file.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from casework.models.cases import Case
from casework.models.clients import Client, IdentityDocument
from casework.models.consent import Consent


def import_path(instance: "ClientImport", filename: str) -> str:
    # The stored name says nothing of the uploaded one: the agency and a fresh id.
    return f"imports/{instance.agency_id}/{uuid.uuid4().hex}"


class ImportMapping(models.Model):
    """A mapping saved under a name, to reuse for the next file of the same
    shape (the same sheets with the same headers): the columns' fields, the
    value mappings and the sheets' roles. An agency's own; it holds no cell
    of any file other than the texts chosen in value mappings."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    agency = models.ForeignKey(
        "accounts.Agency", on_delete=models.PROTECT, related_name="import_mappings"
    )
    name = models.CharField(_("name"), max_length=100)
    # {"<sheet>": ["<header>", …]} of the sheets the mapping uses: the shape a
    # file must have for it to apply.
    shape = models.JSONField(default=dict)
    sheet = models.CharField(max_length=100)
    case_sheet = models.CharField(max_length=100, blank=True)
    document_sheet = models.CharField(max_length=100, blank=True)
    mapping = models.JSONField(default=dict)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("saved mapping")
        verbose_name_plural = _("saved mappings")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "name"], name="import_mapping_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class ClientImport(models.Model):
    class Format(models.TextChoices):
        XLSX = "xlsx", "XLSX"
        ODS = "ods", "ODS"
        CSV = "csv", "CSV"

    class State(models.TextChoices):
        CHECKING = "checking", _("Checking")
        CHECKED = "checked", _("Checked")
        RUNNING = "running", _("Importing")
        IMPORTED = "imported", _("Imported")
        FAILED = "failed", _("Not imported")
        UNDONE = "undone", _("Undone")

    class ErrorCode(models.TextChoices):
        ROW_CHANGED = "row_changed", _("A row stopped being valid during the run")
        RUN_ERROR = "run_error", _("The run stopped on an unexpected error")
        PARTIALLY_WRITTEN = (
            "partially_written",
            _("The run stopped, and some records it wrote are already in use"),
        )

    class Mode(models.TextChoices):
        ALL_OR_NOTHING = "all", _("All rows or nothing")
        VALID_ONLY = "valid_only", _("Only the valid rows")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    agency = models.ForeignKey(
        "accounts.Agency", on_delete=models.PROTECT, related_name="client_imports"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    # Emptied once the file is no longer needed (undone, past the undo window,
    # or a dry run left unused): the report stays, the people's data goes.
    file = models.FileField(upload_to=import_path, max_length=200, blank=True)
    file_deleted_at = models.DateTimeField(null=True, blank=True)
    file_name = models.CharField(_("file name"), max_length=200)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField()
    format = models.CharField(max_length=4, choices=Format.choices)
    # [{"name": sheet, "headers": [header, …]}] of the file, for the mapping page.
    sheets = models.JSONField(default=list, blank=True)
    # The sheet the clients are on, and (optional) the sheets of their cases and
    # identity documents, joined to the clients by the client reference column.
    sheet = models.CharField(_("sheet"), max_length=100)
    case_sheet = models.CharField(_("cases sheet"), max_length=100, blank=True)
    document_sheet = models.CharField(_("documents sheet"), max_length=100, blank=True)
    # {"columns": {"<sheet>": {"<header>": "<field>"}}, "values": {"<field>": {"<text>": "<code>"}}}
    mapping = models.JSONField(default=dict, blank=True)
    # The saved mapping this import started from, if any.
    saved_mapping = models.ForeignKey(
        ImportMapping, on_delete=models.SET_NULL, null=True, blank=True, related_name="imports"
    )
    mode = models.CharField(
        _("what to import"), max_length=12, choices=Mode.choices, default=Mode.ALL_OR_NOTHING
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.CHECKING)
    progress = models.PositiveSmallIntegerField(default=0)
    # How many rows of the clients sheet the run has written (it resumes from there).
    rows_done = models.PositiveIntegerField(default=0)
    # {"rows": n, "create": n, "update": n, "duplicate": n, "error": n, ...}
    counts = models.JSONField(default=dict, blank=True)
    error_code = models.CharField(max_length=50, blank=True, choices=ErrorCode.choices)
    # Errors of rows outside the clients sheet that join no client (a case row
    # whose client reference is on no client row): the same shape as a row's.
    other_errors = models.JSONField(default=list, blank=True)
    run_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    version = models.PositiveIntegerField(default=1)
    checked_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    imported_at = models.DateTimeField(null=True, blank=True)
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["agency", "-created_at"], name="import_agency_created")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(progress__lte=100), name="import_progress_at_most_100"
            ),
        ]
        permissions = [
            ("import_clients", "Can import clients and cases from a spreadsheet"),
        ]

    def __str__(self) -> str:
        return str(self.pk)


class ImportRow(models.Model):
    """One row of the clients sheet: what the dry run found, what the user
    decided about a possible duplicate, and what the run made of it."""

    class Outcome(models.TextChoices):
        CREATE = "create", _("New client")
        UPDATE = "update", _("Adds to an existing client")
        DUPLICATE = "duplicate", _("Possible duplicate")
        ERROR = "error", _("Error")

    class Decision(models.TextChoices):
        NONE = "", _("Not decided")
        LINK = "link", _("Add to the existing client")
        SKIP = "skip", _("Skip this row")
        NEW = "new", _("Import as a new person")

    class Result(models.TextChoices):
        PENDING = "", _("Not imported yet")
        CREATED = "created", _("Created")
        UPDATED = "updated", _("Added to the existing client")
        SKIPPED = "skipped", _("Skipped")
        UNDONE = "undone", _("Undone")

    id = models.BigAutoField(primary_key=True)
    client_import = models.ForeignKey(ClientImport, on_delete=models.CASCADE, related_name="rows")
    row_number = models.PositiveIntegerField()
    # The file's own id of the client (the reference column), to join sheets and
    # to recognise the same person in a later file of the same agency.
    reference = models.CharField(max_length=100, blank=True, db_index=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    # [{"sheet", "row", "column", "field", "code", "message"}]: no cell values.
    errors = models.JSONField(default=list, blank=True)
    # Ids of the existing clients this row may be (cross-script duplicate check),
    # or of the earlier row of the same file it repeats ("row": n).
    candidates = models.JSONField(default=list, blank=True)
    duplicate_of_row = models.PositiveIntegerField(null=True, blank=True)
    decision = models.CharField(max_length=4, choices=Decision.choices, blank=True, default="")
    linked_client = models.ForeignKey(
        Client, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    result = models.CharField(max_length=8, choices=Result.choices, blank=True, default="")
    # What the run wrote for this row (for the page and the undo).
    client = models.ForeignKey(
        Client, on_delete=models.SET_NULL, null=True, blank=True, related_name="import_rows"
    )
    created_client = models.BooleanField(default=False)
    cases = models.ManyToManyField(Case, blank=True, related_name="import_rows")
    documents = models.ManyToManyField(IdentityDocument, blank=True, related_name="import_rows")
    consent = models.ForeignKey(
        Consent, on_delete=models.SET_NULL, null=True, blank=True, related_name="import_rows"
    )

    class Meta:
        ordering = ["client_import", "row_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["client_import", "row_number"], name="import_row_number_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.client_import_id}:{self.row_number}"


# The choices of a decision and of a result, without "not yet" (the API's enums).
DECISIONS = [(value, label) for value, label in ImportRow.Decision.choices if value]
RESULTS = [(value, label) for value, label in ImportRow.Result.choices if value]
