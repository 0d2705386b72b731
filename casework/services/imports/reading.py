"""An uploaded spreadsheet (.xlsx, .ods or .csv) as sheets of rows.

Values only: a formula cell gives the value its program saved with it (None
when it saved none); nothing is ever calculated, and a cell whose text
begins with "=" is text. The file must have passed
``file_checks.check_spreadsheet`` (which unpacks it within bounds and
refuses macros); what is read here is bounded on top of that:

- XLSX is streamed a row at a time (openpyxl's read-only mode), never whole;
- an ODS is read whole by calamine, which lays each sheet out as a grid from
  A1 to its last filled cell: a small file can repeat a cell a million times
  or put one far away, so the grid of every sheet is measured in the XML
  first and refused past ``MAX_CELLS`` (``spreadsheet_too_large``);
- no sheet is read past row ``MAX_ROW_NUMBER``, the last row of Excel and
  LibreOffice, or wider than ``MAX_COLUMNS`` headers (``too_many_columns``).

A cell of only spaces is empty (None), like a cell with nothing in it; other
text is kept as written. Every refusal is an ``InvalidInput`` at ``file``.
"""

import csv
import datetime
import io
import os
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import NoReturn
from xml.parsers import expat

import openpyxl
import python_calamine
from django.utils.translation import gettext as _

from casework.services.file_checks import decode_text
from config.errors import InvalidInput

Value = str | int | float | bool | datetime.date | datetime.datetime | None

# The last row of Excel and LibreOffice; an XLSX row numbered past it is padded to by empty rows.
MAX_ROW_NUMBER = 1_048_576
MAX_COLUMNS = 1000
# An ODS's grids (A1 to the last filled cell of each sheet), all together: calamine holds
# every cell of them at once. About 250 MB when full; 50,000 rows of 50 columns fill it.
MAX_CELLS = 2_500_000
# The sniffer's time grows with the square of its sample: 64 KB of '",' took 19 s, 8 KB 0.3 s.
_CSV_SAMPLE_CHARS = 8 * 1024

RawRows = Iterator[tuple[int, tuple[Value, ...]]]


@dataclass(frozen=True)
class Sheet:
    name: str
    # The spreadsheet row number (from 1) of the header row: the first row with a value.
    header_row: int
    # The header row's cells as stripped text ("" for an empty cell), without trailing empties.
    headers: tuple[str, ...]
    # (row number, values cut to ``width``) of each row that is not wholly empty.
    _read: Callable[[int], RawRows] = field(repr=False, compare=False)

    def rows(self) -> Iterator[tuple[int, tuple[Value, ...]]]:
        """(spreadsheet row number, values under the headers, None where empty)
        of each row after the header row, wholly empty rows left out. Reads the
        file again at each call."""
        width = len(self.headers)
        for number, values in self._read(width):
            if number <= self.header_row:
                continue
            if any(value is not None for value in values):
                yield number, values + (None,) * (width - len(values))


@dataclass(frozen=True)
class Workbook:
    format: str
    # In the file's order; sheets without a value are left out.
    sheets: tuple[Sheet, ...]

    def sheet(self, name: str) -> Sheet:
        """The sheet named ``name``; KeyError when there is none."""
        for each in self.sheets:
            if each.name == name:
                return each
        raise KeyError(name)


def read_workbook(data: bytes, fmt: str, *, name: str = "") -> Workbook:
    """The sheets of the spreadsheet ``data`` in format ``fmt`` ("xlsx",
    "ods" or "csv", as ``check_spreadsheet`` found it); a CSV's one sheet is
    named after the file's ``name``. Each refusal is an ``InvalidInput`` at
    ``file``: ``damaged_file`` when it cannot be read, ``encoding``,
    ``spreadsheet_too_large``, ``too_many_columns``."""
    if fmt == "xlsx":
        found = _xlsx_sheets(data)
    elif fmt == "ods":
        found = _ods_sheets(data)
    elif fmt == "csv":
        read = _csv_reader(decode_text(data))
        found = [(_csv_sheet_name(name), _header(read(MAX_COLUMNS + 1)), read)]
    else:
        raise ValueError(f"Unknown spreadsheet format: {fmt!r}")
    sheets = []
    for sheet_name, header, read in found:
        if header is not None:
            header_row, headers = header
            sheets.append(
                Sheet(name=sheet_name, header_row=header_row, headers=headers, _read=read)
            )
    return Workbook(format=fmt, sheets=tuple(sheets))


