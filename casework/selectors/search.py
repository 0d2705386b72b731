"""Finding clients and cases: names in any script, case and document numbers, duplicates."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from uuid import UUID

from django.db.models import Case as SqlCase
from django.db.models import IntegerField, Q, QuerySet, Value, When
from django.utils import timezone

from accounts.access import Action, record_access
from accounts.models import User
from accounts.permissions import Perm
from accounts.selectors import holds_anywhere
from casework.models import (
    Case,
    Client,
    IdentityDocument,
)
from casework.names import (
    document_number_key,
    ends_in_vowel,
    latin_length,
    name_key,
    search_terms,
    skeleton,
)
from casework.selectors.case_items import with_client_and_assignee
from casework.selectors.my_work import with_my_follow_ups_due
from casework.selectors.scope import (
    any_of,
    case_branches,
    case_scope,
    cases_visible_to,
    client_scope,
    clients_visible_to,
    scope_of,
)
from casework.selectors.team import (
    assignee_condition,
    high_risk_condition,
    inactive_condition,
    overdue_condition,
)

MAX_QUERY_LENGTH = 100
MAX_QUERY_WORDS = 6
# Clients one document number may point to (a number is per document, and a
# family's papers may repeat one): more is a wrong number, not a search.
MAX_DOCUMENT_MATCHES = 50


def _terms(query: str) -> list[tuple[str, ...]]:
    return list(dict.fromkeys(search_terms(query[:MAX_QUERY_LENGTH])))[:MAX_QUERY_WORDS]


def _spelling_condition(term: tuple[str, ...], prefix: str = "") -> Q:
    """A name word starts with one of the term's spellings (``search_text``
    wraps every word in spaces, so " moh" is the start of a word, never its middle)."""
    return any_of([Q(**{f"{prefix}search_text__contains": f" {word}"}) for word in term])


def _skeleton_condition(term: tuple[str, ...], prefix: str = "") -> Q | None:
    """A name word has the skeleton of one of the term's spellings, for a
    spelling of three Latin letters or more (ሳባ, "saba", counts four). One
    whose skeleton is a single letter ("Sow" → s), or short and ending in a
    vowel ("Ali" → al, "Rezai" → rz), must match a whole skeleton, so that
    "Sow" does not find Samir, "Ali" Alexander nor "Rezai" Rezvan; otherwise
    the skeleton is a prefix ("Moh" → mh finds
    Muhammad, "Yusuf" → ysf finds Youssef and Yousefi)."""
    parts = []
    for word in term:
        key = skeleton(word)
        if latin_length(word) < 3 or not key:
            continue
        # A one-letter skeleton as a prefix would find every name starting
        # with that sound ("Sow" → s: a fifth of all names), so it must be whole.
        whole = len(key) < 2 or (len(key) < 3 and ends_in_vowel(word))
        pattern = f" ~{key} " if whole else f" ~{key}"
        parts.append(Q(**{f"{prefix}search_text__contains": pattern}))
    return any_of(parts)


def _name_match(query: str, prefix: str = "") -> tuple[Q, Q] | None:
    """(every word matches as written or by skeleton, every word matches as
    written), or None for a query without words."""
    terms = _terms(query)
    if not terms:
        return None
    matches, written = Q(), Q()
    for term in terms:
        spelling = _spelling_condition(term, prefix)
        by_skeleton = _skeleton_condition(term, prefix)
        matches &= spelling if by_skeleton is None else spelling | by_skeleton
        written &= spelling
    return matches, written


def _query_name_keys(query: str) -> set[str]:
    """The name keys a query may stand for: its words as typed, and with
    every Arabic article left out ("alhassan mohammed" and "hassan mohammed")."""
    terms = _terms(query)
    typed = name_key(" ".join(term[0] for term in terms))
    shortest = name_key(" ".join(min(term, key=len) for term in terms))
    return {key for key in (typed, shortest) if key}


def name_condition(query: str) -> Q | None:
    """Every word of ``query`` must match the start of a word of a client's
    name: as written (any case, diacritics, Arabic letter variants, the
    article al-/el-/ash-… joined or apart) or through its consonant skeleton."""
    match = _name_match(query)
    return None if match is None else match[0]


def _clients_with_document(query: str):
    key = document_number_key(query[:MAX_QUERY_LENGTH])
    if len(key) < 4:
        return None
    return IdentityDocument.objects.filter(number_key=key).values("client_id")


def _matching_case_ids(actor: User, query: str, *, number_contains: bool = False) -> QuerySet:
    """The ids of the cases of ``actor``'s scope whose number is ``query``
    (or contains it, with ``number_contains`` and a digit in the query), or
    whose client's name or identity-document number matches it.

    One subquery of UNION ALL branches, so that ``pk IN (…)`` is a plain
    semi-join. A client subquery inside an OR with the number cannot be
    joined: PostgreSQL tests it row by row, and when it is too large to hash
    (a common name over a million clients) it rescans it for every case of
    the scope — minutes, not milliseconds. Each branch reads only the scope:
    the number through the (agency, number) index, the name through the
    trigram index on the clients of the scope's agencies (a case is always
    in its client's agency) and of the cases granted one by one."""
    within = case_scope(actor)
    if within is None:
        return Case.objects.none().values("pk")
    scope = scope_of(actor)
    branches = [Case.objects.filter(within, number=query.upper()).values("pk")]
    if number_contains and any(ch.isdigit() for ch in query):
        branches.append(Case.objects.filter(within, number__icontains=query).values("pk"))
    names = name_condition(query)
    if names is not None:
        agencies = scope.all_cases | scope.own_cases
        if agencies:
            matched = Client.objects.filter(names, agency_id__in=agencies).values("pk")
            branches.append(Case.objects.filter(within, client_id__in=matched).values("pk"))
        if scope.granted_cases:
            # The few cases granted one by one, whatever their client's agency.
            matched = Client.objects.filter(names).values("pk")
            granted = Case.objects.filter(pk__in=scope.granted_cases, client_id__in=matched)
            branches.append(granted.values("pk"))
    with_document = _clients_with_document(query)
    if with_document is not None:
        branches.append(Case.objects.filter(within, client_id__in=with_document).values("pk"))
    return branches[0].union(*branches[1:], all=True) if len(branches) > 1 else branches[0]


