"""REST API of casework: clients, cases, notes, follow-ups, documents, history.

Thin views: each operation has its own input and output serializers and calls
one service (writes) or selector (reads). Access rules live in the selectors
and services; the problem exception handler (config.api) turns their errors
into RFC 9457 documents. Records carry their version as ``ETag``; updates send
it back in ``If-Match``.
"""

import logging
import re
from collections.abc import Mapping

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import prefetch_related_objects
from django.http import FileResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.fields import SkipField
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import selectors as accounts_selectors
from accounts.idempotency import idempotent
from accounts.models import User
from accounts.permissions import Perm
from casework import selectors, services
from casework.models import (
    Case,
    CaseNote,
    Client,
    ClientSensitive,
    Document,
    IdentityDocument,
    Sex,
)
from config.api import PROBLEM_CONTENT_TYPE, problem
from config.errors import (
    Forbidden,
    InvalidInput,
    NotFound,
    PreconditionRequired,
)
from config.pagination import KeysetCursorPagination
from config.schema import ProblemSerializer

logger = logging.getLogger(__name__)


# --- Versions: ETag and If-Match ------------------------------------------------------


_IF_MATCH = re.compile(r'^(?:W/"(\d{1,9})"|"(\d{1,9})"|(\d{1,9}))$')


def if_match_version(request, *, required: bool) -> int | None:
    """The version named by ``If-Match``: ``"3"``, ``W/"3"`` and ``3`` all mean 3."""
    raw = request.headers.get("If-Match", "").strip()
    if not raw:
        if required:
            raise PreconditionRequired()
        return None
    match = _IF_MATCH.match(raw)
    if match is None:
        raise InvalidInput(
            _('If-Match must be one ETag of the record, such as "3".'),
            code="invalid_if_match",
            field="If-Match",
        )
    return int(next(group for group in match.groups() if group))


def etag(version: int) -> str:
    return f'"{version}"'


# --- Shared serializers ---------------------------------------------------------------


class InputSerializer(serializers.Serializer):
    """An input serializer that refuses fields it does not know, so that a
    misspelt field is a 400 rather than a silent no-op."""

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise ValidationError(
                    {
                        name: [ErrorDetail(_("Unknown field."), code="unknown_field")]
                        for name in unknown
                    }
                )
        return super().to_internal_value(data)


class UserRefSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    display_name = serializers.CharField()


class PossibleDuplicateSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    name_latin = serializers.CharField()
    date_of_birth = serializers.DateField(allow_null=True)


class PossibleDuplicateProblemSerializer(ProblemSerializer):
    """409 ``possible_duplicate``: the person may already be registered."""

    candidates = PossibleDuplicateSerializer(
        many=True,
        required=False,
        help_text="With code possible_duplicate: clients you can see who may be the same person.",
    )

    class Meta:
        ref_name = "PossibleDuplicateProblem"


PROBLEM_412 = {
    (412, PROBLEM_CONTENT_TYPE): OpenApiResponse(
        ProblemSerializer, description="Precondition failed: If-Match names a stale version."
    )
}
PROBLEM_428 = {
    (428, PROBLEM_CONTENT_TYPE): OpenApiResponse(
        ProblemSerializer, description="Precondition required: send If-Match."
    )
}
IF_MATCH_REQUIRED = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=True,
    description='The ETag of the version you edited, e.g. "3". Missing: 428; '
    "stale: 412 (nothing is changed).",
)
IF_MATCH_OPTIONAL = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description='Optional ETag of the version you acted on, e.g. "3"; stale: 412.',
)
IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description="A unique key (at most 200 characters) per record to create. A retry with "
    "the same key and body returns the first answer (Idempotent-Replayed: true) and creates "
    "nothing; the same key with another body is a 409.",
)
ETAG_HEADER = OpenApiParameter(
    "ETag",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    response=[200, 201],
    description="The record's version; send it back in If-Match to change the record.",
)
LOCATION_HEADER = OpenApiParameter(
    "Location", OpenApiTypes.URI, OpenApiParameter.HEADER, response=[201]
)


