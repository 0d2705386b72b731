"""``GET /api/v1/referrals/{id}/letter.pdf``: the referral letter as a PDF."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers

from reports.documents.referral_letter import referral_letter_pdf
from reports.http import PDF, FileDownloadAPIView, file_response


class ReferralLetterQuerySerializer(serializers.Serializer):
    """Documents the query; ``referral_letter_pdf`` checks it (400 naming the field)."""

    client_language = serializers.BooleanField(
        required=False,
        help_text="1: add the client's language (from the packet) beside the receiving agency's.",
    )


class ReferralLetterPdfView(FileDownloadAPIView):
    """The referral letter: the file for ``Accept: application/pdf`` or any type;
    errors as problem details whatever was asked for."""

    @extend_schema(
        operation_id="referrals_letter_pdf",
        summary="Download the referral letter (PDF)",
        description="A letter for a sent referral: from and to (agency, person, service), "
        "purpose, urgency, respond-by date, the consent it rests on (for the sending side "
        "only: the receiving agency does not see it, as on the referral) or the supervisor's "
        "override, and exactly the packet's sections — nothing from the live case. In the "
        "receiving agency's language; `client_language=1` adds the client's language side "
        "by side. For whoever may read the packet (the sending side, the receiving agency "
        "while it holds the referral): 404 for anyone else, 409 `referral_not_sent` for a "
        "draft. Recorded in the access log as a download of the packet.",
        parameters=[ReferralLetterQuerySerializer],
        responses={
            (200, PDF): OpenApiResponse(OpenApiTypes.BINARY, description="The PDF."),
        },
    )
    def get(self, request, referral_id):
        content, filename = referral_letter_pdf(
            actor=request.user,
            referral_id=referral_id,
            client_language=request.query_params.get("client_language", ""),
        )
        return file_response(content, filename=filename, content_type=PDF)
