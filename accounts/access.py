"""The one path by which Sanad records who read what.

Scoped selectors (a case, a client, a referral, a packet, lists and
searches), document downloads, exports, authentication signals and
permission denials all call ``record_access``. Only ids are recorded, never
field values.

In a web or API request the accesses are collected and **one** row is
written for the request: the most telling access (a download or export over
a view, a view over a search or a list). A GET writes it when the response is
ready, with the outcome; a write request (POST, PATCH…) writes it at once,
inside the service's transaction, so the change and its trace commit
together (if that transaction rolls back, the middleware writes the row
again, with the outcome, when the request ends). Events that matter on their
own (consent override, break the glass, erasure) are always written at once,
besides what the request read. Logins, logouts and failed logins are written
as they happen. Outside a request
(commands, tasks, the demo seeder) only downloads, exports, these events and
authentication are written; plain reads there act for no one.
"""

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from uuid import UUID

from django.contrib.auth.models import AnonymousUser
from django.db import connection, models
from django.urls import Resolver404, resolve

from accounts import access_log
from accounts.models import AccessLog, User
from accounts.selectors import roles_of

Action = AccessLog.Action
Outcome = AccessLog.Outcome

# Higher wins when a request reads several things; among lists and searches
# the later (the one the page is about) wins, among views the first.
_PRECEDENCE = {
    Action.LIST: 1,
    Action.SEARCH: 2,
    Action.VIEW: 3,
    Action.DOWNLOAD: 5,
    Action.EXPORT: 6,
}
# A packet is what a partner reads of a client: it wins over the referral's own view.
_SPECIFIC = {"referrals.referralpacket": 1}
# Reads outside a request (commands, tasks, the demo seeder) act for nobody
# in particular; only these are still written there.
_WRITTEN_OUTSIDE_REQUESTS = frozenset(
    {
        Action.DOWNLOAD,
        Action.EXPORT,
        Action.CONSENT_OVERRIDE,
        Action.BREAK_GLASS,
        Action.ERASURE,
        Action.IMPORT,
        Action.UNDO_IMPORT,
    }
)
# Written at once; they are the request's row.
_EVENTS = frozenset(
    {
        Action.CONSENT_OVERRIDE,
        Action.BREAK_GLASS,
        Action.ERASURE,
        Action.IMPORT,
        Action.UNDO_IMPORT,
    }
)
# Written at once, besides whatever else the request reads.
_AUTHENTICATION = frozenset({Action.LOGIN, Action.LOGIN_FAILED, Action.LOGOUT})
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass
class _Access:
    actor: object | None
    actor_id: UUID | None
    action: str
    object_type: str = ""
    object_id: str = ""
    client_id: UUID | None = None
    case_id: UUID | None = None
    agency_id: UUID | None = None
    outcome: str = Outcome.OK


@dataclass
class _RequestTrail:
    ip: str | None
    user_agent: str
    route: str
    method: str
    noted: _Access | None = None
    written: bool = False
    row_id: int | None = None
    extra: dict = field(default_factory=dict)


_trail: ContextVar[_RequestTrail | None] = ContextVar("sanad_access_trail", default=None)


def _label(obj) -> str:
    return obj._meta.label_lower


def _client_and_case(obj) -> tuple[UUID | None, UUID | None]:
    """The client and case a record belongs to (ids only, no query)."""
    label = _label(obj)
    if label == "casework.client":
        return obj.pk, None
    if label == "casework.case":
        return obj.client_id, obj.pk
    case_id = getattr(obj, "case_id", None)
    client_id = getattr(obj, "client_id", None)
    if client_id is None and case_id is not None:
        case = getattr(obj, "case", None)
        client_id = getattr(case, "client_id", None)
    return client_id, case_id


def record_access(
    actor: User | AnonymousUser | None,
    action: str,
    obj: models.Model | None = None,
    *,
    object_type: str = "",
    object_id: str = "",
    client_id: UUID | None = None,
    case_id: UUID | None = None,
    agency_id: UUID | None = None,
    outcome: str = Outcome.OK,
) -> None:
    """Record that ``actor`` did ``action`` on ``obj`` (or on the given ids).
    Cheap: inside a request it usually only notes the access in memory."""
    if obj is not None:
        object_type = object_type or _label(obj)
        object_id = object_id or str(obj.pk)
        found_client, found_case = _client_and_case(obj)
        client_id = client_id or found_client
        case_id = case_id or found_case
        agency_id = agency_id or getattr(obj, "agency_id", None)
    actor_id = getattr(actor, "pk", None) if getattr(actor, "is_authenticated", False) else None
    access = _Access(
        actor=actor if actor_id is not None else None,
        actor_id=actor_id,
        action=action,
        object_type=object_type,
        object_id=str(object_id or ""),
        client_id=client_id,
        case_id=case_id,
        agency_id=agency_id,
        outcome=outcome,
    )
    trail = _trail.get()
    if trail is None:
        if action in _WRITTEN_OUTSIDE_REQUESTS or action in _AUTHENTICATION:
            _write(access, None)
        return
    if action in _AUTHENTICATION:
        _write(access, trail)
        return
    if action in _EVENTS:
        # Always written, in the caller's transaction; it stands for the request.
        trail.noted = access
        trail.written = True
        trail.row_id = _write(access, trail).pk
        return
    if trail.written:
        return
    if trail.noted is None or _outranks(access, trail.noted):
        trail.noted = access
    # A write request records what it read in the write's own transaction.
    if (
        trail.method not in _SAFE_METHODS
        and connection.in_atomic_block
        and _rank(trail.noted) >= _rank(_Access(None, None, Action.VIEW))
    ):
        _flush(trail)


