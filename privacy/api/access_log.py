"""REST API of the access log: the DPO's whole log and the chain's verdict,
and "who accessed this" on a client and on a case (supervisors and the DPO).
Reads through ``privacy.selectors``, which records each read."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import AccessLog
from config.http.pagination import KeysetCursorPagination
from config.http.query import QuerySerializer
from config.http.serializers import AgencyRefSerializer
from privacy import selectors as audit
from privacy import services

PAGINATION_NOTE = (
    "Cursor-paginated (`cursor`, `page_size` ≤ 100, default 50), newest first; no total count."
)


class AccessLogQuerySerializer(QuerySerializer):
    user = serializers.UUIDField(required=False, help_text="Only what this staff member did.")
    agency = serializers.UUIDField(
        required=False, help_text="Only accesses by people acting for this agency."
    )
    client = serializers.UUIDField(
        required=False,
        help_text="Only accesses about this client (and their cases): a client of your "
        "agencies; any other id finds nothing.",
    )
    case = serializers.UUIDField(
        required=False,
        help_text="Only accesses about this case: a case of your agencies; any other id "
        "finds nothing.",
    )
    action = serializers.ChoiceField(choices=AccessLog.Action.choices, required=False)
    since = serializers.DateTimeField(
        required=False, help_text="From this moment (inclusive), ISO 8601, e.g. 2026-01-31T00:00Z."
    )
    until = serializers.DateTimeField(
        required=False, help_text="Before this moment (exclusive), ISO 8601."
    )

    def filters(self) -> dict:
        data = self.validated_data
        return {
            "user_id": data.get("user"),
            "agency_id": data.get("agency"),
            "client_id": data.get("client"),
            "case_id": data.get("case"),
            "action": data.get("action", ""),
            "since": data.get("since"),
            "until": data.get("until"),
        }


class StaffMemberSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    display_name = serializers.CharField()
    email = serializers.EmailField()


class AccessLogRowSerializer(serializers.Serializer):
    """One access: ids of what was read, never its content."""

    id = serializers.IntegerField()
    at = serializers.DateTimeField(help_text="UTC.")
    actor = StaffMemberSerializer(
        allow_null=True, help_text="The staff member; null when nobody was signed in."
    )
    agency = AgencyRefSerializer(allow_null=True, help_text="The agency they acted for.")
    role = serializers.CharField(help_text="Their roles there, comma-separated.")
    action = serializers.ChoiceField(choices=AccessLog.Action.choices)
    object_type = serializers.CharField(help_text="e.g. casework.case, referrals.referralpacket.")
    object_id = serializers.CharField(
        help_text="Blank on a row about another agency's record, unless it is a referral."
    )
    referral_id = serializers.UUIDField(
        allow_null=True,
        help_text="The referral, when the row is about one (a referral or its packet).",
    )
    client_id = serializers.UUIDField(
        allow_null=True,
        help_text="Null on a row about another agency's client: a partner's DPO sees the "
        "referral its staff read, never the sending agency's client or case id.",
    )
    case_id = serializers.UUIDField(allow_null=True, help_text="Null as `client_id` is.")
    route = serializers.CharField(help_text="The page or endpoint, by name.")
    ip = serializers.IPAddressField(allow_null=True)
    user_agent = serializers.CharField()
    outcome = serializers.ChoiceField(choices=AccessLog.Outcome.choices)
    chain = serializers.IntegerField(help_text="The hash chain the row belongs to.")
    seq = serializers.IntegerField(help_text="Its position in that chain.")

    def to_representation(self, row) -> dict:
        actor, agency = row.actor, row.agency
        return {
            "id": row.pk,
            "at": serializers.DateTimeField().to_representation(row.at),
            "actor": (
                {"id": str(actor.pk), "display_name": actor.display_name, "email": actor.email}
                if actor is not None
                else None
            ),
            "agency": {"id": str(agency.pk), "name": agency.name} if agency is not None else None,
            "role": row.role,
            "action": row.action,
            "object_type": row.object_type,
            "object_id": row.shown_object_id,
            "referral_id": row.referral_id or None,
            "client_id": str(row.shown_client_id) if row.shown_client_id else None,
            "case_id": str(row.shown_case_id) if row.shown_case_id else None,
            "route": row.route,
            "ip": row.ip,
            "user_agent": row.user_agent,
            "outcome": row.outcome,
            "chain": row.chain,
            "seq": row.seq,
        }


class RecordAccessSerializer(AccessLogRowSerializer):
    """An access to one client or case, with whether it came from outside."""

    outside = serializers.BooleanField(
        help_text="True when the person acted for another agency than the record's."
    )

    def to_representation(self, row) -> dict:
        return {**super().to_representation(row), "outside": row.outside}


class VerdictSerializer(serializers.Serializer):
    intact = serializers.BooleanField()
    rows = serializers.IntegerField(help_text="Rows checked.")
    row_id = serializers.IntegerField(allow_null=True, help_text="The first broken row's id.")
    chain = serializers.IntegerField(allow_null=True)
    seq = serializers.IntegerField(allow_null=True, help_text="Its position in its chain.")
    problem = serializers.CharField(help_text="What is wrong with it; empty when intact.")
    unkeyed = serializers.IntegerField(
        help_text="Rows hashed without a key (written before the log was keyed)."
    )
    checkpoint_at = serializers.DateTimeField(
        allow_null=True,
        help_text="The checkpoint the chains' ends were compared with; null when there is "
        "none yet (rows cut from the end of a chain would not show).",
    )
    summary = serializers.CharField(help_text='"intact, N rows" or the first broken link.')


class _LogPage(GenericAPIView):
    pagination_class = KeysetCursorPagination
    cursor_ordering = ("-at", "-id")
    row_serializer = AccessLogRowSerializer

    def page_of(self, rows, *, record_agency_id=None) -> Response:
        page = self.paginate_queryset(rows)
        audit.describe(page, actor=self.request.user, record_agency_id=record_agency_id)
        return self.get_paginated_response(self.row_serializer(page, many=True).data)


class AccessLogView(_LogPage):
    @extend_schema(
        operation_id="audit_access_log_list",
        summary="Read the access log (DPO)",
        parameters=[AccessLogQuerySerializer],
        responses={200: AccessLogRowSerializer(many=True)},
        description="Needs VIEW_ACCESS_LOG (the data protection officer): the accesses by "
        "the staff of your agencies and every access to their clients, whoever made it. "
        "A row about another agency's client (your staff reading a referral's packet) names "
        "the referral (`referral_id`), not that agency's `client_id` or `case_id`. "
        + PAGINATION_NOTE,
    )
    def get(self, request):
        params = AccessLogQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        return self.page_of(audit.read_access_log(request.user, **params.filters()))


VERIFY_DESCRIPTION = (
    "Walks every chain of the whole log and reports the first broken link "
    "(a row changed, deleted or inserted; rows cut from the end of a chain, or a chain "
    "missing, since the last checkpoint) or that it is intact, with the rows checked. "
    "`row_id` is null when no row is left to name. "
    "Needs VIEW_ACCESS_LOG. Reads the whole log: slow on a large one. "
)


def _verdict_body(verdict) -> dict:
    return VerdictSerializer(
        {
            "intact": verdict.intact,
            "rows": verdict.rows,
            "row_id": verdict.row_id,
            "chain": verdict.chain,
            "seq": verdict.seq,
            "problem": verdict.problem,
            "unkeyed": verdict.unkeyed,
            "checkpoint_at": verdict.checkpoint_at,
            "summary": str(verdict),
        }
    ).data


class AccessLogVerifyView(APIView):
    @extend_schema(
        operation_id="audit_access_log_verify",
        summary="Verify the access log's hash chains (DPO)",
        responses={200: VerdictSerializer},
        description=VERIFY_DESCRIPTION + "Writes nothing: the verdict is not kept (POST keeps it).",
    )
    def get(self, request):
        return Response(_verdict_body(audit.verify_access_log_for(request.user)))

    @extend_schema(
        operation_id="audit_access_log_verify_keep",
        summary="Verify the access log's hash chains and keep the verdict (DPO)",
        request=None,
        responses={200: VerdictSerializer},
        description=VERIFY_DESCRIPTION + "The verdict is kept, with who asked: the DPO's home "
        "page shows the last one. No body.",
    )
    def post(self, request):
        return Response(_verdict_body(services.verify_access_log(actor=request.user)))


class ClientAccessLogView(_LogPage):
    row_serializer = RecordAccessSerializer

    @extend_schema(
        operation_id="clients_access_log",
        summary="Who accessed this client",
        responses={200: RecordAccessSerializer(many=True)},
        description="Every access to the client and their cases. Needs VIEW_RECORD_ACCESSES "
        "in the client's agency (supervisors, the DPO); `outside` marks people acting for "
        "another agency. " + PAGINATION_NOTE,
    )
    def get(self, request, client_id):
        client, rows = audit.read_client_accesses(request.user, client_id)
        return self.page_of(rows, record_agency_id=client.agency_id)


class CaseAccessLogView(_LogPage):
    row_serializer = RecordAccessSerializer

    @extend_schema(
        operation_id="cases_access_log",
        summary="Who accessed this case",
        responses={200: RecordAccessSerializer(many=True)},
        description="Every access to the case. Needs VIEW_RECORD_ACCESSES in the case's "
        "agency (supervisors, the DPO); `outside` marks people acting for another agency. "
        + PAGINATION_NOTE,
    )
    def get(self, request, case_id):
        case, rows = audit.read_case_accesses(request.user, case_id)
        return self.page_of(rows, record_agency_id=case.agency_id)
