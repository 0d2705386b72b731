"""Scoped reads of casework data.

``cases_visible_to`` and ``clients_visible_to`` are the only way a list,
search, count, dashboard, export or API reads cases and clients. Each is one
SQL query whose shape follows the user's grant shape: agencies where the user
sees every case, agencies where they see the unrestricted cases plus their
own, and (only if they have any) the few cases granted to them one by one.
The grant shape (roles, case and client grants) costs one statement per
request (``scope_of``, cached on the user object); after that each scope is
a single statement.
The same rule, object by object, is ``casework.backends.CaseworkBackend``.
"""

from dataclasses import dataclass, field
from uuid import UUID

from django.contrib.auth.models import Permission
from django.db import connection
from django.db.models import DateTimeField, Q, QuerySet
from django.utils import timezone

from accounts.access import Action, record_access
from accounts.models import RoleGroup, User
from accounts.permissions import Perm
from accounts.selectors import agencies_where, remember_roles
from accounts.validation import is_uuid as is_uuid
from casework.models import (
    BreakGlass,
    Case,
    CaseGroupObjectPermission,
    CaseUserObjectPermission,
    Client,
    ClientGroupObjectPermission,
    ClientUserObjectPermission,
)
from config.errors import Forbidden, NotFound

_SCOPE_ATTR = "_sanad_casework_scope"
_CLIENT_EXCEPTIONS_ATTR = "_sanad_client_exceptions"
# Both follow the user's roles and grants: ``casework.apps`` registers them with
# ``accounts.selectors.register_user_cache`` so a role change forgets them.
USER_CACHE_ATTRS = (_SCOPE_ATTR, _CLIENT_EXCEPTIONS_ATTR)


@dataclass(frozen=True)
class Scope:
    """A user's grant shape: which agencies' rules apply, and the case grants."""

    all_cases: frozenset[UUID] = field(default_factory=frozenset)  # agencies: every case
    own_cases: frozenset[UUID] = field(default_factory=frozenset)  # agencies: unrestricted + own
    all_clients: frozenset[UUID] = field(default_factory=frozenset)  # agencies: every client
    own_clients: frozenset[UUID] = field(default_factory=frozenset)  # agencies: unrestricted
    granted_cases: frozenset[UUID] = field(default_factory=frozenset)
    # Clients granted one by one: read in the same statement, used by client lists.
    granted_clients: frozenset[UUID] = field(default_factory=frozenset)


@dataclass(frozen=True)
class ClientExceptions:
    """What a client list needs beyond the agency rule; loaded only by it."""

    granted_clients: frozenset[UUID] = field(default_factory=frozenset)
    assigned_restricted_clients: frozenset[UUID] = field(default_factory=frozenset)


def _as_uuid(value) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))


def _grants_sql(kind: str, user_table, group_table) -> str:
    """The ids of ``kind`` granted to a user or to one of their groups: two
    UNION ALL branches; parameters user, codename, user, codename."""
    user_groups = User.groups.through._meta.db_table
    permission = Permission._meta.db_table
    return f"""
        SELECT '{kind}', g.content_object_id, NULL, NULL
          FROM {user_table._meta.db_table} g JOIN {permission} p ON p.id = g.permission_id
         WHERE g.user_id = %s AND p.codename = %s
        UNION ALL
        SELECT '{kind}', g.content_object_id, NULL, NULL
          FROM {group_table._meta.db_table} g JOIN {permission} p ON p.id = g.permission_id
          JOIN {user_groups} ug ON ug.group_id = g.group_id
         WHERE ug.user_id = %s AND p.codename = %s
    """  # noqa: S608 - names from model metadata, values as params  # nosec B608