def _header(rows: RawRows) -> tuple[int, tuple[str, ...]] | None:
    """(row number, headers) of the first row with a value in ``rows``, or None."""
    try:
        for number, values in rows:
            headers = [str(value).strip() if value is not None else "" for value in values]
            while headers and not headers[-1]:
                headers.pop()
            if not headers:
                continue
            if len(headers) > MAX_COLUMNS:
                _refuse(
                    _(
                        "The header row (row %(row)s) has more than %(limit)s columns. Remove "
                        "the columns that are not to be imported and upload the file again."
                    )
                    % {"row": number, "limit": MAX_COLUMNS},
                    "too_many_columns",
                )
            return number, tuple(headers)
        return None
    finally:
        rows.close()


def _cell(value: object) -> Value:
    if value is None or isinstance(value, bool | int | float | datetime.date):
        return value
    if isinstance(value, str):
        return value if value.strip() else None
    if isinstance(value, datetime.time):
        return value.isoformat()
    return str(value)


def _values(cells, width: int) -> tuple[Value, ...] | None:
    """The first ``width`` cells as values, or None when they are all empty."""
    values = tuple(_cell(value) for value in cells[:width])
    return values if any(value is not None for value in values) else None


def _refuse(message, code: str) -> NoReturn:
    raise InvalidInput(message, code=code, field="file")


def _refuse_damaged() -> NoReturn:
    _refuse(
        _("This spreadsheet cannot be read: it is damaged or not a spreadsheet."), "damaged_file"
    )


def _refuse_too_many_rows() -> NoReturn:
    _refuse(
        _(
            "A sheet of this spreadsheet goes on past row %(limit)s, further than spreadsheet "
            "programs go. Save it again from your spreadsheet program and upload it."
        )
        % {"limit": f"{MAX_ROW_NUMBER:,}"},
        "spreadsheet_too_large",
    )


# --- XLSX --------------------------------------------------------------------------------


def _open_xlsx(data: bytes):
    try:
        return openpyxl.load_workbook(
            io.BytesIO(data), read_only=True, data_only=True, keep_links=False
        )
    except Exception:  # openpyxl raises whatever its parsers meet in a damaged file.
        _refuse_damaged()


def _xlsx_sheets(data: bytes):
    """(title, header, reader) of each worksheet, the headers found with the
    workbook opened once (opening reads all of its shared strings)."""
    workbook = _open_xlsx(data)
    try:
        return [
            (
                worksheet.title,
                _header(_xlsx_rows(worksheet, MAX_COLUMNS + 1)),
                _xlsx_reader(data, worksheet.title),
            )
            for worksheet in workbook.worksheets
        ]
    finally:
        workbook.close()


def _xlsx_rows(worksheet, width: int) -> RawRows:
    try:
        # The size a file states can be wrong (rows past it would be lost): rows are read
        # to the end instead, each cut to ``width`` cells.
        worksheet.reset_dimensions()
        rows = worksheet.iter_rows(max_col=width, values_only=True)
        for number, cells in enumerate(rows, 1):
            if number > MAX_ROW_NUMBER:
                _refuse_too_many_rows()
            # Rows missing from the file come as one tuple of Nones: skipped fast.
            if cells.count(None) == len(cells):
                continue
            values = _values(cells, width)
            if values is not None:
                yield number, values
    except InvalidInput:
        raise
    except Exception:  # openpyxl raises whatever its parsers meet in a damaged file.
        _refuse_damaged()


def _xlsx_reader(data: bytes, title: str) -> Callable[[int], RawRows]:
    def read(width: int) -> RawRows:
        workbook = _open_xlsx(data)
        try:
            yield from _xlsx_rows(workbook[title], width)
        finally:
            # A read-only workbook holds the file open until it is closed.
            workbook.close()

    return read


# --- ODS ---------------------------------------------------------------------------------


def _ods_sheets(data: bytes):
    """(name, header, reader) of each sheet, the headers found with the file
    opened once (calamine reads every sheet when it opens a file)."""
    _check_ods_size(data)
    try:
        with python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data)) as workbook:
            return [
                (
                    sheet_name,
                    _header(_ods_rows(workbook, sheet_name, MAX_COLUMNS + 1)),
                    _ods_reader(data, sheet_name),
                )
                for sheet_name in workbook.sheet_names
            ]
    except InvalidInput:
        raise
    except Exception:  # calamine's errors, and its parser's on a damaged file.
        _refuse_damaged()


def _ods_rows(workbook, sheet_name: str, width: int) -> RawRows:
    try:
        # From A1, so that the row numbers are the spreadsheet's; an empty cell is "".
        cells = workbook.get_sheet_by_name(sheet_name).to_python(skip_empty_area=False)
    except Exception:  # calamine's errors, and its parser's on a damaged file.
        _refuse_damaged()
    for number, row in enumerate(cells, 1):
        values = _values(row, width)
        if values is not None:
            yield number, values


def _ods_reader(data: bytes, sheet_name: str) -> Callable[[int], RawRows]:
    def read(width: int) -> RawRows:
        try:
            workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        except Exception:  # calamine's errors, and its parser's on a damaged file.
            _refuse_damaged()
        with workbook:
            yield from _ods_rows(workbook, sheet_name, width)

    return read


