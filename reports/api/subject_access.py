"""``GET /api/v1/clients/{id}/subject-access-report.pdf``: the subject-access
report as a PDF (the JSON export's content, readable by the person)."""

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers

from reports.documents.subject_access import subject_access_pdf
from reports.http import PDF, FileDownloadAPIView, file_response


class SubjectAccessReportQuerySerializer(serializers.Serializer):
    """Documents the query; ``subject_access_pdf`` checks it (400 naming the field)."""

    language = serializers.ChoiceField(
        choices=settings.LANGUAGES,
        required=False,
        help_text="The report's language instead of the client's first language.",
    )


class SubjectAccessReportPdfView(FileDownloadAPIView):
    """The report: the file for ``Accept: application/pdf`` or any type; errors
    as problem details whatever was asked for."""

    @extend_schema(
        operation_id="clients_subject_access_report_pdf",
        summary="Download the subject-access report of a client (PDF)",
        description="The same content as the subject-access export (JSON), as a document the "
        "person can read: who we are, their details, cases, notes, follow-ups, consents given "
        "and withdrawn, documents held (description only), to whom their data was disclosed "
        "(recipient, date, data categories, lawful basis), who accessed the record, and the "
        "history of changes; in the client's first language Sanad speaks (or `language`), right "
        "to left for Arabic. Needs EXPORT_SUBJECT_ACCESS in the client's agency (the DPO, "
        "supervisors): 403 for other members of the agency, 404 for anyone else, 400 for a bad "
        "`language`. Recorded in the access log as an export.",
        parameters=[SubjectAccessReportQuerySerializer],
        responses={(200, PDF): OpenApiResponse(OpenApiTypes.BINARY, description="The PDF.")},
    )
    def get(self, request, client_id):
        content, filename = subject_access_pdf(
            actor=request.user,
            client_id=client_id,
            language=request.query_params.get("language", ""),
        )
        return file_response(content, filename=filename, content_type=PDF)
