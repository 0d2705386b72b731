"""Break the glass: a supervisor opens, read-only and for a few hours, a case
outside their scope in an emergency; and the emergency accesses that end when
the agreement they relied on is withdrawn. The grants are ``casework.BreakGlass``
rows, which the casework scope reads."""

from datetime import timedelta
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.access import Action, record_access
from accounts.models import EmergencyAccessAgreement, Membership, User
from accounts.permissions import Perm, Role
from accounts.selectors import (
    active_emergency_access_agreements,
    active_members_in_roles,
    forget_cached_permissions,
    holders_of,
)
from accounts.services.notifications import notify_users
from casework.models import BreakGlass, Case
from casework.selectors.scope import case_scope, is_uuid
from casework.services.common import require_text
from config.errors import Conflict, NotFound
from privacy.selectors.break_glass import break_glass_agencies


@transaction.atomic
def break_glass(*, actor: User, case_id: UUID | str, reason: str) -> BreakGlass:
    """Open a case outside the actor's scope for BREAK_GLASS_HOURS (default 3),
    read-only, in an emergency. Needs BREAK_GLASS in one of the actor's
    agencies (supervisors; 403 otherwise) and a written reason (400 without).
    A case the actor can already see is 409 ``already_visible``. Any other
    case must be of one of those agencies, or of an agency that opted in, in
    writing and not withdrawn, for one of them
    (``accounts.selectors.active_emergency_access_agreements``); out of that
    reach it is NotFound, exactly like a case that does not exist, and leaves
    the same trace in the access log. Logged as ``break_glass``; the owning
    agency's supervisors and DPO are notified."""
    own = break_glass_agencies(actor)
    reason = require_text(reason, "reason")
    case = (
        Case.objects.select_related("agency").filter(pk=case_id).first()
        if is_uuid(case_id)
        else None
    )
    if case is None:
        raise NotFound()
    # The unlogged scope: cases_visible_to would record a list read for a case
    # that exists and none for one that does not, telling them apart.
    scope = case_scope(actor)
    if scope is not None and Case.objects.filter(scope, pk=case.pk).exists():
        raise Conflict(_("You can already see this case."), code="already_visible")
    if case.agency_id not in own:
        # Waits for a withdrawal of the agreement running at the same moment,
        # then sees it (select_for_update re-reads the row): an agreement
        # withdrawn before this commits opens nothing.
        agreed = (
            active_emergency_access_agreements()
            .select_for_update()
            .filter(agency_id=case.agency_id, partner_id__in=own)
        )
        if not list(agreed.values_list("pk", flat=True)):
            raise NotFound()
    now = timezone.now()
    access = BreakGlass(
        case=case,
        user=actor,
        reason=reason,
        started_at=now,
        expires_at=now + timedelta(hours=settings.BREAK_GLASS_HOURS),
    )
    access.full_clean()
    access.save()
    record_access(actor, Action.BREAK_GLASS, case)
    notify_users(
        active_members_in_roles(case.agency_id, [Role.SUPERVISOR, Role.DPO]),
        kind="break_glass",
        text=gettext_noop("%(user)s opened case %(number)s in an emergency (break the glass)."),
        values={"user": actor.display_name, "number": case.number},
        url=f"/cases/{case.pk}/accesses/",
        email=False,
    )
    forget_cached_permissions(actor)
    return access


def end_emergency_accesses(
    sender: object, *, agreement: EmergencyAccessAgreement, actor: User, **kwargs: object
) -> int:
    """Receiver of ``accounts.signals.emergency_access_withdrawn``: the
    partner's staff's running emergency accesses to the agency's cases end
    now, in the withdrawing transaction (BreakGlass keeps no history; its rows
    are the record). Kept: those of the agency's own staff, and of anyone who
    may still break the glass on its cases through another of their agencies
    (BREAK_GLASS there, under an agreement still active). One query; returns
    how many ended. The withdrawal holds the owning agency's lock, so two
    withdrawals at once take turns and the second sees the first."""
    partner_staff = Membership.objects.filter(agency_id=agreement.partner_id).values("user_id")
    own_staff = Membership.objects.filter(agency_id=agreement.agency_id).values("user_id")
    other_partners = (
        active_emergency_access_agreements()
        .filter(agency_id=agreement.agency_id)
        .exclude(pk=agreement.pk)
        .values("partner_id")
    )
    still_agreed = holders_of(Perm.BREAK_GLASS, other_partners)
    now = timezone.now()
    running = list(
        BreakGlass.objects.select_for_update(of=("self",))
        .filter(case__agency_id=agreement.agency_id, user_id__in=partner_staff, expires_at__gt=now)
        .exclude(user_id__in=own_staff)
        .exclude(user_id__in=still_agreed)
    )
    for access in running:
        access.expires_at = now
        access.save(update_fields=["expires_at"])
    return len(running)