def search_clients(actor: User, query: str) -> QuerySet[Client]:
    """Visible clients whose name or identity-document number matches ``query``."""
    parts = []
    names = name_condition(query)
    if names is not None:
        parts.append(names)
    with_document = _clients_with_document(query)
    if with_document is not None:
        # Looked up first (a unique-ish key, an index read): a subquery inside the
        # OR would keep PostgreSQL from answering the name words from the
        # trigram index, and a name matching nobody would walk every client.
        client_ids = list(with_document[:MAX_DOCUMENT_MATCHES])
        if client_ids:
            parts.append(Q(pk__in=[row["client_id"] for row in client_ids]))
    condition = any_of(parts)
    clients = clients_visible_to(actor)
    record_access(actor, Action.SEARCH, object_type="casework.client")
    return clients.none() if condition is None else clients.filter(condition)


def filter_cases(actor: User, *, query: str = "", **filters) -> QuerySet[Case]:
    """Visible cases narrowed by the list filters (``narrow_cases``) and a
    search ``query`` that matches the case number, the client's name or an
    identity-document number. With its parts: ``cases_in_parts``."""
    cases = cases_visible_to(actor)
    if query:
        record_access(actor, Action.SEARCH, object_type="casework.case")
    cases = narrow_cases(cases, actor, **filters)
    query = query.strip()[:MAX_QUERY_LENGTH]
    if query:
        cases = cases.filter(pk__in=_matching_case_ids(actor, query, number_contains=True))
    return cases


def cases_in_parts(actor: User, **filters) -> tuple[QuerySet[Case], list[QuerySet[Case]]]:
    """What a case list reads: ``filter_cases`` and its ``case_list_parts``,
    narrowed as of one moment."""
    filters.setdefault("now", timezone.now())
    return filter_cases(actor, **filters), case_list_parts(actor, **filters)


def case_list_parts(actor: User, *, query: str = "", **filters) -> list[QuerySet[Case]]:
    """``filter_cases`` split along the parts of the actor's scope
    (``case_branches``: one per agency, one for the cases granted one by one),
    each narrowed by the same filters, for a case list to read one part at a
    time (``config.http.keyset.first_rows``). Their union is ``filter_cases``'
    rows when both are given the same ``now``. Empty for a scope of one part,
    and for a search: its matches are few and read first, and each part would
    repeat it."""
    if query.strip():
        return []
    return [
        narrow_cases(Case.objects.filter(branch), actor, **filters)
        for branch in case_branches(actor)
    ]


