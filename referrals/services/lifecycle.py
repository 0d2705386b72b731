"""The referral lifecycle after sending: accept, decline, report progress,
complete, withdraw, and what Sanad does itself (expire, cancel on a
withdrawn consent).

Every transition is one transaction: lock the referral, check the table in
``Referral.TRANSITIONS`` (anything else is a 409 naming the current state),
write the referral with its history, append a timeline event, grant or revoke
the receiving agency's access, write the in-app notifications; e-mail goes
out only after the commit.
"""

import datetime
import logging
from collections.abc import Iterable
from uuid import UUID

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from accounts.audit import save_with_history
from accounts.models import User
from accounts.permissions import Perm
from casework.models import Case, Consent
from casework.services import follow_referral
from referrals.models import Referral, ReferralEvent
from referrals.selectors import (
    expirable_referrals,
    get_referral_for,
    progress_refusal,
    referrals_relying_on,
)
from referrals.services.errors import InvalidTransition
from referrals.services.grants import revoke_partner_access
from referrals.services.notifications import notify, receivers, senders
from referrals.services.parsing import parse_text

logger = logging.getLogger(__name__)

_HISTORY_REASONS = {
    Referral.Action.SEND: gettext_noop("referral sent"),
    Referral.Action.ACCEPT: gettext_noop("referral accepted"),
    Referral.Action.DECLINE: gettext_noop("referral declined"),
    Referral.Action.COMPLETE: gettext_noop("referral completed"),
    Referral.Action.WITHDRAW: gettext_noop("referral withdrawn"),
    Referral.Action.EXPIRE: gettext_noop("referral expired"),
    Referral.Action.CANCEL: gettext_noop("referral cancelled"),
}


# Transitions whose note is a person's words, copied to the plan's action.
_TOLD_TO_ACTION = frozenset(
    {Referral.Action.DECLINE, Referral.Action.COMPLETE, Referral.Action.WITHDRAW}
)


def apply_transition(
    referral: Referral,
    action: str,
    *,
    actor: User | None,
    actor_agency_id: UUID | None = None,
    kind: str,
    note: str = "",
    fields: Iterable[str] = (),
) -> ReferralEvent:
    """Move ``referral`` along the table, save it with history and append the
    timeline event; a transition the table does not hold is a 409."""
    target = Referral.target_of(action, referral.state)
    if target is None:
        raise InvalidTransition(referral, action)
    from_state = referral.state
    referral.state = target
    referral.version += 1
    save_with_history(
        referral,
        actor=actor,
        reason=_HISTORY_REASONS[action],
        update_fields=["state", "version", *fields],
    )
    if referral.plan_action_id:
        # The action it carries out: the partner's own words (a decline's
        # reason, the outcome, the sender's reason) go with it, Sanad's not.
        told = note if action in _TOLD_TO_ACTION else ""
        follow_referral(
            actor=actor,
            action_id=referral.plan_action_id,
            event=target,
            referral_state=target,
            note=told,
        )
    return add_event(referral, kind, actor, actor_agency_id, note, from_state, target)


def add_event(
    referral: Referral,
    kind: str,
    actor: User | None,
    actor_agency_id: UUID | None,
    note: str = "",
    from_state: str = "",
    to_state: str = "",
) -> ReferralEvent:
    """Append an event to the referral's timeline (no history: events are
    the record)."""
    event = ReferralEvent(
        referral=referral,
        kind=kind,
        actor=actor,
        actor_agency_id=actor_agency_id,
        note=note,
        from_state=from_state,
        to_state=to_state,
    )
    event.save()
    return event


@transaction.atomic
def accept_referral(*, actor: User, referral_id: UUID | str, note: str = "") -> Referral:
    """The receiving agency accepts a sent referral (RESPOND_REFERRAL). Of two
    officers accepting at once, the second finds it accepted: 409."""
    referral = get_referral_for(actor, referral_id, Perm.RESPOND_REFERRAL, lock=True)
    note = parse_text(note, "note", required=False)
    referral.decided_at = timezone.now()
    referral.decided_by = actor
    apply_transition(
        referral,
        Referral.Action.ACCEPT,
        actor=actor,
        actor_agency_id=referral.to_agency_id,
        kind=ReferralEvent.Kind.ACCEPTED,
        note=note,
        fields=["decided_at", "decided_by"],
    )
    notify(referral, ReferralEvent.Kind.ACCEPTED, sending_side=senders(referral))
    return referral


