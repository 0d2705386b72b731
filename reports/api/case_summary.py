"""``GET /api/v1/cases/{id}/summary.pdf``: the case summary as a PDF."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema

from reports.documents.case_summary import case_summary_pdf
from reports.http import PDF, FileDownloadAPIView, file_response


class CaseSummaryPdfView(FileDownloadAPIView):
    """The case summary: the file for ``Accept: application/pdf`` or any type;
    errors as problem details whatever was asked for."""

    @extend_schema(
        operation_id="cases_summary_pdf",
        summary="Download the case summary (PDF)",
        description="The client as far as you may see them, the case's facts, open "
        "follow-ups, the last 10 notes you may read, consents and referrals, in your "
        "language. Recorded in the access log as a download. 404 for a case you cannot see.",
        responses={(200, PDF): OpenApiResponse(OpenApiTypes.BINARY, description="The PDF.")},
    )
    def get(self, request, case_id):
        content, filename = case_summary_pdf(actor=request.user, case_id=case_id)
        return file_response(content, filename=filename, content_type=PDF)