def _roles_and_grants(user: User) -> tuple[frozenset[UUID], frozenset[UUID]]:
    """One statement for the whole grant shape of a request: the user's agency
    roles (cached for ``agency_permissions``), the cases granted to them or
    to one of their role groups, or opened to them by break-the-glass until it
    expires, and the clients granted to them or their role groups. Returns
    the granted case ids and client ids."""
    user_groups = User.groups.through._meta.db_table
    sql = f"""
        SELECT 'role', rg.agency_id, rg.role, ug.group_id
          FROM {user_groups} ug JOIN {RoleGroup._meta.db_table} rg ON rg.group_id = ug.group_id
         WHERE ug.user_id = %s
        UNION ALL {_grants_sql("case", CaseUserObjectPermission, CaseGroupObjectPermission)}
        UNION ALL
        SELECT 'case', b.case_id, NULL, NULL
          FROM {BreakGlass._meta.db_table} b
         WHERE b.user_id = %s AND b.expires_at > %s
        UNION ALL {_grants_sql("client", ClientUserObjectPermission, ClientGroupObjectPermission)}
    """  # noqa: S608 - names from model metadata, values as params  # nosec B608
    user_id = User._meta.pk.get_db_prep_value(user.pk, connection)
    now = DateTimeField().get_db_prep_value(timezone.now(), connection)
    case, client = Perm.VIEW_CASE.codename, Perm.VIEW_CLIENT.codename
    params = [user_id, user_id, case, user_id, case, user_id, now]
    params += [user_id, client, user_id, client]
    roles, cases, clients = [], set(), set()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for kind, object_id, role, group_id in cursor.fetchall():
            if kind == "role":
                roles.append((group_id, _as_uuid(object_id), role))
            elif kind == "case":
                cases.add(_as_uuid(object_id))
            else:
                clients.add(_as_uuid(object_id))
    remember_roles(user, roles)
    return frozenset(cases), frozenset(clients)


def scope_of(user: User) -> Scope:
    """The user's grant shape, loaded once per request (cached on the user):
    roles, case grants and client grants in one statement."""
    cached = getattr(user, _SCOPE_ATTR, None)
    if cached is not None:
        return cached
    if not user.is_authenticated or not user.is_active:
        return Scope()
    # Loads the roles too (cached for ``agencies_where``): no query below.
    granted_cases, granted_clients = _roles_and_grants(user)
    supervises = agencies_where(user, Perm.VIEW_ALL_CASES)
    sees_clients = agencies_where(user, Perm.VIEW_CLIENT)
    scope = Scope(
        all_cases=supervises,
        own_cases=agencies_where(user, Perm.VIEW_CASE) - supervises,
        all_clients=sees_clients & supervises,
        own_clients=sees_clients - supervises,
        granted_cases=granted_cases,
        granted_clients=granted_clients,
    )
    setattr(user, _SCOPE_ATTR, scope)
    return scope


def client_exceptions_of(user: User) -> ClientExceptions:
    """Client grants, and the restricted clients whose (restricted) cases are
    assigned to the user; loaded by client lists only, cached for the request."""
    cached = getattr(user, _CLIENT_EXCEPTIONS_ATTR, None)
    if cached is not None:
        return cached
    if not user.is_authenticated or not user.is_active:
        return ClientExceptions()
    assigned: frozenset[UUID] = frozenset()
    if scope_of(user).own_clients:
        assigned = frozenset(
            _as_uuid(value)
            for value in Case.objects.filter(
                assigned_to_id=user.pk, is_restricted=True, client__is_restricted=True
            ).values_list("client_id", flat=True)
        )
    exceptions = ClientExceptions(
        granted_clients=scope_of(user).granted_clients,
        assigned_restricted_clients=assigned,
    )
    setattr(user, _CLIENT_EXCEPTIONS_ATTR, exceptions)
    return exceptions


def any_of(parts: list[Q]) -> Q | None:
    """The conditions joined by OR; None for none (the caller answers "nothing")."""
    if not parts:
        return None
    condition = parts[0]
    for part in parts[1:]:
        condition |= part
    return condition


def case_scope(user: User) -> Q | None:
    """The condition ``cases_visible_to`` filters by (None: no case at all),
    without recording an access: for a selector that composes it into a scope
    of its own and records that, or that answers only which ids are visible."""
    scope = scope_of(user)
    parts = []
    if scope.all_cases:
        parts.append(Q(agency_id__in=scope.all_cases))
    if scope.own_cases:
        parts.append(Q(agency_id__in=scope.own_cases, is_restricted=False))
        parts.append(Q(agency_id__in=scope.own_cases, assigned_to=user))
    if scope.granted_cases:
        parts.append(Q(pk__in=scope.granted_cases))
    return any_of(parts)