def _with_headers(response: Response, instance, location: str = "") -> Response:
    response["ETag"] = etag(instance.version)
    if location:
        response["Location"] = location
    return response


# --- Clients -----------------------------------------------------------------------


class IdentityDocumentInSerializer(InputSerializer):
    type = serializers.ChoiceField(choices=IdentityDocument.Type.choices)
    number = serializers.CharField(max_length=60)
    issuing_country = serializers.CharField(
        max_length=2, required=False, allow_blank=True, help_text="Country code, e.g. SY."
    )
    expires_on = serializers.DateField(required=False, allow_null=True)


class IdentityDocumentOutSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    type = serializers.CharField()
    number = serializers.CharField()
    issuing_country = serializers.CharField()
    expires_on = serializers.DateField(allow_null=True)
    is_expired = serializers.BooleanField()


class ClientSensitiveInSerializer(InputSerializer):
    health = serializers.CharField(required=False, allow_blank=True)
    disability = serializers.CharField(required=False, allow_blank=True)
    protection_concerns = serializers.CharField(required=False, allow_blank=True)
    ethnicity = serializers.CharField(max_length=120, required=False, allow_blank=True)
    religion = serializers.CharField(max_length=120, required=False, allow_blank=True)
    sexual_orientation = serializers.CharField(max_length=120, required=False, allow_blank=True)
    vulnerabilities = serializers.ListField(
        child=serializers.ChoiceField(choices=ClientSensitive.Vulnerability.choices),
        required=False,
    )


class ClientSensitiveOutSerializer(serializers.Serializer):
    health = serializers.CharField()
    disability = serializers.CharField()
    protection_concerns = serializers.CharField()
    ethnicity = serializers.CharField()
    religion = serializers.CharField()
    sexual_orientation = serializers.CharField()
    vulnerabilities = serializers.ListField(child=serializers.CharField())
    updated_at = serializers.DateTimeField(allow_null=True)


class SensitiveSectionField(ClientSensitiveOutSerializer):
    """The special-category section, rendered only when the view says the
    caller holds VIEW_SENSITIVE on the client; otherwise the key is absent."""

    def get_attribute(self, instance):
        if not self.context.get("show_sensitive"):
            raise SkipField()
        # No section recorded yet: an empty one (all fields blank).
        return getattr(instance, "sensitive", None) or ClientSensitive(client=instance)


class ClientFieldsInSerializer(InputSerializer):
    name = serializers.CharField(max_length=200, help_text="In the person's own script.")
    name_latin = serializers.CharField(max_length=200, required=False, allow_blank=True)
    preferred_name = serializers.CharField(max_length=120, required=False, allow_blank=True)
    date_of_birth = serializers.DateField(required=False, allow_null=True)
    date_of_birth_estimated = serializers.BooleanField(required=False)
    sex = serializers.ChoiceField(choices=Sex.choices, required=False)
    gender_identity = serializers.CharField(max_length=80, required=False, allow_blank=True)
    nationalities = serializers.ListField(
        child=serializers.CharField(max_length=2),
        required=False,
        max_length=10,
        help_text="Country codes, e.g. SY, AF.",
    )
    languages = serializers.ListField(
        child=serializers.CharField(max_length=3),
        required=False,
        max_length=20,
        help_text="Language codes, e.g. ar, fa, ti.",
    )
    interpreter_needed = serializers.BooleanField(required=False)
    interpreter_language = serializers.CharField(max_length=16, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True)
    email = serializers.EmailField(required=False, allow_blank=True)
    address = serializers.CharField(required=False, allow_blank=True)
    city = serializers.CharField(max_length=100, required=False, allow_blank=True)


class ClientCreateInSerializer(ClientFieldsInSerializer):
    agency = serializers.SlugField(
        required=False,
        help_text="Slug of the registering agency; needed only if you work for several.",
    )
    identity_documents = IdentityDocumentInSerializer(many=True, required=False)
    sensitive = ClientSensitiveInSerializer(
        required=False, help_text="Special-category data; needs VIEW_SENSITIVE in the agency."
    )
    confirmed_not_duplicate = serializers.BooleanField(
        default=False,
        help_text="Send true after a 409 possible_duplicate when this is a different person.",
    )


