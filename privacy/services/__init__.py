"""Writes of privacy, by concern: the access log's verdicts, legal holds,
break the glass, erasure, retention and the subject-access export (a read,
but an audited export).
Re-exported here so callers say ``from privacy import services``."""

from privacy.services.access_log import keep_verdict, verify_access_log
from privacy.services.break_glass import break_glass, end_emergency_accesses

# The erasure steps (erase_personal_data, erase_case_contents, scrub) check no
# permission: they are not exported, erase_client and apply_retention call them.
from privacy.services.erasure import ERASED, erase_client
from privacy.services.legal_holds import LegalHoldActive, place_legal_hold, release_legal_hold
from privacy.services.retention import apply_retention, retention_due, set_retention_policy
from privacy.services.subject_access import (
    SUBJECT_ACCESS_NOT_PERSONAL,
    SUBJECT_ACCESS_SECTIONS,
    history_rows,
    row,
    subject_access_export,
)

__all__ = [
    "ERASED",
    "SUBJECT_ACCESS_NOT_PERSONAL",
    "SUBJECT_ACCESS_SECTIONS",
    "LegalHoldActive",
    "apply_retention",
    "break_glass",
    "end_emergency_accesses",
    "erase_client",
    "history_rows",
    "keep_verdict",
    "place_legal_hold",
    "release_legal_hold",
    "retention_due",
    "row",
    "set_retention_policy",
    "subject_access_export",
    "verify_access_log",
]
