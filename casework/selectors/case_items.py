"""What is inside a visible case or client: notes, follow-ups, documents, the
special-category section; batch permission checks."""

from collections.abc import Iterable
from types import SimpleNamespace
from uuid import UUID

from django.db.models import F, Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from accounts import selectors as accounts_selectors
from accounts.access import Action, record_access
from accounts.models import Agency, Membership, User
from accounts.permissions import Perm, Role
from accounts.selectors import holds_in
from casework.models import (
    Case,
    CaseNote,
    Client,
    ClientSensitive,
    Document,
    FollowUp,
    IdentityDocument,
)
from casework.selectors.scope import (
    cases_visible_to,
    get_case_for,
    is_uuid,
)
from config.errors import InvalidInput, NotFound


def notes_visible_to(actor: User, case: Case) -> QuerySet[CaseNote]:
    """Notes of a visible case for holders of VIEW_NOTES (a grant to see a case
    does not include its notes); confidential notes only for their author and
    holders of VIEW_CONFIDENTIAL_NOTES (supervisors)."""
    if not actor.has_perm(Perm.VIEW_NOTES, case):
        return CaseNote.objects.none()
    notes = CaseNote.objects.filter(case=case).select_related("author").order_by("-created_at")
    if not actor.has_perm(Perm.VIEW_CONFIDENTIAL_NOTES, case):
        notes = notes.filter(Q(is_confidential=False) | Q(author=actor))
    return notes


def follow_ups_visible_to(actor: User, case: Case) -> QuerySet[FollowUp]:
    """Follow-ups of a visible case for holders of VIEW_FOLLOW_UPS: open ones
    first, each group by due date."""
    if not actor.has_perm(Perm.VIEW_FOLLOW_UPS, case):
        return FollowUp.objects.none()
    return (
        FollowUp.objects.filter(case=case)
        .select_related("assigned_to", "done_by")
        .order_by(F("done_at").asc(nulls_first=True), "due_on", "id")
    )


def sensitive_section_for(actor: User, client: Client) -> ClientSensitive | None:
    """The client's special-category section if ``actor`` holds VIEW_SENSITIVE
    on the client, else None (pages, API and PDFs all withhold it the same way)."""
    if not actor.has_perm(Perm.VIEW_SENSITIVE, client):
        return None
    return ClientSensitive.objects.filter(client=client).first()


def assignable_members(agency: Agency | UUID | Iterable[UUID]) -> QuerySet[Membership]:
    """Who may take a case of ``agency`` (or of any of several agency ids):
    its active caseworkers and supervisors."""
    if isinstance(agency, Agency | UUID | str):
        agencies = Q(agency=agency)
    else:
        agencies = Q(agency_id__in=list(agency))
    return (
        Membership.objects.filter(
            agencies,
            is_active=True,
            user__is_active=True,
            role__in=[Role.CASEWORKER, Role.SUPERVISOR],
        )
        .select_related("user")
        .order_by("user__display_name", "role")
    )


def documents_visible_to(actor: User, case: Case) -> QuerySet[Document]:
    """Documents of a visible case; medical ones only with VIEW_SENSITIVE."""
    if not actor.has_perm(Perm.VIEW_DOCUMENT, case):
        return Document.objects.none()
    documents = Document.objects.filter(case=case).select_related("uploaded_by", "case")
    if not actor.has_perm(Perm.VIEW_SENSITIVE, case):
        documents = documents.exclude(category=Document.Category.MEDICAL)
    return documents


def get_document_for(actor: User, case_id: UUID | str, document_id: UUID | str) -> Document:
    """A document of a visible case, for download (NotFound for a document the
    actor may not see). Records the download in the access log."""
    case = get_case_for(actor, case_id, Perm.VIEW_DOCUMENT)
    document = (
        documents_visible_to(actor, case).filter(pk=document_id).first()
        if is_uuid(document_id)
        else None
    )
    if document is None:
        raise NotFound()
    record_access(actor, Action.DOWNLOAD, document, client_id=case.client_id, case_id=case.pk)
    return document


CASE_LIST_FIELDS = (
    "id",
    "number",
    "agency_id",
    "case_type",
    "status",
    "risk_level",
    "is_restricted",
    "opened_at",
    "updated_at",
    "version",
    "assigned_to_id",
    "client_id",
    "client__id",
    "client__name",
    "client__name_latin",
    "client__preferred_name",
    "assigned_to__id",
    "assigned_to__display_name",
)


def with_client_and_assignee(cases: QuerySet[Case]) -> QuerySet[Case]:
    """Cases as lists show them: with client names and assignee in the same
    query, and only the columns a list row uses (no summaries, no search keys)."""
    return cases.select_related("client", "assigned_to").only(*CASE_LIST_FIELDS)


def cases_of_client(actor: User, client: Client) -> QuerySet[Case]:
    """The client's cases that ``actor`` may see (the case scope), newest first,
    with their assignees. Records the list in the access log."""
    return (
        cases_visible_to(actor)
        .filter(client=client)
        .select_related("assigned_to")
        .order_by("-opened_at")
    )


def client_detail_queryset() -> Prefetch:
    """What a client's detail (page or API) prefetches: its identity documents
    by type. No permission of its own: for a client already read through
    ``get_client_for``."""
    return Prefetch("identity_documents", queryset=IdentityDocument.objects.order_by("type"))


def editable_case_ids(actor: User, cases: Iterable[Case | dict]) -> set[UUID]:
    """Which of ``cases`` (cases, or rows from ``case_list_rows``) the actor may
    edit, decided in memory from the grant shape already loaded (no query per row)."""
    from casework.backends import sees_case

    editable = set()
    for case in cases:
        if isinstance(case, dict):
            case = SimpleNamespace(
                pk=case["id"],
                agency_id=case["agency_id"],
                is_restricted=case["is_restricted"],
                assigned_to_id=case["assigned_to_id"],
            )
        if holds_in(actor, Perm.CHANGE_CASE, case.agency_id) and sees_case(actor, case):
            editable.add(case.pk)
    return editable


CASE_LIST_VALUES = (
    "id",
    "number",
    "agency_id",
    "case_type",
    "status",
    "risk_level",
    "is_restricted",
    "opened_at",
    "updated_at",
    "version",
    "assigned_to_id",
    "client_id",
    "client__name",
    "client__name_latin",
    "assigned_to__display_name",
)


def case_list_rows(cases: QuerySet[Case]) -> QuerySet:
    """A case list as plain rows (dicts): what the API list returns, without
    building three model objects per row."""
    return cases.values(*CASE_LIST_VALUES)


def agencies_for_registration(actor: User) -> list[Agency]:
    """The agencies in which ``actor`` may register a client (ADD_CLIENT), by name."""
    allowed = accounts_selectors.agencies_where(actor, Perm.ADD_CLIENT)
    if not allowed:
        return []
    return list(accounts_selectors.agencies_of(actor).filter(pk__in=allowed).order_by("name"))


def active_user(user_id: UUID | str | None, field: str) -> User | None:
    """The active user ``user_id`` names (None for None), to be checked as an
    assignee by the service (``check_assignee``), which answers a stranger as
    it answers anyone else; InvalidInput on ``field`` when no active user has
    that id. System read: it reveals nothing but that an id is not usable."""
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