class ClientUpdateInSerializer(ClientFieldsInSerializer):
    sensitive = ClientSensitiveInSerializer(
        required=False,
        help_text="Changes to the special-category section (assigned caseworker and "
        "supervisors only; 403 otherwise).",
    )
    reason = serializers.CharField(
        max_length=200, required=False, allow_blank=True, help_text="Kept in the history."
    )

    def validate(self, attrs):
        if not set(attrs) - {"reason"}:
            raise ValidationError(_("Send at least one field to change."), code="empty")
        return attrs


class ClientListQuerySerializer(serializers.Serializer):
    q = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=200,
        help_text="Name in any script or spelling, or an identity-document number.",
    )


class ClientListItemSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    name_latin = serializers.CharField()
    preferred_name = serializers.CharField()
    date_of_birth = serializers.DateField(allow_null=True)
    sex = serializers.CharField()
    nationalities = serializers.ListField(child=serializers.CharField())
    created_at = serializers.DateTimeField()
    version = serializers.IntegerField()


class ClientDetailSerializer(ClientListItemSerializer):
    agency = serializers.CharField(source="agency.slug", help_text="The registering agency.")
    date_of_birth_estimated = serializers.BooleanField()
    gender_identity = serializers.CharField()
    languages = serializers.ListField(child=serializers.CharField())
    interpreter_needed = serializers.BooleanField()
    interpreter_language = serializers.CharField()
    phone = serializers.CharField()
    email = serializers.CharField()
    address = serializers.CharField()
    city = serializers.CharField()
    identity_documents = IdentityDocumentOutSerializer(many=True)
    sensitive = SensitiveSectionField(
        required=False,
        help_text="Special-category data. Present only when you hold VIEW_SENSITIVE on the "
        "client (supervisors, and caseworkers assigned to one of the client's cases).",
    )
    updated_at = serializers.DateTimeField()


def _client_body(actor: User, client: Client) -> dict:
    prefetch_related_objects([client], selectors.client_detail_queryset())
    show_sensitive = actor.has_perm(Perm.VIEW_SENSITIVE, client)
    return ClientDetailSerializer(client, context={"show_sensitive": show_sensitive}).data


def _client_url(client: Client) -> str:
    return reverse("api-client-detail", kwargs={"client_id": client.pk})


def _registering_agency(actor: User, slug: str):
    """The agency named by ``slug``, or the only agency where the actor may
    register clients."""
    if slug:
        return accounts_selectors.get_agency_for(actor, slug, Perm.ADD_CLIENT)
    permissions = accounts_selectors.agency_permissions(actor)
    agencies = [
        agency
        for agency in accounts_selectors.agencies_of(actor)
        if Perm.ADD_CLIENT in permissions.get(agency.pk, frozenset())
    ]
    if not agencies:
        raise Forbidden()
    if len(agencies) > 1:
        raise InvalidInput(
            _("You work for several agencies: say which one registers the client."),
            code="required",
            field="agency",
        )
    return agencies[0]


def _possible_duplicate_response(request, error: services.PossibleDuplicate) -> Response:
    body = problem(409, error.code, str(error.message), instance=request.path)
    body["candidates"] = PossibleDuplicateSerializer(error.candidates, many=True).data
    return Response(body, status=409, content_type=PROBLEM_CONTENT_TYPE)


def _renamed_document_errors(error: DjangoValidationError) -> DjangoValidationError:
    """register_client names identity-document errors ``documents.N.field``;
    in the API the list is ``identity_documents``."""
    if not hasattr(error, "error_dict"):
        return error
    prefix = "documents."
    return DjangoValidationError(
        {
            f"identity_{name}" if name.startswith(prefix) else name: messages
            for name, messages in error.message_dict.items()
        }
    )


