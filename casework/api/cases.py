"""Cases: list, open, read, change, and the state actions."""

import logging
import uuid
from datetime import UTC, timedelta

from django.core.validators import RegexValidator
from django.urls import reverse
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.idempotency import idempotent
from casework import selectors, services
from casework.models import (
    Case,
)
from casework.selectors import active_user
from config.http.pagination import OrderedKeysetPagination
from config.http.preconditions import if_match_version, with_version_headers
from config.http.query import QuerySerializer
from config.http.schema import (
    ETAG_HEADER,
    IDEMPOTENCY_KEY,
    IF_MATCH_OPTIONAL,
    IF_MATCH_REQUIRED,
    LOCATION_HEADER,
    PROBLEM_412,
    PROBLEM_428,
)
from config.http.serializers import ChangeInSerializer, InputSerializer, UserRefSerializer

logger = logging.getLogger(__name__)


# --- Cases -------------------------------------------------------------------------


class ClientRefSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    name_latin = serializers.CharField()


class CaseListItemSerializer(serializers.Serializer):
    """A case in a list: no per-row permission query (``can_edit`` comes from
    ``selectors.editable_case_ids`` for the whole page)."""

    id = serializers.UUIDField()
    number = serializers.CharField()
    client = ClientRefSerializer()
    case_type = serializers.ChoiceField(choices=Case.Type.choices)
    status = serializers.ChoiceField(choices=Case.Status.choices)
    risk_level = serializers.ChoiceField(choices=Case.Risk.choices)
    assigned_to = UserRefSerializer(allow_null=True)
    is_restricted = serializers.BooleanField()
    opened_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    version = serializers.IntegerField()
    can_edit = serializers.SerializerMethodField()

    def get_can_edit(self, case) -> bool:
        return case.pk in self.context["editable"]

    def to_representation(self, case) -> dict:
        # The list's hot path: the same output as the declared fields (a test
        # compares them), built directly from a row (``selectors.case_list_rows``)
        # or a case; DRF's field machinery cost ~0.1 ms a row.
        row = case if isinstance(case, dict) else _row_of(case)
        return {
            "id": str(row["id"]),
            "number": row["number"],
            "client": {
                "id": str(row["client_id"]),
                "name": row["client__name"],
                "name_latin": row["client__name_latin"],
            },
            "case_type": row["case_type"],
            "status": row["status"],
            "risk_level": row["risk_level"],
            "assigned_to": (
                {
                    "id": str(row["assigned_to_id"]),
                    "display_name": row["assigned_to__display_name"],
                }
                if row["assigned_to_id"] is not None
                else None
            ),
            "is_restricted": row["is_restricted"],
            "opened_at": _iso(row["opened_at"]),
            "updated_at": _iso(row["updated_at"]),
            "version": row["version"],
            "can_edit": row["id"] in self.context["editable"],
        }


def _row_of(case: Case) -> dict:
    assignee = case.assigned_to
    return {
        "id": case.pk,
        "number": case.number,
        "client_id": case.client_id,
        "client__name": case.client.name,
        "client__name_latin": case.client.name_latin,
        "case_type": case.case_type,
        "status": case.status,
        "risk_level": case.risk_level,
        "assigned_to_id": case.assigned_to_id,
        "assigned_to__display_name": assignee.display_name if assignee else None,
        "is_restricted": case.is_restricted,
        "opened_at": case.opened_at,
        "updated_at": case.updated_at,
        "version": case.version,
    }


def _iso(value) -> str | None:
    """DRF's ISO 8601 output for an aware UTC datetime, without its per-call
    settings lookups (the list formats two per row)."""
    if value is None:
        return None
    if value.utcoffset() != timedelta(0):
        value = value.astimezone(UTC)
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


class CaseDetailSerializer(CaseListItemSerializer):
    agency = serializers.CharField(source="agency.slug", help_text="The owning agency.")
    summary = serializers.CharField()
    closure_reason = serializers.ChoiceField(
        choices=Case.ClosureReason.choices,
        allow_blank=True,
        help_text="Blank unless the case is closed.",
    )
    closed_at = serializers.DateTimeField(allow_null=True)

    def to_representation(self, case) -> dict:
        return {
            **super().to_representation(case),
            "agency": case.agency.slug,
            "summary": case.summary,
            "closure_reason": case.closure_reason,
            "closed_at": _iso(case.closed_at),
        }


