"""A referral's packet (what the partner reads) and its conversation."""

import logging

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from casework.api.clients import COUNTRY_CODES
from casework.models import (
    CaseNote,
    ClientSensitive,
    DataCategory,
    Document,
    IdentityDocument,
    LegalStatus,
    PlanAction,
    PlanDomain,
    Sex,
)
from config.http.pagination import KeysetCursorPagination
from config.http.serializers import AgencyRefSerializer, InputSerializer, UserRefSerializer
from referrals import selectors, services
from referrals.api.common import PROBLEM_409
from referrals.models import ReferralMessage, ReferralPacket

logger = logging.getLogger(__name__)


# --- The packet: one serializer per section of casework.sections.SECTION_FIELDS --------


class PacketIdentityDocumentSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=IdentityDocument.Type.choices)
    number = serializers.CharField()
    issuing_country = serializers.ChoiceField(choices=COUNTRY_CODES, allow_blank=True)
    expires_on = serializers.DateField(allow_null=True)


class PacketIdentitySerializer(serializers.Serializer):
    name = serializers.CharField(help_text="In the person's own script.")
    name_latin = serializers.CharField()
    preferred_name = serializers.CharField()
    date_of_birth = serializers.DateField(allow_null=True)
    date_of_birth_estimated = serializers.BooleanField()
    sex = serializers.ChoiceField(choices=Sex.choices)
    gender_identity = serializers.CharField()
    nationalities = serializers.ListField(child=serializers.ChoiceField(choices=COUNTRY_CODES))
    languages = serializers.ListField(child=serializers.CharField())
    interpreter_needed = serializers.BooleanField()
    interpreter_language = serializers.CharField()
    identity_documents = PacketIdentityDocumentSerializer(many=True)


class PacketContactSerializer(serializers.Serializer):
    phone = serializers.CharField()
    email = serializers.CharField()
    address = serializers.CharField()
    city = serializers.CharField()


class PacketLegalStatusSerializer(serializers.Serializer):
    legal_status = serializers.ChoiceField(choices=LegalStatus.choices)
    legal_status_note = serializers.CharField()


class PacketHealthSerializer(serializers.Serializer):
    health = serializers.CharField()
    disability = serializers.CharField()
    protection_concerns = serializers.CharField()
    ethnicity = serializers.CharField()
    religion = serializers.CharField()
    sexual_orientation = serializers.CharField()
    vulnerabilities = serializers.ListField(
        child=serializers.ChoiceField(choices=ClientSensitive.Vulnerability.choices)
    )


class PacketFamilySerializer(serializers.Serializer):
    family_situation = serializers.CharField()
    dependants = serializers.IntegerField(allow_null=True)


class PacketEducationEmploymentSerializer(serializers.Serializer):
    education = serializers.CharField()
    employment = serializers.CharField()


class PacketNoteSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=CaseNote.Kind.choices)
    body = serializers.CharField()
    created_at = serializers.DateTimeField()


class PacketCaseNotesSerializer(serializers.Serializer):
    notes = PacketNoteSerializer(many=True, help_text="Confidential notes are never shared.")


class PacketDocumentSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    category = serializers.ChoiceField(choices=Document.Category.choices)
    description = serializers.CharField()
    filename = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()
    uploaded_at = serializers.DateTimeField()


class PacketDocumentsSerializer(serializers.Serializer):
    documents = PacketDocumentSerializer(
        many=True, help_text="Medical documents only when health is shared too."
    )


class PacketPlanActionSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    goal_domain = serializers.ChoiceField(choices=PlanDomain.choices)
    description = serializers.CharField()
    due_on = serializers.DateField(allow_null=True)
    status = serializers.ChoiceField(
        choices=PlanAction.Status.choices, help_text="When the packet was sent."
    )


class PacketIntegrationPlanSerializer(serializers.Serializer):
    actions = PacketPlanActionSerializer(
        many=True,
        help_text="Only the actions of the client's integration plan this referral carries "
        "out; a goal about health only when health is shared too.",
    )


