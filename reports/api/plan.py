"""``GET /api/v1/cases/{id}/plan.pdf``: the printable integration plan as a PDF."""

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers

from config.http.api import PROBLEM_CONTENT_TYPE
from config.http.schema import ProblemSerializer
from reports.documents.plan import plan_pdf
from reports.http import PDF, FileDownloadAPIView, file_response


class PlanPdfQuerySerializer(serializers.Serializer):
    """Documents the query; ``plan_pdf`` checks the value (400 naming the field)."""

    language = serializers.ChoiceField(
        choices=settings.LANGUAGES,
        required=False,
        help_text="The client's column in this language instead of theirs.",
    )


class PlanPdfView(FileDownloadAPIView):
    """The printable plan: the file for ``Accept: application/pdf`` or any
    type; errors as problem details whatever was asked for."""

    @extend_schema(
        operation_id="cases_plan_pdf",
        summary="Download the integration plan to sign (PDF)",
        description="The case's integration plan in the client's language (the plan's, "
        "else their first spoken language Sanad is translated into, or `language`) and the "
        "agency's side by side, right to left for Arabic and Persian: the client's name, the "
        "case number, the plan's version, the client's agreement, each goal as the agency "
        "wrote it beside the client's own words, its actions, and a place for the client's "
        "and the caseworker's signatures. Goals about health only for holders of "
        "VIEW_SENSITIVE on the case. Needs VIEW_PLAN on the case: 403 without it, 404 for a "
        "case you cannot see, 400 for a bad `language`, 409 `no_plan` when the case has no "
        "plan yet. Recorded in the access log as a download.",
        parameters=[PlanPdfQuerySerializer],
        responses={
            (200, PDF): OpenApiResponse(OpenApiTypes.BINARY, description="The PDF."),
            (409, PROBLEM_CONTENT_TYPE): OpenApiResponse(
                ProblemSerializer, description="`no_plan`: the case has no plan yet."
            ),
        },
    )
    def get(self, request, case_id):
        content, filename = plan_pdf(
            actor=request.user,
            case_id=case_id,
            language=request.query_params.get("language") or None,
        )
        return file_response(content, filename=filename, content_type=PDF)