def _case_response(request, case: Case, *, status_code: int = 200) -> Response:
    editable = selectors.editable_case_ids(request.user, [case])
    response = Response(
        CaseDetailSerializer(case, context={"editable": editable}).data, status=status_code
    )
    location = reverse("api-case-detail", kwargs={"case_id": case.pk}) if status_code == 201 else ""
    return with_version_headers(response, case, location)


@extend_schema_field(
    {
        "anyOf": [
            {"type": "string", "format": "uuid"},
            {"type": "string", "enum": [selectors.UNASSIGNED]},
        ]
    }
)
class AssigneeFilterField(serializers.Field):
    """A user's id, or "unassigned"."""

    default_error_messages = {"invalid": 'Give a user id or "unassigned".'}

    def to_internal_value(self, data):
        if data == selectors.UNASSIGNED:
            return data
        if isinstance(data, str):
            try:
                return uuid.UUID(data)
            except ValueError:
                pass
        self.fail("invalid")

    def to_representation(self, value):
        return str(value)


class CaseListQuerySerializer(QuerySerializer):
    q = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=200,
        help_text="Case number, client name (any script or spelling) or identity-document number.",
    )
    status = serializers.ChoiceField(choices=Case.Status.choices, required=False)
    type = serializers.ChoiceField(choices=Case.Type.choices, required=False)
    risk = serializers.ChoiceField(choices=Case.Risk.choices, required=False)
    assigned_to_me = serializers.BooleanField(required=False, default=False)
    overdue_follow_ups = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Only cases not closed with an open follow-up due before today (UTC).",
    )
    agency = serializers.CharField(
        required=False,
        max_length=20,
        trim_whitespace=False,
        validators=[RegexValidator(r"^[-a-zA-Z0-9_]+\Z")],
        help_text="Only the cases of this agency (its slug, e.g. amal); any other finds nothing.",
    )
    assignee = AssigneeFilterField(
        required=False,
        help_text='Only the cases assigned to this user (id), or to no one ("unassigned").',
    )
    high_risk = serializers.BooleanField(
        required=False, default=False, help_text="Only cases at high or critical risk."
    )
    inactive = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Only cases not closed without activity for the days their agency set "
        "(`inactivity_days`, default 14): no change to the case, no note, no follow-up "
        "scheduled or done, no document uploaded since then.",
    )
    updated_since = serializers.DateTimeField(
        required=False, help_text="ISO 8601, e.g. 2026-01-31T08:00:00Z."
    )


class CaseCreateInSerializer(InputSerializer):
    client = serializers.UUIDField(help_text="The client's id (a client you can see).")
    case_type = serializers.ChoiceField(choices=Case.Type.choices)
    risk_level = serializers.ChoiceField(choices=Case.Risk.choices, default=Case.Risk.LOW)
    summary = serializers.CharField(required=False, allow_blank=True, default="")
    assigned_to = serializers.UUIDField(
        required=False,
        allow_null=True,
        help_text="A caseworker or supervisor of the agency (default: you). Assigning to "
        "someone else needs ASSIGN_CASE.",
    )
    is_restricted = serializers.BooleanField(
        default=False, help_text="Restricting needs RESTRICT_CASE (supervisors)."
    )


class CaseUpdateInSerializer(ChangeInSerializer):
    case_type = serializers.ChoiceField(choices=Case.Type.choices, required=False)
    risk_level = serializers.ChoiceField(choices=Case.Risk.choices, required=False)
    summary = serializers.CharField(required=False, allow_blank=True)
    reason = serializers.CharField(
        max_length=200, required=False, allow_blank=True, help_text="Kept in the history."
    )


