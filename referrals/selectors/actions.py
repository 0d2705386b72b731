"""What may be done with a referral now: the state rules the services check
(each answers the 409 it raises, or None) and ``referral_actions_for``, the
same rules with the actor's permissions, for the page's buttons and the
API's ``allowed_actions``. The lifecycle table itself is
``Referral.TRANSITIONS`` (``Referral.target_of``)."""

from django.utils.translation import gettext as _

from accounts.models import User
from accounts.permissions import Perm
from casework.models import Case, DataCategory
from config.errors import Conflict
from referrals.models import Referral

# Where both agencies hold the referral and may write on it.
MESSAGE_STATES = frozenset({Referral.State.SENT, Referral.State.ACCEPTED, Referral.State.COMPLETED})
# Where the receiving agency may open its own case from the referral.
CASE_OPENING_STATES = frozenset({Referral.State.ACCEPTED, Referral.State.COMPLETED})
# In the order pages and the API list them.
ACTIONS = (
    "edit",
    "send",
    "override",
    "withdraw",
    "accept",
    "decline",
    "progress",
    "complete",
    "open_case",
    "message",
    "read_messages",
    "packet",
)


def _state(referral: Referral) -> str:
    return referral.get_state_display().lower()


def referral_from_case_refusal(case: Case) -> Conflict | None:
    """Why no referral may be made from ``case`` now (409 ``case_closed``), or None."""
    if case.status != Case.Status.CLOSED:
        return None
    return Conflict(_("The case is closed: reopen it to refer the client."), code="case_closed")


def draft_change_refusal(referral: Referral) -> Conflict | None:
    """Why the referral cannot be changed as a draft (409 ``not_a_draft``: a
    referral once sent never changes), or None."""
    if referral.state == Referral.State.DRAFT:
        return None
    return Conflict(
        _("This referral is %(state)s: only a draft can be changed.") % {"state": _state(referral)},
        code="not_a_draft",
    )


def progress_refusal(referral: Referral) -> Conflict | None:
    """Why no progress may be reported on the referral (it is not accepted), or None."""
    if referral.state == Referral.State.ACCEPTED:
        return None
    return Conflict(
        _("This referral is %(state)s: progress is reported on accepted referrals.")
        % {"state": _state(referral)},
        code="invalid_transition",
    )


def message_refusal(referral: Referral) -> Conflict | None:
    """Why the referral's conversation is closed (both agencies no longer hold
    it), or None."""
    if referral.state in MESSAGE_STATES:
        return None
    return Conflict(
        _("This referral is %(state)s: messages are closed.") % {"state": _state(referral)},
        code="messages_closed",
    )


def case_opening_refusal(
    referral: Referral, shared_categories: frozenset[str] | None = None
) -> Conflict | None:
    """Why the receiving agency cannot open its own case from the referral now,
    or None: it must be accepted or completed, no case opened from it yet, and
    what was shared (``shared_categories``, default the referral's categories;
    the service passes its packet's sections) must hold identity data."""
    if referral.state not in CASE_OPENING_STATES:
        return Conflict(
            _("This referral is %(state)s: accept it before opening a case.")
            % {"state": _state(referral)},
            code="invalid_transition",
        )
    if referral.receiving_case_id is not None:
        return Conflict(_("A case was already opened for this referral."), code="case_exists")
    shared = referral.data_categories if shared_categories is None else shared_categories
    if DataCategory.IDENTITY not in shared:
        return Conflict(
            _("The packet holds no identity data: a client cannot be registered from it."),
            code="packet_without_identity",
        )
    return None


def referral_actions_for(actor: User, referral: Referral) -> tuple[str, ...]:
    """What the lifecycle allows now and the actor's permissions permit, in
    ``ACTIONS`` order: the one rule behind the page's buttons and the API's
    ``allowed_actions`` (the services enforce the same on every call)."""
    state, states = referral.state, Referral.State
    send = actor.has_perm(Perm.SEND_REFERRAL, referral)
    respond = actor.has_perm(Perm.RESPOND_REFERRAL, referral)
    message = actor.has_perm(Perm.MESSAGE_REFERRAL, referral)
    allowed = set()
    if send and draft_change_refusal(referral) is None:
        allowed.add("edit")
    if send and Referral.target_of(Referral.Action.SEND, state):
        allowed.add("send")
        if actor.has_perm(Perm.OVERRIDE_CONSENT, referral):
            allowed.add("override")
    if send and Referral.target_of(Referral.Action.WITHDRAW, state):
        allowed.add("withdraw")
    if respond:
        for action in (Referral.Action.ACCEPT, Referral.Action.DECLINE, Referral.Action.COMPLETE):
            if Referral.target_of(action, state):
                allowed.add(str(action))
        if progress_refusal(referral) is None:
            allowed.add("progress")
        if case_opening_refusal(referral) is None:
            allowed.add("open_case")
    if message:
        allowed.add("read_messages")
        if message_refusal(referral) is None:
            allowed.add("message")
    if state != states.DRAFT and actor.has_perm(Perm.VIEW_PACKET, referral):
        allowed.add("packet")
    return tuple(action for action in ACTIONS if action in allowed)


def case_opening_impossible(actor: User, referral: Referral) -> bool:
    """The receiving side (RESPOND_REFERRAL) would open its case from the
    referral now but cannot: what was shared holds no identity data (the page
    says so where the button would be)."""
    if not actor.has_perm(Perm.RESPOND_REFERRAL, referral):
        return False
    refusal = case_opening_refusal(referral)
    return refusal is not None and refusal.code == "packet_without_identity"