class ClientListView(GenericAPIView):
    """Clients you can see, newest first; search by name or document number."""

    pagination_class = KeysetCursorPagination
    cursor_ordering = ("-created_at", "-id")

    @extend_schema(
        operation_id="clients_list",
        summary="List or search clients",
        parameters=[ClientListQuerySerializer],
        responses={200: ClientListItemSerializer(many=True)},
        description="Cursor-paginated (`cursor`, `page_size` ≤ 100), newest first, no total "
        "count. `q` matches names in any script or transliteration (محمد, Mohammed, "
        "Muhammad…) and identity-document numbers.",
    )
    def get(self, request):
        params = ClientListQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        query = params.validated_data.get("q", "").strip()
        if query:
            clients = selectors.search_clients(request.user, query)
        else:
            clients = selectors.clients_visible_to(request.user)
        page = self.paginate_queryset(clients)
        return self.get_paginated_response(ClientListItemSerializer(page, many=True).data)

    @extend_schema(
        operation_id="clients_create",
        summary="Register a client",
        request=ClientCreateInSerializer,
        parameters=[IDEMPOTENCY_KEY, ETAG_HEADER, LOCATION_HEADER],
        responses={
            201: ClientDetailSerializer,
            (409, PROBLEM_CONTENT_TYPE): OpenApiResponse(
                PossibleDuplicateProblemSerializer,
                description="`possible_duplicate` (with `candidates`): confirm with "
                "`confirmed_not_duplicate: true` or open the existing record; or "
                "`idempotency_key_reused`.",
            ),
        },
    )
    def post(self, request):
        data = ClientCreateInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        slug = fields.pop("agency", "")
        documents = fields.pop("identity_documents", [])
        sensitive = fields.pop("sensitive", None)
        confirmed = fields.pop("confirmed_not_duplicate")

        def produce() -> Response:
            try:
                client = services.register_client(
                    actor=request.user,
                    agency=_registering_agency(request.user, slug),
                    data=fields,
                    documents=[dict(document) for document in documents],
                    sensitive=dict(sensitive) if sensitive else None,
                    confirmed_not_duplicate=confirmed,
                )
            except DjangoValidationError as error:
                raise _renamed_document_errors(error) from error
            except InvalidInput as error:
                if (error.field or "").startswith("documents."):
                    error.field = f"identity_{error.field}"
                raise
            response = Response(_client_body(request.user, client), status=201)
            return _with_headers(response, client, _client_url(client))

        def replay(client_id: str) -> Response:
            client = selectors.get_client_for(request.user, client_id)
            response = Response(_client_body(request.user, client), status=201)
            return _with_headers(response, client, _client_url(client))

        try:
            return idempotent(request, "clients.create", produce, replay)
        except services.PossibleDuplicate as error:
            return _possible_duplicate_response(request, error)


class ClientDetailView(APIView):
    """One client: identity, contact, identity documents and, for those allowed,
    the special-category section."""

    @extend_schema(
        operation_id="clients_retrieve",
        summary="Get a client",
        parameters=[ETAG_HEADER],
        responses={200: ClientDetailSerializer},
    )
    def get(self, request, client_id):
        client = selectors.get_client_for(request.user, client_id)
        return _with_headers(Response(_client_body(request.user, client)), client)

    @extend_schema(
        operation_id="clients_partial_update",
        summary="Change a client",
        description="Send only the fields to change, with `If-Match` carrying the ETag you "
        "read. Changes to `sensitive` need VIEW_SENSITIVE on the client (403 otherwise); "
        "they also move the client's version. All or nothing.",
        request=ClientUpdateInSerializer,
        parameters=[IF_MATCH_REQUIRED, ETAG_HEADER],
        responses={200: ClientDetailSerializer, **PROBLEM_428},
    )
    def patch(self, request, client_id):
        version = if_match_version(request, required=True)
        data = ClientUpdateInSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        changes = dict(data.validated_data)
        reason = changes.pop("reason", "")
        sensitive = changes.pop("sensitive", None)
        # update_client_sensitive neither checks nor moves the client's version:
        # both writes share one transaction so a stale or forbidden part undoes all.
        with transaction.atomic():
            client = services.update_client(
                actor=request.user,
                client_id=client_id,
                expected_version=version,
                changes=changes,
                reason=reason,
            )
            if sensitive is not None:
                services.update_client_sensitive(
                    actor=request.user,
                    client_id=client_id,
                    changes=dict(sensitive),
                    reason=reason,
                )
        client = selectors.get_client_for(request.user, client_id)
        return _with_headers(Response(_client_body(request.user, client)), client)