def _rank(access: _Access) -> int:
    return _PRECEDENCE.get(access.action, 0) * 2 + _SPECIFIC.get(access.object_type, 0)


def _outranks(new: _Access, old: _Access) -> bool:
    if _rank(new) != _rank(old):
        return _rank(new) > _rank(old)
    return new.action in (Action.LIST, Action.SEARCH)


def _acting_agency_and_role(actor, record_agency_id) -> tuple[UUID | None, str]:
    """The agency the actor acted for (the record's, when they belong to it)
    and their roles there; from the roles already loaded for the request."""
    if actor is None:
        return record_agency_id, ""
    roles = roles_of(actor)
    agency_id = record_agency_id if record_agency_id in roles else None
    if agency_id is None and roles:
        agency_id = min(roles, key=str)
    return agency_id, ",".join(sorted(roles.get(agency_id, ())))


def _write(access: _Access, trail: _RequestTrail | None) -> AccessLog:
    agency_id, role = _acting_agency_and_role(access.actor, access.agency_id)
    return access_log.append(
        actor_id=access.actor_id,
        agency_id=agency_id,
        role=role,
        action=access.action,
        object_type=access.object_type,
        object_id=access.object_id,
        client_id=access.client_id,
        case_id=access.case_id,
        route=trail.route if trail else "",
        ip=trail.ip if trail else None,
        user_agent=trail.user_agent if trail else "",
        outcome=access.outcome,
    )


def _flush(trail: _RequestTrail) -> None:
    if trail.written or trail.noted is None:
        return
    trail.written = True
    trail.row_id = _write(trail.noted, trail).pk


# --- The request boundary ----------------------------------------------------------------


def _client_ip(request) -> str | None:
    # REMOTE_ADDR only: behind a proxy, the proxy sets it (X-Forwarded-For can be forged).
    return request.META.get("REMOTE_ADDR") or None


def _route(request) -> tuple[str, dict]:
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return "", {}
    return (match.view_name or match.route or "")[:120], match.kwargs


def _object_of_route(kwargs: dict) -> tuple[str, str]:
    for name, value in kwargs.items():
        if isinstance(value, UUID):
            return name.removesuffix("_id"), str(value)
    return "", ""


class AccessLogMiddleware:
    """Collects a request's accesses and writes its one row (see module doc).
    A 403 — or a 404 on a record's address — with nothing else read is
    recorded as ``permission_denied``."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        route, kwargs = _route(request)
        trail = _RequestTrail(
            ip=_client_ip(request),
            user_agent=request.META.get("HTTP_USER_AGENT", "")[:300],
            route=route,
            method=request.method,
        )
        token = _trail.set(trail)
        try:
            response = self.get_response(request)
            self._finish(request, response, trail, kwargs)
            return response
        finally:
            _trail.reset(token)

    @staticmethod
    def _finish(request, response, trail: _RequestTrail, kwargs: dict) -> None:
        status = response.status_code
        if (
            trail.written
            and status >= 400
            and trail.row_id is not None
            and not AccessLog.objects.filter(pk=trail.row_id).exists()
        ):
            # Written inside a transaction that then rolled back: write it again.
            trail.written, trail.row_id = False, None
        if trail.written:
            return
        user = getattr(request, "user", None)
        signed_in = getattr(user, "is_authenticated", False)
        object_type, object_id = _object_of_route(kwargs)
        broad = trail.noted is None or trail.noted.action in (Action.LIST, Action.SEARCH)
        # Refused before anything specific was read: the refusal is the event.
        if broad and (status == 403 or (status == 404 and object_id and signed_in)):
            trail.noted = _Access(
                actor=user if signed_in else None,
                actor_id=user.pk if signed_in else None,
                action=Action.PERMISSION_DENIED,
                object_type=object_type,
                object_id=object_id,
                outcome=Outcome.DENIED if status == 403 else Outcome.NOT_FOUND,
            )
        elif trail.noted is not None and status >= 400:
            trail.noted.outcome = (
                Outcome.DENIED
                if status == 403
                else Outcome.NOT_FOUND
                if status == 404
                else Outcome.FAILED
            )
        _flush(trail)


@contextlib.contextmanager
def request_trail(
    *, route: str = "", ip: str | None = None, method: str = "GET"
) -> Iterator["_RequestTrail"]:
    """A request boundary for code that is not a Django request (tests, tools)."""
    trail = _RequestTrail(ip=ip, user_agent="", route=route, method=method)
    token = _trail.set(trail)
    try:
        yield trail
        _flush(trail)
    finally:
        _trail.reset(token)


# --- Authentication signals ------------------------------------------------------------


def on_logged_in(sender, request, user, **kwargs):
    record_access(user, Action.LOGIN, object_type="accounts.user", object_id=str(user.pk))


def on_logged_out(sender, request, user, **kwargs):
    if user is not None:
        record_access(user, Action.LOGOUT, object_type="accounts.user", object_id=str(user.pk))


def on_login_failed(sender, credentials, request=None, **kwargs):
    # The typed e-mail is not stored: it may be a client's or a typo of one.
    record_access(None, Action.LOGIN_FAILED, outcome=Outcome.DENIED)
