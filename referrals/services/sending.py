"""Drafting and sending a referral: the draft, its changes, the packet frozen
at send time, and create-and-send in one transaction."""

import datetime
from collections.abc import Iterable
from typing import Any
from uuid import UUID

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.access import Action, record_access
from accounts.audit import save_with_history
from accounts.models import Agency, User
from accounts.permissions import Perm
from accounts.selectors import holds_in
from casework.models import SPECIAL_CATEGORIES, Case, Consent, DataCategory
from casework.sections import sections_of
from casework.selectors import get_case_for
from casework.services import check_action_referable, follow_referral
from casework.services.common import ExpectedVersion, check_version, unknown_fields
from config.errors import Forbidden, InvalidInput, NotFound
from referrals.models import Referral, ReferralEvent, ReferralPacket, Service
from referrals.selectors import (
    draft_change_refusal,
    get_recipient,
    get_referral_for,
    get_service,
    referral_check,
    referral_from_case_refusal,
)
from referrals.services.errors import InvalidTransition, ReferralRefused
from referrals.services.grants import grant_partner_access
from referrals.services.lifecycle import add_event, apply_transition
from referrals.services.notifications import notify, receivers
from referrals.services.parsing import (
    MESSAGE_MAX_LENGTH,
    parse_categories,
    parse_choice,
    parse_respond_by,
    parse_text,
)


def _may_share(actor: User, case: Case, categories: Iterable[str]) -> None:
    """Only who may see special-category data on the case may disclose it."""
    if set(categories) & SPECIAL_CATEGORIES and not actor.has_perm(Perm.VIEW_SENSITIVE, case):
        raise Forbidden(
            _(
                "Only the assigned caseworker and supervisors may share health and other "
                "special-category data."
            )
        )


@transaction.atomic
def create_referral(
    *,
    actor: User,
    case_id: UUID | str,
    to_agency_id: UUID | str | None = None,
    service_id: UUID | str | None = None,
    purpose: str,
    urgency: str = Referral.Urgency.ROUTINE,
    respond_by: datetime.date | str,
    message: str = "",
    data_categories: Iterable[str] | None = None,
    plan_action_id: UUID | str | None = None,
) -> Referral:
    """Draft a referral from a case the actor sees (SEND_REFERRAL in the case's
    agency) to a service, or to an agency. Without ``data_categories`` the
    draft shares what the service needs and the consent covers. Nothing is
    disclosed until ``send_referral``. Writes the history and the timeline's
    first event.

    With ``plan_action_id`` the referral carries out that action of the case's
    integration plan (an open action for the receiving agency, not already
    referred: ``casework.services.check_action_referable``); the packet then
    holds that action in its integration-plan section, when shared."""
    case = get_case_for(actor, case_id, lock=True)
    if not holds_in(actor, Perm.SEND_REFERRAL, case.agency_id):
        raise Forbidden()
    refusal = referral_from_case_refusal(case)
    if refusal is not None:
        raise refusal
    service = None
    if service_id:
        try:
            service = get_service(service_id)
        except NotFound:
            raise InvalidInput(_("Choose a service of the directory."), field="service") from None
        to_agency = service.agency
        if to_agency_id and str(to_agency_id) != str(to_agency.pk):
            raise InvalidInput(
                _("This service is not run by that agency."), code="invalid", field="to_agency"
            )
    elif to_agency_id:
        try:
            to_agency = get_recipient(to_agency_id)
        except NotFound:
            raise InvalidInput(_("Choose an agency."), field="to_agency") from None
    else:
        raise InvalidInput(_("Choose a service or an agency."), code="required", field="service")
    if to_agency.pk == case.agency_id:
        raise InvalidInput(
            _("A referral goes to another agency, not your own."),
            code="same_agency",
            field="to_agency",
        )
    purpose = parse_text(purpose, "purpose", required=True, max_length=300)
    urgency = parse_choice(urgency, Referral.Urgency.values, "urgency")
    respond_by = parse_respond_by(respond_by)
    message = parse_text(message, "message", required=False, max_length=MESSAGE_MAX_LENGTH)
    plan_action = None
    if plan_action_id:
        plan_action = check_action_referable(actor, case, plan_action_id, to_agency.pk)
    if data_categories is None:
        check = referral_check(case, to_agency, service)
        data_categories = list(check.proposed)
        if plan_action is not None and DataCategory.INTEGRATION_PLAN in check.covered:
            data_categories = [
                c
                for c in DataCategory.values
                if c in {*data_categories, DataCategory.INTEGRATION_PLAN}
            ]
        if not actor.has_perm(Perm.VIEW_SENSITIVE, case):
            data_categories = [c for c in data_categories if c not in SPECIAL_CATEGORIES]
    else:
        data_categories = parse_categories(data_categories)
        _may_share(actor, case, data_categories)
    referral = Referral(
        case=case,
        from_agency=case.agency,
        from_user=actor,
        to_agency=to_agency,
        service=service,
        from_agency_name=case.agency.name,
        to_agency_name=to_agency.name,
        service_name=service.name if service is not None else "",
        service_category=service.category if service is not None else "",
        purpose=purpose,
        urgency=urgency,
        respond_by=respond_by,
        message=message,
        data_categories=data_categories,
        plan_action=plan_action,
    )
    save_with_history(referral, actor=actor, reason=gettext_noop("referral drafted"))
    add_event(referral, ReferralEvent.Kind.CREATED, actor, case.agency_id, to_state=referral.state)
    if plan_action is not None:
        follow_referral(
            actor=actor,
            action_id=plan_action.pk,
            event=referral.state,
            referral_state=referral.state,
        )
    return referral


