"""What the mapping page shows of a stored file: each sheet in use with its
columns and their fields, the first rows as they will be read, and the texts
of choice columns with the code each will become (the user's choice, else
the guess), so that the user can correct any of it.

Reading only: the page's form sends back a mapping that ``change_mapping``
checks like any other.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from casework.models import ClientImport
from casework.services.imports.fields import (
    CHOICE_KINDS,
    FIELDS,
    FIELDS_BY_NAME,
    CellError,
    as_date,
    as_text,
    chosen_code,
    guess_columns,
    guess_value,
    is_blank,
    texts_of,
)
from casework.services.imports.reading import Workbook
from casework.services.imports.running import mapping_of, workbook_of

PREVIEW_ROWS = 5
# Distinct texts shown per choice field (the unknown ones first).
MAX_TEXTS = 100


@dataclass
class Column:
    index: int
    header: str
    field: str  # "" when left out
    # The first rows' cells, as they will be read.
    cells: list[str] = field(default_factory=list)


@dataclass
class SheetView:
    name: str
    role: str  # "clients", "cases" or "documents"
    columns: list[Column]
    # The numbers of the first rows, shown in each column's ``cells``.
    row_numbers: list[int] = field(default_factory=list)


@dataclass
class ValueText:
    field: str
    text: str
    code: str  # what it is read as now ("" when not known)
    guessed: str  # the guess alone


@dataclass
class MappingView:
    sheets: list[SheetView]
    values: dict[str, list[ValueText]]  # by field, in FIELDS order
    more_values: dict[str, int]  # texts left out per field
    day_first: bool


def field_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """The fields a column can fill, grouped by where they go."""
    groups = {
        "reference": _("Joining the sheets"),
        "client": _("Client"),
        "case": _("Case"),
        "document": _("Identity document"),
        "consent": _("Consent on paper"),
    }
    grouped: dict[str, list[tuple[str, str]]] = {key: [] for key in groups}
    for each in FIELDS:
        grouped[each.target].append((each.name, str(each.label)))
    return [(str(groups[key]), choices) for key, choices in grouped.items() if choices]


def _roles(client_import: ClientImport) -> list[tuple[str, str]]:
    roles = [(client_import.sheet, "clients")]
    if client_import.case_sheet:
        roles.append((client_import.case_sheet, "cases"))
    if client_import.document_sheet:
        roles.append((client_import.document_sheet, "documents"))
    return roles


def _shown(value, kind: str, day_first: bool) -> str:
    if is_blank(value):
        return ""
    if kind == "date":
        try:
            return as_date(value, day_first=day_first)[0].isoformat()
        except CellError:
            return as_text(value)
    try:
        return as_text(value)
    except CellError:
        return ""


def columns_with_guesses(client_import: ClientImport, sheets) -> dict[str, dict[str, str]]:
    """The import's columns, with a guess for each of ``sheets`` not yet mapped."""
    columns = dict((client_import.mapping or {}).get("columns", {}))
    for each in client_import.sheets:
        if each["name"] in sheets and each["name"] not in columns:
            columns[each["name"]] = guess_columns(each["headers"])
    return columns


def mapping_view(client_import: ClientImport, *, workbook: Workbook | None = None) -> MappingView:
    """The mapping page's content for ``client_import``."""
    workbook = workbook or workbook_of(client_import)
    mapping = mapping_of(client_import)
    roles = _roles(client_import)
    names = {each.name for each in workbook.sheets}
    sheets: list[SheetView] = []
    counted: dict[str, dict[str, ValueText]] = {}
    extra: dict[str, int] = {}
    for name, role in roles:
        if name not in names:
            continue
        source = workbook.sheet(name)
        stored = mapping.columns.get(name)
        columns_of = stored if stored is not None else guess_columns(source.headers)
        columns = [
            Column(index, header, columns_of.get(header, "") if header else "")
            for index, header in enumerate(source.headers)
        ]
        view = SheetView(name=name, role=role, columns=columns)
        for number, values in source.rows():
            if len(view.row_numbers) < PREVIEW_ROWS:
                view.row_numbers.append(number)
                for column in columns:
                    kind = FIELDS_BY_NAME[column.field].kind if column.field else "text"
                    column.cells.append(_shown(values[column.index], kind, mapping.day_first))
            for column in columns:
                if not column.field or FIELDS_BY_NAME[column.field].kind not in CHOICE_KINDS:
                    continue
                value = values[column.index]
                if is_blank(value):
                    continue
                chosen = mapping.values.get(column.field, {})
                try:
                    texts = texts_of(column.field, value, chosen)
                except CellError:
                    continue
                seen = counted.setdefault(column.field, {})
                for text in texts:
                    if text in seen:
                        continue
                    if len(seen) >= MAX_TEXTS * 5:
                        extra[column.field] = extra.get(column.field, 0) + 1
                        continue
                    guessed = guess_value(column.field, text)
                    code = chosen_code(text, chosen) or guessed
                    seen[text] = ValueText(column.field, text, code, guessed)
        sheets.append(view)
    values: dict[str, list[ValueText]] = {}
    more: dict[str, int] = {}
    for each in FIELDS:
        found = list(counted.get(each.name, {}).values())
        if not found:
            continue
        # The unknown first, then the rest in the file's order.
        found.sort(key=lambda item: bool(item.code))
        values[each.name] = found[:MAX_TEXTS]
        left = len(found) - MAX_TEXTS + extra.get(each.name, 0)
        if left > 0:
            more[each.name] = left
    return MappingView(sheets=sheets, values=values, more_values=more, day_first=mapping.day_first)
