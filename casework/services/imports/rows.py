"""From spreadsheet rows to what the import would write, validated exactly
as registration validates it (``validate_new_client``, ``validate_new_case``).

``plan_rows`` walks the clients sheet (and, when the mapping names them, the
sheets of cases and identity documents, joined to their client by the
reference column) and yields one ``RowPlan`` per client row: the client's
fields, its cases, documents and consent, and every error with the sheet,
row and column it comes from. It writes nothing.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Agency, User
from casework.models import Case, Consent
from casework.selectors import assignable_members
from casework.services.cases import validate_new_case
from casework.services.clients import validate_new_client
from casework.services.imports.fields import (
    CASE,
    CHOICE_KINDS,
    CLIENT,
    CONSENT,
    DOCUMENT,
    FIELDS_BY_NAME,
    REFERENCE,
    CellError,
    as_bool,
    as_date,
    as_int,
    as_text,
    choice_list,
    choice_value,
    is_blank,
    value_options,
)
from casework.services.imports.reading import Sheet, Workbook
from config.errors import InvalidInput

# The fields of one record, as the services name them.
CASE_FIELDS = {
    "case_type": "case_type",
    "case_risk_level": "risk_level",
    "case_summary": "summary",
    "case_assigned_to": "assigned_to",
    "case_opened_on": "opened_on",
}
DOCUMENT_FIELDS = {
    "document_type": "type",
    "document_number": "number",
    "document_issuing_country": "issuing_country",
    "document_expires_on": "expires_on",
}
CONSENT_FIELDS = ("consent_given_on", "consent_method", "consent_purpose")
# A consent can be imported for these purposes only: a referral consent names
# its recipients, which a spreadsheet column does not.
IMPORTABLE_CONSENT_PURPOSES = (
    Consent.Purpose.CASE_MANAGEMENT,
    Consent.Purpose.STATISTICS,
    Consent.Purpose.CONTACT,
)


@dataclass
class Mapping:
    """What the user chose: each sheet's columns' fields, each choice field's
    values, how dates are written."""

    sheet: str
    columns: dict[str, dict[str, str]]
    values: dict[str, dict[str, str]]
    case_sheet: str = ""
    document_sheet: str = ""
    day_first: bool = True

    def columns_of(self, sheet: str) -> dict[str, str]:
        return self.columns.get(sheet, {})

    def column_of(self, sheet: str, field_name: str) -> str:
        for header, name in self.columns_of(sheet).items():
            if name == field_name:
                return header
        return ""


@dataclass
class RowPlan:
    sheet: str
    row_number: int
    reference: str = ""
    client: dict[str, Any] = field(default_factory=dict)
    # Each: the service's keyword arguments and ("sheet", row) it came from.
    cases: list[dict[str, Any]] = field(default_factory=list)
    documents: list[dict[str, Any]] = field(default_factory=list)
    consent: dict[str, Any] | None = None
    errors: list[dict[str, Any]] = field(default_factory=list)
    # Filled by the dry run: existing client ids, or ("row", n) of an earlier row.
    candidates: list = field(default_factory=list)

    def add_error(self, sheet: str, row: int, column: str, field_name: str, code: str, message):
        self.errors.append(
            {
                "sheet": sheet,
                "row": row,
                "column": column,
                "field": field_name,
                "code": code,
                "message": str(message),
            }
        )


def check_mapping(workbook: Workbook, mapping: Mapping) -> None:
    """InvalidInput naming the mapping's field when it cannot be used: an
    unknown sheet or column, a field mapped twice, no name column, a cases or
    documents sheet without the reference column."""
    sheets = {sheet.name: sheet for sheet in workbook.sheets}
    if mapping.sheet not in sheets:
        raise InvalidInput(_("This file has no such sheet."), code="unknown_sheet", field="sheet")
    for name, kind in (
        (mapping.case_sheet, "case_sheet"),
        (mapping.document_sheet, "document_sheet"),
    ):
        if name and name not in sheets:
            raise InvalidInput(_("This file has no such sheet."), code="unknown_sheet", field=kind)
        if name and name == mapping.sheet:
            raise InvalidInput(
                _("Choose a sheet other than the clients' sheet, or none."),
                code="invalid",
                field=kind,
            )
    for sheet_name, columns in mapping.columns.items():
        if sheet_name not in sheets:
            raise InvalidInput(
                _("This file has no such sheet."), code="unknown_sheet", field="mapping.columns"
            )
        headers = set(sheets[sheet_name].headers)
        seen: dict[str, str] = {}
        for header, field_name in columns.items():
            where = f"mapping.columns.{sheet_name}.{header}"
            if header not in headers:
                raise InvalidInput(
                    _("This sheet has no column with this header."),
                    code="unknown_column",
                    field=where,
                )
            if not field_name:
                continue
            if field_name not in FIELDS_BY_NAME:
                raise InvalidInput(_("Unknown field."), code="unknown_field", field=where)
            if field_name in seen:
                raise InvalidInput(
                    _("Two columns are mapped to the same field: keep one."),
                    code="mapped_twice",
                    field=where,
                )
            seen[field_name] = header
        if sheet_name == mapping.sheet and "name" not in seen:
            raise InvalidInput(
                _("Choose the column that holds the client's name."),
                code="name_column_required",
                field="mapping.columns",
            )
        if sheet_name in (mapping.case_sheet, mapping.document_sheet) and "reference" not in seen:
            raise InvalidInput(
                _(
                    "Choose the column of this sheet that holds the client reference, to "
                    "join its rows to the clients."
                ),
                code="reference_column_required",
                field="mapping.columns",
            )
    for name in (mapping.case_sheet, mapping.document_sheet):
        if name and not mapping.column_of(name, "reference"):
            raise InvalidInput(
                _(
                    "Choose the column of this sheet that holds the client reference, to "
                    "join its rows to the clients."
                ),
                code="reference_column_required",
                field="mapping.columns",
            )
    for field_name, chosen in mapping.values.items():
        spec = FIELDS_BY_NAME.get(field_name)
        if spec is None or spec.kind not in CHOICE_KINDS:
            raise InvalidInput(
                _("Unknown field."), code="unknown_field", field=f"mapping.values.{field_name}"
            )
        allowed = {code for code, _label in value_options(field_name)}
        for code in chosen.values():
            if code not in allowed:
                raise InvalidInput(
                    _("Choose one of the values Sanad knows for this field."),
                    code="invalid_choice",
                    field=f"mapping.values.{field_name}",
                )
    if (mapping.case_sheet or mapping.document_sheet) and not mapping.column_of(
        mapping.sheet, "reference"
    ):
        raise InvalidInput(
            _("Choose the column of the clients' sheet that holds the client reference."),
            code="reference_column_required",
            field="mapping.columns",
        )
    if mapping.sheet not in mapping.columns:
        raise InvalidInput(
            _("Choose the column that holds the client's name."),
            code="name_column_required",
            field="mapping.columns",
        )


class _Assignees:
    """The agency's caseworkers and supervisors by e-mail, loaded once."""

    def __init__(self, agency: Agency):
        self._by_email = {
            membership.user.email.casefold(): membership.user
            for membership in assignable_members(agency)
        }

    def get(self, email: str) -> User | None:
        return self._by_email.get(email.strip().casefold())


