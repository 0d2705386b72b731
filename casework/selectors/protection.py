"""Reads for data protection: the access log as a DPO and a supervisor may
see it, legal holds, and the records the data-protection rights act on.

A DPO sees audit data, not case content (DESIGN §5): these selectors reach a
client through the actor's role in the client's agency (the permission named
by each function), not through the casework scope, so a DPO can answer for a
client without being able to open the case.
"""

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from accounts.access import Action, record_access
from accounts.models import AccessLog, Agency, User
from accounts.permissions import Perm
from accounts.selectors import agency_permissions, emergency_access_owners, get_agency_for
from casework.models import BreakGlass, Case, Client, Erasure, LegalHold, RetentionPolicy
from casework.selectors.scope import is_uuid
from config.errors import Forbidden, NotFound


def agencies_where(actor: User, perm: Perm) -> list[UUID]:
    """The agencies where the actor's role holds ``perm``."""
    return [agency for agency, perms in agency_permissions(actor).items() if perm in perms]


def _in_member_agency(actor: User, agency_id, perm: Perm) -> None:
    perms = agency_permissions(actor).get(agency_id)
    if perms is None:
        raise NotFound()
    if perm not in perms:
        raise Forbidden()


def get_client_for_protection(actor: User, client_id, perm: Perm) -> Client:
    """A client of an agency the actor belongs to, where their role holds
    ``perm`` (NotFound outside their agencies, Forbidden without ``perm``).
    Restricted clients included: the data-protection rights cover everyone."""
    client = (
        Client.objects.select_related("agency").filter(pk=client_id).first()
        if is_uuid(client_id)
        else None
    )
    if client is None:
        raise NotFound()
    _in_member_agency(actor, client.agency_id, perm)
    return client


def get_case_for_protection(actor: User, case_id, perm: Perm) -> Case:
    """A case of the actor's agency where their role holds ``perm`` (as above)."""
    case = (
        Case.objects.select_related("agency", "client").filter(pk=case_id).first()
        if is_uuid(case_id)
        else None
    )
    if case is None:
        raise NotFound()
    _in_member_agency(actor, case.agency_id, perm)
    return case


