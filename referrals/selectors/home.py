"""What the home page shows of referrals (``referrals.home``): the incoming
referrals awaiting the agency's answer and the accepted ones still without a
case, each count the number of rows of the inbox filter it links to."""

from accounts.models import User
from referrals.models import Referral
from referrals.selectors.actions import case_opening_refusal
from referrals.selectors.referrals import inbox_counts, referral_list

# Rows a home list shows; the inbox has them all.
HOME_ROWS = 10


def referral_officer_home(actor: User, rows: int = HOME_ROWS) -> dict:
    """The referral officer's home: ``awaiting`` (incoming referrals awaiting
    the agency's answer: overdue first, then the most urgent, then the
    earliest respond-by), ``without_case`` (accepted, no case opened from them
    yet, each with ``case_refusal``: why a case cannot be opened from it, or
    None) and ``counts`` (``inbox_counts``: new, overdue, accepted,
    accepted_without_case). Reads what the inbox reads (access-logged there)."""
    awaiting = list(referral_list(actor, direction="incoming", state=Referral.State.SENT)[:rows])
    without_case = list(
        referral_list(
            actor, direction="incoming", state=Referral.State.ACCEPTED, without_case=True
        )[:rows]
    )
    for referral in without_case:
        referral.case_refusal = case_opening_refusal(referral)
    return {"awaiting": awaiting, "without_case": without_case, "counts": inbox_counts(actor)}
