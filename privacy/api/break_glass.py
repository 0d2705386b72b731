"""Break the glass API: open a case in an emergency, one's running emergency
accesses, and the emergency access agreements behind it.

Who may do what: break the glass, supervisors, for a case they cannot see of
their own agency or of an agency that opted in for theirs in writing; those
agreements, read by supervisors, the DPO and the agency admin, recorded and
withdrawn by the agency admin. A member of the agency without the permission
gets 403; anyone else 404.
"""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import selectors as account_selectors
from accounts import services as account_services
from accounts.permissions import Perm
from config.http.pagination import KeysetCursorPagination, OrderedKeysetPagination
from config.http.query import QuerySerializer
from config.http.serializers import InputSerializer, UserRefSerializer
from privacy import selectors, services
from privacy.api.common import ReasonInSerializer

# --- Break the glass ---------------------------------------------------------------------


class BreakGlassOutSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    case = serializers.UUIDField(source="case_id")
    case_number = serializers.CharField(source="case.number")
    reason = serializers.CharField()
    started_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField(help_text="The case is out of reach again after this.")


class CaseBreakGlassView(APIView):
    @extend_schema(
        operation_id="cases_break_glass",
        summary="Open a case in an emergency (break the glass)",
        request=ReasonInSerializer,
        responses={201: BreakGlassOutSerializer},
        description="Opens, read-only and for a few hours (3 by default), a case the caller "
        "cannot see, for an emergency. Needs BREAK_GLASS in one of the caller's agencies "
        "(supervisors; 403 for anyone else) and a `reason` (400 without). The case must be of "
        "one of those agencies, or of an agency that recorded an emergency access agreement "
        "for one of them (`/agencies/{slug}/emergency-access/`); any other agency's case "
        "answers 404, exactly like a case that does not exist. A case the caller can already "
        "see: 409 `already_visible`. Recorded in the access log as `break_glass`; the "
        "supervisors and DPO of the case's agency are told.",
    )
    def post(self, request, case_id):
        # Who may break the glass at all comes before the input (403 before 400).
        selectors.break_glass_agencies(request.user)
        data = ReasonInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        access = services.break_glass(
            actor=request.user, case_id=case_id, reason=data.validated_data["reason"]
        )
        return Response(BreakGlassOutSerializer(access).data, status=status.HTTP_201_CREATED)


class BreakGlassListView(GenericAPIView):
    pagination_class = KeysetCursorPagination
    cursor_ordering = ("-started_at", "-id")

    @extend_schema(
        operation_id="break_glass_list",
        summary="Your emergency accesses still running",
        responses={200: BreakGlassOutSerializer(many=True)},
        description="The caller's own emergency accesses that have not expired, newest "
        "first; cursor-paginated (`cursor`, `page_size` ≤ 100, default 50).",
    )
    def get(self, request):
        page = self.paginate_queryset(selectors.active_break_glass(request.user))
        return self.get_paginated_response(BreakGlassOutSerializer(page, many=True).data)


# --- Emergency access agreements ----------------------------------------------------------


class AgreementAgencySerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    slug = serializers.SlugField()


class EmergencyAccessAgreementOutSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    agency = AgreementAgencySerializer(help_text="The owning agency, whose cases it opens.")
    partner = AgreementAgencySerializer(
        help_text="The agency whose supervisors may break the glass on them."
    )
    reference = serializers.CharField(help_text="The signed agreement's reference.")
    note = serializers.CharField()
    recorded_by = UserRefSerializer()
    recorded_at = serializers.DateTimeField()
    withdrawn_by = UserRefSerializer(allow_null=True)
    withdrawn_at = serializers.DateTimeField(allow_null=True)
    withdrawal_reason = serializers.CharField()
    is_active = serializers.BooleanField()


# Which side of an agreement an agency is on (the list's ``direction``).
EMERGENCY_ACCESS_DIRECTIONS = ("granted", "received")


class EmergencyAccessListQuerySerializer(QuerySerializer):
    direction = serializers.ChoiceField(
        choices=EMERGENCY_ACCESS_DIRECTIONS,
        required=False,
        help_text="`granted`: the agreements the agency gave (partners whose supervisors may "
        "break the glass on its cases); `received`: those other agencies gave it. Both "
        "when left out.",
    )


