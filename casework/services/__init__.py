"""Writes to casework data: one function per use case.

Keyword-only, ``actor`` first; one transaction each; permission checked on the
scoped, locked row; validated with ``full_clean``; saved with history (actor
and reason). State changes lock the row first (``select_for_update`` on
PostgreSQL; SQLite runs every transaction as BEGIN IMMEDIATE).
"""

from casework.services.case_items import (
    ACCEPTED_DOCUMENT_TYPES,
    add_note,
    complete_follow_up,
    schedule_follow_up,
    sniff_content_type,
    upload_document,
)
from casework.services.cases import (
    MAX_BULK_ASSIGN,
    assign_case,
    assign_cases,
    check_assignee,
    close_case,
    open_case,
    put_case_on_hold,
    reopen_case,
    set_case_restricted,
    update_case,
)
from casework.services.clients import (
    add_identity_document,
    register_client,
    update_client,
    update_client_sensitive,
)
from casework.services.common import (
    CASE_EDIT_FIELDS,
    CLIENT_FIELDS,
    SENSITIVE_FIELDS,
    PossibleDuplicate,
    check_version,
    prefixed,
    require_bool,
    require_mapping,
    require_text,
    unknown_fields,
    validated_client,
)
from casework.services.consent import (
    add_do_not_disclose,
    record_consent,
    withdraw_all_consents,
    withdraw_consent,
)
from casework.services.follow_up_notices import notify_follow_ups_due
from casework.services.plans import (
    add_action,
    add_goal,
    check_action_referable,
    follow_referral,
    record_plan_agreement,
    update_action,
    update_goal,
)

__all__ = [
    "ACCEPTED_DOCUMENT_TYPES",
    "CASE_EDIT_FIELDS",
    "CLIENT_FIELDS",
    "MAX_BULK_ASSIGN",
    "SENSITIVE_FIELDS",
    "PossibleDuplicate",
    "add_action",
    "add_do_not_disclose",
    "add_goal",
    "add_identity_document",
    "add_note",
    "assign_case",
    "assign_cases",
    "check_action_referable",
    "check_assignee",
    "check_version",
    "close_case",
    "complete_follow_up",
    "follow_referral",
    "notify_follow_ups_due",
    "open_case",
    "prefixed",
    "put_case_on_hold",
    "record_consent",
    "record_plan_agreement",
    "register_client",
    "reopen_case",
    "require_bool",
    "require_mapping",
    "require_text",
    "schedule_follow_up",
    "set_case_restricted",
    "sniff_content_type",
    "unknown_fields",
    "update_action",
    "update_case",
    "update_client",
    "update_client_sensitive",
    "update_goal",
    "upload_document",
    "validated_client",
    "withdraw_all_consents",
    "withdraw_consent",
]
