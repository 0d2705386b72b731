"""Data protection: the subject-access export, erasure on request, legal holds,
break the glass, the emergency access agreements behind it, and an agency's
retention periods.

A DPO sees audit data, not case content (DESIGN §5): these endpoints reach a
client through the caller's role in the client's agency
(``casework.selectors.protection``), not through the casework scope. Who may
do what: the export and legal holds, the DPO and supervisors of the client's
agency; erasure, the DPO; break the glass, supervisors, for a case they cannot
see of their own agency or of an agency that opted in for theirs in writing;
those agreements, read by supervisors, the DPO and the agency admin, recorded
and withdrawn by the agency admin; retention periods, the DPO and the agency
admin. A
member of the agency without the permission gets 403; anyone else 404.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import selectors as account_selectors
from accounts import services as account_services
from accounts.permissions import Perm
from casework.models import Erasure, RetentionPolicy
from casework.selectors import protection as selectors
from casework.services import protection as services
from casework.views.protection import subject_access_attachment
from config.http.api import PROBLEM_CONTENT_TYPE
from config.http.pagination import KeysetCursorPagination
from config.http.schema import ProblemSerializer
from config.http.serializers import InputSerializer, UserRefSerializer

# --- Subject access ----------------------------------------------------------------------


class SubjectAccessExportView(APIView):
    @extend_schema(
        operation_id="clients_subject_access_export",
        summary="Subject-access export of a client",
        description="Everything Sanad holds about the client, as one JSON document to save: "
        "the client and special-category section, identity documents, cases with notes, "
        "follow-ups, documents (metadata), do-not-disclose entries and emergency accesses, "
        "consents (withdrawn ones too), legal holds, erasures, referrals with the packets "
        "sent and to whom, messages, every disclosure, the history of all of it and the "
        "access-log rows about the client. Sent as an attachment "
        '(`Content-Disposition: attachment; filename="subject-access-<client id>.json"`, '
        "`Cache-Control: private, no-store`). Needs EXPORT_SUBJECT_ACCESS in the client's "
        "agency (the DPO, supervisors): 403 for other members of the agency, 404 for anyone "
        "else. Recorded in the access log as an export.",
        responses={
            (200, "application/json"): OpenApiResponse(
                OpenApiTypes.OBJECT, description="The export (its sections may grow)."
            )
        },
    )
    def get(self, request, client_id):
        export = services.subject_access_export(request.user, client_id)
        return subject_access_attachment(client_id, export)


# --- Erasure -----------------------------------------------------------------------------


class ReasonInSerializer(InputSerializer):
    # Not blank, as the schema says (minLength 1). The answer to a blank reason
    # is the same 400 for any case, so it tells nothing about the case.
    reason = serializers.CharField(max_length=2000, help_text="Required; kept with the record.")


class ErasureOutSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    client = serializers.UUIDField(source="client_id")
    cause = serializers.ChoiceField(choices=Erasure.Cause.choices)
    erased_at = serializers.DateTimeField()
    erased_by = UserRefSerializer(allow_null=True)
    counts = serializers.DictField(
        child=serializers.IntegerField(),
        help_text="How many records of each kind were anonymised (clients, cases, notes…).",
    )
    notified_agencies = serializers.ListField(
        child=serializers.UUIDField(),
        help_text="Agencies that had received the client's data in referrals and were told.",
    )


class HoldRefSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    placed_at = serializers.DateTimeField()


class LegalHoldProblemSerializer(ProblemSerializer):
    """409 ``legal_hold``: the active holds that stop the erasure."""

    holds = HoldRefSerializer(
        many=True, required=False, help_text="With code legal_hold: the active holds."
    )

    class Meta:
        ref_name = "LegalHoldProblem"


class ClientEraseView(APIView):
    @extend_schema(
        operation_id="clients_erase",
        summary="Erase a client at their request",
        request=ReasonInSerializer,
        responses={
            200: ErasureOutSerializer,
            (409, PROBLEM_CONTENT_TYPE): OpenApiResponse(
                LegalHoldProblemSerializer,
                description="`legal_hold` (with `holds`: release them first) or `already_erased`.",
            ),
        },
        description="Replaces the client's personal data everywhere Sanad holds it (client, "
        "cases, notes, documents and their files, packets, history) with placeholders, keeps "
        "what statistics need, records who erased and why, and tells the agencies that "
        "received the client's data in referrals. Cannot be undone. Needs ERASE_CLIENT in the "
        "client's agency (the DPO): 403 for other members, 404 for anyone else. Without "
        "`reason`: 400. While a legal hold is active on the client or one of their cases: "
        "409 `legal_hold`.",
    )
    def post(self, request, client_id):
        data = ReasonInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        erasure = services.erase_client(
            actor=request.user, client_id=client_id, reason=data.validated_data["reason"]
        )
        return Response(ErasureOutSerializer(erasure).data)


# --- Legal holds -------------------------------------------------------------------------


class HeldCaseSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    number = serializers.CharField()


class LegalHoldOutSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    client = serializers.UUIDField(source="client_id")
    case = HeldCaseSerializer(allow_null=True, help_text="Null: the hold covers the whole client.")
    reason = serializers.CharField()
    placed_by = UserRefSerializer()
    placed_at = serializers.DateTimeField()
    released_by = UserRefSerializer(allow_null=True)
    released_at = serializers.DateTimeField(allow_null=True)
    is_active = serializers.BooleanField()


class LegalHoldInSerializer(InputSerializer):
    reason = serializers.CharField(max_length=2000)
    case = serializers.UUIDField(
        required=False,
        allow_null=True,
        default=None,
        help_text="One of the client's cases; none: the whole client.",
    )


class ClientLegalHoldsView(GenericAPIView):
    pagination_class = KeysetCursorPagination
    cursor_ordering = ("-placed_at", "-id")

    @extend_schema(
        operation_id="clients_legal_holds_list",
        summary="Legal holds of a client",
        responses={200: LegalHoldOutSerializer(many=True)},
        description="Every hold of the client, released ones too, newest first; "
        "cursor-paginated (`cursor`, `page_size` ≤ 100, default 50). Needs PLACE_LEGAL_HOLD "
        "in the client's agency (the DPO, supervisors).",
    )
    def get(self, request, client_id):
        _client, holds = selectors.legal_holds_of(request.user, client_id)
        page = self.paginate_queryset(holds)
        return self.get_paginated_response(LegalHoldOutSerializer(page, many=True).data)

    @extend_schema(
        operation_id="clients_legal_holds_create",
        summary="Place a legal hold",
        request=LegalHoldInSerializer,
        responses={201: LegalHoldOutSerializer},
        description="Stops erasure and retention for the client (or, with `case`, one of "
        "their cases) until released. Needs PLACE_LEGAL_HOLD in the client's agency. Without "
        "`reason`, or with a `case` that is not the client's: 400 naming the field.",
    )
    def post(self, request, client_id):
        data = LegalHoldInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        hold = services.place_legal_hold(
            actor=request.user,
            client_id=client_id,
            reason=data.validated_data["reason"],
            case_id=data.validated_data["case"],
        )
        return Response(LegalHoldOutSerializer(hold).data, status=status.HTTP_201_CREATED)


class LegalHoldReleaseView(APIView):
    @extend_schema(
        operation_id="legal_holds_release",
        summary="Release a legal hold",
        request=None,
        responses={200: LegalHoldOutSerializer},
        description="Needs PLACE_LEGAL_HOLD in the client's agency. A hold already "
        "released: 409 `already_released`.",
    )
    def post(self, request, hold_id):
        hold = services.release_legal_hold(actor=request.user, hold_id=hold_id)
        return Response(LegalHoldOutSerializer(hold).data)


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


class EmergencyAccessOfAgencySerializer(serializers.Serializer):
    agency = serializers.SlugField()
    granted = EmergencyAccessAgreementOutSerializer(
        many=True,
        help_text="Partners whose supervisors may break the glass on this agency's cases "
        "(active first, then withdrawn ones, newest first).",
    )
    received = EmergencyAccessAgreementOutSerializer(
        many=True,
        help_text="Agencies whose cases this agency's supervisors may open so.",
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


def _agreements_body(agency, granted, received) -> dict:
    return {"agency": agency.slug, "granted": granted, "received": received}


class AgencyEmergencyAccessView(APIView):
    @extend_schema(
        operation_id="agencies_emergency_access_retrieve",
        summary="Emergency access agreements of an agency",
        responses={200: EmergencyAccessOfAgencySerializer},
        description="The agency's prior written opt-ins that let a partner's supervisors "
        "break the glass on its cases (`granted`), and those other agencies gave it "
        "(`received`), withdrawn ones included. Without an active agreement, another "
        "agency's case is out of reach of break the glass. Needs VIEW_MEMBERS in the agency "
        "(supervisors, the DPO, the agency admin): 403 for other members, 404 for anyone "
        "else.",
    )
    def get(self, request, slug):
        agency, granted, received = account_selectors.emergency_access_agreements_of(
            request.user, slug
        )
        body = _agreements_body(agency, granted, received)
        return Response(EmergencyAccessOfAgencySerializer(body).data)

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


# --- Retention ---------------------------------------------------------------------------


# Plain strings with the values in the help: the schema's enum named "Kind" is the notes'.
KINDS = ", ".join(f"`{value}`" for value in RetentionPolicy.Kind.values)


class RetentionPeriodSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text=f"One of {KINDS}.")
    label = serializers.CharField()
    days = serializers.IntegerField(allow_null=True, help_text="Null: not set (kept).")
    updated_at = serializers.DateTimeField(allow_null=True)


class RetentionDueSerializer(serializers.Serializer):
    cases = serializers.IntegerField(help_text="Closed cases past their period.")
    clients = serializers.IntegerField(help_text="Clients without an open case past theirs.")
    held = serializers.IntegerField(help_text="Records past their period kept by a legal hold.")


class RetentionOutSerializer(serializers.Serializer):
    agency = serializers.SlugField()
    periods = RetentionPeriodSerializer(many=True)
    due_now = RetentionDueSerializer(
        help_text="A dry run: what retention would anonymise now (it runs every day)."
    )


class RetentionInSerializer(InputSerializer):
    kind = serializers.CharField(help_text=f"One of {KINDS}; another: 400 naming `kind`.")
    days = serializers.IntegerField(help_text="At least 30.")


def _retention_body(agency, periods) -> dict:
    due = services.retention_due(agency=agency)
    return {
        "agency": agency.slug,
        "periods": [
            {
                "kind": kind,
                "label": str(label),
                "days": periods[kind].days if periods[kind] else None,
                "updated_at": periods[kind].updated_at if periods[kind] else None,
            }
            for kind, label in RetentionPolicy.Kind.choices
        ],
        "due_now": {name: len(ids) for name, ids in due.items()},
    }


class AgencyRetentionView(APIView):
    @extend_schema(
        operation_id="agencies_retention_retrieve",
        summary="Retention periods of an agency",
        responses={200: RetentionOutSerializer},
        description="How long the agency keeps each kind of record before Sanad anonymises "
        "it, and what would be anonymised now. Needs MANAGE_RETENTION in the agency (the DPO, "
        "the agency admin): 403 for other members, 404 for anyone else.",
    )
    def get(self, request, slug):
        agency, periods = selectors.retention_periods_of(request.user, slug)
        return Response(RetentionOutSerializer(_retention_body(agency, periods)).data)

    @extend_schema(
        operation_id="agencies_retention_update",
        summary="Set a retention period",
        request=RetentionInSerializer,
        responses={200: RetentionOutSerializer},
        description="Sets the period of one kind of record, in days (at least 30: 400 naming "
        "`days`). Answers with every period of the agency. Needs MANAGE_RETENTION.",
    )
    def put(self, request, slug):
        agency, _periods = selectors.retention_periods_of(request.user, slug)
        data = RetentionInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.set_retention_policy(actor=request.user, agency=agency, **data.validated_data)
        agency, periods = selectors.retention_periods_of(request.user, slug)
        return Response(RetentionOutSerializer(_retention_body(agency, periods)).data)