class EmergencyAccessAgreementInSerializer(InputSerializer):
    partner = serializers.UUIDField(help_text="The partner agency's id (not your own).")
    # Blank passes here: the service says it is required, after who may act.
    reference = serializers.CharField(
        max_length=200,
        allow_blank=True,
        help_text="Required: the signed agreement's reference and date, e.g. "
        "`DSA-2026-07 of 2026-03-02`.",
    )
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class AgencyEmergencyAccessView(GenericAPIView):
    pagination_class = OrderedKeysetPagination
    keyset_ordering = account_selectors.EMERGENCY_ACCESS_ORDERING

    @extend_schema(
        operation_id="agencies_emergency_access_list",
        summary="Emergency access agreements of an agency",
        parameters=[EmergencyAccessListQuerySerializer],
        responses={200: EmergencyAccessAgreementOutSerializer(many=True)},
        description="The agency's prior written opt-ins that let a partner's supervisors "
        "break the glass on its cases (its `agency` is this one), and those other agencies "
        "gave it (its `partner` is this one), withdrawn ones included; `direction` keeps "
        "one side. Active first, then the newest recorded; cursor-paginated (`cursor`, "
        "`page_size` ≤ 100, default 50), no total count. Without an active agreement, "
        "another agency's case is out of reach of break the glass. Needs VIEW_MEMBERS in "
        "the agency (supervisors, the DPO, the agency admin): 403 for other members, 404 "
        "for anyone else.",
    )
    def get(self, request, slug):
        params = EmergencyAccessListQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        agreements = account_selectors.emergency_access_agreements_listed(
            request.user, slug, direction=params.validated_data.get("direction", "")
        )
        page = self.paginate_queryset(agreements)
        return self.get_paginated_response(
            EmergencyAccessAgreementOutSerializer(page, many=True).data
        )

    @extend_schema(
        operation_id="agencies_emergency_access_create",
        summary="Record an emergency access agreement",
        request=EmergencyAccessAgreementInSerializer,
        responses={201: EmergencyAccessAgreementOutSerializer},
        description="Records the agency's written opt-in that `partner`'s supervisors may "
        "break the glass on its cases. Needs MANAGE_AGENCY in the agency (the agency admin): "
        "403 for other members, 404 for anyone else. An unknown agency, your own, or a "
        "partner with an active agreement already (`already_active`): 400 naming `partner`; "
        "without `reference`: 400 naming `reference`.",
    )
    def post(self, request, slug):
        agency = account_selectors.get_agency_for(request.user, slug, Perm.MANAGE_AGENCY)
        data = EmergencyAccessAgreementInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        agreement = account_services.record_emergency_access_agreement(
            actor=request.user,
            agency=agency,
            partner_id=data.validated_data["partner"],
            reference=data.validated_data["reference"],
            note=data.validated_data["note"],
        )
        return Response(
            EmergencyAccessAgreementOutSerializer(agreement).data, status=status.HTTP_201_CREATED
        )


class EmergencyAccessWithdrawView(APIView):
    @extend_schema(
        operation_id="emergency_access_withdraw",
        summary="Withdraw an emergency access agreement",
        request=ReasonInSerializer,
        responses={200: EmergencyAccessAgreementOutSerializer},
        description="The owning agency withdraws its opt-in: from now on the partner's "
        "supervisors cannot break the glass on its cases, and their emergency accesses still "
        "running end at once. Needs MANAGE_AGENCY in the owning agency (its admin): 403 for "
        "members of either agency, 404 for anyone else. Without `reason`: 400; already "
        "withdrawn: 409 `already_withdrawn`.",
    )
    def post(self, request, agreement_id):
        data = ReasonInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        agreement = account_services.withdraw_emergency_access_agreement(
            actor=request.user, agreement_id=agreement_id, reason=data.validated_data["reason"]
        )
        return Response(EmergencyAccessAgreementOutSerializer(agreement).data)
