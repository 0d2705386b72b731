"""Scoped reads of casework data.

``cases_visible_to`` and ``clients_visible_to`` are the only way a list,
search, count, dashboard, export or API reads cases and clients. Each is one
SQL query whose shape follows the user's grant shape: agencies where the user
sees every case, agencies where they see the unrestricted cases plus their
own, and (only if they have any) the few cases granted to them one by one.
The grant shape costs two queries per request (``scope_of``, cached on the
user object); after that each scope is a single statement.
The same rule, object by object, is ``casework.backends.CaseworkBackend``.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from uuid import UUID

from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet, Value
from django.utils import timezone
from django.utils.translation import gettext

from accounts.models import Membership, User
from accounts.permissions import Perm, Role
from accounts.selectors import agency_permissions
from casework.models import (
    Case,
    CaseGroupObjectPermission,
    CaseNote,
    CaseUserObjectPermission,
    Client,
    ClientGroupObjectPermission,
    ClientSensitive,
    ClientUserObjectPermission,
    Document,
    FollowUp,
    IdentityDocument,
)
from casework.names import document_number_key, name_key, skeleton, tokens
from config.errors import Forbidden, NotFound

_SCOPE_ATTR = "_sanad_casework_scope"


@dataclass(frozen=True)
class Scope:
    """A user's grant shape: which agencies' rules apply, and the exceptions."""

    all_cases: frozenset[UUID] = field(default_factory=frozenset)  # agencies: every case
    own_cases: frozenset[UUID] = field(default_factory=frozenset)  # agencies: unrestricted + own
    all_clients: frozenset[UUID] = field(default_factory=frozenset)  # agencies: every client
    own_clients: frozenset[UUID] = field(default_factory=frozenset)  # agencies: unrestricted
    assigned_restricted_clients: frozenset[UUID] = field(default_factory=frozenset)
    granted_cases: frozenset[UUID] = field(default_factory=frozenset)
    granted_clients: frozenset[UUID] = field(default_factory=frozenset)


def _exception_ids(user: User) -> dict[str, set[UUID]]:
    """Guardian grants on cases and clients, and the restricted clients whose
    cases are assigned to the user: one UNION query."""
    view_case, view_client = Perm.VIEW_CASE.codename, Perm.VIEW_CLIENT.codename
    parts = [
        CaseUserObjectPermission.objects.filter(user=user, permission__codename=view_case)
        .annotate(kind=Value("case"))
        .values_list("kind", "content_object_id"),
        CaseGroupObjectPermission.objects.filter(group__user=user, permission__codename=view_case)
        .annotate(kind=Value("case"))
        .values_list("kind", "content_object_id"),
        ClientUserObjectPermission.objects.filter(user=user, permission__codename=view_client)
        .annotate(kind=Value("client"))
        .values_list("kind", "content_object_id"),
        ClientGroupObjectPermission.objects.filter(
            group__user=user, permission__codename=view_client
        )
        .annotate(kind=Value("client"))
        .values_list("kind", "content_object_id"),
        Case.objects.filter(assigned_to=user, client__is_restricted=True)
        .annotate(kind=Value("assigned"))
        .values_list("kind", "client_id"),
    ]
    found: dict[str, set[UUID]] = {"case": set(), "client": set(), "assigned": set()}
    for kind, object_id in parts[0].union(*parts[1:], all=True):
        found[kind].add(object_id if isinstance(object_id, UUID) else UUID(str(object_id)))
    return found


def scope_of(user: User) -> Scope:
    """The user's grant shape, loaded once per request (cached on the user):
    two queries, whatever the size of the agencies."""
    cached = getattr(user, _SCOPE_ATTR, None)
    if cached is not None:
        return cached
    if not user.is_authenticated or not user.is_active:
        return Scope()
    all_cases, own_cases, all_clients, own_clients = set(), set(), set(), set()
    for agency_id, perms in agency_permissions(user).items():
        if Perm.VIEW_ALL_CASES in perms:
            all_cases.add(agency_id)
        elif Perm.VIEW_CASE in perms:
            own_cases.add(agency_id)
        if Perm.VIEW_CLIENT in perms:
            (all_clients if Perm.VIEW_ALL_CASES in perms else own_clients).add(agency_id)
    exceptions = _exception_ids(user)
    scope = Scope(
        all_cases=frozenset(all_cases),
        own_cases=frozenset(own_cases),
        all_clients=frozenset(all_clients),
        own_clients=frozenset(own_clients),
        assigned_restricted_clients=frozenset(exceptions["assigned"]),
        granted_cases=frozenset(exceptions["case"]),
        granted_clients=frozenset(exceptions["client"]),
    )
    setattr(user, _SCOPE_ATTR, scope)
    return scope


def forget_scope(user: User) -> None:
    """Drop the cached grant shape (after a grant or assignment changes)."""
    if hasattr(user, _SCOPE_ATTR):
        delattr(user, _SCOPE_ATTR)


def _any_of(parts: list[Q]) -> Q | None:
    if not parts:
        return None
    condition = parts[0]
    for part in parts[1:]:
        condition |= part
    return condition


def cases_visible_to(user: User) -> QuerySet[Case]:
    """Every case ``user`` may see. One SQL query; empty for strangers."""
    scope = scope_of(user)
    parts = []
    if scope.all_cases:
        parts.append(Q(agency_id__in=scope.all_cases))
    if scope.own_cases:
        parts.append(Q(agency_id__in=scope.own_cases, is_restricted=False))
        parts.append(Q(agency_id__in=scope.own_cases, assigned_to=user))
    if scope.granted_cases:
        parts.append(Q(pk__in=scope.granted_cases))
    condition = _any_of(parts)
    return Case.objects.none() if condition is None else Case.objects.filter(condition)


def clients_visible_to(user: User) -> QuerySet[Client]:
    """Every client ``user`` may see: the clients of agencies where the role may
    view clients (a client all of whose cases are restricted only for
    supervisors and the assigned caseworkers), and clients granted one by one.
    A grant on a case does not reveal its client. One SQL query."""
    scope = scope_of(user)
    parts = []
    if scope.all_clients:
        parts.append(Q(agency_id__in=scope.all_clients))
    if scope.own_clients:
        parts.append(Q(agency_id__in=scope.own_clients, is_restricted=False))
        if scope.assigned_restricted_clients:
            parts.append(
                Q(agency_id__in=scope.own_clients, pk__in=scope.assigned_restricted_clients)
            )
    if scope.granted_clients:
        parts.append(Q(pk__in=scope.granted_clients))
    condition = _any_of(parts)
    return Client.objects.none() if condition is None else Client.objects.filter(condition)


def get_case_for(actor: User, case_id, perm: Perm = Perm.VIEW_CASE, *, lock=False) -> Case:
    """The case if ``actor`` may see it (NotFound otherwise) and holds ``perm``
    on it (Forbidden otherwise). ``lock`` takes a row lock for a state change."""
    queryset = cases_visible_to(actor).select_related("client", "agency", "assigned_to")
    if lock:
        queryset = queryset.select_for_update(of=("self",))
    case = queryset.filter(pk=case_id).first() if is_uuid(case_id) else None
    if case is None:
        raise NotFound()
    if perm != Perm.VIEW_CASE and not actor.has_perm(perm, case):
        raise Forbidden()
    return case


def get_client_for(actor: User, client_id, perm: Perm = Perm.VIEW_CLIENT, *, lock=False) -> Client:
    """The client if visible to ``actor`` (else NotFound) and ``perm`` held (else Forbidden)."""
    queryset = clients_visible_to(actor).select_related("agency")
    if lock:
        queryset = queryset.select_for_update(of=("self",))
    client = queryset.filter(pk=client_id).first() if is_uuid(client_id) else None
    if client is None:
        raise NotFound()
    if perm != Perm.VIEW_CLIENT and not actor.has_perm(perm, client):
        raise Forbidden()
    return client


def is_uuid(value) -> bool:
    """True for a UUID or a string that parses as one (anything else is not found)."""
    if isinstance(value, UUID):
        return True
    try:
        UUID(str(value))
    except ValueError:
        return False
    return True


# --- Search ------------------------------------------------------------------


MAX_QUERY_LENGTH = 100
MAX_QUERY_WORDS = 6


def _words(query: str) -> list[str]:
    return list(dict.fromkeys(tokens(query[:MAX_QUERY_LENGTH])))[:MAX_QUERY_WORDS]


def name_condition(query: str) -> Q | None:
    """Every word of ``query`` must match a client's name: as written (any case,
    diacritics, Arabic letter variants) or through its consonant skeleton."""
    words = _words(query)
    if not words:
        return None
    condition = Q()
    for word in words:
        match = Q(search_text__contains=word)
        key = skeleton(word)
        if len(key) >= 3:
            match |= Q(search_text__contains=f" ~{key}")
        condition &= match
    return condition


def _clients_with_document(query: str):
    key = document_number_key(query[:MAX_QUERY_LENGTH])
    if len(key) < 4:
        return None
    return IdentityDocument.objects.filter(number_key=key).values("client_id")


def search_clients(actor: User, query: str) -> QuerySet[Client]:
    """Visible clients whose name or identity-document number matches ``query``."""
    parts = []
    names = name_condition(query)
    if names is not None:
        parts.append(names)
    with_document = _clients_with_document(query)
    if with_document is not None:
        parts.append(Q(pk__in=with_document))
    condition = _any_of(parts)
    clients = clients_visible_to(actor)
    return clients.none() if condition is None else clients.filter(condition)


def filter_cases(
    actor: User,
    *,
    query: str = "",
    status: str = "",
    case_type: str = "",
    risk_level: str = "",
    assigned_to_me: bool = False,
    overdue_follow_ups: bool = False,
    updated_since=None,
) -> QuerySet[Case]:
    """Visible cases narrowed by the list filters and a search ``query`` that
    matches the case number, the client's name or an identity-document number."""
    cases = cases_visible_to(actor)
    if status:
        cases = cases.filter(status=status)
    if case_type:
        cases = cases.filter(case_type=case_type)
    if risk_level:
        cases = cases.filter(risk_level=risk_level)
    if assigned_to_me:
        cases = cases.filter(assigned_to=actor)
    if updated_since:
        cases = cases.filter(updated_at__gte=updated_since)
    if overdue_follow_ups:
        cases = cases.filter(
            Exists(
                FollowUp.objects.filter(
                    case=OuterRef("pk"), done_at__isnull=True, due_on__lt=timezone.now().date()
                )
            )
        )
    query = query.strip()[:MAX_QUERY_LENGTH]
    if query:
        # The client match is a subquery on the client table, evaluated once,
        # not a join tested row by row against a large agency's cases.
        parts = [Q(number=query.upper())]
        if any(ch.isdigit() for ch in query):
            parts.append(Q(number__icontains=query))
        names = name_condition(query)
        if names is not None:
            parts.append(Q(client_id__in=Client.objects.filter(names).values("pk")))
        with_document = _clients_with_document(query)
        if with_document is not None:
            parts.append(Q(client_id__in=with_document))
        cases = cases.filter(_any_of(parts))
    return cases


