"""Writes to accounts data. Every change goes through one of these functions.

Each is keyword-only with the acting user first, runs in one transaction,
checks permission, validates, saves with history (actor and reason) and
schedules side effects on commit.
"""

from accounts.services.agencies import (
    apply_role_permissions,
    change_agency_settings,
    create_agency,
    register_user,
    set_agency_allow_active_pdf,
    set_agency_inactivity_days,
    set_agency_small_cell_threshold,
    set_agency_time_zone,
)
from accounts.services.emergency_access import (
    record_emergency_access_agreement,
    withdraw_emergency_access_agreement,
)
from accounts.services.members import (
    add_member,
    appoint_agency_admin,
    change_member_role,
    deactivate_member,
    reactivate_member,
    resend_invitation,
    send_password_invitation,
    sign_out_member_everywhere,
)
from accounts.services.notifications import mark_notice_read, mark_notices_read, notify_users
from accounts.services.own_account import (
    TOKEN_PREFIX,
    change_password,
    issue_api_token,
    revoke_api_token,
    set_date_display,
    set_password_from_link,
    set_preferred_language,
    set_time_zone,
    sign_out_everywhere,
)

__all__ = [
    "TOKEN_PREFIX",
    "add_member",
    "apply_role_permissions",
    "appoint_agency_admin",
    "change_agency_settings",
    "change_member_role",
    "change_password",
    "create_agency",
    "deactivate_member",
    "issue_api_token",
    "mark_notice_read",
    "mark_notices_read",
    "notify_users",
    "reactivate_member",
    "record_emergency_access_agreement",
    "register_user",
    "resend_invitation",
    "revoke_api_token",
    "send_password_invitation",
    "set_agency_allow_active_pdf",
    "set_agency_inactivity_days",
    "set_agency_small_cell_threshold",
    "set_agency_time_zone",
    "set_date_display",
    "set_password_from_link",
    "set_preferred_language",
    "set_time_zone",
    "sign_out_everywhere",
    "sign_out_member_everywhere",
    "withdraw_emergency_access_agreement",
]
