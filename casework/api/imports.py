"""Spreadsheet imports in the API: upload with a mapping (the dry run runs at
once), the report, duplicate decisions, the run, the undo.

Every route needs IMPORT_CLIENTS in the import's agency (its supervisors and
agency admins); an import of another agency answers 404. Writes go through
``casework.services.imports``.
"""

import json

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import selectors as accounts_selectors
from accounts.access import Action, record_access
from accounts.models import Agency, User
from accounts.permissions import Perm
from casework.models import ClientImport, ImportRow
from casework.models.imports import DECISIONS
from casework.services import imports as services
from config.errors import Forbidden, InvalidInput
from config.http.api import PROBLEM_CONTENT_TYPE
from config.http.pagination import KeysetCursorPagination
from config.http.preconditions import if_match_version, with_version_headers
from config.http.query import QuerySerializer
from config.http.schema import (
    ETAG_HEADER,
    IF_MATCH_REQUIRED,
    LOCATION_HEADER,
    PROBLEM_428,
    ProblemSerializer,
)
from config.http.serializers import (
    AgencyRefSerializer,
    ChangeInSerializer,
    InputSerializer,
    UserRefSerializer,
)

_MAPPING_HELP = (
    "JSON: `columns` ({sheet: {header: field}}; a field from `fields` of the import, or "
    '"" for a column left out), `values` ({field: {text as written: code}}) for the cells '
    "of choice fields the guess does not know, `day_first` (true: 03/04/2024 is 3 April). "
    "Left out, the columns are guessed from the headers (English, French, Arabic)."
)


class ImportErrorSerializer(serializers.Serializer):
    sheet = serializers.CharField()
    row = serializers.IntegerField(help_text="The spreadsheet's own row number.")
    column = serializers.CharField(help_text="The column's header; empty when none is at fault.")
    field = serializers.CharField(help_text="Sanad's field.")
    code = serializers.CharField()
    message = serializers.CharField(help_text="Why; it never repeats the cell's value.")


class SheetSerializer(serializers.Serializer):
    name = serializers.CharField()
    headers = serializers.ListField(child=serializers.CharField())


class ImportOutSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    agency = AgencyRefSerializer()
    created_by = UserRefSerializer()
    created_at = serializers.DateTimeField()
    file_name = serializers.CharField()
    sha256 = serializers.CharField(help_text="Of the uploaded file.")
    size = serializers.IntegerField()
    format = serializers.ChoiceField(choices=ClientImport.Format.choices)
    sheets = SheetSerializer(many=True, help_text="The file's sheets and their headers.")
    sheet = serializers.CharField(help_text="The sheet of the clients.")
    case_sheet = serializers.CharField(help_text="The sheet of their cases, or empty.")
    document_sheet = serializers.CharField(help_text="The sheet of identity documents, or empty.")
    mapping = serializers.JSONField(help_text=_MAPPING_HELP)
    saved_mapping = serializers.UUIDField(
        source="saved_mapping_id",
        allow_null=True,
        help_text="The saved mapping the import started from, if any.",
    )
    mode = serializers.ChoiceField(choices=ClientImport.Mode.choices)
    state = serializers.ChoiceField(
        choices=ClientImport.State.choices,
        help_text="checking → checked (the dry run's report is ready) → running → imported "
        "(→ undone); failed when a row stopped being valid during an all-or-nothing run.",
    )
    progress = serializers.IntegerField(help_text="0–100 while running.")
    counts = serializers.JSONField(
        help_text="Rows by outcome of the dry run (`create`, `update`, `duplicate`, `error`), "
        "`rows`, `other_errors`; after the run, by result (`created`, `updated`, `skipped`)."
    )
    other_errors = ImportErrorSerializer(
        many=True, help_text="Rows of the cases or documents sheet that join no client."
    )
    error_code = serializers.ChoiceField(
        choices=ClientImport.ErrorCode.choices,
        allow_blank=True,
        help_text="Why a run failed (`row_changed`); empty otherwise.",
    )
    version = serializers.IntegerField()
    checked_at = serializers.DateTimeField(allow_null=True)
    started_at = serializers.DateTimeField(allow_null=True)
    imported_at = serializers.DateTimeField(allow_null=True)
    undone_at = serializers.DateTimeField(allow_null=True)
    file_deleted_at = serializers.DateTimeField(
        allow_null=True,
        read_only=True,
        help_text="When the uploaded file was deleted (undone, past the undo window, checked "
        "and not run for `IMPORT_STALE_DAYS`, or a person in it erased); null while it is "
        "kept. Once set, the import can no longer be run or remapped (`409` `file_deleted`); "
        "its rows' report stays.",
    )
    undo_blockers = serializers.SerializerMethodField()
    rows_url = serializers.SerializerMethodField()
    report_url = serializers.SerializerMethodField()

    def get_undo_blockers(self, client_import) -> list[dict]:
        """Imported: what stops the undo now (empty: it can be undone; not
        computed in a list)."""
        if client_import.state != ClientImport.State.IMPORTED or self.context.get("listing"):
            return []
        return services.undo_blockers(client_import)

    def get_rows_url(self, client_import) -> str:
        return reverse("api-import-rows", kwargs={"import_id": client_import.pk})

    def get_report_url(self, client_import) -> str:
        return reverse("api-import-report", kwargs={"import_id": client_import.pk})


class CandidateSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    name_latin = serializers.CharField()
    date_of_birth = serializers.DateField(allow_null=True)


class ImportRowOutSerializer(serializers.Serializer):
    row = serializers.IntegerField(source="row_number")
    reference = serializers.CharField()
    outcome = serializers.ChoiceField(choices=ImportRow.Outcome.choices)
    errors = ImportErrorSerializer(many=True)
    candidates = serializers.SerializerMethodField()
    candidate_ids = serializers.ListField(
        source="candidates",
        child=serializers.UUIDField(),
        help_text="Every existing client this row may be; `candidates` describes those you "
        "may see (an agency admin sees the ids only).",
    )
    duplicate_of_row = serializers.IntegerField(
        allow_null=True, help_text="The earlier row of the same file this one may repeat."
    )
    decision = serializers.ChoiceField(choices=ImportRow.Decision.choices)
    linked_client = serializers.UUIDField(source="linked_client_id", allow_null=True)
    result = serializers.ChoiceField(choices=ImportRow.Result.choices)
    client = serializers.UUIDField(source="client_id", allow_null=True)

    def get_candidates(self, row) -> list[dict]:
        found = self.context.get("candidates", {})
        return [CandidateSerializer(found[pk]).data for pk in row.candidates if pk in found]


def _importing_agency(actor: User, slug: str) -> Agency:
    if slug:
        return accounts_selectors.get_agency_for(actor, slug, Perm.IMPORT_CLIENTS)
    agencies = list(services.importing_agencies(actor)[:2])
    if not agencies:
        raise Forbidden()
    if len(agencies) > 1:
        raise InvalidInput(
            _("You work for several agencies: say which one imports."),
            code="required",
            field="agency",
        )
    return agencies[0]


def _mapping(text: str):
    if not text:
        return None
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        raise InvalidInput(
            _("Give the mapping as JSON."), code="invalid", field="mapping"
        ) from None


