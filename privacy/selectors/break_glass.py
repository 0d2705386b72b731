"""Reads of break the glass: who may, which cases are within reach, the
emergency accesses running and those made to a case. The grants themselves
are ``casework.BreakGlass`` rows, which the casework scope reads."""

from uuid import UUID

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Agency, Membership, User
from accounts.permissions import Perm
from accounts.selectors import agencies_where, emergency_access_owners
from casework.models import BreakGlass, Case
from config.errors import Forbidden, NotFound
from privacy.selectors.records import get_case_for_protection


def break_glass_of_case(actor: User, case_id: UUID | str) -> QuerySet[BreakGlass]:
    """Emergency accesses to a case, for its agency's supervisors and DPO
    (VIEW_RECORD_ACCESSES): the owning agency sees who broke the glass."""
    case = get_case_for_protection(actor, case_id, Perm.VIEW_RECORD_ACCESSES)
    return BreakGlass.objects.filter(case=case).select_related("user")


def running_break_glass_for(actor: User) -> list[BreakGlass]:
    """The emergency accesses running now to cases of the agencies where the
    actor sees who accessed records (VIEW_RECORD_ACCESSES: the DPO,
    supervisors; none elsewhere), those ending soonest first, with the user
    and the case number (no client, no reason: the reason may be about the
    person). Each is marked ``outside`` when its user has no role in the
    case's agency. Two queries; not recorded (staff and case numbers only)."""
    agencies = agencies_where(actor, Perm.VIEW_RECORD_ACCESSES)
    if not agencies:
        return []
    accesses = list(
        BreakGlass.objects.filter(case__agency_id__in=agencies, expires_at__gt=timezone.now())
        .select_related("user", "case__agency")
        .only(
            "id",
            "started_at",
            "expires_at",
            "user__id",
            "user__display_name",
            "user__email",
            "case__id",
            "case__number",
            "case__agency__id",
            "case__agency__name",
        )
        .order_by("expires_at", "id")
    )
    members = (
        set(
            Membership.objects.filter(
                agency_id__in={access.case.agency_id for access in accesses},
                user_id__in={access.user_id for access in accesses},
            ).values_list("agency_id", "user_id")
        )
        if accesses
        else set()
    )
    for access in accesses:
        access.outside = (access.case.agency_id, access.user_id) not in members
    return accesses


def active_break_glass(actor: User) -> QuerySet[BreakGlass]:
    """The actor's own emergency accesses that have not expired (no permission:
    they are the actor's own)."""
    return BreakGlass.objects.filter(user=actor, expires_at__gt=timezone.now()).select_related(
        "case"
    )


def break_glass_agencies(actor: User) -> frozenset[UUID]:
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
    others = emergency_access_owners(own) - own
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
    reach = own | emergency_access_owners(own)
    matches = list(Case.objects.filter(number=number, agency_id__in=reach).only("id", "number")[:2])
    if len(matches) != 1:
        raise NotFound()
    return matches[0]
