"""Reads behind the access-log pages and API: the DPO's whole log, "who
accessed this" on a client or a case, and the chain's verdict.

Reading the log is reading about people (who looked at which client), so
each read is itself recorded through ``accounts.access.record_access``, like
every scoped selector. The whole log needs VIEW_ACCESS_LOG (the DPO), a
record's accesses VIEW_RECORD_ACCESSES in its agency (supervisors and the
DPO), reached through the actor's role, not through the casework scope, so a
DPO who may not open a case can still see who did.
"""

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from django.db.models import Q, QuerySet

from accounts import access_log
from accounts.access import Action, record_access
from accounts.models import AccessLog, Agency, Membership, User
from accounts.permissions import Perm, Role
from accounts.selectors import agencies_where, holds_anywhere, holds_in
from casework.models import BreakGlass, Case, Client
from config.errors import Forbidden
from privacy.labels import record_type_label, short_user_agent
from privacy.models import AccessLogVerification
from privacy.selectors.break_glass import break_glass_of_case
from privacy.selectors.records import get_case_for_protection, get_client_for_protection

LOG_OBJECT = "accounts.accesslog"
FILTERS = ("user_id", "agency_id", "client_id", "case_id", "action", "since", "until")


def may_read_access_log(user: User) -> bool:
    """Whether the user is the DPO of some agency (from the roles loaded for the request)."""
    return holds_anywhere(user, Perm.VIEW_ACCESS_LOG)


def may_see_accesses_of(user: User, record: Client | Case) -> bool:
    """Whether the user may see who accessed ``record`` (a client or a case):
    VIEW_RECORD_ACCESSES in the record's agency."""
    return holds_in(user, Perm.VIEW_RECORD_ACCESSES, record.agency_id)


