"""Inside a case: notes, follow-ups, documents and history."""

import logging

from django.http import FileResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import Perm
from casework import selectors, services
from casework.models import (
    CaseNote,
    Document,
)
from casework.selectors import active_user
from config.errors import (
    NotFound,
)
from config.http.pagination import KeysetCursorPagination, SequenceKeysetPagination
from config.http.schema import LOCATION_HEADER
from config.http.serializers import InputSerializer, UserRefSerializer

logger = logging.getLogger(__name__)


# --- Notes -------------------------------------------------------------------------------


class NoteInSerializer(InputSerializer):
    kind = serializers.ChoiceField(choices=CaseNote.Kind.choices, default=CaseNote.Kind.NOTE)
    body = serializers.CharField(max_length=20000)
    is_confidential = serializers.BooleanField(
        default=False, help_text="Seen only by you and the supervisors."
    )


class NoteOutSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    kind = serializers.ChoiceField(choices=CaseNote.Kind.choices)
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
            assigned_to=active_user(data.validated_data.get("assigned_to"), "assigned_to"),
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
        "content, and the name's extension must agree with it (e.g. `.jpg` or `.jpeg` for a "
        "JPEG)."
    )
    category = serializers.ChoiceField(choices=Document.Category.choices)
    description = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default=""
    )


class DocumentOutSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    category = serializers.ChoiceField(choices=Document.Category.choices)
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
    # A file is uploaded: multipart, the one body that is not JSON.
    parser_classes = [MultiPartParser]

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
        description="`multipart/form-data`. The file is checked before anything is stored; "
        'a refused file answers 400 with `errors[0].field == "file"` and one of these '
        "`errors[0].code`s: `file_too_large`, `empty_file`; `unsupported_file_type` (the "
        "content is not an accepted type); `extension_mismatch` (the name's extension says "
        "another type); `polyglot_file` (the file is also another type: web-page markup "
        "inside it, bytes before a PDF's header, an archive appended); `active_content` "
        "(a web page or SVG; a PDF with scripts, actions or attached files unless the "
        "agency's `allow_active_pdf`; a Word document with macros or embedded objects); "
        "`pdf_not_checkable` (an encrypted PDF whose structure cannot be checked); "
        "`compression_ratio_too_high` (a PDF, DOCX or ODT that unpacks far beyond its "
        "size); for DOCX and ODT also `archive_too_many_entries`, `archive_too_large`, "
        "`archive_unsafe_entry` and `damaged_file`. Medical documents need VIEW_SENSITIVE "
        "on the case.",
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
            # The type read from the bytes at upload: one of the accepted types.
            (200, media_type): OpenApiResponse(OpenApiTypes.BINARY, description="The file.")
            for media_type in services.ACCEPTED_DOCUMENT_TYPES
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


# What a case's history tells of (casework.selectors.history), and how.
HISTORY_OBJECTS = ("case", "note", "follow_up", "document", "plan", "goal", "action", "agreement")
HISTORY_ACTIONS = ("created", "changed")


class HistoryChangeSerializer(serializers.Serializer):
    field = serializers.CharField()
    label = serializers.CharField()
    old = serializers.CharField(allow_blank=True)
    new = serializers.CharField(allow_blank=True)


class HistoryEntrySerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    actor_id = serializers.UUIDField(allow_null=True)
    actor = serializers.CharField(allow_blank=True)
    object = serializers.ChoiceField(choices=HISTORY_OBJECTS)
    object_id = serializers.UUIDField()
    action = serializers.ChoiceField(choices=HISTORY_ACTIONS)
    reason = serializers.CharField(allow_blank=True)
    changes = HistoryChangeSerializer(many=True)


class CaseHistoryView(GenericAPIView):
    pagination_class = SequenceKeysetPagination
    sequence_position = staticmethod(selectors.history_position)
    sequence_position_types = selectors.HISTORY_POSITION_TYPES
    sequence_descending = True

    @extend_schema(
        operation_id="cases_history",
        summary="History of a case",
        description="Who changed what, from what to what, when and why; newest first (then "
        "by kind of record). Cursor-paginated (`cursor`, `page_size` ≤ 100, default 50), no "
        "total count. Needs VIEW_CASE_HISTORY (supervisors). Note bodies are never repeated "
        "here.",
        responses={200: HistoryEntrySerializer(many=True)},
    )
    def get(self, request, case_id):
        page = self.paginate_queryset(selectors.case_history(request.user, case_id))
        return self.get_paginated_response(HistoryEntrySerializer(page, many=True).data)
