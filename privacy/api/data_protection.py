"""Data protection API: the subject-access export, erasure on request, legal
holds, and an agency's retention periods.

A DPO sees audit data, not case content (DESIGN §5): these endpoints reach a
client through the caller's role in the client's agency
(``privacy.selectors.records``), not through the casework scope. Who may do
what: the export and legal holds, the DPO and supervisors of the client's
agency; erasure, the DPO; retention periods, the DPO and the agency admin. A
member of the agency without the permission gets 403; anyone else 404.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Agency
from config.http.api import PROBLEM_CONTENT_TYPE
from config.http.pagination import KeysetCursorPagination
from config.http.schema import CONTENT_DISPOSITION_HEADER, ProblemSerializer
from config.http.serializers import InputSerializer, UserRefSerializer
from privacy import selectors, services
from privacy.api.common import ReasonInSerializer
from privacy.models import Erasure, RetentionPolicy
from privacy.views.data_protection import subject_access_attachment

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
        parameters=[CONTENT_DISPOSITION_HEADER],
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


# --- Retention ---------------------------------------------------------------------------


class RetentionPeriodSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=RetentionPolicy.Kind.choices)
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
    kind = serializers.ChoiceField(
        choices=RetentionPolicy.Kind.choices, help_text="Another: 400 naming `kind`."
    )
    days = serializers.IntegerField(help_text="At least 30.")


def _retention_body(agency: Agency, periods: dict[str, RetentionPolicy | None]) -> dict:
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