def _read(
    sheet: Sheet,
    row: int,
    values: tuple,
    mapping: Mapping,
    assignees: _Assignees,
    plan: RowPlan,
) -> dict[str, Any]:
    """{field: value} of one row's mapped, non-blank cells; errors into ``plan``."""
    read: dict[str, Any] = {}
    for index, header in enumerate(sheet.headers):
        field_name = mapping.columns_of(sheet.name).get(header)
        if not field_name or index >= len(values) or is_blank(values[index]):
            continue
        value = values[index]
        spec = FIELDS_BY_NAME[field_name]
        chosen = mapping.values.get(field_name, {})
        try:
            if spec.kind == "date":
                read[field_name], estimated = as_date(value, day_first=mapping.day_first)
                if field_name == "date_of_birth" and estimated:
                    read["date_of_birth_estimated"] = True
            elif spec.kind == "bool":
                read[field_name] = as_bool(value)
            elif spec.kind == "int":
                read[field_name] = as_int(value)
            elif spec.kind in ("choice", "country", "language"):
                read[field_name] = choice_value(field_name, value, chosen)
            elif spec.kind in ("countries", "languages"):
                read[field_name] = choice_list(field_name, value, chosen)
            elif spec.kind == "email":
                user = assignees.get(as_text(value))
                if user is None:
                    raise CellError(
                        "invalid_assignee",
                        _("No active caseworker or supervisor of the agency has this e-mail."),
                    )
                read[field_name] = user
            else:
                read[field_name] = as_text(value)
        except CellError as error:
            plan.add_error(sheet.name, row, header, field_name, error.code, error.message)
    return read


def _case_of(read: dict[str, Any]) -> dict[str, Any] | None:
    if not any(name in read for name in CASE_FIELDS):
        return None
    return {service: read[name] for name, service in CASE_FIELDS.items() if name in read}


