"""Writes to casework data: one function per use case.

Keyword-only, ``actor`` first; one transaction each; permission checked on the
scoped, locked row; validated with ``full_clean``; saved with history (actor
and reason). State changes lock the row first (``select_for_update`` on
PostgreSQL; SQLite runs every transaction as BEGIN IMMEDIATE).
"""

import hashlib
from datetime import date
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django_countries import countries

from accounts.audit import save_with_history
from accounts.models import Agency, User
from accounts.permissions import Perm
from casework.models import (
    Case,
    CaseCounter,
    CaseNote,
    Client,
    ClientSensitive,
    Document,
    FollowUp,
    IdentityDocument,
)
from casework.names import document_number_key, name_key, search_text
from casework.selectors import (
    assignable_members,
    find_possible_duplicates,
    get_case_for,
    get_client_for,
    is_uuid,
)
from config.errors import Conflict, Forbidden, InvalidInput, NotFound, PreconditionFailed

CLIENT_FIELDS = (
    "name",
    "name_latin",
    "preferred_name",
    "date_of_birth",
    "date_of_birth_estimated",
    "sex",
    "gender_identity",
    "nationalities",
    "languages",
    "interpreter_needed",
    "interpreter_language",
    "phone",
    "email",
    "address",
    "city",
)
SENSITIVE_FIELDS = (
    "health",
    "disability",
    "protection_concerns",
    "ethnicity",
    "religion",
    "sexual_orientation",
    "vulnerabilities",
)
CASE_EDIT_FIELDS = ("case_type", "risk_level", "summary")


class PossibleDuplicate(Conflict):
    """409: the client may already be registered; the caller confirms or opens it."""

    code = "possible_duplicate"

    def __init__(self, candidates):
        self.candidates = list(candidates)
        super().__init__(
            _(
                "This person may already be registered. Open the existing record, or confirm "
                "that this is a different person."
            )
        )


def _check_version(instance, expected_version) -> None:
    if expected_version is None or expected_version == "":
        raise InvalidInput(
            _("The record's version is required."), code="version_required", field="version"
        )
    try:
        expected = int(str(expected_version).strip().removeprefix("W/").strip('"'))
    except ValueError:
        raise InvalidInput(
            _("The version must be a whole number."), code="invalid", field="version"
        ) from None
    if expected != instance.version:
        raise PreconditionFailed()


def _require_mapping(data, field: str) -> dict:
    if not isinstance(data, dict):
        raise InvalidInput(_("Expected an object with fields."), code="invalid", field=field)
    return data


def _unknown_fields(data: dict, allowed, prefix: str = "") -> None:
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise InvalidInput(
            _("Unknown field: %(field)s.") % {"field": unknown[0]},
            code="unknown_field",
            field=f"{prefix}{unknown[0]}",
        )


