"""``GET /api/v1/clients/{id}/consent-form.pdf``: the consent form to sign as a PDF."""

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers

from reports.documents.consent_form import consent_forms_pdf
from reports.http import PDF, FileDownloadAPIView, file_response


class ConsentFormQuerySerializer(serializers.Serializer):
    """Documents the query; ``consent_forms_pdf`` checks both values (400 naming the field)."""

    consent = serializers.UUIDField(
        required=False, help_text="A recorded consent of this client to pre-fill the form from."
    )
    language = serializers.ChoiceField(
        choices=settings.LANGUAGES,
        required=False,
        help_text="The client's column in this language instead of theirs.",
    )


class ConsentFormPdfView(FileDownloadAPIView):
    """The consent form: the file for ``Accept: application/pdf`` or any type;
    errors as problem details whatever was asked for."""

    @extend_schema(
        operation_id="clients_consent_form_pdf",
        summary="Download the consent form to sign (PDF)",
        description="The printable consent form in the client's language (their first "
        "spoken language Sanad is translated into, or `language`) and the agency's side by "
        "side, aligned block by block, right to left for Arabic. With `consent`, pre-filled "
        "from that recorded consent of the client (a copy for the client to sign). Needs "
        "RECORD_CONSENT on the client: 403 without it, 404 for a client you cannot see or a "
        "consent of another client, 400 for a bad `language` or `consent`. Recorded in the "
        "access log as a download.",
        parameters=[ConsentFormQuerySerializer],
        responses={
            (200, PDF): OpenApiResponse(OpenApiTypes.BINARY, description="The PDF."),
        },
    )
    def get(self, request, client_id):
        content, filename = consent_forms_pdf(
            actor=request.user,
            client_ids=[client_id],
            language=request.query_params.get("language") or None,
            consent_id=request.query_params.get("consent") or None,
        )
        return file_response(content, filename=filename, content_type=PDF)
