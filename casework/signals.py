"""Domain events of casework that other parts of Sanad subscribe to."""

from django.dispatch import Signal

# Sent inside the withdrawing transaction, once per withdrawn consent, with
# ``consent`` and ``actor``. Receivers (referrals cancel what relied on it) run
# in the same transaction: if one fails, the withdrawal rolls back with it.
consent_withdrawn = Signal()
