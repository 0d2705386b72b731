"""The lifecycle actions on a referral (``Referral.TRANSITIONS``): send,
withdraw (the sender), accept, decline, report progress, complete and open a
case (the receiving agency). Each runs one service and answers with the
referral as the caller may now read it; a move the table does not hold is
``409 invalid_transition`` naming the current state, and changes nothing."""

import logging

from django.urls import reverse
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.idempotency import idempotent
from casework.models import Case
from casework.selectors import active_user
from config.errors import NotFound
from config.http.schema import ETAG_HEADER, IDEMPOTENCY_KEY, LOCATION_HEADER
from config.http.serializers import InputSerializer
from referrals import selectors, services
from referrals.api.common import (
    PROBLEM_409,
    CaseRefSerializer,
    ReferralDetailSerializer,
    referral_body,
    referral_response,
)

logger = logging.getLogger(__name__)


class ReferralSendInSerializer(InputSerializer):
    override_reason = serializers.CharField(
        max_length=5000,
        required=False,
        allow_blank=True,
        default="",
        help_text="Supervisors only: why it goes without a covering consent (recorded on the "
        "referral and its timeline).",
    )


class ReferralAcceptInSerializer(InputSerializer):
    note = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")


class ReferralDeclineInSerializer(InputSerializer):
    reason = serializers.CharField(max_length=5000, help_text="Told to the sender.")


class ReferralCompleteInSerializer(InputSerializer):
    outcome = serializers.CharField(max_length=5000, help_text="What came of it, for the sender.")


class ReferralWithdrawInSerializer(InputSerializer):
    reason = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")


class ReferralProgressInSerializer(InputSerializer):
    note = serializers.CharField(max_length=5000)


class ReferralOpenCaseInSerializer(InputSerializer):
    assigned_to = serializers.UUIDField(
        help_text="An active caseworker or supervisor of the receiving agency."
    )
    case_type = serializers.ChoiceField(
        choices=Case.Type.choices,
        required=False,
        allow_blank=True,
        default="",
        help_text="Default: from the kind of service referred to.",
    )


class ReferralOpenCaseOutSerializer(serializers.Serializer):
    case = CaseRefSerializer(help_text="The receiving agency's new case.")
    referral = ReferralDetailSerializer()


def _action_schema(operation_id: str, summary: str, request, description: str):
    return extend_schema_view(
        post=extend_schema(
            operation_id=operation_id,
            summary=summary,
            request=request,
            parameters=[ETAG_HEADER],
            responses={200: ReferralDetailSerializer, **PROBLEM_409},
            description=description + " Returns the referral with its new ETag.",
        )
    )


class ReferralActionView(APIView):
    """A POST that runs one referral service with the validated body as its
    keyword arguments and answers with the referral it returns."""

    input_serializer: type[InputSerializer]
    service = None

    def act(self, request, referral_id, arguments: dict) -> Response:
        referral = type(self).service(actor=request.user, referral_id=referral_id, **arguments)
        return referral_response(request, referral)

    def post(self, request, referral_id):
        data = self.input_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self.act(request, referral_id, dict(data.validated_data))


@_action_schema(
    "referrals_send",
    "Send a draft",
    ReferralSendInSerializer,
    "Needs SEND_REFERRAL (the sending side); the referral must be a draft. Refused like "
    "`POST /referrals/`: `409 referral_refused` or `409 consent_missing` with `reasons`; "
    "`override_reason` from someone without OVERRIDE_CONSENT is 403.",
)
class ReferralSendView(ReferralActionView):
    input_serializer = ReferralSendInSerializer
    service = services.send_referral


@_action_schema(
    "referrals_withdraw",
    "Withdraw a referral",
    ReferralWithdrawInSerializer,
    "Needs SEND_REFERRAL (the sending side); the referral must be a draft, sent or accepted. "
    "The receiving agency loses access at once.",
)
class ReferralWithdrawView(ReferralActionView):
    input_serializer = ReferralWithdrawInSerializer
    service = services.withdraw_referral


