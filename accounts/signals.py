"""Domain events of accounts that other parts of Sanad subscribe to."""

from django.dispatch import Signal

# Sent inside the withdrawing transaction when an agency withdraws its
# emergency access agreement with a partner, with ``agreement`` and ``actor``.
# Receivers (privacy ends the partner's running emergency accesses to the
# agency's cases) run in the same transaction and roll back with it.
emergency_access_withdrawn = Signal()