class ImportInSerializer(InputSerializer):
    file = serializers.FileField(
        help_text="An .xlsx, .ods or .csv file (UTF-8 or UTF-16, any delimiter); checked like "
        "any upload: the type from the bytes, no macros, the unpacked size bounded."
    )
    agency = serializers.SlugField(
        required=False,
        default="",
        help_text="Slug of the importing agency; needed only if you import for several.",
    )
    sheet = serializers.CharField(
        required=False,
        default="",
        max_length=100,
        help_text="The clients' sheet (default: the first).",
    )
    case_sheet = serializers.CharField(required=False, default="", max_length=100, allow_blank=True)
    document_sheet = serializers.CharField(
        required=False, default="", max_length=100, allow_blank=True
    )
    mapping = serializers.CharField(
        required=False, default="", allow_blank=True, help_text=_MAPPING_HELP
    )
    mode = serializers.ChoiceField(
        choices=ClientImport.Mode.choices, required=False, default=ClientImport.Mode.ALL_OR_NOTHING
    )
    saved_mapping = serializers.UUIDField(
        required=False,
        help_text="A saved mapping of the agency to start from (400 `mapping_does_not_fit` when "
        "the file lacks its sheets or columns). Left out with no `mapping`, the newest saved "
        "mapping the file fits is used, else the columns are guessed.",
    )

    def validate_file(self, upload):
        # Refused before it is read (the service checks the bytes again).
        if upload.size > settings.IMPORT_MAX_BYTES:
            raise serializers.ValidationError(
                _("The file is larger than %(mb)s MB.")
                % {"mb": settings.IMPORT_MAX_BYTES // (1024 * 1024)},
                code="file_too_large",
            )
        return upload


class ImportChangeSerializer(ChangeInSerializer):
    sheet = serializers.CharField(required=False, max_length=100)
    case_sheet = serializers.CharField(required=False, max_length=100, allow_blank=True)
    document_sheet = serializers.CharField(required=False, max_length=100, allow_blank=True)
    mapping = serializers.DictField(required=False, help_text=_MAPPING_HELP)
    mode = serializers.ChoiceField(choices=ClientImport.Mode.choices, required=False)


class BlockedReasonSerializer(serializers.Serializer):
    row = serializers.IntegerField(allow_null=True, required=False)
    code = serializers.CharField(
        help_text="A run: `error`, `duplicate`. An undo: `changed`, `consent_changed` (an "
        "imported consent withdrawn since), `document_changed` (an imported identity "
        "document edited since), `shared` (shared with a user or group since), "
        "`referred_to` (something recorded since refers to it)."
    )
    record = serializers.CharField(
        required=False, help_text="client, case, consent, identitydocument, casenote…"
    )
    id = serializers.CharField(required=False)
    label = serializers.CharField(required=False)


class ImportBlockedProblemSerializer(ProblemSerializer):
    """409: the import cannot do this now; ``reasons`` says which rows or records stop it."""

    reasons = BlockedReasonSerializer(many=True, required=False)

    class Meta:
        ref_name = "ImportBlockedProblem"


_BLOCKED = {
    (409, PROBLEM_CONTENT_TYPE): OpenApiResponse(
        ImportBlockedProblemSerializer,
        description="`rows_have_errors`, `decisions_needed` (run) or `undo_blocked`, "
        "`undo_too_late` (undo), `import_state`; `reasons` lists the rows or records at fault.",
    )
}


def _import_url(client_import: ClientImport) -> str:
    return reverse("api-import-detail", kwargs={"import_id": client_import.pk})


_UPLOAD_ERRORS = (
    "A refused file answers 400 naming `file`, with one of: `file_too_large`, `empty_file`, "
    "`unsupported_file_type`, `extension_mismatch`, `encoding`, `polyglot_file`, "
    "`active_content` (macros), `compression_ratio_too_high`, `archive_too_many_entries`, "
    "`archive_too_large`, `archive_unsafe_entry`, `damaged_file`, `spreadsheet_too_large`, "
    "`too_many_columns`. A mapping that cannot be used names `mapping.columns` (or `sheet`): "
    "`unknown_sheet`, `unknown_column`, `mapped_twice`, `name_column_required`, "
    "`reference_column_required`."
)


class ImportListView(GenericAPIView):
    pagination_class = KeysetCursorPagination
    parser_classes = [MultiPartParser]

    @extend_schema(
        operation_id="imports_list",
        summary="Spreadsheet imports",
        description="Newest first, of the agencies where you may import (supervisors, agency "
        "admins).",
        responses={200: ImportOutSerializer(many=True)},
    )
    def get(self, request):
        queryset = services.imports_visible_to(request.user).select_related("agency", "created_by")
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(
            ImportOutSerializer(page, many=True, context={"listing": True}).data
        )

    @extend_schema(
        operation_id="imports_create",
        summary="Upload a spreadsheet and check it (dry run)",
        description="`multipart/form-data`. Every row is validated as registration validates "
        "it and checked for possible duplicates (the same cross-script check); nothing but "
        "the import and its report is written. Then read the rows, decide on duplicates, "
        "change the mapping (PATCH) and run it. " + _UPLOAD_ERRORS,
        request={"multipart/form-data": ImportInSerializer},
        parameters=[LOCATION_HEADER, ETAG_HEADER],
        responses={201: ImportOutSerializer},
    )
    def post(self, request):
        data = ImportInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        upload = fields["file"]
        agency = _importing_agency(request.user, fields["agency"])
        client_import = services.upload_import(
            actor=request.user,
            agency=agency,
            data=upload.read(),
            file_name=upload.name or "",
            sheet=fields["sheet"],
            case_sheet=fields["case_sheet"],
            document_sheet=fields["document_sheet"],
            mapping=_mapping(fields["mapping"]),
            mode=fields["mode"],
            saved_mapping=(
                services.get_mapping_for(agency, fields["saved_mapping"])
                if fields.get("saved_mapping")
                else None
            ),
        )
        return with_version_headers(
            Response(ImportOutSerializer(client_import).data, status=status.HTTP_201_CREATED),
            client_import,
            _import_url(client_import),
        )


class ImportDetailView(APIView):
    @extend_schema(
        operation_id="imports_retrieve",
        summary="An import: state, progress, counts, mapping",
        parameters=[ETAG_HEADER],
        responses={200: ImportOutSerializer},
    )
    def get(self, request, import_id):
        client_import = services.get_import_for(request.user, import_id)
        record_access(request.user, Action.VIEW, client_import)
        return with_version_headers(
            Response(ImportOutSerializer(client_import).data), client_import
        )

    @extend_schema(
        operation_id="imports_partial_update",
        summary="Change the mapping, the sheets or the mode, and check again",
        description="Only before the run (or after a failed run). A new mapping or sheet "
        "checks every row again (and forgets the duplicate decisions); `mode` alone keeps "
        "the report and the decisions. The version changes either way. " + _UPLOAD_ERRORS,
        request=ImportChangeSerializer,
        parameters=[IF_MATCH_REQUIRED, ETAG_HEADER],
        responses={200: ImportOutSerializer, **PROBLEM_428, **_BLOCKED},
    )
    def patch(self, request, import_id):
        data = ImportChangeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        fields.pop("reason", None)
        client_import = services.change_mapping(
            actor=request.user,
            import_id=import_id,
            expected_version=if_match_version(request, required=True),
            **fields,
        )
        return with_version_headers(
            Response(ImportOutSerializer(client_import).data), client_import
        )


class ImportRowsQuery(QuerySerializer):
    outcome = serializers.ChoiceField(
        choices=ImportRow.Outcome.choices, required=False, help_text="Only rows of this outcome."
    )


class ImportRowsView(GenericAPIView):
    pagination_class = KeysetCursorPagination
    cursor_ordering = ("row_number", "id")

    @extend_schema(
        operation_id="imports_rows_list",
        summary="The dry run's report, a row each",
        description="In file order. A possible duplicate names its candidates: the existing "
        "clients it may be (name, name in Latin letters, date of birth), or the earlier row.",
        parameters=[ImportRowsQuery],
        responses={200: ImportRowOutSerializer(many=True)},
    )
    def get(self, request, import_id):
        params = ImportRowsQuery(data=request.query_params)
        params.is_valid(raise_exception=True)
        query = params.validated_data
        client_import = services.get_import_for(request.user, import_id)
        rows = client_import.rows.all()
        if query.get("outcome"):
            rows = rows.filter(outcome=query["outcome"])
        page = self.paginate_queryset(rows)
        candidates = services.visible_candidates(
            request.user, client_import, {pk for row in page for pk in row.candidates}
        )
        record_access(request.user, Action.LIST, client_import)
        return self.get_paginated_response(
            ImportRowOutSerializer(page, many=True, context={"candidates": candidates}).data
        )


class DecisionInSerializer(InputSerializer):
    row = serializers.IntegerField(min_value=1, help_text="The spreadsheet's row number.")
    decision = serializers.ChoiceField(
        choices=DECISIONS,
        help_text="`link`: add the row's cases and documents to the existing client (`client`, "
        "one of the candidates; or the earlier row's); `skip`; `new`: a different person.",
    )
    client = serializers.UUIDField(required=False, allow_null=True, default=None)


class ImportDecisionView(APIView):
    @extend_schema(
        operation_id="imports_decide",
        summary="Decide what a possible duplicate is",
        request=DecisionInSerializer,
        responses={200: ImportRowOutSerializer, **_BLOCKED},
    )
    def post(self, request, import_id):
        data = DecisionInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        row = services.decide_duplicate(
            actor=request.user,
            import_id=import_id,
            row_number=fields["row"],
            decision=fields["decision"],
            client_id=fields["client"],
        )
        return Response(ImportRowOutSerializer(row).data)


class RunInSerializer(InputSerializer):
    mode = serializers.ChoiceField(
        choices=ClientImport.Mode.choices,
        required=False,
        default=None,
        allow_null=True,
        help_text="`all` (default): every row valid and every duplicate decided, or nothing "
        "is imported; `valid_only`: the rows with errors and undecided duplicates are skipped.",
    )


RUN_ETAG_HEADER = OpenApiParameter(
    "ETag",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    response=[202],
    description="The import's version.",
)


class ImportRunView(APIView):
    @extend_schema(
        operation_id="imports_run",
        summary="Run a checked import",
        description="Queued as a background job (at once without a broker), written batch by "
        "batch; follow `state` and `progress` on the import. Each record carries history with "
        "the import as its reason and you as actor; the import is one row of the access log.",
        request=RunInSerializer,
        parameters=[RUN_ETAG_HEADER],
        responses={202: ImportOutSerializer, **_BLOCKED},
    )
    def post(self, request, import_id):
        data = RunInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        client_import = services.start_import(
            actor=request.user, import_id=import_id, mode=data.validated_data["mode"]
        )
        return with_version_headers(
            Response(ImportOutSerializer(client_import).data, status=status.HTTP_202_ACCEPTED),
            client_import,
        )


class ImportUndoView(APIView):
    @extend_schema(
        operation_id="imports_undo",
        summary="Undo an import",
        description="Within IMPORT_UNDO_DAYS of the run, while nothing it made has changed: "
        "409 `undo_blocked` lists the records that block it.",
        request=None,
        parameters=[ETAG_HEADER],
        responses={200: ImportOutSerializer, **_BLOCKED},
    )
    def post(self, request, import_id):
        client_import = services.undo_import(actor=request.user, import_id=import_id)
        return with_version_headers(
            Response(ImportOutSerializer(client_import).data), client_import
        )


class SavedMappingOutSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    agency = AgencyRefSerializer()
    name = serializers.CharField()
    sheet = serializers.CharField()
    case_sheet = serializers.CharField()
    document_sheet = serializers.CharField()
    mapping = serializers.JSONField(help_text=_MAPPING_HELP)
    shape = serializers.JSONField(
        help_text="{sheet: [header, …]} of the file it was saved from; a file fits the "
        "mapping when it has its sheets and the headers it maps."
    )
    updated_at = serializers.DateTimeField()


class SavedMappingListView(GenericAPIView):
    pagination_class = KeysetCursorPagination
    cursor_ordering = ("name", "id")

    @extend_schema(
        operation_id="import_mappings_list",
        summary="Saved import mappings",
        description="Of the agencies where you may import, by name. Name one as "
        "`saved_mapping` when uploading.",
        responses={200: SavedMappingOutSerializer(many=True)},
    )
    def get(self, request):
        page = self.paginate_queryset(services.mappings_visible_to(request.user))
        return self.get_paginated_response(SavedMappingOutSerializer(page, many=True).data)


class SaveMappingInSerializer(InputSerializer):
    name = serializers.CharField(
        max_length=100, help_text="A mapping of the agency with this name is replaced."
    )


class ImportSaveMappingView(APIView):
    @extend_schema(
        operation_id="imports_save_mapping",
        summary="Save an import's mapping under a name",
        description="The columns, value mappings, day-first and sheets, to reuse for the next "
        "file of the same shape.",
        request=SaveMappingInSerializer,
        responses={200: SavedMappingOutSerializer},
    )
    def post(self, request, import_id):
        data = SaveMappingInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        saved = services.save_mapping(
            actor=request.user, import_id=import_id, name=data.validated_data["name"]
        )
        return Response(SavedMappingOutSerializer(saved).data)