@transaction.atomic
def decline_referral(*, actor: User, referral_id: UUID | str, reason: str) -> Referral:
    """The receiving agency declines (RESPOND_REFERRAL) with a reason (400
    without). Removes the agency's access to the packet; notifies the sender."""
    referral = get_referral_for(actor, referral_id, Perm.RESPOND_REFERRAL, lock=True)
    if Referral.target_of(Referral.Action.DECLINE, referral.state) is None:
        raise InvalidTransition(referral, Referral.Action.DECLINE)
    reason = parse_text(reason, "reason", required=True)
    referral.decided_at = timezone.now()
    referral.decided_by = actor
    referral.decline_reason = reason
    referral.closed_at = referral.decided_at
    apply_transition(
        referral,
        Referral.Action.DECLINE,
        actor=actor,
        actor_agency_id=referral.to_agency_id,
        kind=ReferralEvent.Kind.DECLINED,
        note=reason,
        fields=["decided_at", "decided_by", "decline_reason", "closed_at"],
    )
    revoke_partner_access(referral)
    notify(referral, ReferralEvent.Kind.DECLINED, sending_side=senders(referral))
    return referral


@transaction.atomic
def report_referral_progress(*, actor: User, referral_id: UUID | str, note: str) -> ReferralEvent:
    """The receiving agency reports progress on an accepted referral
    (RESPOND_REFERRAL); the sender sees it on the timeline and is notified."""
    referral = get_referral_for(actor, referral_id, Perm.RESPOND_REFERRAL, lock=True)
    note = parse_text(note, "note", required=True)
    refusal = progress_refusal(referral)
    if refusal is not None:
        raise refusal
    event = add_event(referral, ReferralEvent.Kind.PROGRESS, actor, referral.to_agency_id, note)
    if referral.plan_action_id:
        follow_referral(
            actor=actor,
            action_id=referral.plan_action_id,
            event="progress",
            referral_state=referral.state,
            note=note,
        )
    notify(referral, ReferralEvent.Kind.PROGRESS, sending_side=senders(referral))
    return event


@transaction.atomic
def complete_referral(*, actor: User, referral_id: UUID | str, outcome: str) -> Referral:
    """The receiving agency reports the outcome and completes an accepted
    referral (RESPOND_REFERRAL; the outcome note is required)."""
    referral = get_referral_for(actor, referral_id, Perm.RESPOND_REFERRAL, lock=True)
    if Referral.target_of(Referral.Action.COMPLETE, referral.state) is None:
        raise InvalidTransition(referral, Referral.Action.COMPLETE)
    outcome = parse_text(outcome, "outcome", required=True)
    referral.outcome = outcome
    referral.completed_at = timezone.now()
    apply_transition(
        referral,
        Referral.Action.COMPLETE,
        actor=actor,
        actor_agency_id=referral.to_agency_id,
        kind=ReferralEvent.Kind.COMPLETED,
        note=outcome,
        fields=["outcome", "completed_at"],
    )
    notify(referral, ReferralEvent.Kind.COMPLETED, sending_side=senders(referral))
    return referral


@transaction.atomic
def withdraw_referral(*, actor: User, referral_id: UUID | str, reason: str = "") -> Referral:
    """The sender withdraws a draft, sent or accepted referral (SEND_REFERRAL).
    The receiving agency loses access at once and is told."""
    referral = get_referral_for(actor, referral_id, Perm.SEND_REFERRAL, lock=True)
    if Referral.target_of(Referral.Action.WITHDRAW, referral.state) is None:
        raise InvalidTransition(referral, Referral.Action.WITHDRAW)
    reason = parse_text(reason, "reason", required=False)
    referral.closed_at = timezone.now()
    referral.closed_reason = reason
    apply_transition(
        referral,
        Referral.Action.WITHDRAW,
        actor=actor,
        actor_agency_id=referral.from_agency_id,
        kind=ReferralEvent.Kind.WITHDRAWN,
        note=reason,
        fields=["closed_at", "closed_reason"],
    )
    _close_to_partner(referral, ReferralEvent.Kind.WITHDRAWN, tell_sender=False)
    return referral


