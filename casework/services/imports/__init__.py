"""Spreadsheet import of clients and cases (issue 18).

``reading`` turns an .xlsx, .ods or .csv file into sheets of rows; ``fields``
says which of Sanad's fields a column can fill and how a cell becomes a
value; ``rows`` validates each row as registration does; ``running`` holds
the use cases: upload and dry run, duplicate decisions, the run, the undo.
"""

from casework.services.imports.running import (
    IMPORT_REASON,
    ImportBlocked,
    change_mapping,
    decide_duplicate,
    get_import_for,
    imports_visible_to,
    row_report,
    run_import,
    start_import,
    undo_blockers,
    undo_import,
    upload_import,
    workbook_of,
)

__all__ = [
    "IMPORT_REASON",
    "ImportBlocked",
    "change_mapping",
    "decide_duplicate",
    "get_import_for",
    "imports_visible_to",
    "row_report",
    "run_import",
    "start_import",
    "undo_blockers",
    "undo_import",
    "upload_import",
    "workbook_of",
]