class ClientDuplicatesView(APIView):
    """Other clients you can see who may be the same person."""

    @extend_schema(
        operation_id="clients_duplicates",
        summary="Possible duplicates of a client",
        description="Same normalised name (as written or in Latin letters) with a date of "
        "birth within a year, or the same identity-document number. At most 20, newest first.",
        responses={200: PossibleDuplicateSerializer(many=True)},
    )
    def get(self, request, client_id):
        client = selectors.get_client_for(request.user, client_id)
        candidates = selectors.find_possible_duplicates(
            request.user,
            name=client.name,
            name_latin=client.name_latin,
            date_of_birth=client.date_of_birth,
            document_numbers=list(client.identity_documents.values_list("number", flat=True)),
            exclude_id=client.pk,
        )
        return Response(PossibleDuplicateSerializer(candidates, many=True).data)


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
    case_type = serializers.CharField()
    status = serializers.CharField()
    risk_level = serializers.CharField()
    assigned_to = UserRefSerializer(allow_null=True)
    is_restricted = serializers.BooleanField()
    opened_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    version = serializers.IntegerField()
    can_edit = serializers.SerializerMethodField()

    def get_can_edit(self, case) -> bool:
        return case.pk in self.context["editable"]


class CaseDetailSerializer(CaseListItemSerializer):
    agency = serializers.CharField(source="agency.slug", help_text="The owning agency.")
    summary = serializers.CharField()
    closure_reason = serializers.CharField()
    closed_at = serializers.DateTimeField(allow_null=True)


def _case_response(request, case: Case, *, status_code: int = 200) -> Response:
    editable = selectors.editable_case_ids(request.user, [case])
    response = Response(
        CaseDetailSerializer(case, context={"editable": editable}).data, status=status_code
    )
    location = reverse("api-case-detail", kwargs={"case_id": case.pk}) if status_code == 201 else ""
    return _with_headers(response, case, location)


def _active_user(user_id, field: str) -> User | None:
    """The user named in the body; whether they may take the case is the
    service's rule (``_check_assignee``), with the same answer for strangers."""
    if user_id is None:
        return None
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        raise InvalidInput(
            _("Choose an active caseworker or supervisor of the case's agency."),
            code="invalid_assignee",
            field=field,
        )
    return user


class CaseListQuerySerializer(serializers.Serializer):
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
        required=False, default=False, help_text="Only cases with an open follow-up past due."
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


class CaseUpdateInSerializer(InputSerializer):
    case_type = serializers.ChoiceField(choices=Case.Type.choices, required=False)
    risk_level = serializers.ChoiceField(choices=Case.Risk.choices, required=False)
    summary = serializers.CharField(required=False, allow_blank=True)
    reason = serializers.CharField(
        max_length=200, required=False, allow_blank=True, help_text="Kept in the history."
    )

    def validate(self, attrs):
        if not set(attrs) - {"reason"}:
            raise ValidationError(_("Send at least one field to change."), code="empty")
        return attrs


