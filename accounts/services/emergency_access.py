"""Emergency access agreements between agencies (break the glass across agencies)."""

from uuid import UUID

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.audit import save_with_history
from accounts.models import (
    Agency,
    EmergencyAccessAgreement,
    User,
)
from accounts.permissions import Perm
from accounts.selectors import agency_permissions
from accounts.services.members import lock_agency, require_perm_in
from accounts.signals import emergency_access_withdrawn
from accounts.validation import is_uuid, require_text
from config.errors import Conflict, InvalidInput, NotFound

# --- Emergency access agreements -----------------------------------------------


@transaction.atomic
def record_emergency_access_agreement(
    *, actor: User, agency: Agency, partner_id: UUID | str, reference: str, note: str = ""
) -> EmergencyAccessAgreement:
    """Record ``agency``'s prior written opt-in that the supervisors of
    ``partner_id`` may break the glass on its cases in an emergency. Needs
    MANAGE_AGENCY in ``agency`` (its administrator). The partner must be another
    agency without an active agreement (400 naming ``partner``); ``reference``
    names the signed agreement (400 without). Saved with history."""
    require_perm_in(actor, Perm.MANAGE_AGENCY, agency)
    lock_agency(agency)
    partner = Agency.objects.filter(pk=partner_id).first() if is_uuid(partner_id) else None
    if partner is None:
        raise InvalidInput(_("Choose an agency."), code="invalid_choice", field="partner")
    if partner.pk == agency.pk:
        raise InvalidInput(
            _("Choose another agency than your own."), code="own_agency", field="partner"
        )
    reference = require_text(
        reference, "reference", message=_("Give the reference of the signed agreement.")
    )
    if EmergencyAccessAgreement.objects.filter(
        agency=agency, partner=partner, withdrawn_at__isnull=True
    ).exists():
        raise InvalidInput(
            _("This partner already has an active emergency access agreement."),
            code="already_active",
            field="partner",
        )
    agreement = EmergencyAccessAgreement(
        agency=agency,
        partner=partner,
        reference=reference,
        note=(note or "").strip(),
        recorded_by=actor,
    )
    save_with_history(agreement, actor=actor, reason=gettext_noop("emergency access agreed"))
    return agreement


@transaction.atomic
def withdraw_emergency_access_agreement(
    *, actor: User, agreement_id: UUID | str, reason: str
) -> EmergencyAccessAgreement:
    """The owning agency withdraws its opt-in (MANAGE_AGENCY there; the
    partner's members get 403, anyone else 404), with a written reason (400
    without). From then on the partner's supervisors can no longer break the
    glass on the agency's cases, and their running emergency accesses end
    (``accounts.signals.emergency_access_withdrawn``, in this transaction).
    A second withdrawal is 409 ``already_withdrawn``."""
    agreement = (
        EmergencyAccessAgreement.objects.select_for_update()
        .select_related("agency", "partner")
        .filter(pk=agreement_id)
        .first()
        if is_uuid(agreement_id)
        else None
    )
    member_of = set(agency_permissions(actor))
    if agreement is None or not member_of & {agreement.agency_id, agreement.partner_id}:
        raise NotFound()
    require_perm_in(actor, Perm.MANAGE_AGENCY, agreement.agency)
    if agreement.withdrawn_at is not None:
        raise Conflict(_("This agreement was already withdrawn."), code="already_withdrawn")
    agreement.withdrawal_reason = require_text(
        reason, "reason", message=_("Say why the agreement is withdrawn.")
    )
    # Withdrawals of one agency's agreements take turns (its row lock, after
    # the agreement's): the receivers keep a partner's access while another
    # agreement still covers it, so each must see the other withdrawals.
    lock_agency(agreement.agency)
    agreement.withdrawn_at = timezone.now()
    agreement.withdrawn_by = actor
    save_with_history(
        agreement,
        actor=actor,
        reason=gettext_noop("emergency access withdrawn"),
        update_fields=["withdrawn_at", "withdrawn_by", "withdrawal_reason"],
    )
    emergency_access_withdrawn.send(
        sender=EmergencyAccessAgreement, agreement=agreement, actor=actor
    )
    return agreement