def access_log_for(
    actor: User,
    *,
    user_id: UUID | None = None,
    agency_id: UUID | None = None,
    client_id: UUID | None = None,
    case_id: UUID | None = None,
    action: str = "",
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[AccessLog]:
    """The access log of the agencies where the actor may read it
    (VIEW_ACCESS_LOG, the DPO): rows of people acting for those agencies and
    rows about their clients, whoever acted. Newest first, filtered.
    ``client_id`` and ``case_id`` find only those agencies' own clients and
    cases: another agency's id (one its referral's packet came from) finds
    nothing, like an id that does not exist."""
    agencies = agencies_where(actor, Perm.VIEW_ACCESS_LOG)
    if not agencies:
        raise Forbidden()
    own_clients = Client.objects.filter(agency_id__in=agencies).values("pk")
    rows = AccessLog.objects.filter(Q(agency_id__in=agencies) | Q(client_id__in=own_clients))
    if user_id:
        rows = rows.filter(actor_id=user_id)
    if agency_id:
        rows = rows.filter(agency_id=agency_id)
    if client_id:
        rows = rows.filter(client_id=client_id).filter(client_id__in=own_clients)
    if case_id:
        own_cases = Case.objects.filter(agency_id__in=agencies).values("pk")
        rows = rows.filter(case_id=case_id).filter(case_id__in=own_cases)
    if action:
        rows = rows.filter(action=action)
    return _in_period(rows, since, until).order_by("-at", "-id")


def accesses_to_client(actor: User, client_id: UUID | str) -> tuple[Client, QuerySet[AccessLog]]:
    """ "Who accessed this" for a client and its cases (VIEW_RECORD_ACCESSES in
    the client's agency: supervisors, DPO). Each row gets ``outside``: the
    actor acted for another agency than the client's. Not recorded:
    ``read_client_accesses`` records the read."""
    client = get_client_for_protection(actor, client_id, Perm.VIEW_RECORD_ACCESSES)
    return client, AccessLog.objects.filter(client_id=client.pk).order_by("-at", "-id")


def accesses_to_case(actor: User, case_id: UUID | str) -> tuple[Case, QuerySet[AccessLog]]:
    """ "Who accessed this" for one case (VIEW_RECORD_ACCESSES in its agency).
    Not recorded: ``read_case_accesses`` records the read."""
    case = get_case_for_protection(actor, case_id, Perm.VIEW_RECORD_ACCESSES)
    return case, AccessLog.objects.filter(case_id=case.pk).order_by("-at", "-id")


def read_access_log(actor: User, **filters: object) -> QuerySet[AccessLog]:
    """The log as the DPO may read it (``access_log_for``: Forbidden without
    VIEW_ACCESS_LOG), newest first, with ``filters`` among ``FILTERS``.
    Recorded as a list (a search when filtered) of the log, with the client
    and case the DPO asked about."""
    unknown = set(filters) - set(FILTERS)
    if unknown:
        raise TypeError(f"unknown filters: {sorted(unknown)}")
    rows = access_log_for(actor, **filters)
    record_access(
        actor,
        Action.SEARCH if any(filters.values()) else Action.LIST,
        object_type=LOG_OBJECT,
        client_id=filters.get("client_id"),
        case_id=filters.get("case_id"),
    )
    return rows


def _in_period(
    rows: QuerySet[AccessLog], since: datetime | None, until: datetime | None
) -> QuerySet[AccessLog]:
    if since:
        rows = rows.filter(at__gte=since)
    if until:
        rows = rows.filter(at__lt=until)
    return rows


def read_client_accesses(
    actor: User,
    client_id: UUID | str,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
) -> tuple[Client, QuerySet[AccessLog]]:
    """Every access-log row about a client and its cases (``accesses_to_client``:
    VIEW_RECORD_ACCESSES in the client's agency), at or after ``since`` and
    before ``until`` when given. Recorded as a list of the log about that client."""
    client, rows = accesses_to_client(actor, client_id)
    rows = _in_period(rows, since, until)
    record_access(
        actor,
        Action.LIST,
        object_type=LOG_OBJECT,
        client_id=client.pk,
        agency_id=client.agency_id,
    )
    return client, rows


def read_case_accesses(
    actor: User,
    case_id: UUID | str,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
) -> tuple[Case, QuerySet[AccessLog]]:
    """Every access-log row about one case (``accesses_to_case``), at or after
    ``since`` and before ``until`` when given. Recorded as a list of the log
    about that case and its client."""
    case, rows = accesses_to_case(actor, case_id)
    rows = _in_period(rows, since, until)
    record_access(
        actor,
        Action.LIST,
        object_type=LOG_OBJECT,
        client_id=case.client_id,
        case_id=case.pk,
        agency_id=case.agency_id,
    )
    return case, rows


def read_break_glass(actor: User, case: Case) -> list[BreakGlass]:
    """Emergency accesses to ``case`` (``break_glass_of_case``), newest first,
    each marked ``outside`` when the user has no role in the case's agency."""
    accesses = list(break_glass_of_case(actor, case.pk).order_by("-started_at"))
    members = set(
        Membership.objects.filter(
            agency_id=case.agency_id, user_id__in={access.user_id for access in accesses}
        ).values_list("user_id", flat=True)
    )
    for access in accesses:
        access.outside = access.user_id not in members
    return accesses


def verify_access_log_for(actor: User) -> access_log.Verdict:
    """Walk every chain of the log (``accounts.access_log.verify``) for a DPO.
    Walks the whole log: call it only when asked. The verdict holds counts and
    positions, no personal data, so it is not recorded."""
    if not holds_anywhere(actor, Perm.VIEW_ACCESS_LOG):
        raise Forbidden()
    return access_log.verify()


@dataclass(frozen=True)
class AccessLogState:
    """What is known of the log's integrity without walking it: the last kept
    verdict (``privacy.services.verify_access_log``, the verify_access_log
    command; None before the first) and the last checkpoint's time (None
    without one; ``checkpoint_unreadable`` when it cannot be read).
    ``verified_by_name`` is who asked for the verdict, only when they are a
    member of an agency whose log the reader reads; blank otherwise (the
    command, or another agency's DPO: their name is not the reader's to know)."""

    last_verification: AccessLogVerification | None
    checkpoint_at: datetime | None
    checkpoint_unreadable: bool = False
    verified_by_name: str = ""


def access_log_state(actor: User) -> AccessLogState:
    """The last kept verdict of the whole log and the time of the last
    checkpoint (the end of the checkpoint file, read without the rows). The
    log is one for every agency: so are its verdicts; who asked is named only
    to a DPO of one of their agencies (VIEW_ACCESS_LOG there). Counts and
    positions only: not recorded."""
    last = AccessLogVerification.objects.order_by("-verified_at", "-id").first()
    name = ""
    if last is not None and last.verified_by_id is not None:
        shares_agency = Membership.objects.filter(
            user_id=last.verified_by_id,
            agency_id__in=agencies_where(actor, Perm.VIEW_ACCESS_LOG),
        ).exists()
        if shares_agency:
            display_name, email = User.objects.values_list("display_name", "email").get(
                pk=last.verified_by_id
            )
            name = display_name or email
    try:
        checkpoint = access_log.last_checkpoint()
    except access_log.CheckpointUnreadableError:
        return AccessLogState(last, None, checkpoint_unreadable=True, verified_by_name=name)
    return AccessLogState(last, checkpoint.at if checkpoint else None, verified_by_name=name)


# --- Display: who acted, for which agency ----------------------------------------------


@dataclass
class Names:
    """Staff members and agencies named by a page of rows (two queries a page)."""

    people: dict[UUID, User]
    agencies: dict[UUID, Agency]


def names_for(rows: list[AccessLog]) -> Names:
    """Display name and e-mail of the staff members who acted, and the names of
    the agencies they acted for. Staff only: log rows never name a client."""
    actor_ids = {row.actor_id for row in rows if row.actor_id}
    agency_ids = {row.agency_id for row in rows if row.agency_id}
    people = (
        {
            user.pk: user
            for user in User.objects.filter(pk__in=actor_ids).only("display_name", "email")
        }
        if actor_ids
        else {}
    )
    agencies = (
        {agency.pk: agency for agency in Agency.objects.filter(pk__in=agency_ids).only("name")}
        if agency_ids
        else {}
    )
    return Names(people, agencies)


# What a row read of a referral names: the referral, whose id both agencies know.
REFERRAL_OBJECTS = frozenset({"referrals.referral", "referrals.referralpacket"})


def _records_of(
    agencies: frozenset[UUID] | set[UUID], client_ids: set, case_ids: set
) -> tuple[set[UUID], set[UUID]]:
    """Of these client and case ids, those of ``agencies``: a query per kind at most."""
    if not agencies:
        return set(), set()
    clients = (
        set(
            Client.objects.filter(pk__in=client_ids, agency_id__in=agencies).values_list(
                "pk", flat=True
            )
        )
        if client_ids
        else set()
    )
    cases = (
        set(
            Case.objects.filter(pk__in=case_ids, agency_id__in=agencies).values_list(
                "pk", flat=True
            )
        )
        if case_ids
        else set()
    )
    return clients, cases


def records_known_to(actor: User, rows: list[AccessLog]) -> tuple[set[UUID], set[UUID]]:
    """Of the clients and cases the rows name, those of the agencies whose log
    or records' accesses the actor reads (VIEW_ACCESS_LOG or
    VIEW_RECORD_ACCESSES there): the ids the actor's agency holds itself."""
    agencies = agencies_where(actor, Perm.VIEW_ACCESS_LOG) | agencies_where(
        actor, Perm.VIEW_RECORD_ACCESSES
    )
    return _records_of(
        agencies,
        {row.client_id for row in rows if row.client_id},
        {row.case_id for row in rows if row.case_id},
    )


def describe(
    rows: list[AccessLog], *, actor: User, record_agency_id: UUID | None = None
) -> list[AccessLog]:
    """Attach to each row what the page or API shows ``actor``: ``actor`` and
    ``agency`` (names), ``role_labels``, (for a record's accesses) ``outside`` —
    the actor acted for another agency than the record's — the ids shown,
    ``record_type`` (the record's kind in words) and ``device`` (the user
    agent's browser and system, ``privacy.labels.short_user_agent``).

    Need to know (DESIGN §5): a row about another agency's client — the
    partner's staff reading a packet the sender sent them — is shown to the
    partner's DPO without the sender's ``client_id`` and ``case_id``; it names
    the referral (``referral_id``) instead. ``shown_client_id``,
    ``shown_case_id`` and ``shown_object_id`` are what may be shown; the stored
    row keeps the ids for the sender's DPO and its records' "who accessed this"."""
    names = names_for(rows)
    labels = dict(Role.choices)
    known_clients, known_cases = records_known_to(actor, rows)
    for row in rows:
        row.actor = names.people.get(row.actor_id)
        row.agency = names.agencies.get(row.agency_id)
        row.role_labels = ", ".join(
            str(labels.get(role, role)) for role in row.role.split(",") if role
        )
        if record_agency_id is not None:
            row.outside = row.agency_id != record_agency_id
        row.record_type = record_type_label(row.object_type)
        row.device = short_user_agent(row.user_agent)
        row.referral_id = row.object_id if row.object_type in REFERRAL_OBJECTS else ""
        row.foreign_record = (row.client_id is not None and row.client_id not in known_clients) or (
            row.case_id is not None and row.case_id not in known_cases
        )
        if row.foreign_record:
            row.shown_client_id = row.shown_case_id = None
            # Another agency's records' ids (its case, client, document) stay with it.
            row.shown_object_id = row.referral_id
        else:
            row.shown_client_id, row.shown_case_id = row.client_id, row.case_id
            row.shown_object_id = row.object_id
    return rows


def records_to_link(actor: User, rows: list[AccessLog]) -> tuple[set[UUID], set[UUID]]:
    """Of the clients and cases the rows show (``describe`` first), those
    whose accesses the actor may open (VIEW_RECORD_ACCESSES in their agency):
    ids only."""
    return _records_of(
        agencies_where(actor, Perm.VIEW_RECORD_ACCESSES),
        {row.shown_client_id for row in rows if row.shown_client_id},
        {row.shown_case_id for row in rows if row.shown_case_id},
    )


def filter_choices(actor: User) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """For the DPO's filters: the members (present and past) of the agencies
    whose log they read, as "name (e-mail)", and every agency by name."""
    agencies = agencies_where(actor, Perm.VIEW_ACCESS_LOG)
    people: dict[UUID, str] = {}
    memberships = (
        Membership.objects.filter(agency_id__in=agencies)
        .select_related("user")
        .order_by("user__display_name", "user__email")
    )
    for membership in memberships:
        user = membership.user
        people.setdefault(user.pk, f"{user.display_name} ({user.email})")
    all_agencies = Agency.objects.order_by("name").values_list("pk", "name")
    return (
        [(str(pk), label) for pk, label in people.items()],
        [(str(pk), name) for pk, name in all_agencies],
    )


# --- Keyset pages over (at, id) -----------------------------------------------------------


@dataclass
class Page:
    """One page of log rows and the cursor of the next (None on the last)."""

    rows: list
    next_cursor: str | None
    is_first: bool


def _encode(at: datetime, pk: int) -> str:
    return base64.urlsafe_b64encode(f"{at.isoformat()}|{pk}".encode()).decode().rstrip("=")


def _decode(cursor: str) -> tuple[datetime, int] | None:
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at, pk = raw.split("|", 1)
        moment = datetime.fromisoformat(at)
        if moment.tzinfo is None:
            return None
        return moment, int(pk)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None


def log_page(rows: QuerySet[AccessLog], cursor: str, size: int = 50) -> Page:
    """One page of log rows, newest first, after ``cursor`` (a bad cursor is the first page)."""
    position = _decode(cursor)
    rows = rows.order_by("-at", "-id")
    if position is not None:
        at, pk = position
        rows = rows.filter(Q(at__lt=at) | Q(at=at, pk__lt=pk))
    found = list(rows[: size + 1])
    next_cursor = None
    if len(found) > size:
        found = found[:size]
        next_cursor = _encode(found[-1].at, found[-1].pk)
    return Page(found, next_cursor, position is None)