class CaseListView(GenericAPIView):
    """Cases you can see, most recently updated first."""

    pagination_class = KeysetCursorPagination
    cursor_ordering = ("-updated_at", "-id")

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
        filters = params.validated_data
        cases = selectors.filter_cases(
            request.user,
            query=filters.get("q", ""),
            status=filters.get("status", ""),
            case_type=filters.get("type", ""),
            risk_level=filters.get("risk", ""),
            assigned_to_me=filters["assigned_to_me"],
            overdue_follow_ups=filters["overdue_follow_ups"],
            updated_since=filters.get("updated_since"),
        )
        page = self.paginate_queryset(selectors.with_client_and_assignee(cases))
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
                assigned_to=_active_user(fields.get("assigned_to"), "assigned_to"),
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
    return extend_schema(
        operation_id=operation_id,
        summary=summary,
        request=request,
        parameters=[IF_MATCH_OPTIONAL, ETAG_HEADER],
        responses={200: CaseDetailSerializer, **PROBLEM_412},
        description=description + " Returns the case with its new ETag.",
    )


class CaseAssignView(APIView):
    @_action_schema(
        "cases_assign",
        "Reassign a case",
        AssignInSerializer,
        "Needs ASSIGN_CASE (supervisors). The case must be open or on hold.",
    )
    def post(self, request, case_id):
        version = if_match_version(request, required=False)
        data = AssignInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        case = services.assign_case(
            actor=request.user,
            case_id=case_id,
            assignee=_active_user(data.validated_data["assignee"], "assignee"),
            expected_version=version,
            reason=data.validated_data.get("reason", ""),
        )
        return _case_response(request, case)


class CaseRestrictView(APIView):
    @_action_schema(
        "cases_restrict",
        "Restrict a case or lift the restriction",
        RestrictInSerializer,
        "Needs RESTRICT_CASE (supervisors). A restricted case is seen only by its assigned "
        "caseworker and supervisors.",
    )
    def post(self, request, case_id):
        version = if_match_version(request, required=False)
        data = RestrictInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        case = services.set_case_restricted(
            actor=request.user,
            case_id=case_id,
            restricted=data.validated_data["restricted"],
            reason=data.validated_data.get("reason", ""),
            expected_version=version,
        )
        return _case_response(request, case)


class CaseHoldView(APIView):
    @_action_schema(
        "cases_hold",
        "Put a case on hold",
        HoldInSerializer,
        "Needs CHANGE_CASE; the case must be open.",
    )
    def post(self, request, case_id):
        version = if_match_version(request, required=False)
        data = HoldInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        case = services.put_case_on_hold(
            actor=request.user,
            case_id=case_id,
            reason=data.validated_data["reason"],
            expected_version=version,
        )
        return _case_response(request, case)


class CaseCloseView(APIView):
    @_action_schema(
        "cases_close",
        "Close a case",
        CloseInSerializer,
        "Needs CLOSE_CASE; the case must be open or on hold.",
    )
    def post(self, request, case_id):
        version = if_match_version(request, required=False)
        data = CloseInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        case = services.close_case(
            actor=request.user,
            case_id=case_id,
            closure_reason=data.validated_data["closure_reason"],
            note=data.validated_data["note"],
            expected_version=version,
        )
        return _case_response(request, case)


class CaseReopenView(APIView):
    @_action_schema(
        "cases_reopen",
        "Reopen a case",
        ReopenInSerializer,
        "Needs CLOSE_CASE for a closed case, CHANGE_CASE for one on hold.",
    )
    def post(self, request, case_id):
        version = if_match_version(request, required=False)
        data = ReopenInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        case = services.reopen_case(
            actor=request.user,
            case_id=case_id,
            reason=data.validated_data["reason"],
            expected_version=version,
        )
        return _case_response(request, case)


# --- Notes -------------------------------------------------------------------------------


class NoteInSerializer(InputSerializer):
    kind = serializers.ChoiceField(choices=CaseNote.Kind.choices, default=CaseNote.Kind.NOTE)
    body = serializers.CharField(max_length=20000)
    is_confidential = serializers.BooleanField(
        default=False, help_text="Seen only by you and the supervisors."
    )


class NoteOutSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    kind = serializers.CharField()
    body = serializers.CharField()
    is_confidential = serializers.BooleanField()
    author = UserRefSerializer()
    created_at = serializers.DateTimeField()


