"""Reads of the data-protection pages: the DPO's list of clients, a client's
overview, legal holds and an agency's retention periods.

A DPO sees audit data, not case content (DESIGN §5): these reads reach a
client through the actor's role in the client's agency (the permission named
by each function, ``privacy.selectors.records``), not through the casework
scope, and the DPO's list shows no personal data of the client.
"""

from dataclasses import dataclass
from uuid import UUID

from django.db.models import Prefetch, Q, QuerySet

from accounts.access import Action, record_access
from accounts.models import Agency, User
from accounts.permissions import Perm
from accounts.selectors import agencies_where, get_agency_for, holds_anywhere
from casework.models import Case, Client
from casework.selectors import MAX_QUERY_LENGTH, is_uuid, name_condition
from config.errors import Forbidden
from privacy.models import Erasure, LegalHold, RetentionPolicy
from privacy.selectors.records import get_client_for_protection

# The object type the access log has always named legal holds by (they were
# casework's): a DPO's filters and reports keep finding them.
LEGAL_HOLD_OBJECT = "casework.legalhold"


def active_legal_holds(client: Client) -> QuerySet[LegalHold]:
    """Holds on the client or one of its cases that are not released (system read)."""
    return LegalHold.objects.filter(client=client, released_at__isnull=True).select_related(
        "case", "placed_by"
    )


def legal_holds_of(actor: User, client_id: UUID | str) -> tuple[Client, QuerySet[LegalHold]]:
    """Every hold of a client, released ones too (PLACE_LEGAL_HOLD in its agency).
    Recorded as a list of the client's holds (their reasons may be about the person)."""
    client = get_client_for_protection(actor, client_id, Perm.PLACE_LEGAL_HOLD)
    holds = LegalHold.objects.filter(client=client).select_related(
        "case", "placed_by", "released_by"
    )
    record_access(actor, Action.LIST, object_type=LEGAL_HOLD_OBJECT, client_id=client.pk)
    return client, holds


def may_look_up_clients(actor: User) -> bool:
    """Whether the actor may look clients up on the data-protection page
    (``clients_for_data_protection``): EXPORT_SUBJECT_ACCESS somewhere."""
    return holds_anywhere(actor, Perm.EXPORT_SUBJECT_ACCESS)


def _clients_under_legal_hold(agencies) -> QuerySet[Client]:
    held = LegalHold.objects.filter(released_at__isnull=True).values("client_id")
    return Client.objects.filter(agency_id__in=agencies, pk__in=held)


def count_clients_under_legal_hold(actor: User) -> int:
    """How many clients ``clients_for_data_protection(actor, held=True)``
    lists: those of the actor's agencies (EXPORT_SUBJECT_ACCESS) with a hold
    on them or one of their cases that is not released. 0 without the
    permission. A count, no personal data: not recorded."""
    agencies = agencies_where(actor, Perm.EXPORT_SUBJECT_ACCESS)
    return _clients_under_legal_hold(agencies).count() if agencies else 0


def clients_for_data_protection(
    actor: User, query: str = "", *, held: bool = False
) -> QuerySet[Client]:
    """The clients of the agencies where the actor answers subject-access
    requests (EXPORT_SUBJECT_ACCESS: the DPO, supervisors; Forbidden
    elsewhere), restricted ones included, with only what the DPO's list shows:
    the id, registration date, agency, whether erased, and the case numbers
    (prefetched as ``cases``) — no case content. ``query`` is a whole client
    id, (part of) a case number, or a name in any script (matched as the
    caseworkers' client search matches it, ``casework.selectors.name_condition``);
    only then are the names loaded (``name``, ``name_latin``), for the DPO to
    tell the matches apart. ``held``: only clients under an active legal hold
    (on them or one of their cases). Recorded as a list (a search when
    ``query`` is given) of clients; the query itself is not recorded."""
    agencies = agencies_where(actor, Perm.EXPORT_SUBJECT_ACCESS)
    if not agencies:
        raise Forbidden()
    clients = (
        _clients_under_legal_hold(agencies)
        if held
        else Client.objects.filter(agency_id__in=agencies)
    )
    query = query.strip()[:MAX_QUERY_LENGTH]
    fields = ["id", "created_at", "anonymised_at", "agency", "agency__name", "agency__slug"]
    if query:
        if is_uuid(query):
            clients = clients.filter(pk=query)
        else:
            numbered = Case.objects.filter(agency_id__in=agencies, number__icontains=query)
            match = Q(pk__in=numbered.values("client_id"))
            names = name_condition(query)
            if names is not None:
                match |= names
            clients = clients.filter(match)
        fields += ["name", "name_latin"]
    record_access(actor, Action.SEARCH if query else Action.LIST, object_type="casework.client")
    return (
        clients.select_related("agency")
        .only(*fields)
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
        """The holds not released yet."""
        return [hold for hold in self.holds if hold.is_active]


def data_protection_of(actor: User, client_id: UUID | str) -> DataProtectionOverview:
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


def retention_periods_of(
    actor: User, slug: str
) -> tuple[Agency, dict[str, RetentionPolicy | None]]:
    """An agency's retention period for every kind of record (None where not
    set). Needs MANAGE_RETENTION there (the DPO, the agency admin): NotFound
    outside the actor's agencies, Forbidden without the permission."""
    agency = get_agency_for(actor, slug, Perm.MANAGE_RETENTION)
    policies = {policy.kind: policy for policy in RetentionPolicy.objects.filter(agency=agency)}
    return agency, {kind: policies.get(kind) for kind in RetentionPolicy.Kind.values}
