"""Tables as CSV and XLSX files, safe to open in a spreadsheet.

A cell that begins with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage
return, which some spreadsheets skip before reading a formula) is written
with a leading apostrophe: a client's name typed as ``=HYPERLINK(...)``
stays text in Excel and LibreOffice instead of running as a formula (CWE-1236,
OWASP "CSV injection"). Numbers and dates stay numbers and dates.
"""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.utils import timezone

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """``value`` as a spreadsheet should read it: text that could start a
    formula gets a leading apostrophe; everything else is unchanged."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def _cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple | set | frozenset):
        return neutralise("; ".join(str(item) for item in value))
    if isinstance(value, int | float | datetime.date | datetime.datetime):
        return value
    return neutralise(str(value))


@dataclass(frozen=True)
class Sheet:
    """One table: a title (the sheet's name in XLSX), headers, rows."""

    title: str
    headers: Sequence[str]
    rows: Iterable[Sequence[object]]


def to_csv(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """UTF-8 CSV with a byte-order mark (Excel then reads Arabic correctly)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([_cell(header) for header in headers])
    for row in rows:
        writer.writerow(
            [
                value.isoformat() if isinstance(value, datetime.date) else value
                for value in (_cell(item) for item in row)
            ]
        )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _naive(value: datetime.datetime) -> datetime.datetime:
    # XLSX has no time zones: the reader's local time, as on the page.
    return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value


def to_xlsx(sheets: Sequence[Sheet]) -> bytes:
    """An XLSX workbook, one worksheet per ``Sheet``, written in constant memory."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    for sheet in sheets:
        # Sheet titles: at most 31 characters, none of []:*?/\ .
        title = "".join(ch for ch in sheet.title if ch not in "[]:*?/\\")[:31] or "Sheet"
        worksheet = workbook.create_sheet(title=title)
        worksheet.append([_cell(header) for header in sheet.headers])
        for row in sheet.rows:
            worksheet.append(
                [
                    _naive(value) if isinstance(value, datetime.datetime) else value
                    for value in (_cell(item) for item in row)
                ]
            )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