_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0 "
_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0 "
_CELLS = (_TABLE + "table-cell", _TABLE + "covered-table-cell")


class _OdsGrid:
    """Measures each sheet's grid in an ODS's content.xml (as calamine will
    lay it out: A1 to the last filled row and column), counting repeated rows
    and cells; a cell is filled when it has a value type or any content."""

    def __init__(self):
        self.cells = 0
        self.in_table = False
        self.row = self.column = 0
        self.rows_repeated = self.columns_repeated = 1
        self.last_row = self.last_column = self.row_last_column = -1
        self.cell_depth = 0
        self.cell_filled = False

    def start(self, name: str, attributes: dict[str, str]) -> None:
        if self.cell_depth:
            self.cell_depth += 1
            self.cell_filled = True
        elif name == _TABLE + "table" and not self.in_table:
            self.in_table = True
            self.row, self.last_row, self.last_column = 0, -1, -1
        elif name == _TABLE + "table-row" and self.in_table:
            self.rows_repeated = _repeat(attributes.get(_TABLE + "number-rows-repeated"))
            self.column, self.row_last_column = 0, -1
        elif name in _CELLS and self.in_table:
            self.columns_repeated = _repeat(attributes.get(_TABLE + "number-columns-repeated"))
            self.cell_filled = _OFFICE + "value-type" in attributes
            self.cell_depth = 1

    def text(self, data: str) -> None:
        if self.cell_depth and data.strip():
            self.cell_filled = True

    def end(self, name: str) -> None:
        if self.cell_depth:
            self.cell_depth -= 1
            if not self.cell_depth:
                if self.cell_filled:
                    self.row_last_column = self.column + self.columns_repeated - 1
                self.column += self.columns_repeated
        elif name == _TABLE + "table-row" and self.in_table:
            if self.row_last_column >= 0:
                self.last_row = self.row + self.rows_repeated - 1
                self.last_column = max(self.last_column, self.row_last_column)
            self.row += self.rows_repeated
        elif name == _TABLE + "table" and self.in_table:
            self.in_table = False
            if self.last_row >= 0:
                self.cells += (self.last_row + 1) * (self.last_column + 1)
            if self.cells > MAX_CELLS:
                _refuse(
                    _(
                        "This spreadsheet's sheets span more than %(limit)s cells (counting the "
                        "empty ones up to the last filled row and column). Delete the rows and "
                        "columns that are not to be imported, or split the file, and upload "
                        "it again."
                    )
                    % {"limit": f"{MAX_CELLS:,}"},
                    "spreadsheet_too_large",
                )


def _repeat(text: str | None) -> int:
    count = int(text or 1)
    if count < 1:
        raise ValueError(count)
    return count


def _refuse_declaration(*args) -> NoReturn:
    raise ValueError("An ODS's content has no document type declaration.")


def _check_ods_size(data: bytes) -> None:
    """Refuse an ODS whose grids would hold more than ``MAX_CELLS`` cells,
    measured by streaming its content.xml (already unpacked within bounds)."""
    grid = _OdsGrid()
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.StartElementHandler = grid.start
    parser.EndElementHandler = grid.end
    parser.CharacterDataHandler = grid.text
    # Entities are how XML is made to expand; an ODS declares none.
    parser.StartDoctypeDeclHandler = _refuse_declaration
    parser.EntityDeclHandler = _refuse_declaration
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive, archive.open("content.xml") as content:
            while chunk := content.read(64 * 1024):
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, EOFError, expat.ExpatError):
        _refuse_damaged()


# --- CSV ---------------------------------------------------------------------------------


def _csv_sheet_name(name: str) -> str:
    stem = os.path.splitext(os.path.basename((name or "").replace("\\", "/")))[0]
    return stem.strip() or "CSV"


def _csv_delimiter(text: str) -> str:
    sample = text[:_CSV_SAMPLE_CHARS]
    if len(text) > len(sample) and "\n" in sample:
        sample = sample[: sample.rindex("\n")]
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        first_line = sample.split("\n", 1)[0]
        return "\t" if "\t" in first_line and "," not in first_line else ","


def _csv_reader(text: str) -> Callable[[int], RawRows]:
    delimiter = _csv_delimiter(text)

    def read(width: int) -> RawRows:
        # newline="" leaves line ends to the reader, so a quoted cell may hold several lines.
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        number = 0
        try:
            for number, cells in enumerate(reader, 1):
                values = _values(cells, width)
                if values is not None:
                    yield number, values
        except csv.Error:
            _refuse(
                _(
                    "This CSV file cannot be read after row %(row)s (a quote left open, or a "
                    "cell too long). Correct it and upload it again."
                )
                % {"row": number},
                "damaged_file",
            )

    return read