def narrow_cases(
    cases: QuerySet[Case],
    actor: User,
    *,
    status: str = "",
    case_type: str = "",
    risk_level: str = "",
    assigned_to_me: bool = False,
    overdue_follow_ups: bool = False,
    my_follow_ups: str = "",
    updated_since: datetime | None = None,
    agency: str = "",
    assignee: UUID | str = "",
    high_risk: bool = False,
    inactive: bool = False,
    now: datetime | None = None,
) -> QuerySet[Case]:
    """``cases`` narrowed by the list filters, as of ``now`` (the current
    time unless given: the parts of one list must share it, or a part read a
    moment later, across midnight, could hold rows the list does not).
    ``my_follow_ups`` (a ``FollowUpPeriod``): cases not closed with an open
    follow-up of the actor's due then, measured against the local date.
    ``agency``: a slug; ``assignee``: a user id or ``"unassigned"``;
    ``high_risk``, ``overdue_follow_ups`` and ``inactive`` are the conditions
    of ``casework.selectors.team`` (the supervisor's home counts with them)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
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
    if agency:
        cases = cases.filter(agency__slug=agency)
    if assignee:
        cases = cases.filter(assignee_condition(assignee))
    if high_risk:
        cases = cases.filter(high_risk_condition())
    if overdue_follow_ups:
        # A closed case needs nothing more, whatever its follow-ups say.
        cases = cases.filter(overdue_condition(today))
    if inactive:
        cases = cases.filter(inactive_condition(now))
    if my_follow_ups:
        cases = with_my_follow_ups_due(cases, actor, my_follow_ups, today)
    return cases


def possible_duplicates(
    actor: User,
    *,
    name: str,
    name_latin: str = "",
    date_of_birth: date | None = None,
    document_numbers: list[str] | tuple[str, ...] = (),
    exclude_id: UUID | str | None = None,
) -> QuerySet[Client]:
    """Visible clients who may be the same person: the same normalised name
    (as written or in Latin letters, any word order) with a date of birth
    within a year of the given one (or none recorded on either side), or the
    same identity-document number. Unordered: a caller pages or caps it."""
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
    condition = any_of(parts)
    clients = clients_visible_to(actor)
    if condition is None:
        return clients.none()
    clients = clients.filter(condition)
    if exclude_id:
        clients = clients.exclude(pk=exclude_id)
    return clients


def find_possible_duplicates(
    actor: User,
    *,
    name: str,
    name_latin: str = "",
    date_of_birth: date | None = None,
    document_numbers: list[str] | tuple[str, ...] = (),
    exclude_id: UUID | str | None = None,
) -> list[Client]:
    """``possible_duplicates``, at most 20, newest first (the warning shown
    when registering a client)."""
    return list(
        possible_duplicates(
            actor,
            name=name,
            name_latin=name_latin,
            date_of_birth=date_of_birth,
            document_numbers=document_numbers,
            exclude_id=exclude_id,
        ).order_by("-created_at")[:20]
    )


class DuplicateIndex:
    """``possible_duplicates``' rule over one agency's clients, loaded once and
    answered in memory: the spreadsheet import checks thousands of rows
    without a query each. ``add`` records a row of the file itself, so a
    person listed twice in one file is found too (``candidates`` then also
    names the row)."""

    def __init__(self, agency_id: UUID | str):
        self._by_key: dict[str, list[tuple[object, date | None]]] = {}
        self._by_number: dict[str, list[object]] = {}
        rows = Client.objects.filter(agency_id=agency_id, anonymised_at__isnull=True).values_list(
            "pk", "name_key", "name_latin_key", "date_of_birth"
        )
        for pk, key, latin_key, born in rows.iterator(chunk_size=2000):
            for each in {key, latin_key} - {""}:
                self._by_key.setdefault(each, []).append((pk, born))
        numbers = IdentityDocument.objects.filter(
            client__agency_id=agency_id, client__anonymised_at__isnull=True
        ).values_list("number_key", "client_id")
        for number, client_id in numbers.iterator(chunk_size=2000):
            if number:
                self._by_number.setdefault(number, []).append(client_id)

    @staticmethod
    def _keys(name: str, name_latin: str) -> set[str]:
        return {key for key in (name_key(name), name_key(name_latin)) if key}

    @staticmethod
    def _numbers(document_numbers) -> set[str]:
        return {document_number_key(number) for number in document_numbers if number} - {""}

    def candidates(
        self,
        *,
        name: str,
        name_latin: str = "",
        date_of_birth: date | None = None,
        document_numbers: list[str] | tuple[str, ...] = (),
    ) -> list:
        """What ``possible_duplicates`` would find (ids, or a row's marker),
        in the order first found."""
        found: dict[object, None] = {}
        for key in self._keys(name, name_latin):
            for pk, born in self._by_key.get(key, ()):
                if date_of_birth is None or born is None or abs((born - date_of_birth).days) <= 366:
                    found.setdefault(pk)
        for number in self._numbers(document_numbers):
            for pk in self._by_number.get(number, ()):
                found.setdefault(pk)
        return list(found)

    def add(
        self,
        marker: object,
        *,
        name: str,
        name_latin: str = "",
        date_of_birth: date | None = None,
        document_numbers: list[str] | tuple[str, ...] = (),
    ) -> None:
        for key in self._keys(name, name_latin):
            self._by_key.setdefault(key, []).append((marker, date_of_birth))
        for number in self._numbers(document_numbers):
            self._by_number.setdefault(number, []).append(marker)


# --- One search box: clients and cases, ranked ------------------------------------------

SEARCH_RESULTS_LIMIT = 20


class Rank:
    """How well a result matches, best first."""

    NUMBER = 0  # the exact case number or identity-document number
    NAME_KEY = 1  # the whole name, in any script or spelling (its name key)
    PREFIX = 2  # every word starts a word of the name as written
    SKELETON = 3  # every word matches only through its consonant skeleton


@dataclass(frozen=True)
class SearchResults:
    """Ranked clients and cases for one query; ``more_*`` when the cap cut the list."""

    query: str
    clients: list[Client]
    cases: list[Case]
    more_clients: bool
    more_cases: bool


def may_search(actor: User) -> bool:
    """Whether ``actor``'s role in some agency lets them see clients or cases
    (the header's search box is shown to them)."""
    return holds_anywhere(actor, Perm.VIEW_CLIENT) or holds_anywhere(actor, Perm.VIEW_CASE)


def _ranked(condition_by_rank: list[tuple[int, Q | None]]) -> SqlCase:
    whens = [
        When(condition, then=Value(rank)) for rank, condition in condition_by_rank if condition
    ]
    return SqlCase(*whens, default=Value(Rank.SKELETON), output_field=IntegerField())


def ranked_clients(actor: User, query: str) -> QuerySet[Client]:
    """Visible clients matching ``query`` (name in any script or spelling, or
    an identity-document number), best match first: document number, the
    whole name, every word as the start of a written word, skeletons only.
    Records a search in the access log."""
    record_access(actor, Action.SEARCH, object_type="casework.client")
    clients = clients_visible_to(actor)
    match = _name_match(query)
    documents = _clients_with_document(query)
    by_document = None if documents is None else Q(pk__in=documents)
    keys = _query_name_keys(query)
    by_key = Q(name_key__in=keys) | Q(name_latin_key__in=keys) if keys else None
    within = client_scope(actor)
    if within is None or (match is None and documents is None):
        return clients.none()
    # The matched clients as one semi-join (as _matching_case_ids, for the
    # same reason): a document subquery inside an OR with the name words kept
    # PostgreSQL from the trigram index, and a name matching nobody walked
    # every client of a large agency.
    branches = [
        Client.objects.filter(within, condition).values("pk")
        for condition in (match and match[0], by_document)
        if condition is not None
    ]
    matched = branches[0].union(*branches[1:], all=True) if len(branches) > 1 else branches[0]
    rank = _ranked(
        [
            (Rank.NUMBER, by_document),
            (Rank.NAME_KEY, by_key),
            (Rank.PREFIX, match and match[1]),
        ]
    )
    return (
        clients.filter(pk__in=matched).annotate(rank=rank).order_by("rank", "name", "-created_at")
    )


def ranked_cases(actor: User, query: str) -> QuerySet[Case]:
    """Visible cases matching ``query``: the exact case number, the client's
    identity-document number or the client's name (as ``ranked_clients``),
    ranked the same way, most recently updated first within a rank.
    Records a search in the access log."""
    record_access(actor, Action.SEARCH, object_type="casework.case")
    cases = with_client_and_assignee(cases_visible_to(actor))
    query = query.strip()[:MAX_QUERY_LENGTH]
    if not query:
        return cases.none()
    by_number = Q(number=query.upper())
    documents = _clients_with_document(query)
    by_document = None if documents is None else Q(client_id__in=documents)
    match = _name_match(query)
    # The cases matched (a semi-join, see _matching_case_ids); the ranking
    # below reads the joined client of the matched rows only.
    cases = cases.filter(pk__in=_matching_case_ids(actor, query))
    keys = _query_name_keys(query)
    by_key = Q(client__name_key__in=keys) | Q(client__name_latin_key__in=keys) if keys else None
    written = None if match is None else _name_match(query, "client__")[1]
    rank = _ranked(
        [
            (Rank.NUMBER, any_of([part for part in (by_number, by_document) if part is not None])),
            (Rank.NAME_KEY, by_key),
            (Rank.PREFIX, written),
        ]
    )
    return cases.annotate(rank=rank).order_by("rank", "-updated_at", "-id")


def search_everything(
    actor: User, query: str, *, limit: int = SEARCH_RESULTS_LIMIT
) -> SearchResults:
    """The header's search: at most ``limit`` clients and ``limit`` cases that
    ``actor`` may see, ranked (see ``ranked_clients``). Two queries whatever
    the number of results; one search row in the access log."""
    query = query.strip()[:MAX_QUERY_LENGTH]
    clients = list(ranked_clients(actor, query)[: limit + 1])
    cases = list(ranked_cases(actor, query)[: limit + 1])
    return SearchResults(
        query=query,
        clients=clients[:limit],
        cases=cases[:limit],
        more_clients=len(clients) > limit,
        more_cases=len(cases) > limit,
    )
