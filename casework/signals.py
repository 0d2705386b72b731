"""Domain events of casework that other parts of Sanad subscribe to."""

from django.dispatch import Signal

# Sent inside the withdrawing transaction, once per withdrawn consent, with
# ``consent`` and ``actor``. Receivers (referrals cancel what relied on it) run
# in the same transaction: if one fails, the withdrawal rolls back with it.
consent_withdrawn = Signal()

# Sent inside the erasing transaction (a request or a retention period), with
# ``client``, ``case_ids`` (the cases whose free text goes), ``whole_client``
# (True: the person is erased; False: only those cases' content) and ``actor``
# (None for retention). Receivers replace the personal data they hold about
# those cases and return the ids of agencies that received the client's data
# and must be told (referrals: the packets' recipients).
personal_data_erasing = Signal()

# Sent by the subject-access export with ``client`` and ``case_ids``; each
# receiver returns a dict of export sections it holds about them (referrals:
# the referrals, packets sent and to whom, messages, timelines, disclosures).
subject_access_collecting = Signal()