def _document_of(read: dict[str, Any]) -> dict[str, Any] | None:
    if not any(name in read for name in DOCUMENT_FIELDS):
        return None
    return {service: read[name] for name, service in DOCUMENT_FIELDS.items() if name in read}


def _group_by_reference(
    workbook: Workbook, sheet_name: str, mapping: Mapping, assignees: _Assignees, kind: str
) -> dict[str, list]:
    """{reference: [(row, record, errors)]} of a cases or documents sheet
    (``unjoined_rows`` reports the rows whose reference names no client)."""
    grouped: dict[str, list] = {}
    if not sheet_name:
        return grouped
    sheet = workbook.sheet(sheet_name)
    for row, values in sheet.rows():
        scratch = RowPlan(sheet=sheet.name, row_number=row)
        read = _read(sheet, row, values, mapping, assignees, scratch)
        reference = read.get("reference", "")
        record = _case_of(read) if kind == CASE else _document_of(read)
        grouped.setdefault(reference, []).append((row, record or {}, scratch.errors))
    return grouped


def _columns_for(mapping: Mapping, sheet: str, prefix_fields: dict[str, str]) -> dict[str, str]:
    """{service field: column header} of one record kind on ``sheet``."""
    return {
        service: mapping.column_of(sheet, name)
        for name, service in prefix_fields.items()
        if mapping.column_of(sheet, name)
    }


def _validation_errors(error: ValidationError) -> dict[str, list[tuple[str, str]]]:
    """{field: [(code, message)]} of a ValidationError."""
    found: dict[str, list[tuple[str, str]]] = {}
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            for each in errors:
                for message in each.messages:
                    found.setdefault(name, []).append((each.code or "invalid", message))
    else:
        for each in error.error_list:
            for message in each.messages:
                found.setdefault("", []).append((each.code or "invalid", message))
    return found


def _consent_of(read: dict[str, Any], plan: RowPlan, mapping: Mapping, row: int) -> None:
    given = [name for name in CONSENT_FIELDS if name in read]
    if not given:
        return
    if len(given) < len(CONSENT_FIELDS):
        for name in CONSENT_FIELDS:
            if name not in read:
                plan.add_error(
                    plan.sheet,
                    row,
                    mapping.column_of(plan.sheet, name) or "",
                    name,
                    "consent_incomplete",
                    _(
                        "A consent is imported only with the date it was given, how it was "
                        "given and its purpose."
                    ),
                )
        return
    if read["consent_purpose"] not in IMPORTABLE_CONSENT_PURPOSES:
        plan.add_error(
            plan.sheet,
            row,
            mapping.column_of(plan.sheet, "consent_purpose"),
            "consent_purpose",
            "consent_purpose_not_importable",
            _(
                "A consent to referrals names the agencies it covers: record it on the "
                "client's page instead."
            ),
        )
        return
    if read["consent_given_on"] > timezone.localdate():
        plan.add_error(
            plan.sheet,
            row,
            mapping.column_of(plan.sheet, "consent_given_on"),
            "consent_given_on",
            "future",
            _("A consent cannot be given in the future."),
        )
        return
    plan.consent = {
        "given_on": read["consent_given_on"],
        "method": read["consent_method"],
        "purpose": read["consent_purpose"],
    }


def plan_rows(
    *, actor: User, agency: Agency, workbook: Workbook, mapping: Mapping
) -> Iterator[RowPlan]:
    """One validated ``RowPlan`` per row of the clients sheet, in file order."""
    assignees = _Assignees(agency)
    cases_by_reference = _group_by_reference(workbook, mapping.case_sheet, mapping, assignees, CASE)
    documents_by_reference = _group_by_reference(
        workbook, mapping.document_sheet, mapping, assignees, DOCUMENT
    )
    sheet = workbook.sheet(mapping.sheet)
    client_columns = {
        name: header
        for header, name in mapping.columns_of(sheet.name).items()
        if name and FIELDS_BY_NAME[name].target == CLIENT
    }
    today = timezone.localdate()
    for row, values in sheet.rows():
        plan = RowPlan(sheet=sheet.name, row_number=row)
        read = _read(sheet, row, values, mapping, assignees, plan)
        plan.reference = read.get("reference", "")
        plan.client = {
            name: value for name, value in read.items() if FIELDS_BY_NAME[name].target == CLIENT
        }
        # Where each record's fields came from: (sheet, row, {service field: column}).
        sources = []
        same_row_case = _case_of(read)
        if same_row_case is not None:
            plan.cases.append(same_row_case)
            sources.append((CASE, sheet.name, row, _columns_for(mapping, sheet.name, CASE_FIELDS)))
        same_row_document = _document_of(read)
        if same_row_document is not None:
            plan.documents.append(same_row_document)
        document_sources = []
        if same_row_document is not None:
            document_sources.append(
                (sheet.name, row, _columns_for(mapping, sheet.name, DOCUMENT_FIELDS))
            )
        if plan.reference:
            for case_row, record, errors in cases_by_reference.get(plan.reference, ()):
                plan.errors.extend(errors)
                if record:
                    plan.cases.append(record)
                    sources.append(
                        (
                            CASE,
                            mapping.case_sheet,
                            case_row,
                            _columns_for(mapping, mapping.case_sheet, CASE_FIELDS),
                        )
                    )
            for document_row, record, errors in documents_by_reference.get(plan.reference, ()):
                plan.errors.extend(errors)
                if record:
                    plan.documents.append(record)
                    document_sources.append(
                        (
                            mapping.document_sheet,
                            document_row,
                            _columns_for(mapping, mapping.document_sheet, DOCUMENT_FIELDS),
                        )
                    )
        _consent_of(read, plan, mapping, row)
        _validate(actor, agency, plan, client_columns, sources, document_sources, today)
        yield plan


