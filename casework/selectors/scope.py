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
from uuid import UUID

from django.db.models import Q, QuerySet, Value

from accounts.models import User
from accounts.permissions import Perm
from accounts.selectors import agency_permissions
from casework.models import (
    Case,
    CaseGroupObjectPermission,
    CaseUserObjectPermission,
    Client,
    ClientGroupObjectPermission,
    ClientUserObjectPermission,
)
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


def any_of(parts: list[Q]) -> Q | None:
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
    condition = any_of(parts)
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
    condition = any_of(parts)
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