def find_possible_duplicates(
    actor: User,
    *,
    name: str,
    name_latin: str = "",
    date_of_birth: date | None = None,
    document_numbers: list[str] | tuple[str, ...] = (),
    exclude_id=None,
) -> list[Client]:
    """Visible clients who may be the same person: the same normalised name
    (as written or in Latin letters, any word order) with a date of birth
    within a year of the given one (or none recorded on either side), or the
    same identity-document number. At most 20, newest first."""
    keys = {key for key in (name_key(name), name_key(name_latin)) if key}
    parts = []
    if keys:
        same_name = Q(name_key__in=keys) | Q(name_latin_key__in=keys)
        if date_of_birth:
            window = (date_of_birth - timedelta(days=366), date_of_birth + timedelta(days=366))
            same_name &= Q(date_of_birth__range=window) | Q(date_of_birth__isnull=True)
        parts.append(same_name)
    numbers = {document_number_key(number) for number in document_numbers if number}
    numbers.discard("")
    if numbers:
        parts.append(
            Q(pk__in=IdentityDocument.objects.filter(number_key__in=numbers).values("client_id"))
        )
    condition = _any_of(parts)
    if condition is None:
        return []
    clients = clients_visible_to(actor).filter(condition)
    if exclude_id:
        clients = clients.exclude(pk=exclude_id)
    return list(clients.order_by("-created_at")[:20])