def _validate(
    actor: User,
    agency: Agency,
    plan: RowPlan,
    client_columns: dict[str, str],
    case_sources: list,
    document_sources: list,
    today: datetime.date,
) -> None:
    """Run the registration's own validation over the row's records."""
    client = None
    try:
        client, _documents = validate_new_client(
            actor=actor,
            agency=agency,
            data=dict(plan.client),
            documents=list(plan.documents),
            trusted_links=True,
        )
    except ValidationError as error:
        for name, problems in _validation_errors(error).items():
            if name.startswith("documents."):
                _index, _dot, service_field = name.removeprefix("documents.").partition(".")
                sheet, row, columns = document_sources[int(_index)]
                column, field_name = columns.get(service_field, ""), _document_field(service_field)
            else:
                sheet, row = plan.sheet, plan.row_number
                column, field_name = client_columns.get(name, ""), name
            for code, message in problems:
                plan.add_error(sheet, row, column, field_name, code, message)
    except InvalidInput as error:
        plan.add_error(
            plan.sheet, plan.row_number, "", error.field or "", error.code, error.message
        )
    if client is None:
        return
    for record, (_kind, sheet, row, columns) in zip(plan.cases, case_sources, strict=True):
        if "case_type" not in record:
            plan.add_error(
                sheet,
                row,
                columns.get("case_type", ""),
                "case_type",
                "required",
                _("Give the case type to open a case."),
            )
            continue
        opened_on = record.get("opened_on")
        if opened_on and opened_on > today:
            plan.add_error(
                sheet,
                row,
                columns.get("opened_on", ""),
                "case_opened_on",
                "future",
                _("A case cannot be opened in the future."),
            )
        try:
            validate_new_case(
                actor=actor,
                client=client,
                case_type=record["case_type"],
                risk_level=record.get("risk_level", Case.Risk.LOW),
                summary=record.get("summary", ""),
                assigned_to=record.get("assigned_to"),
                trusted_links=True,
            )
        except ValidationError as error:
            for name, problems in _validation_errors(error).items():
                for code, message in problems:
                    plan.add_error(
                        sheet, row, columns.get(name, ""), _case_field(name), code, message
                    )


def _case_field(service_field: str) -> str:
    for name, service in CASE_FIELDS.items():
        if service == service_field:
            return name
    return service_field


def _document_field(service_field: str) -> str:
    for name, service in DOCUMENT_FIELDS.items():
        if service == service_field:
            return name
    return service_field


def unjoined_rows(workbook: Workbook, mapping: Mapping, references: set[str]) -> list[dict]:
    """Errors for the rows of the cases and documents sheets whose client
    reference names no row of the clients sheet (they would be lost)."""
    errors = []
    for sheet_name in (mapping.case_sheet, mapping.document_sheet):
        if not sheet_name:
            continue
        sheet = workbook.sheet(sheet_name)
        column = mapping.column_of(sheet_name, "reference")
        index = sheet.headers.index(column)
        for row, values in sheet.rows():
            reference = as_text(values[index]) if index < len(values) else ""
            if reference not in references:
                errors.append(
                    {
                        "sheet": sheet_name,
                        "row": row,
                        "column": column,
                        "field": "reference",
                        "code": "unknown_reference",
                        "message": str(
                            _("No row of the clients' sheet has this client reference.")
                        ),
                    }
                )
    return errors


__all__ = [
    "CONSENT",
    "REFERENCE",
    "Mapping",
    "RowPlan",
    "check_mapping",
    "plan_rows",
    "unjoined_rows",
]
