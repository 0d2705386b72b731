"""Spreadsheet import of clients and cases (issue 18).

``reading`` turns an .xlsx, .ods or .csv file into sheets of rows; ``fields``
says which of Sanad's fields a column can fill and how a cell becomes a
value; ``rows`` validates each row as registration does; ``running`` holds
the use cases: upload and dry run, duplicate decisions, the run, the undo;
``retention`` deletes the uploaded files once no longer needed.
"""

from casework.services.imports.mappings import (
    delete_mapping,
    get_mapping_for,
    mappings_visible_to,
    save_mapping,
)
from casework.services.imports.retention import (
    delete_expired_import_files,
    fail_stale_import_runs,
    forget_client_in_imports,
)
from casework.services.imports.running import (
    IMPORT_REASON,
    ImportBlocked,
    change_mapping,
    decide_duplicate,
    get_import_for,
    get_row_for,
    importing_agencies,
    imports_visible_to,
    row_report,
    run_import,
    start_import,
    undo_blockers,
    undo_import,
    upload_import,
    visible_candidates,
    workbook_of,
)

__all__ = [
    "IMPORT_REASON",
    "ImportBlocked",
    "change_mapping",
    "decide_duplicate",
    "delete_expired_import_files",
    "delete_mapping",
    "fail_stale_import_runs",
    "forget_client_in_imports",
    "get_import_for",
    "get_mapping_for",
    "get_row_for",
    "importing_agencies",
    "imports_visible_to",
    "mappings_visible_to",
    "row_report",
    "run_import",
    "save_mapping",
    "start_import",
    "undo_blockers",
    "undo_import",
    "upload_import",
    "visible_candidates",
    "workbook_of",
]
