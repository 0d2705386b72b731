"""Domain events of accounts that other parts of Sanad subscribe to."""

from django.dispatch import Signal

# Sent inside the withdrawing transaction when an agency withdraws its
# emergency access agreement with a partner, with ``agreement`` and ``actor``.
# Receivers (privacy ends the partner's running emergency accesses to the
# agency's cases) run in the same transaction and roll back with it.
emergency_access_withdrawn = Signal()

# Sent by the verify_access_log command once it has walked the log, with
# ``verdict`` (``accounts.access_log.Verdict``) and ``against_copy`` (compared
# with a copy of the checkpoints). privacy keeps the last verdicts for the
# DPO's home page.
access_log_verified = Signal()