# --- Inside one case ---------------------------------------------------------------


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


def assignable_members(agency) -> QuerySet[Membership]:
    """Who may take a case of ``agency``: its active caseworkers and supervisors."""
    return (
        Membership.objects.filter(
            agency=agency,
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


def get_document_for(actor: User, case_id, document_id) -> Document:
    """A document of a visible case (NotFound for a document the actor may not see)."""
    case = get_case_for(actor, case_id, Perm.VIEW_DOCUMENT)
    document = (
        documents_visible_to(actor, case).filter(pk=document_id).first()
        if is_uuid(document_id)
        else None
    )
    if document is None:
        raise NotFound()
    return document


# --- Dashboard -----------------------------------------------------------------


def dashboard_for(actor: User) -> dict:
    """What a caseworker sees first: their open cases, their follow-ups due
    today and overdue, and recently updated cases they can see."""
    today = timezone.now().date()
    visible = cases_visible_to(actor)
    my_follow_ups = (
        FollowUp.objects.filter(
            assigned_to=actor, done_at__isnull=True, case__in=visible.values("pk")
        )
        .exclude(case__status=Case.Status.CLOSED)
        .select_related("case", "case__client")
    )
    return {
        "my_open_cases": visible.filter(assigned_to=actor, status=Case.Status.OPEN)
        .select_related("client")
        .order_by("-updated_at")[:20],
        "due_today": my_follow_ups.filter(due_on=today).order_by("case__number"),
        "overdue": my_follow_ups.filter(due_on__lt=today).order_by("due_on")[:50],
        "recently_updated": visible.select_related("client", "assigned_to").order_by(
            "-updated_at", "-id"
        )[:10],
    }


def with_client_and_assignee(cases: QuerySet[Case]) -> QuerySet[Case]:
    return cases.select_related("client", "assigned_to")


def cases_of_client(actor: User, client: Client) -> QuerySet[Case]:
    return (
        cases_visible_to(actor)
        .filter(client=client)
        .select_related("assigned_to")
        .order_by("-opened_at")
    )


def client_detail_queryset() -> Prefetch:
    return Prefetch("identity_documents", queryset=IdentityDocument.objects.order_by("type"))


def editable_case_ids(actor: User, cases) -> set[UUID]:
    """Which of ``cases`` the actor may edit, decided in memory from the grant
    shape already loaded (no query per row)."""
    from casework.backends import sees_case

    permissions = agency_permissions(actor)
    return {
        case.pk
        for case in cases
        if sees_case(permissions.get(case.agency_id, frozenset()), actor, case)
        and Perm.CHANGE_CASE in permissions.get(case.agency_id, frozenset())
    }


# --- History -------------------------------------------------------------------

_HIDDEN_HISTORY_FIELDS = {"version", "updated_at", "created_by", "history_change_reason"}


def _display(field, value, users: dict) -> str:
    if value is None or value == "":
        return ""
    if getattr(field, "choices", None):
        return str(dict(field.flatchoices).get(value, value))
    if field.is_relation:
        return users.get(value, "")
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    return str(value)


def case_history(actor: User, case_id) -> list[dict]:
    """Who changed what in a case, from what to what, when and why: the case's
    own fields, its notes, follow-ups and documents, newest first. Needs
    VIEW_CASE_HISTORY; confidential notes and medical documents the actor may
    not see are left out, and note bodies are never repeated here."""
    case = get_case_for(actor, case_id, Perm.VIEW_CASE_HISTORY)
    records = list(case.history.select_related("history_user").order_by("history_date"))
    user_ids = {r.assigned_to_id for r in records if r.assigned_to_id}
    users = dict(User.objects.filter(pk__in=user_ids).values_list("pk", "display_name"))
    fields = {f.name: f for f in Case._meta.concrete_fields}
    entries: list[dict] = []
    previous = None
    for record in records:
        if previous is None:
            changes = [
                {
                    "field": name,
                    "label": str(fields[name].verbose_name),
                    "old": "",
                    "new": _display(fields[name], getattr(record, fields[name].attname), users),
                }
                for name in ("case_type", "status", "risk_level", "assigned_to", "is_restricted")
            ]
            action = "created"
        else:
            delta = record.diff_against(previous)
            changes = []
            for change in delta.changes:
                if change.field in _HIDDEN_HISTORY_FIELDS:
                    continue
                field = fields[change.field]
                changes.append(
                    {
                        "field": change.field,
                        "label": str(field.verbose_name),
                        "old": _display(field, change.old, users),
                        "new": _display(field, change.new, users),
                    }
                )
            action = "changed"
        previous = record
        if action == "changed" and not changes:
            continue
        entries.append(_entry(record, "case", case.pk, action, changes))

    visible_notes = set(notes_visible_to(actor, case).values_list("pk", flat=True))
    for record in CaseNote.history.filter(id__in=visible_notes, history_type="+").select_related(
        "history_user"
    ):
        entries.append(
            _entry(
                record,
                "note",
                record.id,
                "created",
                [
                    {
                        "field": "kind",
                        "label": str(CaseNote._meta.get_field("kind").verbose_name),
                        "old": "",
                        "new": record.get_kind_display(),
                    }
                ],
            )
        )
    for record in FollowUp.history.filter(case_id=case.pk).select_related("history_user"):
        action = "created" if record.history_type == "+" else "changed"
        changes = (
            [
                {
                    "field": "title",
                    "label": str(FollowUp._meta.get_field("title").verbose_name),
                    "old": "",
                    "new": record.title,
                }
            ]
            if action == "created"
            else [
                {
                    "field": "done_at",
                    "label": str(FollowUp._meta.get_field("done_at").verbose_name),
                    "old": "",
                    "new": str(record.done_at or ""),
                }
            ]
        )
        entries.append(_entry(record, "follow_up", record.id, action, changes))
    visible_documents = set(documents_visible_to(actor, case).values_list("pk", flat=True))
    for record in Document.history.filter(
        id__in=visible_documents, history_type="+"
    ).select_related("history_user"):
        entries.append(
            _entry(
                record,
                "document",
                record.id,
                "created",
                [
                    {
                        "field": "category",
                        "label": str(Document._meta.get_field("category").verbose_name),
                        "old": "",
                        "new": record.get_category_display(),
                    }
                ],
            )
        )
    entries.sort(key=lambda entry: entry["at"], reverse=True)
    return entries


def _entry(record, kind: str, object_id, action: str, changes: list[dict]) -> dict:
    user = record.history_user
    return {
        "at": record.history_date,
        "actor_id": user.pk if user else None,
        "actor": user.display_name if user else "",
        "object": kind,
        "object_id": object_id,
        "action": action,
        "reason": record.history_change_reason or "",
        "changes": changes,
    }
