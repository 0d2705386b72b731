"""``GET /api/v1/imports/{id}/report.csv``: a spreadsheet import's row report."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.renderers import JSONRenderer

from accounts.access import Action, record_access
from casework.services.imports import get_import_for, row_report
from reports import http
from reports.tabular import to_csv

REPORT_COLUMNS = ("sheet", "row", "outcome", "decision", "result", "column", "code", "message")


class ImportReportCsvView(http.FileDownloadAPIView):
    renderer_classes = [JSONRenderer, http.CsvRenderer]

    @extend_schema(
        operation_id="imports_report_csv",
        summary="Download an import's row report (CSV)",
        description="A line per error (a line per row without one): sheet, row, outcome of "
        "the dry run, decision, result of the run, column, code, message. No cell's value. "
        "Needs IMPORT_CLIENTS in the import's agency (404 otherwise). Recorded in the access "
        "log as an export.",
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY, description="The CSV."),
        },
    )
    def get(self, request, import_id):
        client_import = get_import_for(request.user, import_id)
        content = to_csv(
            REPORT_COLUMNS,
            ([line.get(name, "") for name in REPORT_COLUMNS] for line in row_report(client_import)),
        )
        record_access(request.user, Action.EXPORT, client_import)
        return http.file_response(
            content,
            filename=f"import-{str(client_import.pk)[:8]}-report.csv",
            content_type=http.CSV,
        )
