"""Inside a case: notes, follow-ups and documents."""

import hashlib
from datetime import date
from uuid import UUID

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.audit import save_with_history
from accounts.models import User
from accounts.permissions import Perm
from casework.models import (
    CaseNote,
    Document,
    FollowUp,
)
from casework.selectors import (
    get_case_for,
    is_uuid,
)
from casework.services.cases import (
    check_assignee,
)
from casework.services.common import (
    require_bool,
    require_text,
)
from casework.services.file_checks import check_document, refuse_markup_file
from config.errors import Forbidden, InvalidInput, NotFound


@transaction.atomic
def add_note(
    *,
    actor: User,
    case_id: UUID | str,
    body: str,
    kind: str = CaseNote.Kind.NOTE,
    is_confidential: bool = False,
) -> CaseNote:
    """Write a note on a case. Needs ADD_NOTE. A confidential note is seen only
    by its author and supervisors. Writes the history."""
    body = require_text(body, "body")
    require_bool(is_confidential, "is_confidential")
    case = get_case_for(actor, case_id, Perm.ADD_NOTE)
    note = CaseNote(case=case, author=actor, kind=kind, body=body, is_confidential=is_confidential)
    save_with_history(note, actor=actor, reason=gettext_noop("note added"))
    return note


@transaction.atomic
def schedule_follow_up(
    *,
    actor: User,
    case_id: UUID | str,
    title: str,
    due_on: date,
    assigned_to: User | None = None,
) -> FollowUp:
    """Schedule a follow-up on a case for its assignee (default: the actor; an
    active caseworker or supervisor of the case's agency). Needs ADD_FOLLOW_UP.
    The due date may not be in the past (400 ``invalid`` at ``due_on``).
    Writes the history."""
    title = require_text(title, "title")
    case = get_case_for(actor, case_id, Perm.ADD_FOLLOW_UP)
    if not isinstance(due_on, date):
        raise InvalidInput(_("Enter a valid date."), code="invalid", field="due_on")
    # "Today" in the active time zone: the user's on pages, UTC in the API.
    if due_on < timezone.localdate():
        raise InvalidInput(_("The due date cannot be in the past."), code="past", field="due_on")
    assignee = assigned_to or actor
    check_assignee(case.agency_id, assignee)
    follow_up = FollowUp(
        case=case, title=title, due_on=due_on, assigned_to=assignee, created_by=actor
    )
    save_with_history(follow_up, actor=actor, reason=gettext_noop("follow-up scheduled"))
    return follow_up


@transaction.atomic
def complete_follow_up(*, actor: User, case_id: UUID | str, follow_up_id: UUID | str) -> FollowUp:
    """Mark a follow-up of a case done (once; again changes nothing). Needs
    COMPLETE_FOLLOW_UP on the case. Writes the history."""
    case = get_case_for(actor, case_id, Perm.COMPLETE_FOLLOW_UP)
    follow_up = (
        FollowUp.objects.select_for_update().filter(case=case, pk=follow_up_id).first()
        if is_uuid(follow_up_id)
        else None
    )
    if follow_up is None:
        raise NotFound()
    if follow_up.done_at is not None:
        return follow_up
    follow_up.done_at = timezone.now()
    follow_up.done_by = actor
    save_with_history(
        follow_up,
        actor=actor,
        reason=gettext_noop("follow-up done"),
        update_fields=["done_at", "done_by"],
    )
    return follow_up


ACCEPTED_DOCUMENT_TYPES = {
    "application/pdf": "pdf",
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
    "image/tiff": "tif",
    "image/heic": "heic",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.oasis.opendocument.text": "odt",
}


def sniff_content_type(head: bytes) -> str | None:
    """The content type the bytes show (not what the name or browser claims)."""
    import filetype

    kind = filetype.guess(head)
    return kind.mime if kind else None


def _check_size(size: int, limit: int) -> None:
    if size > limit:
        raise InvalidInput(
            _("The file is too large (at most %(mb)s MB).") % {"mb": limit // (1024 * 1024)},
            code="file_too_large",
            field="file",
        )
    if size == 0:
        raise InvalidInput(_("The file is empty."), code="empty_file", field="file")


@transaction.atomic
def upload_document(
    *,
    actor: User,
    case_id: UUID | str,
    uploaded_file: UploadedFile,
    category: str,
    description: str = "",
) -> Document:
    """Store a document of a case in private storage under a server-made name.
    Needs ADD_DOCUMENT; medical documents also VIEW_SENSITIVE. The size is
    capped before anything is read; the type is read from the bytes and must be
    an accepted one, the name's extension must agree with it, and
    ``file_checks.check_document`` refuses files that are also another type,
    carry active content (a PDF's scripts and attached files pass when the
    case's agency ``allow_active_pdf``) or unpack too far. Every refusal is a
    400 naming ``file`` with its own code; nothing is stored."""
    case = get_case_for(actor, case_id, Perm.ADD_DOCUMENT)
    if category == Document.Category.MEDICAL and not actor.has_perm(Perm.VIEW_SENSITIVE, case):
        raise Forbidden(
            _("Only the assigned caseworker and supervisors may add medical documents.")
        )
    limit = settings.DOCUMENT_MAX_BYTES
    _check_size(uploaded_file.size, limit)
    uploaded_file.seek(0)
    # The bytes checked are the bytes hashed and stored; the read stops past the limit.
    data = uploaded_file.read(limit + 1)
    _check_size(len(data), limit)
    content_type = sniff_content_type(data[:8192])
    if content_type not in ACCEPTED_DOCUMENT_TYPES:
        refuse_markup_file(data)
        raise InvalidInput(
            _(
                "This kind of file is not accepted (its content is %(found)s). Upload a PDF, "
                "an image (JPEG, PNG, WebP, TIFF, HEIC) or a Word/OpenDocument text."
            )
            % {"found": content_type or _("not recognised")},
            code="unsupported_file_type",
            field="file",
        )
    check_document(
        data=data,
        name=uploaded_file.name or "",
        content_type=content_type,
        allow_active_pdf=case.agency.allow_active_pdf,
    )
    document = Document(
        case=case,
        category=category,
        description=description.strip(),
        content_type=content_type,
        extension=ACCEPTED_DOCUMENT_TYPES[content_type],
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        uploaded_by=actor,
    )
    document.file.save("upload", ContentFile(data), save=False)
    # Storage is not transactional: if the row cannot be written, remove the file.
    try:
        save_with_history(document, actor=actor, reason=gettext_noop("document uploaded"))
    except Exception:
        document.file.storage.delete(document.file.name)
        raise
    return document
