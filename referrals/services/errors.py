"""The lifecycle's own errors: a refused transition, a refused referral."""

from collections.abc import Iterable

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from casework.selectors.consent import Gap
from config.errors import Conflict
from referrals.models import Referral


class InvalidTransition(Conflict):
    """409: the lifecycle does not allow this action from the current state."""

    code = "invalid_transition"

    def __init__(self, referral: Referral, action: str):
        self.extensions = {"state": referral.state, "action": action}
        super().__init__(
            _("This referral is %(state)s: it cannot be %(action)s.")
            % {
                "state": referral.get_state_display().lower(),
                "action": _(_ACTION_PARTICIPLES.get(action, action)),
            }
        )


_ACTION_PARTICIPLES = {
    Referral.Action.SEND: gettext_noop("sent"),
    Referral.Action.ACCEPT: gettext_noop("accepted"),
    Referral.Action.DECLINE: gettext_noop("declined"),
    Referral.Action.COMPLETE: gettext_noop("completed"),
    Referral.Action.WITHDRAW: gettext_noop("withdrawn"),
    Referral.Action.EXPIRE: gettext_noop("expired"),
    Referral.Action.CANCEL: gettext_noop("cancelled"),
}


class ReferralRefused(Conflict):
    """409: the recipient may not receive this referral (inactive service, no
    data-sharing agreement, do-not-disclose), or no consent covers it and no
    override was given. ``reasons`` lists every one."""

    code = "referral_refused"

    def __init__(self, reasons: Iterable[Gap], *, code: str = "referral_refused"):
        self.reasons = list(reasons)
        self.extensions = {"reasons": [reason.as_dict() for reason in self.reasons]}
        super().__init__(" ".join(str(reason.message) for reason in self.reasons), code=code)
