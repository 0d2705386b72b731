"""The client or case a data-protection right acts on, reached through the
actor's role in its agency.

A DPO sees audit data, not case content (DESIGN §5): these reads reach a
client through the actor's role in the client's agency (the permission named
by the caller), not through the casework scope, so a DPO can answer for a
client without being able to open the case.
"""

from uuid import UUID

from accounts.models import User
from accounts.permissions import Perm
from accounts.selectors import agency_permissions, holds_in
from casework.models import Case, Client
from casework.selectors.scope import is_uuid
from config.errors import Forbidden, NotFound


def _in_member_agency(actor: User, agency_id: UUID, perm: Perm) -> None:
    """NotFound outside the actor's agencies; Forbidden in one of them without ``perm``."""
    if agency_id not in agency_permissions(actor):
        raise NotFound()
    if not holds_in(actor, perm, agency_id):
        raise Forbidden()


def get_client_for_protection(actor: User, client_id: UUID | str, perm: Perm) -> Client:
    """A client of an agency the actor belongs to, where their role holds
    ``perm`` (NotFound outside their agencies, Forbidden without ``perm``).
    Restricted clients included: the data-protection rights cover everyone.
    Not recorded: the caller records what it reads."""
    client = (
        Client.objects.select_related("agency").filter(pk=client_id).first()
        if is_uuid(client_id)
        else None
    )
    if client is None:
        raise NotFound()
    _in_member_agency(actor, client.agency_id, perm)
    return client


def get_case_for_protection(actor: User, case_id: UUID | str, perm: Perm) -> Case:
    """A case of the actor's agency where their role holds ``perm`` (NotFound
    outside their agencies, Forbidden without ``perm``). Not recorded."""
    case = (
        Case.objects.select_related("agency", "client").filter(pk=case_id).first()
        if is_uuid(case_id)
        else None
    )
    if case is None:
        raise NotFound()
    _in_member_agency(actor, case.agency_id, perm)
    return case