def _close_to_partner(referral: Referral, kind: str, *, tell_sender: bool) -> None:
    """Take the receiving side's access away and tell it (who it was is read
    before revoking; a referral never sent had no partner to tell), and the
    sending side too when ``tell_sender``."""
    partner_side: list[User] = []
    if referral.sent_at is not None:
        partner_side = receivers(referral)
        if referral.receiving_case_id:
            case = Case.objects.select_related("assigned_to").get(pk=referral.receiving_case_id)
            if case.assigned_to is not None:
                partner_side.append(case.assigned_to)
    revoke_partner_access(referral)
    notify(
        referral,
        kind,
        sending_side=senders(referral) if tell_sender else [],
        receiving_side=partner_side,
    )


def expire_overdue_referrals(*, on: datetime.date | None = None) -> int:
    """Sanad itself expires sent referrals left unanswered for
    REFERRAL_EXPIRY_GRACE_DAYS after their respond-by date, as of ``on``
    (default today; the periodic task): access revoked, both sides notified.
    One transaction per referral: one that fails is logged and left for the
    next run, the others expire. Returns how many expired."""
    expired = 0
    ids = list(expirable_referrals(on).values_list("pk", flat=True))
    for referral_id in ids:
        try:
            expired += _expire(referral_id)
        except Exception:
            logger.exception("Referral %s could not be expired; retried next run", referral_id)
    return expired


@transaction.atomic
def _expire(referral_id: UUID) -> int:
    referral = (
        Referral.objects.select_for_update(of=("self",))
        .select_related("case__assigned_to", "from_user")
        .filter(pk=referral_id, state=Referral.State.SENT)
        .first()
    )
    if referral is None:
        return 0
    referral.closed_at = timezone.now()
    apply_transition(
        referral,
        Referral.Action.EXPIRE,
        actor=None,
        kind=ReferralEvent.Kind.EXPIRED,
        note=gettext_noop("The respond-by date passed without an answer."),
        fields=["closed_at"],
    )
    _close_to_partner(referral, ReferralEvent.Kind.EXPIRED, tell_sender=True)
    return 1


def cancel_referrals_relying_on(
    sender: object, *, consent: Consent, actor: User, **kwargs: object
) -> None:
    """Receiver of ``casework.signals.consent_withdrawn``, inside the
    withdrawal's transaction: every open referral that relied on the consent
    is cancelled and the partner loses access before the withdrawal commits."""
    for referral in (
        referrals_relying_on(consent)
        .select_for_update(of=("self",))
        .select_related("case__assigned_to", "from_user")
    ):
        referral.closed_at = timezone.now()
        referral.closed_reason = gettext_noop("The consent it relied on was withdrawn.")
        apply_transition(
            referral,
            Referral.Action.CANCEL,
            actor=actor,
            actor_agency_id=referral.from_agency_id,
            kind=ReferralEvent.Kind.CANCELLED,
            note=referral.closed_reason,
            fields=["closed_at", "closed_reason"],
        )
        _close_to_partner(referral, ReferralEvent.Kind.CANCELLED, tell_sender=True)
    # A completed referral stays completed, but the partner no longer reads the
    # packet the client has stopped agreeing to share.
    completed = Referral.objects.filter(consent=consent, state=Referral.State.COMPLETED)
    for referral in completed.select_related("case__assigned_to", "from_user"):
        add_event(
            referral,
            ReferralEvent.Kind.ACCESS_REVOKED,
            actor,
            referral.from_agency_id,
            gettext_noop("The consent it relied on was withdrawn."),
        )
        _close_to_partner(referral, ReferralEvent.Kind.ACCESS_REVOKED, tell_sender=True)