class CaseListView(GenericAPIView):
    """Cases you can see, most recently updated first."""

    pagination_class = OrderedKeysetPagination
    keyset_ordering = ("-updated_at", "-id")

    @extend_schema(
        operation_id="cases_list",
        summary="List and search cases",
        parameters=[CaseListQuerySerializer],
        responses={200: CaseListItemSerializer(many=True)},
        description="Cursor-paginated (`cursor`, `page_size` ≤ 100, default 50), most "
        "recently updated first; no total count.",
    )
    def get(self, request):
        params = CaseListQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        filters = {
            "query": data.get("q", ""),
            "status": data.get("status", ""),
            "case_type": data.get("type", ""),
            "risk_level": data.get("risk", ""),
            "assigned_to_me": data["assigned_to_me"],
            "overdue_follow_ups": data["overdue_follow_ups"],
            "updated_since": data.get("updated_since"),
            "agency": data.get("agency", ""),
            "assignee": data.get("assignee", ""),
            "high_risk": data["high_risk"],
            "inactive": data["inactive"],
        }
        cases, self.keyset_parts = selectors.cases_in_parts(request.user, **filters)
        page = self.paginate_queryset(selectors.case_list_rows(cases))
        editable = selectors.editable_case_ids(request.user, page)
        return self.get_paginated_response(
            CaseListItemSerializer(page, many=True, context={"editable": editable}).data
        )

    @extend_schema(
        operation_id="cases_create",
        summary="Open a case",
        request=CaseCreateInSerializer,
        parameters=[IDEMPOTENCY_KEY, ETAG_HEADER, LOCATION_HEADER],
        responses={201: CaseDetailSerializer},
        description="Opens a case for a client you can see, in the client's agency; it gets "
        "the next case number. A client you cannot see answers 404.",
    )
    def post(self, request):
        data = CaseCreateInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data

        def produce() -> Response:
            case = services.open_case(
                actor=request.user,
                client_id=fields["client"],
                case_type=fields["case_type"],
                risk_level=fields["risk_level"],
                summary=fields["summary"],
                assigned_to=active_user(fields.get("assigned_to"), "assigned_to"),
                is_restricted=fields["is_restricted"],
            )
            return _case_response(request, case, status_code=201)

        def replay(case_id: str) -> Response:
            case = selectors.get_case_for(request.user, case_id)
            return _case_response(request, case, status_code=201)

        return idempotent(request, "cases.create", produce, replay)


class CaseDetailView(APIView):
    @extend_schema(
        operation_id="cases_retrieve",
        summary="Get a case",
        parameters=[ETAG_HEADER],
        responses={200: CaseDetailSerializer},
    )
    def get(self, request, case_id):
        return _case_response(request, selectors.get_case_for(request.user, case_id))

    @extend_schema(
        operation_id="cases_partial_update",
        summary="Change a case's type, risk level or summary",
        request=CaseUpdateInSerializer,
        parameters=[IF_MATCH_REQUIRED, ETAG_HEADER],
        responses={200: CaseDetailSerializer, **PROBLEM_428},
        description="Needs CHANGE_CASE. A closed case answers 409 `case_closed`.",
    )
    def patch(self, request, case_id):
        version = if_match_version(request, required=True)
        data = CaseUpdateInSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        changes = dict(data.validated_data)
        reason = changes.pop("reason", "")
        case = services.update_case(
            actor=request.user,
            case_id=case_id,
            expected_version=version,
            changes=changes,
            reason=reason,
        )
        return _case_response(request, case)


# --- Case actions ----------------------------------------------------------------------


class AssignInSerializer(InputSerializer):
    assignee = serializers.UUIDField(help_text="An active caseworker or supervisor of the agency.")
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True)


class RestrictInSerializer(InputSerializer):
    restricted = serializers.BooleanField()
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True)


class HoldInSerializer(InputSerializer):
    reason = serializers.CharField(max_length=500)


class CloseInSerializer(InputSerializer):
    closure_reason = serializers.ChoiceField(choices=Case.ClosureReason.choices)
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class ReopenInSerializer(InputSerializer):
    reason = serializers.CharField(max_length=500)


def _action_schema(operation_id: str, summary: str, request, description: str):
    return extend_schema_view(
        post=extend_schema(
            operation_id=operation_id,
            summary=summary,
            request=request,
            parameters=[IF_MATCH_OPTIONAL, ETAG_HEADER],
            responses={200: CaseDetailSerializer, **PROBLEM_412},
            description=description + " Returns the case with its new ETag.",
        )
    )