def access_log_for(
    actor: User,
    *,
    user_id=None,
    agency_id=None,
    client_id=None,
    case_id=None,
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
    if since:
        rows = rows.filter(at__gte=since)
    if until:
        rows = rows.filter(at__lt=until)
    return rows.order_by("-at", "-id")


def accesses_to_client(actor: User, client_id) -> tuple[Client, QuerySet[AccessLog]]:
    """ "Who accessed this" for a client and its cases (VIEW_RECORD_ACCESSES in
    the client's agency: supervisors, DPO). Each row gets ``outside``: the
    actor acted for another agency than the client's."""
    client = get_client_for_protection(actor, client_id, Perm.VIEW_RECORD_ACCESSES)
    return client, AccessLog.objects.filter(client_id=client.pk).order_by("-at", "-id")


def accesses_to_case(actor: User, case_id) -> tuple[Case, QuerySet[AccessLog]]:
    """ "Who accessed this" for one case (VIEW_RECORD_ACCESSES in its agency)."""
    case = get_case_for_protection(actor, case_id, Perm.VIEW_RECORD_ACCESSES)
    return case, AccessLog.objects.filter(case_id=case.pk).order_by("-at", "-id")


def active_legal_holds(client: Client) -> QuerySet[LegalHold]:
    """Holds on the client or one of its cases that are not released (system read)."""
    return LegalHold.objects.filter(client=client, released_at__isnull=True).select_related(
        "case", "placed_by"
    )


def legal_holds_of(actor: User, client_id) -> tuple[Client, QuerySet[LegalHold]]:
    """Every hold of a client, released ones too (PLACE_LEGAL_HOLD in its agency).
    Recorded as a list of the client's holds (their reasons may be about the person)."""
    client = get_client_for_protection(actor, client_id, Perm.PLACE_LEGAL_HOLD)
    holds = LegalHold.objects.filter(client=client).select_related(
        "case", "placed_by", "released_by"
    )
    record_access(actor, Action.LIST, object_type="casework.legalhold", client_id=client.pk)
    return client, holds


def break_glass_of_case(actor: User, case_id) -> QuerySet[BreakGlass]:
    """Emergency accesses to a case, for its agency's supervisors and DPO
    (VIEW_RECORD_ACCESSES): the owning agency sees who broke the glass."""
    case = get_case_for_protection(actor, case_id, Perm.VIEW_RECORD_ACCESSES)
    return BreakGlass.objects.filter(case=case).select_related("user")


def active_break_glass(actor: User) -> QuerySet[BreakGlass]:
    """The actor's own emergency accesses that have not expired."""
    from django.utils import timezone

    return BreakGlass.objects.filter(user=actor, expires_at__gt=timezone.now()).select_related(
        "case"
    )


# --- The data-protection pages --------------------------------------------------------


def clients_for_data_protection(actor: User, query: str = "") -> QuerySet[Client]:
    """The clients of the agencies where the actor answers subject-access
    requests (EXPORT_SUBJECT_ACCESS: the DPO, supervisors; Forbidden
    elsewhere), restricted ones included, with only what the DPO's list shows:
    the id, registration date, agency, whether erased, and the case numbers
    (prefetched as ``cases``) — no name, no case content. ``query`` is a whole
    client id or (part of) a case number. Recorded as a list (a search when
    ``query`` is given) of clients."""
    agencies = agencies_where(actor, Perm.EXPORT_SUBJECT_ACCESS)
    if not agencies:
        raise Forbidden()
    clients = Client.objects.filter(agency_id__in=agencies)
    query = query.strip()
    if query:
        if is_uuid(query):
            clients = clients.filter(pk=query)
        else:
            numbered = Case.objects.filter(agency_id__in=agencies, number__icontains=query)
            clients = clients.filter(pk__in=numbered.values("client_id"))
    record_access(actor, Action.SEARCH if query else Action.LIST, object_type="casework.client")
    return (
        clients.select_related("agency")
        .only("id", "created_at", "anonymised_at", "agency", "agency__name", "agency__slug")
        .prefetch_related(
            Prefetch(
                "cases", queryset=Case.objects.only("id", "number", "client").order_by("number")
            )
        )
    )


@dataclass
class DataProtectionOverview:
    """A client as the data-protection page shows it: the record, its case
    numbers, legal holds (released ones too) and erasures; no personal data."""

    client: Client
    cases: list[Case]
    holds: list[LegalHold]
    erasures: list[Erasure]

    @property
    def active_holds(self) -> list[LegalHold]:
        return [hold for hold in self.holds if hold.is_active]


def data_protection_of(actor: User, client_id) -> DataProtectionOverview:
    """The data-protection page of a client (EXPORT_SUBJECT_ACCESS in the
    client's agency: the DPO, supervisors). Recorded as a view of the client."""
    client = get_client_for_protection(actor, client_id, Perm.EXPORT_SUBJECT_ACCESS)
    cases = list(
        Case.objects.filter(client=client).only("id", "number", "client", "opened_at", "status")
    )
    holds = list(
        LegalHold.objects.filter(client=client).select_related("case", "placed_by", "released_by")
    )
    erasures = list(Erasure.objects.filter(client_id=client.pk).select_related("erased_by"))
    record_access(actor, Action.VIEW, client)
    return DataProtectionOverview(client=client, cases=cases, holds=holds, erasures=erasures)


def break_glass_agencies(actor: User) -> list[UUID]:
    """The actor's agencies where their role holds BREAK_GLASS (supervisors).
    Forbidden when there is none: the first answer of every break-the-glass
    page, API call and service call, before any input is looked at."""
    own = agencies_where(actor, Perm.BREAK_GLASS)
    if not own:
        raise Forbidden(_("Only a supervisor may open a case in an emergency."))
    return own


def partners_in_break_glass_reach(actor: User) -> list[Agency]:
    """The other agencies whose cases the actor may open by breaking the glass
    (they agreed in writing for one of the actor's agencies), by name."""
    own = agencies_where(actor, Perm.BREAK_GLASS)
    others = emergency_access_owners(own) - set(own)
    if not others:
        return []
    return list(Agency.objects.filter(pk__in=others).only("id", "name").order_by("name"))


def find_case_for_break_glass(actor: User, number: str) -> Case:
    """The case with this number within the actor's reach, for an emergency
    access: of their agencies where they may break the glass
    (``break_glass_agencies``, Forbidden without one, so others cannot probe
    case numbers), or of an agency that opted in, in writing and not withdrawn,
    for one of those (``accounts.EmergencyAccessAgreement``). NotFound when no
    case within reach has the number: another agency's case without an
    agreement is not found either (DESIGN §5). Not recorded: ``break_glass``
    records the access."""
    own = break_glass_agencies(actor)
    number = (number or "").strip().upper()
    if not number:
        raise NotFound()
    reach = frozenset(own) | emergency_access_owners(own)
    matches = list(Case.objects.filter(number=number, agency_id__in=reach).only("id", "number")[:2])
    if len(matches) != 1:
        raise NotFound()
    return matches[0]


def retention_periods_of(
    actor: User, slug: str
) -> tuple[Agency, dict[str, RetentionPolicy | None]]:
    """An agency's retention period for every kind of record (None where not
    set). Needs MANAGE_RETENTION there (the DPO, the agency admin): NotFound
    outside the actor's agencies, Forbidden without the permission."""
    agency = get_agency_for(actor, slug, Perm.MANAGE_RETENTION)
    policies = {policy.kind: policy for policy in RetentionPolicy.objects.filter(agency=agency)}
    return agency, {kind: policies.get(kind) for kind in RetentionPolicy.Kind.values}