class PacketDataSerializer(serializers.Serializer):
    """Exactly the shared sections: a section not shared is absent."""

    identity = PacketIdentitySerializer(required=False)
    contact = PacketContactSerializer(required=False)
    legal_status = PacketLegalStatusSerializer(required=False)
    health = PacketHealthSerializer(required=False)
    family = PacketFamilySerializer(required=False)
    education_employment = PacketEducationEmploymentSerializer(required=False)
    case_notes = PacketCaseNotesSerializer(required=False)
    documents = PacketDocumentsSerializer(required=False)
    integration_plan = PacketIntegrationPlanSerializer(required=False)


class PacketOutSerializer(serializers.Serializer):
    referral = serializers.UUIDField()
    reference = serializers.CharField()
    data_categories = serializers.ListField(
        child=serializers.ChoiceField(choices=DataCategory.choices)
    )
    created_at = serializers.DateTimeField(help_text="When it was frozen (the send time).")
    sha256 = serializers.CharField(
        help_text="SHA-256 of `data` as canonical JSON (sorted keys, no spaces, UTF-8)."
    )
    data = PacketDataSerializer()
    withheld = serializers.ListField(
        child=serializers.ChoiceField(choices=DataCategory.choices),
        help_text="Sections left out for this reader (special-category data a colleague of "
        "the sender may not see on the case); `sha256` then covers the whole packet.",
    )

    def to_representation(self, packet: ReferralPacket) -> dict:
        # ``data`` goes out exactly as it was frozen, so that ``sha256`` can be
        # checked against it: no field of it is reformatted on the way.
        return {
            "referral": str(packet.referral_id),
            "reference": packet.referral.reference,
            "data_categories": list(packet.data_categories),
            "created_at": serializers.DateTimeField().to_representation(packet.created_at),
            "sha256": packet.sha256,
            "data": packet.data,
            "withheld": list(getattr(packet, "withheld", ())),
        }


class ReferralPacketView(APIView):
    @extend_schema(
        operation_id="referrals_packet",
        summary="The referral's packet",
        responses={200: PacketOutSerializer},
        description="Exactly the sections of the client's file the referral shares, frozen "
        "when it was sent: later changes to the client do not reach it. For the sender, the "
        "receiving agency's referral officers and supervisors while it holds the referral, "
        "and the caseworker of the case opened from it; 404 for everyone else and for a draft.",
    )
    def get(self, request, referral_id):
        packet = selectors.get_packet_for(request.user, referral_id)
        return Response(PacketOutSerializer(packet).data)


# --- Messages --------------------------------------------------------------------------


class MessageInSerializer(InputSerializer):
    body = serializers.CharField(max_length=5000)


class MessageOutSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    author = UserRefSerializer()
    agency = AgencyRefSerializer(source="author_agency", help_text="The author's agency.")
    body = serializers.CharField()
    created_at = serializers.DateTimeField()


class ReferralMessagesView(GenericAPIView):
    """The conversation between the two agencies about one referral."""

    pagination_class = KeysetCursorPagination
    cursor_ordering = ("created_at", "id")

    @extend_schema(
        operation_id="referrals_messages_list",
        summary="Messages on a referral",
        responses={200: MessageOutSerializer(many=True)},
        description="Oldest first, cursor-paginated (`cursor`, `page_size` ≤ 100). Needs "
        "MESSAGE_REFERRAL on the referral (either side while it holds the referral).",
    )
    def get(self, request, referral_id):
        page = self.paginate_queryset(selectors.referral_messages(request.user, referral_id))
        return self.get_paginated_response(MessageOutSerializer(page, many=True).data)

    @extend_schema(
        operation_id="referrals_messages_create",
        summary="Write a message on a referral",
        request=MessageInSerializer,
        responses={201: MessageOutSerializer, **PROBLEM_409},
        description="Needs MESSAGE_REFERRAL; the referral must be sent, accepted or completed "
        "(`409 messages_closed` otherwise). The other agency is notified.",
    )
    def post(self, request, referral_id):
        data = MessageInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        message: ReferralMessage = services.post_referral_message(
            actor=request.user, referral_id=referral_id, body=data.validated_data["body"]
        )
        return Response(MessageOutSerializer(message).data, status=status.HTTP_201_CREATED)