@transaction.atomic
def update_referral_draft(
    *,
    actor: User,
    referral_id: UUID | str,
    changes: dict[str, Any],
    expected_version: ExpectedVersion = None,
) -> Referral:
    """Change a draft's purpose, urgency, respond-by, message or shared
    categories (SEND_REFERRAL). A sent referral never changes
    (``draft_change_refusal``: 409 ``not_a_draft``); a stale
    ``expected_version`` (when given) is 412. Writes the history."""
    if not isinstance(changes, dict):
        raise InvalidInput(_("Expected an object with fields."), code="invalid", field="changes")
    unknown_fields(changes, ("purpose", "urgency", "respond_by", "message", "data_categories"))
    referral = get_referral_for(actor, referral_id, Perm.SEND_REFERRAL, lock=True)
    if expected_version is not None:
        check_version(referral, expected_version)
    refusal = draft_change_refusal(referral)
    if refusal is not None:
        raise refusal
    if "purpose" in changes:
        referral.purpose = parse_text(changes["purpose"], "purpose", required=True, max_length=300)
    if "urgency" in changes:
        referral.urgency = parse_choice(changes["urgency"], Referral.Urgency.values, "urgency")
    if "respond_by" in changes:
        referral.respond_by = parse_respond_by(changes["respond_by"])
    if "message" in changes:
        referral.message = parse_text(
            changes["message"], "message", required=False, max_length=MESSAGE_MAX_LENGTH
        )
    if "data_categories" in changes:
        referral.data_categories = parse_categories(changes["data_categories"])
        _may_share(actor, referral.case, referral.data_categories)
    referral.version += 1
    save_with_history(referral, actor=actor, reason=gettext_noop("draft changed"))
    return referral


def build_packet(referral: Referral) -> ReferralPacket:
    """Freeze exactly the referral's shared sections (``casework.sections``)."""
    case = Case.objects.select_related("client").get(pk=referral.case_id)
    data = sections_of(
        case,
        referral.data_categories,
        plan_actions=[referral.plan_action_id] if referral.plan_action_id else (),
    )
    packet = ReferralPacket(
        referral=referral, data_categories=list(referral.data_categories), data=data
    )
    packet.save()
    return packet


