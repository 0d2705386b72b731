"""Object permissions on referrals, for the sending side.

The sending agency's members act on a referral through their role in that
agency, and only while they may see the referral's case. The receiving side
holds guardian rows instead (granted when the referral is sent, revoked when
it is declined, withdrawn, expired or cancelled), answered by
``accounts.backends.GrantBackend``. ``referrals.selectors.referrals_visible_to``
is the same rule as one SQL query.
"""

from django.contrib.auth.backends import BaseBackend

from accounts.permissions import Perm
from accounts.selectors import holds_in
from referrals.models import Referral

SENDER_PERMISSIONS = frozenset(
    {
        Perm.VIEW_REFERRAL,
        Perm.VIEW_PACKET,
        Perm.SEND_REFERRAL,
        Perm.OVERRIDE_CONSENT,
        Perm.MESSAGE_REFERRAL,
    }
)


class ReferralBackend(BaseBackend):
    def has_perm(self, user_obj, perm, obj=None):
        if not isinstance(obj, Referral) or not user_obj.is_active or user_obj.is_anonymous:
            return False
        if perm not in SENDER_PERMISSIONS:
            return False
        if not holds_in(user_obj, perm, obj.from_agency_id):
            return False
        return user_obj.has_perm(Perm.VIEW_CASE, obj.case)
