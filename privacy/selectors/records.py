"""The client or case a data-protection right acts on, reached through the
actor's role in its agency.

A DPO sees audit data, not case content (DESIGN §5): these reads reach a
client through the actor's role in the client's agency (the permission named
by the caller), not through the casework scope, so a DPO can answer for a
client without being able to open the case.
"""

from collections.abc import Callable
from uuid import UUID

from django.db.models import Q

from accounts.models import User
from accounts.permissions import Perm
from accounts.selectors import agency_permissions, holds_in
from casework.models import Case, Client
from casework.selectors.scope import case_scope, client_scope, is_uuid
from config.errors import Forbidden, NotFound


def _in_member_agency(
    actor: User, record: Client | Case, perm: Perm, scope: Callable[[User], Q | None]
) -> None:
    """NotFound outside the actor's agencies. Inside one, without ``perm``:
    Forbidden when the actor sees the record in their casework (``scope``, the
    casework scope), NotFound when they do not, so that a record a
    person may not see answers exactly as one that does not exist (DESIGN §2.4)."""
    if record.agency_id not in agency_permissions(actor):
        raise NotFound()
    if holds_in(actor, perm, record.agency_id):
        return
    seen = scope(actor)
    if seen is not None and type(record).objects.filter(seen, pk=record.pk).exists():
        raise Forbidden()
    raise NotFound()


def get_client_for_protection(actor: User, client_id: UUID | str, perm: Perm) -> Client:
    """A client of an agency the actor belongs to, where their role holds
    ``perm`` (NotFound outside their agencies or when they do not see the
    client, Forbidden when they see it without ``perm``).
    Restricted clients included: the data-protection rights cover everyone.
    Not recorded: the caller records what it reads."""
    client = (
        Client.objects.select_related("agency").filter(pk=client_id).first()
        if is_uuid(client_id)
        else None
    )
    if client is None:
        raise NotFound()
    _in_member_agency(actor, client, perm, client_scope)
    return client


def get_case_for_protection(actor: User, case_id: UUID | str, perm: Perm) -> Case:
    """A case of the actor's agency where their role holds ``perm`` (NotFound
    outside their agencies or when they do not see the case, Forbidden when
    they see it without ``perm``). Not recorded."""
    case = (
        Case.objects.select_related("agency", "client").filter(pk=case_id).first()
        if is_uuid(case_id)
        else None
    )
    if case is None:
        raise NotFound()
    _in_member_agency(actor, case, perm, case_scope)
    return case