def case_branches(user: User) -> list[Q]:
    """The parts of ``case_scope`` for a case list to read one by one
    (``casework.selectors.search.case_list_parts``): one per agency, along the
    (agency, updated_at, id) index, and one for the cases granted one by one.
    Their OR is the scope. Empty for a scope of one part: nothing to split."""
    scope = scope_of(user)
    branches = [Q(agency_id=agency_id) for agency_id in sorted(scope.all_cases)]
    branches += [
        Q(agency_id=agency_id) & (Q(is_restricted=False) | Q(assigned_to=user))
        for agency_id in sorted(scope.own_cases)
    ]
    if scope.granted_cases:
        branches.append(Q(pk__in=scope.granted_cases))
    return branches if len(branches) > 1 else []


def cases_visible_to(user: User) -> QuerySet[Case]:
    """Every case ``user`` may see. One SQL query; empty for strangers."""
    condition = case_scope(user)
    record_access(user, Action.LIST, object_type="casework.case")
    return Case.objects.none() if condition is None else Case.objects.filter(condition)


def client_scope(user: User) -> Q | None:
    """The condition on clients of ``clients_visible_to`` (None: no client at all)."""
    scope = scope_of(user)
    exceptions = client_exceptions_of(user)
    parts = []
    if scope.all_clients:
        parts.append(Q(agency_id__in=scope.all_clients))
    if scope.own_clients:
        parts.append(Q(agency_id__in=scope.own_clients, is_restricted=False))
        if exceptions.assigned_restricted_clients:
            parts.append(
                Q(agency_id__in=scope.own_clients, pk__in=exceptions.assigned_restricted_clients)
            )
    if exceptions.granted_clients:
        parts.append(Q(pk__in=exceptions.granted_clients))
    return any_of(parts)


def clients_visible_to(user: User) -> QuerySet[Client]:
    """Every client ``user`` may see: the clients of agencies where the role may
    view clients (a client all of whose cases are restricted only for
    supervisors and the assigned caseworkers), and clients granted one by one.
    A grant on a case does not reveal its client. One SQL query."""
    condition = client_scope(user)
    record_access(user, Action.LIST, object_type="casework.client")
    return Client.objects.none() if condition is None else Client.objects.filter(condition)


def get_case_for(
    actor: User, case_id: UUID | str, perm: Perm = Perm.VIEW_CASE, *, lock: bool = False
) -> Case:
    """The case if ``actor`` may see it (NotFound otherwise) and holds ``perm``
    on it (Forbidden otherwise). ``lock`` takes a row lock for a state change."""
    queryset = cases_visible_to(actor)
    if lock:
        # Only the case row is locked. When another transaction changed it while
        # this one waited, PostgreSQL re-reads that row but not rows joined to
        # it, so a joined assignee would be the one from before the wait: the
        # related rows are read after the lock instead, as they are now.
        queryset = queryset.select_for_update(of=("self",))
    else:
        queryset = queryset.select_related("client", "agency", "assigned_to")
    case = queryset.filter(pk=case_id).first() if is_uuid(case_id) else None
    if case is None:
        raise NotFound()
    if perm != Perm.VIEW_CASE and not actor.has_perm(perm, case):
        raise Forbidden()
    record_access(actor, Action.VIEW, case)
    return case


def get_client_for(
    actor: User, client_id: UUID | str, perm: Perm = Perm.VIEW_CLIENT, *, lock: bool = False
) -> Client:
    """The client if visible to ``actor`` (else NotFound) and ``perm`` held (else Forbidden)."""
    queryset = clients_visible_to(actor).select_related("agency")
    if lock:
        queryset = queryset.select_for_update(of=("self",))
    client = queryset.filter(pk=client_id).first() if is_uuid(client_id) else None
    if client is None:
        raise NotFound()
    if perm != Perm.VIEW_CLIENT and not actor.has_perm(perm, client):
        raise Forbidden()
    record_access(actor, Action.VIEW, client)
    return client
