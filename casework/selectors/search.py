"""Finding clients and cases: names in any script, case and document numbers, duplicates."""

from datetime import date, datetime, timedelta
from uuid import UUID

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from accounts.access import Action, record_access
from accounts.models import User
from casework.models import (
    Case,
    Client,
    FollowUp,
    IdentityDocument,
)
from casework.names import document_number_key, name_key, skeleton, tokens
from casework.selectors.scope import (
    any_of,
    cases_visible_to,
    clients_visible_to,
)

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
    condition = any_of(parts)
    clients = clients_visible_to(actor)
    record_access(actor, Action.SEARCH, object_type="casework.client")
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
    updated_since: datetime | None = None,
) -> QuerySet[Case]:
    """Visible cases narrowed by the list filters and a search ``query`` that
    matches the case number, the client's name or an identity-document number."""
    cases = cases_visible_to(actor)
    if query:
        record_access(actor, Action.SEARCH, object_type="casework.case")
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
        cases = cases.filter(any_of(parts))
    return cases


def find_possible_duplicates(
    actor: User,
    *,
    name: str,
    name_latin: str = "",
    date_of_birth: date | None = None,
    document_numbers: list[str] | tuple[str, ...] = (),
    exclude_id: UUID | str | None = None,
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
    condition = any_of(parts)
    if condition is None:
        return []
    clients = clients_visible_to(actor).filter(condition)
    if exclude_id:
        clients = clients.exclude(pk=exclude_id)
    return list(clients.order_by("-created_at")[:20])