@transaction.atomic
def send_referral(*, actor: User, referral_id: UUID | str, override_reason: str = "") -> Referral:
    """Send a draft (SEND_REFERRAL). The recipient must take referrals and hold
    a valid data-sharing agreement, and must not be on the client's
    do-not-disclose list: otherwise ReferralRefused (409), always. A live
    consent must cover the recipient and every shared category; without one a
    supervisor (OVERRIDE_CONSENT, else 403) may send it with a written reason
    (else 400), recorded on the referral and its timeline.

    Freezes the packet, grants the receiving agency's officers and supervisors
    access, notifies them (e-mail after commit). All or nothing."""
    referral = get_referral_for(actor, referral_id, Perm.SEND_REFERRAL, lock=True)
    if Referral.target_of(Referral.Action.SEND, referral.state) is None:
        raise InvalidTransition(referral, Referral.Action.SEND)
    override_reason = parse_text(override_reason, "override_reason", required=False)
    if not referral.data_categories:
        raise InvalidInput(
            _("Choose at least one kind of information to share."),
            code="required",
            field="data_categories",
        )
    _may_share(actor, referral.case, referral.data_categories)
    to_agency = Agency.objects.get(pk=referral.to_agency_id)
    service = Service.objects.filter(pk=referral.service_id).first()
    check = referral_check(referral.case, to_agency, service, referral.data_categories)
    if check.blocks:
        raise ReferralRefused(check.blocks)
    if check.consent is not None:
        # Lock the consent and look again: a withdrawal racing this send either
        # commits first (and is seen here) or waits and then cancels this referral.
        locked = Consent.objects.select_for_update().get(pk=check.consent.pk)
        if locked.status != Consent.Status.ACTIVE:
            check = referral_check(referral.case, to_agency, service, referral.data_categories)
    fields = ["sent_at", "consent"]
    kind = ReferralEvent.Kind.SENT
    note = ""
    if check.consent_gaps:
        may_override = actor.has_perm(Perm.OVERRIDE_CONSENT, referral)
        if not override_reason and not may_override:
            raise ReferralRefused(check.consent_gaps, code="consent_missing")
        if not may_override:
            raise Forbidden(_("Only a supervisor may send a referral without a covering consent."))
        if not override_reason:
            raise InvalidInput(
                _("Give the reason for sending without a covering consent."),
                code="override_reason_required",
                field="override_reason",
            )
        referral.consent = None
        referral.override_reason = override_reason
        referral.override_by = actor
        referral.override_at = timezone.now()
        fields += ["override_reason", "override_by", "override_at"]
        kind = ReferralEvent.Kind.CONSENT_OVERRIDE
        note = override_reason
        record_access(
            actor,
            Action.CONSENT_OVERRIDE,
            referral,
            client_id=referral.case.client_id,
            case_id=referral.case_id,
            agency_id=referral.from_agency_id,
        )
    else:
        referral.consent = check.consent
    referral.sent_at = timezone.now()
    apply_transition(
        referral,
        Referral.Action.SEND,
        actor=actor,
        actor_agency_id=referral.from_agency_id,
        kind=kind,
        note=note,
        fields=fields,
    )
    build_packet(referral)
    grant_partner_access(referral)
    notify(referral, kind, receiving_side=receivers(referral))
    return referral


@transaction.atomic
def create_and_send_referral(
    *,
    actor: User,
    case_id: UUID | str,
    to_agency_id: UUID | str | None = None,
    service_id: UUID | str | None = None,
    purpose: str,
    urgency: str = Referral.Urgency.ROUTINE,
    respond_by: datetime.date | str,
    message: str = "",
    data_categories: Iterable[str] | None = None,
    override_reason: str = "",
    plan_action_id: UUID | str | None = None,
) -> Referral:
    """Draft (``create_referral``) and send (``send_referral``) in one
    transaction: a refused send leaves no draft behind. Needs what both need
    (SEND_REFERRAL in the case's agency; OVERRIDE_CONSENT with an
    ``override_reason``); their side effects (packet, grants, notices, e-mail
    after the commit) happen only when the send succeeds."""
    referral = create_referral(
        actor=actor,
        case_id=case_id,
        to_agency_id=to_agency_id,
        service_id=service_id,
        purpose=purpose,
        urgency=urgency,
        respond_by=respond_by,
        message=message,
        data_categories=data_categories,
        plan_action_id=plan_action_id,
    )
    return send_referral(actor=actor, referral_id=referral.pk, override_reason=override_reason)