class CaseActionView(APIView):
    """A POST that runs one case service with the validated body as its
    keyword arguments, checking the optional If-Match under the service's lock."""

    input_serializer: type[InputSerializer]
    service = None

    def arguments(self, validated: dict) -> dict:
        return validated

    def post(self, request, case_id):
        version = if_match_version(request, required=False)
        data = self.input_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        case = type(self).service(
            actor=request.user,
            case_id=case_id,
            expected_version=version,
            **self.arguments(dict(data.validated_data)),
        )
        return _case_response(request, case)


@_action_schema(
    "cases_assign",
    "Reassign a case",
    AssignInSerializer,
    "Needs ASSIGN_CASE (supervisors). The case must be open or on hold.",
)
class CaseAssignView(CaseActionView):
    input_serializer = AssignInSerializer
    service = services.assign_case

    def arguments(self, validated: dict) -> dict:
        return {**validated, "assignee": active_user(validated["assignee"], "assignee")}


@_action_schema(
    "cases_restrict",
    "Restrict a case or lift the restriction",
    RestrictInSerializer,
    "Needs RESTRICT_CASE (supervisors). A restricted case is seen only by its assigned "
    "caseworker and supervisors.",
)
class CaseRestrictView(CaseActionView):
    input_serializer = RestrictInSerializer
    service = services.set_case_restricted


@_action_schema(
    "cases_hold",
    "Put a case on hold",
    HoldInSerializer,
    "Needs CHANGE_CASE; the case must be open.",
)
class CaseHoldView(CaseActionView):
    input_serializer = HoldInSerializer
    service = services.put_case_on_hold


@_action_schema(
    "cases_close",
    "Close a case",
    CloseInSerializer,
    "Needs CLOSE_CASE; the case must be open or on hold.",
)
class CaseCloseView(CaseActionView):
    input_serializer = CloseInSerializer
    service = services.close_case


@_action_schema(
    "cases_reopen",
    "Reopen a case",
    ReopenInSerializer,
    "Needs CLOSE_CASE for a closed case, CHANGE_CASE for one on hold.",
)
class CaseReopenView(CaseActionView):
    input_serializer = ReopenInSerializer
    service = services.reopen_case


class BulkAssignInSerializer(InputSerializer):
    cases = serializers.ListField(
        child=serializers.UUIDField(),
        allow_empty=False,
        max_length=services.MAX_BULK_ASSIGN,
        help_text=f"Ids of the cases to reassign (at most {services.MAX_BULK_ASSIGN}).",
    )
    assigned_to = serializers.UUIDField(
        help_text="An active caseworker or supervisor of every case's agency."
    )
    reason = serializers.CharField(
        max_length=500,
        required=False,
        allow_blank=True,
        default="",
        help_text="Kept in each case's history.",
    )


class BulkAssignOutSerializer(serializers.Serializer):
    cases = CaseDetailSerializer(many=True, help_text="The cases, in the order given.")


class CasesAssignView(APIView):
    @extend_schema(
        operation_id="cases_assign_many",
        summary="Reassign several cases",
        request=BulkAssignInSerializer,
        responses={200: BulkAssignOutSerializer},
        description="Needs ASSIGN_CASE (supervisors) on every case; all or nothing. Each "
        "case is locked and checked: a case you cannot see answers 404 (before any 403), "
        "one you may not reassign 403, a closed one 409 `invalid_transition`. The open "
        "follow-ups of each previous assignee move with the case, and both assignees are "
        "notified. A case already assigned to that person is left unchanged, so repeating "
        "the request answers the same.",
    )
    def post(self, request):
        data = BulkAssignInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        cases = services.assign_cases(
            actor=request.user,
            case_ids=fields["cases"],
            assigned_to=active_user(fields["assigned_to"], "assigned_to"),
            reason=fields["reason"],
        )
        editable = selectors.editable_case_ids(request.user, cases)
        return Response(
            {
                "cases": [
                    CaseDetailSerializer(case, context={"editable": editable}).data
                    for case in cases
                ]
            }
        )