class CaseNotesView(GenericAPIView):
    pagination_class = KeysetCursorPagination
    cursor_ordering = ("-created_at", "-id")

    @extend_schema(
        operation_id="cases_notes_list",
        summary="Notes of a case",
        description="Newest first, cursor-paginated. Needs VIEW_NOTES (a grant to see a case "
        "does not include its notes: 403). Others' confidential notes only for supervisors.",
        responses={200: NoteOutSerializer(many=True)},
    )
    def get(self, request, case_id):
        case = selectors.get_case_for(request.user, case_id, Perm.VIEW_NOTES)
        page = self.paginate_queryset(selectors.notes_visible_to(request.user, case))
        return self.get_paginated_response(NoteOutSerializer(page, many=True).data)

    @extend_schema(
        operation_id="cases_notes_create",
        summary="Write a note on a case",
        request=NoteInSerializer,
        responses={201: NoteOutSerializer},
    )
    def post(self, request, case_id):
        data = NoteInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        note = services.add_note(actor=request.user, case_id=case_id, **data.validated_data)
        return Response(NoteOutSerializer(note).data, status=status.HTTP_201_CREATED)


# --- Follow-ups ------------------------------------------------------------------------


class FollowUpInSerializer(InputSerializer):
    title = serializers.CharField(max_length=200)
    due_on = serializers.DateField()
    assigned_to = serializers.UUIDField(required=False, allow_null=True, help_text="Default: you.")


class FollowUpOutSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    title = serializers.CharField()
    due_on = serializers.DateField()
    assigned_to = UserRefSerializer()
    done_at = serializers.DateTimeField(allow_null=True)
    done_by = UserRefSerializer(allow_null=True)
    is_overdue = serializers.BooleanField()
    created_at = serializers.DateTimeField()


class CaseFollowUpsView(GenericAPIView):
    pagination_class = KeysetCursorPagination
    cursor_ordering = ("due_on", "id")

    @extend_schema(
        operation_id="cases_follow_ups_list",
        summary="Follow-ups of a case",
        description="Earliest due first, done ones included (`done_at`), cursor-paginated. "
        "Needs VIEW_FOLLOW_UPS.",
        responses={200: FollowUpOutSerializer(many=True)},
    )
    def get(self, request, case_id):
        case = selectors.get_case_for(request.user, case_id, Perm.VIEW_FOLLOW_UPS)
        page = self.paginate_queryset(selectors.follow_ups_visible_to(request.user, case))
        return self.get_paginated_response(FollowUpOutSerializer(page, many=True).data)

    @extend_schema(
        operation_id="cases_follow_ups_create",
        summary="Schedule a follow-up",
        request=FollowUpInSerializer,
        responses={201: FollowUpOutSerializer},
    )
    def post(self, request, case_id):
        data = FollowUpInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        follow_up = services.schedule_follow_up(
            actor=request.user,
            case_id=case_id,
            title=data.validated_data["title"],
            due_on=data.validated_data["due_on"],
            assigned_to=_active_user(data.validated_data.get("assigned_to"), "assigned_to"),
        )
        return Response(FollowUpOutSerializer(follow_up).data, status=status.HTTP_201_CREATED)


class FollowUpCompleteView(APIView):
    @extend_schema(
        operation_id="cases_follow_ups_complete",
        summary="Mark a follow-up done",
        description="Completing a follow-up that is already done changes nothing.",
        request=None,
        responses={200: FollowUpOutSerializer},
    )
    def post(self, request, case_id, follow_up_id):
        follow_up = services.complete_follow_up(
            actor=request.user, case_id=case_id, follow_up_id=follow_up_id
        )
        return Response(FollowUpOutSerializer(follow_up).data)


# --- Documents -----------------------------------------------------------------------


class DocumentInSerializer(InputSerializer):
    file = serializers.FileField(
        help_text="PDF, JPEG, PNG, WebP, TIFF, HEIC, DOCX or ODT; the type is read from the "
        "content, not the name."
    )
    category = serializers.ChoiceField(choices=Document.Category.choices)
    description = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default=""
    )


class DocumentOutSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    category = serializers.CharField()
    description = serializers.CharField()
    content_type = serializers.CharField(help_text="As read from the file's content.")
    size = serializers.IntegerField()
    sha256 = serializers.CharField()
    uploaded_by = UserRefSerializer()
    uploaded_at = serializers.DateTimeField()
    download_url = serializers.SerializerMethodField()

    def get_download_url(self, document) -> str:
        return _download_url(document)


def _download_url(document: Document) -> str:
    return reverse(
        "api-case-document-download",
        kwargs={"case_id": document.case_id, "document_id": document.pk},
    )


class CaseDocumentsView(GenericAPIView):
    pagination_class = KeysetCursorPagination
    cursor_ordering = ("-uploaded_at", "-id")
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        operation_id="cases_documents_list",
        summary="Documents of a case",
        description="Newest first, cursor-paginated. Medical documents only for those who "
        "hold VIEW_SENSITIVE on the case.",
        responses={200: DocumentOutSerializer(many=True)},
    )
    def get(self, request, case_id):
        case = selectors.get_case_for(request.user, case_id, Perm.VIEW_DOCUMENT)
        page = self.paginate_queryset(selectors.documents_visible_to(request.user, case))
        return self.get_paginated_response(DocumentOutSerializer(page, many=True).data)

    @extend_schema(
        operation_id="cases_documents_create",
        summary="Upload a document",
        description="`multipart/form-data`. A file whose content is not an accepted type "
        'answers 400 with `errors[0].field == "file"`. Medical documents need '
        "VIEW_SENSITIVE on the case.",
        request={"multipart/form-data": DocumentInSerializer},
        parameters=[LOCATION_HEADER],
        responses={201: DocumentOutSerializer},
    )
    def post(self, request, case_id):
        data = DocumentInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        document = services.upload_document(
            actor=request.user,
            case_id=case_id,
            uploaded_file=data.validated_data["file"],
            category=data.validated_data["category"],
            description=data.validated_data["description"],
        )
        return Response(
            DocumentOutSerializer(document).data,
            status=status.HTTP_201_CREATED,
            headers={"Location": _download_url(document)},
        )


class DocumentDownloadView(APIView):
    @extend_schema(
        operation_id="cases_documents_download",
        summary="Download a document",
        description="The stored bytes as an attachment, with the type read at upload.",
        responses={
            (200, "application/octet-stream"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The file."
            )
        },
    )
    def get(self, request, case_id, document_id):
        document = selectors.get_document_for(request.user, case_id, document_id)
        try:
            handle = document.file.open("rb")
        except FileNotFoundError as error:
            logger.error("document %s: stored file missing", document.pk)
            raise NotFound(_("The file of this document is missing.")) from error
        response = FileResponse(
            handle,
            as_attachment=True,
            filename=document.download_name,
            content_type=document.content_type,
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response


# --- History -------------------------------------------------------------------------


class HistoryChangeSerializer(serializers.Serializer):
    field = serializers.CharField()
    label = serializers.CharField()
    old = serializers.CharField(allow_blank=True)
    new = serializers.CharField(allow_blank=True)


class HistoryEntrySerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    actor_id = serializers.UUIDField(allow_null=True)
    actor = serializers.CharField(allow_blank=True)
    object = serializers.ChoiceField(choices=["case", "note", "follow_up", "document"])
    object_id = serializers.UUIDField()
    action = serializers.ChoiceField(choices=["created", "changed"])
    reason = serializers.CharField(allow_blank=True)
    changes = HistoryChangeSerializer(many=True)


class CaseHistoryView(APIView):
    @extend_schema(
        operation_id="cases_history",
        summary="History of a case",
        description="Who changed what, from what to what, when and why; newest first, the "
        "whole history in one answer. Needs VIEW_CASE_HISTORY (supervisors). Note bodies "
        "are never repeated here.",
        responses={200: HistoryEntrySerializer(many=True)},
    )
    def get(self, request, case_id):
        entries = selectors.case_history(request.user, case_id)
        return Response(HistoryEntrySerializer(entries, many=True).data)