@_action_schema(
    "referrals_accept",
    "Accept a referral",
    ReferralAcceptInSerializer,
    "Needs RESPOND_REFERRAL (the receiving agency's referral officers and supervisors); the "
    "referral must be sent.",
)
class ReferralAcceptView(ReferralActionView):
    input_serializer = ReferralAcceptInSerializer
    service = services.accept_referral


@_action_schema(
    "referrals_decline",
    "Decline a referral",
    ReferralDeclineInSerializer,
    "Needs RESPOND_REFERRAL; the referral must be sent; `reason` is required. The receiving "
    "agency loses access to it (this is the last answer it gets about it).",
)
class ReferralDeclineView(ReferralActionView):
    input_serializer = ReferralDeclineInSerializer
    service = services.decline_referral


@_action_schema(
    "referrals_complete",
    "Complete a referral with its outcome",
    ReferralCompleteInSerializer,
    "Needs RESPOND_REFERRAL; the referral must be accepted; `outcome` is required.",
)
class ReferralCompleteView(ReferralActionView):
    input_serializer = ReferralCompleteInSerializer
    service = services.complete_referral


@_action_schema(
    "referrals_progress",
    "Report progress on a referral",
    ReferralProgressInSerializer,
    "Needs RESPOND_REFERRAL; the referral must be accepted. The note goes on the timeline and "
    "the sender is notified.",
)
class ReferralProgressView(ReferralActionView):
    input_serializer = ReferralProgressInSerializer

    def act(self, request, referral_id, arguments: dict) -> Response:
        services.report_referral_progress(
            actor=request.user, referral_id=referral_id, note=arguments["note"]
        )
        return referral_response(request, selectors.get_referral_for(request.user, referral_id))


@extend_schema_view(
    post=extend_schema(
        operation_id="referrals_open_case",
        summary="Open your own case from a referral",
        request=ReferralOpenCaseInSerializer,
        parameters=[IDEMPOTENCY_KEY, LOCATION_HEADER],
        responses={201: ReferralOpenCaseOutSerializer, **PROBLEM_409},
        description="The receiving agency registers the client from the packet (only what it "
        "holds) and opens a case assigned to `assigned_to`, who may then read the packet. "
        "Needs RESPOND_REFERRAL; the referral must be accepted or completed, once "
        "(`409 case_exists`), and its packet must hold identity data "
        "(`409 packet_without_identity`). `Location` names the new case. With an "
        "`Idempotency-Key`, a retry answers with the case the first request opened.",
    )
)
class ReferralOpenCaseView(ReferralActionView):
    input_serializer = ReferralOpenCaseInSerializer

    def act(self, request, referral_id, arguments: dict) -> Response:
        # A retry with the same Idempotency-Key answers with the case it opened.
        def produce() -> Response:
            case = services.open_case_from_referral(
                actor=request.user,
                referral_id=referral_id,
                assigned_to=active_user(arguments["assigned_to"], "assigned_to"),
                case_type=arguments["case_type"],
            )
            return self._opened(request, referral_id, case)

        def replay(case_id: str) -> Response:
            referral = selectors.get_referral_for(request.user, referral_id)
            if str(referral.receiving_case_id) != case_id:
                raise NotFound()
            return self._opened(request, referral_id, referral.receiving_case)

        return idempotent(
            request,
            f"referral-open-case:{referral_id}",
            produce,
            replay,
            resource_id=lambda response: response.data["case"]["id"],
        )

    @staticmethod
    def _opened(request, referral_id, case) -> Response:
        referral = selectors.get_referral_for(request.user, referral_id)
        body = {
            "case": {"id": case.pk, "number": case.number},
            "referral": referral_body(request.user, referral),
        }
        return Response(
            ReferralOpenCaseOutSerializer(body).data,
            status=201,
            headers={"Location": reverse("api-case-detail", kwargs={"case_id": case.pk})},
        )