def _require_bool(value, field: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidInput(_("Must be true or false."), code="invalid", field=field)
    return value


def _require_text(value, field: str, *, required: bool = True) -> str:
    if not isinstance(value, str):
        raise InvalidInput(_("Must be text."), code="invalid", field=field)
    value = value.strip()
    if required and not value:
        raise InvalidInput(_("This field is required."), code="required", field=field)
    return value


def _validated_client(client: Client) -> Client:
    """Validate first (full_clean turns form input into typed values), then
    derive the search keys from the cleaned names."""
    client.full_clean(exclude=["search_text", "name_key", "name_latin_key"])
    client.search_text = search_text(client.name, client.name_latin, client.preferred_name)
    client.name_key = name_key(client.name)
    client.name_latin_key = name_key(client.name_latin)
    return client


def _prefixed(error: ValidationError, prefix: str) -> ValidationError:
    if not hasattr(error, "error_dict"):
        return ValidationError({prefix.rstrip("."): error.messages})
    return ValidationError(
        {f"{prefix}{name}": messages for name, messages in error.message_dict.items()}
    )


# --- Clients -----------------------------------------------------------------


@transaction.atomic
def register_client(
    *,
    actor: User,
    agency: Agency,
    data: dict[str, Any],
    documents: list[dict[str, Any]] | None = None,
    sensitive: dict[str, Any] | None = None,
    confirmed_not_duplicate: bool = False,
) -> Client:
    """Register a client in ``agency`` (needs ADD_CLIENT there), with identity
    documents. Possible duplicates among the clients the actor can see raise
    PossibleDuplicate unless ``confirmed_not_duplicate``. Special-category data
    needs VIEW_SENSITIVE in the agency."""
    if not actor.has_perm(Perm.ADD_CLIENT, agency):
        raise Forbidden()
    _unknown_fields(_require_mapping(data, "data"), CLIENT_FIELDS)
    documents = documents or []
    if not isinstance(documents, list):
        raise InvalidInput(_("Expected a list."), code="invalid", field="documents")
    if sensitive and not actor.has_perm(Perm.VIEW_SENSITIVE, agency):
        raise Forbidden(_("Your role may not record special-category data for this client."))
    client = _validated_client(Client(agency=agency, registered_by=actor, **data))
    # Validate every document before anything is written or compared.
    identity_documents = [
        _identity_document(client, document, prefix=f"documents.{index}.")
        for index, document in enumerate(documents)
    ]
    if not confirmed_not_duplicate:
        candidates = find_possible_duplicates(
            actor,
            name=client.name,
            name_latin=client.name_latin,
            date_of_birth=client.date_of_birth,
            document_numbers=[document.number for document in identity_documents],
        )
        if candidates:
            raise PossibleDuplicate(candidates)
    save_with_history(client, actor=actor, reason=gettext_noop("client registered"))
    for document in identity_documents:
        save_with_history(document, actor=actor, reason=gettext_noop("identity document recorded"))
    if sensitive:
        _save_sensitive(actor, client, sensitive, reason=gettext_noop("recorded at registration"))
    return client


@transaction.atomic
def update_client(
    *,
    actor: User,
    client_id,
    expected_version: int | None,
    changes: dict[str, Any],
    reason: str = "",
) -> Client:
    """Change a client's identity and contact fields. Needs CHANGE_CLIENT; a
    stale ``expected_version`` raises PreconditionFailed (412), changing nothing."""
    _unknown_fields(_require_mapping(changes, "changes"), CLIENT_FIELDS)
    client = get_client_for(actor, client_id, Perm.CHANGE_CLIENT, lock=True)
    _check_version(client, expected_version)
    for name, value in changes.items():
        setattr(client, name, value)
    _validated_client(client)
    client.version += 1
    save_with_history(client, actor=actor, reason=reason or gettext_noop("client updated"))
    return client


def _save_sensitive(actor: User, client: Client, changes: dict[str, Any], reason: str):
    _unknown_fields(_require_mapping(changes, "sensitive"), SENSITIVE_FIELDS)
    section = ClientSensitive.objects.filter(client=client).first() or ClientSensitive(
        client=client
    )
    for name, value in changes.items():
        setattr(section, name, value)
    allowed = set(ClientSensitive.Vulnerability.values)
    vulnerabilities = section.vulnerabilities
    if not isinstance(vulnerabilities, list) or not all(
        isinstance(item, str) and item in allowed for item in vulnerabilities
    ):
        raise ValidationError({"vulnerabilities": _("Choose from the listed vulnerabilities.")})
    save_with_history(section, actor=actor, reason=reason)
    return section


@transaction.atomic
def update_client_sensitive(
    *, actor: User, client_id, changes: dict[str, Any], reason: str = ""
) -> ClientSensitive:
    """Write the special-category section. Needs VIEW_SENSITIVE (supervisors,
    or the caseworker assigned to one of the client's cases) and CHANGE_CLIENT."""
    client = get_client_for(actor, client_id, Perm.CHANGE_CLIENT, lock=True)
    if not actor.has_perm(Perm.VIEW_SENSITIVE, client):
        raise Forbidden(_("Only the assigned caseworker and supervisors may change this section."))
    return _save_sensitive(
        actor, client, changes, reason or gettext_noop("special-category data updated")
    )


def _identity_document(client: Client, data, prefix: str = "") -> IdentityDocument:
    """A validated, unsaved identity document (errors name ``prefix`` + field)."""
    if not isinstance(data, dict):
        raise InvalidInput(
            _("Expected an object with fields."),
            code="invalid",
            field=prefix.rstrip(".") or "document",
        )
    _unknown_fields(data, ("type", "number", "issuing_country", "expires_on"), prefix)
    document = IdentityDocument(client=client, **data)
    try:
        document.full_clean(exclude=["client", "number_key"])
    except ValidationError as error:
        raise _prefixed(error, prefix) from error
    document.number = document.number.strip()
    document.number_key = document_number_key(document.number)
    if not document.number_key:
        raise ValidationError({f"{prefix}number": [_("Give the document number.")]})
    document.issuing_country = document.issuing_country.upper()
    if document.issuing_country and document.issuing_country not in dict(countries):
        raise ValidationError({f"{prefix}issuing_country": [_("Use a country code such as SY.")]})
    return document


@transaction.atomic
def add_identity_document(*, actor: User, client_id, data: dict[str, Any]) -> IdentityDocument:
    """Record an identity document of a client. Needs CHANGE_CLIENT."""
    client = get_client_for(actor, client_id, Perm.CHANGE_CLIENT, lock=True)
    document = _identity_document(client, data)
    save_with_history(document, actor=actor, reason=gettext_noop("identity document recorded"))
    return document


# --- Cases -------------------------------------------------------------------


def _next_case_number(agency: Agency, year: int) -> str:
    counter, _created = CaseCounter.objects.select_for_update().get_or_create(
        agency=agency, year=year
    )
    counter.last_value += 1
    counter.save(update_fields=["last_value"])
    return f"{agency.slug.upper()}-{year}-{counter.last_value:05d}"


def _check_assignee(case_agency_id, assignee: User | None, field: str = "assigned_to") -> None:
    if assignee is None:
        return
    if not assignable_members(case_agency_id).filter(user=assignee).exists():
        raise InvalidInput(
            _("Choose an active caseworker or supervisor of the case's agency."),
            code="invalid_assignee",
            field=field,
        )


def _refresh_client_restriction(actor: User, client: Client) -> None:
    """A client all of whose cases are restricted is restricted too."""
    statuses = list(Case.objects.filter(client=client).values_list("is_restricted", flat=True))
    restricted = bool(statuses) and all(statuses)
    if client.is_restricted != restricted:
        client.is_restricted = restricted
        save_with_history(
            client,
            actor=actor,
            reason=gettext_noop("restriction follows its cases"),
            update_fields=["is_restricted"],
        )


@transaction.atomic
def open_case(
    *,
    actor: User,
    client_id,
    case_type: str,
    risk_level: str = Case.Risk.LOW,
    summary: str = "",
    assigned_to: User | None = None,
    is_restricted: bool = False,
) -> Case:
    """Open a case for a visible client, in the client's agency. Needs ADD_CASE
    there. The case gets the next number ``<AGENCY>-<YEAR>-<SEQ>`` and, unless
    told otherwise, is assigned to the actor. Assigning someone else needs
    ASSIGN_CASE; restricting needs RESTRICT_CASE."""
    _require_bool(is_restricted, "is_restricted")
    client = get_client_for(actor, client_id, lock=True)
    agency = client.agency
    if not actor.has_perm(Perm.ADD_CASE, agency):
        raise Forbidden()
    if is_restricted and not actor.has_perm(Perm.RESTRICT_CASE, agency):
        raise Forbidden(_("Only a supervisor may open a restricted case."))
    assignee = assigned_to or actor
    _check_assignee(agency.pk, assignee)
    if assignee != actor and not actor.has_perm(Perm.ASSIGN_CASE, agency):
        raise Forbidden(_("Only a supervisor may assign a case to someone else."))
    case = Case(
        agency=agency,
        client=client,
        case_type=case_type,
        risk_level=risk_level,
        summary=summary,
        assigned_to=assignee,
        is_restricted=is_restricted,
        created_by=actor,
    )
    case.full_clean(exclude=["number"])
    case.number = _next_case_number(agency, timezone.now().year)
    save_with_history(case, actor=actor, reason=gettext_noop("case opened"))
    _refresh_client_restriction(actor, client)
    return case


@transaction.atomic
def update_case(
    *,
    actor: User,
    case_id,
    expected_version: int | None,
    changes: dict[str, Any],
    reason: str = "",
) -> Case:
    """Edit a case's type, risk level and summary. Needs CHANGE_CASE; a stale
    ``expected_version`` raises PreconditionFailed (412) and changes nothing."""
    _unknown_fields(_require_mapping(changes, "changes"), CASE_EDIT_FIELDS)
    case = get_case_for(actor, case_id, Perm.CHANGE_CASE, lock=True)
    _check_version(case, expected_version)
    if case.status == Case.Status.CLOSED:
        raise Conflict(_("The case is closed. Reopen it first."), code="case_closed")
    for name, value in changes.items():
        setattr(case, name, value)
    case.version += 1
    save_with_history(case, actor=actor, reason=reason or gettext_noop("case updated"))
    return case


def _locked_case(actor: User, case_id, expected_version) -> Case:
    case = get_case_for(actor, case_id, lock=True)
    if expected_version is not None:
        _check_version(case, expected_version)
    return case


def _require_case_perm(actor: User, perm: Perm, case: Case) -> None:
    if not actor.has_perm(perm, case):
        raise Forbidden()


def _change_status(actor: User, case: Case, allowed_from: set[str], apply, reason: str) -> Case:
    """Apply a state change to a case already locked and checked."""
    if case.status not in allowed_from:
        raise Conflict(
            _("The case is %(status)s; this is not possible now.")
            % {"status": case.get_status_display().lower()},
            code="invalid_transition",
        )
    apply(case)
    case.version += 1
    save_with_history(case, actor=actor, reason=reason)
    return case


@transaction.atomic
def assign_case(
    *,
    actor: User,
    case_id,
    assignee: User,
    expected_version: int | None = None,
    reason: str = "",
) -> Case:
    """Reassign an open or on-hold case to an active caseworker or supervisor
    of its agency. Needs ASSIGN_CASE (supervisors)."""
    case = _locked_case(actor, case_id, expected_version)
    _require_case_perm(actor, Perm.ASSIGN_CASE, case)
    _check_assignee(case.agency_id, assignee, field="assignee")

    def apply(c):
        c.assigned_to = assignee

    return _change_status(
        actor,
        case,
        {Case.Status.OPEN, Case.Status.ON_HOLD},
        apply,
        reason or gettext_noop("case reassigned"),
    )


@transaction.atomic
def set_case_restricted(
    *,
    actor: User,
    case_id,
    restricted: bool,
    reason: str = "",
    expected_version: int | None = None,
) -> Case:
    """Restrict a case to its assigned caseworker and supervisors, or lift the
    restriction. Needs RESTRICT_CASE (supervisors)."""
    _require_bool(restricted, "restricted")
    case = _locked_case(actor, case_id, expected_version)
    _require_case_perm(actor, Perm.RESTRICT_CASE, case)
    if case.is_restricted == restricted:
        return case
    case.is_restricted = restricted
    case.version += 1
    save_with_history(
        case,
        actor=actor,
        reason=reason
        or (gettext_noop("case restricted") if restricted else gettext_noop("restriction lifted")),
    )
    _refresh_client_restriction(actor, case.client)
    return case


@transaction.atomic
def put_case_on_hold(
    *, actor: User, case_id, reason: str, expected_version: int | None = None
) -> Case:
    """Pause an open case. Needs CHANGE_CASE; a reason is required."""
    reason = _require_text(reason, "reason")
    case = _locked_case(actor, case_id, expected_version)
    _require_case_perm(actor, Perm.CHANGE_CASE, case)

    def apply(c):
        c.status = Case.Status.ON_HOLD

    return _change_status(actor, case, {Case.Status.OPEN}, apply, reason)


@transaction.atomic
def close_case(
    *,
    actor: User,
    case_id,
    closure_reason: str,
    note: str = "",
    expected_version: int | None = None,
) -> Case:
    """Close an open or on-hold case with a reason. Needs CLOSE_CASE."""
    if closure_reason not in Case.ClosureReason.values:
        raise InvalidInput(
            _("Choose a closure reason."), code="invalid_choice", field="closure_reason"
        )
    note = _require_text(note, "note", required=False)
    case = _locked_case(actor, case_id, expected_version)
    _require_case_perm(actor, Perm.CLOSE_CASE, case)

    def apply(c):
        c.status = Case.Status.CLOSED
        c.closure_reason = closure_reason
        c.closed_at = timezone.now()

    return _change_status(
        actor,
        case,
        {Case.Status.OPEN, Case.Status.ON_HOLD},
        apply,
        note or f"closed: {closure_reason}",
    )


@transaction.atomic
def reopen_case(*, actor: User, case_id, reason: str, expected_version: int | None = None) -> Case:
    """Reopen a closed or on-hold case. Needs CLOSE_CASE for a closed case,
    CHANGE_CASE for one on hold (decided on the locked row); a reason is required."""
    reason = _require_text(reason, "reason")
    case = _locked_case(actor, case_id, expected_version)
    _require_case_perm(
        actor, Perm.CLOSE_CASE if case.status == Case.Status.CLOSED else Perm.CHANGE_CASE, case
    )

    def apply(c):
        c.status = Case.Status.OPEN
        c.closure_reason = ""
        c.closed_at = None

    return _change_status(actor, case, {Case.Status.CLOSED, Case.Status.ON_HOLD}, apply, reason)


# --- Notes, follow-ups, documents ------------------------------------------------


@transaction.atomic
def add_note(
    *,
    actor: User,
    case_id,
    body: str,
    kind: str = CaseNote.Kind.NOTE,
    is_confidential: bool = False,
) -> CaseNote:
    """Write a note on a case. Needs ADD_NOTE. A confidential note is seen only
    by its author and supervisors."""
    body = _require_text(body, "body")
    _require_bool(is_confidential, "is_confidential")
    case = get_case_for(actor, case_id, Perm.ADD_NOTE)
    note = CaseNote(case=case, author=actor, kind=kind, body=body, is_confidential=is_confidential)
    save_with_history(note, actor=actor, reason=gettext_noop("note added"))
    return note


@transaction.atomic
def schedule_follow_up(
    *, actor: User, case_id, title: str, due_on: date, assigned_to: User | None = None
) -> FollowUp:
    """Schedule a follow-up on a case for its assignee (default: the actor).
    Needs ADD_FOLLOW_UP."""
    title = _require_text(title, "title")
    case = get_case_for(actor, case_id, Perm.ADD_FOLLOW_UP)
    assignee = assigned_to or actor
    _check_assignee(case.agency_id, assignee)
    follow_up = FollowUp(
        case=case, title=title, due_on=due_on, assigned_to=assignee, created_by=actor
    )
    save_with_history(follow_up, actor=actor, reason=gettext_noop("follow-up scheduled"))
    return follow_up


@transaction.atomic
def complete_follow_up(*, actor: User, case_id, follow_up_id) -> FollowUp:
    """Mark a follow-up of a case done. Needs COMPLETE_FOLLOW_UP on the case."""
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


@transaction.atomic
def upload_document(
    *, actor: User, case_id, uploaded_file: UploadedFile, category: str, description: str = ""
) -> Document:
    """Store a document of a case in private storage under a server-made name.
    Needs ADD_DOCUMENT; medical documents also VIEW_SENSITIVE. The type is
    read from the bytes and must be an accepted one; the size is capped."""
    case = get_case_for(actor, case_id, Perm.ADD_DOCUMENT)
    if category == Document.Category.MEDICAL and not actor.has_perm(Perm.VIEW_SENSITIVE, case):
        raise Forbidden(
            _("Only the assigned caseworker and supervisors may add medical documents.")
        )
    limit = settings.DOCUMENT_MAX_BYTES
    if uploaded_file.size > limit:
        raise InvalidInput(
            _("The file is too large (at most %(mb)s MB).") % {"mb": limit // (1024 * 1024)},
            code="file_too_large",
            field="file",
        )
    if uploaded_file.size == 0:
        raise InvalidInput(_("The file is empty."), code="empty_file", field="file")
    uploaded_file.seek(0)
    head = uploaded_file.read(8192)
    content_type = sniff_content_type(head)
    if content_type not in ACCEPTED_DOCUMENT_TYPES:
        raise InvalidInput(
            _(
                "This kind of file is not accepted (its content is %(found)s). Upload a PDF, "
                "an image (JPEG, PNG, WebP, TIFF, HEIC) or a Word/OpenDocument text."
            )
            % {"found": content_type or _("not recognised")},
            code="unsupported_file_type",
            field="file",
        )
    digest = hashlib.sha256()
    uploaded_file.seek(0)
    for chunk in uploaded_file.chunks():
        digest.update(chunk)
    uploaded_file.seek(0)
    document = Document(
        case=case,
        category=category,
        description=description.strip(),
        content_type=content_type,
        extension=ACCEPTED_DOCUMENT_TYPES[content_type],
        size=uploaded_file.size,
        sha256=digest.hexdigest(),
        uploaded_by=actor,
    )
    document.file.save("upload", uploaded_file, save=False)
    # Storage is not transactional: if the row cannot be written, remove the file.
    try:
        save_with_history(document, actor=actor, reason=gettext_noop("document uploaded"))
    except Exception:
        document.file.storage.delete(document.file.name)
        raise
    return document
