"""Sanad's one permission vocabulary and the role → permission map.

Code never spells a permission codename anywhere else: it uses ``Perm``.
Each (agency, role) has one Django ``Group`` carrying the role's permissions
(created by ``accounts.services.create_agency``). A role's permissions apply
to the records of the group's agency only; ``accounts.backends`` answers
object checks from that.
"""

from enum import StrEnum

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    CASEWORKER = "caseworker", _("Caseworker")
    SUPERVISOR = "supervisor", _("Supervisor")
    REFERRAL_OFFICER = "referral_officer", _("Referral officer")
    DPO = "dpo", _("Data protection officer")
    AGENCY_ADMIN = "agency_admin", _("Agency administrator")


class Perm(StrEnum):
    """Every permission Sanad checks, as ``app_label.codename``."""

    # accounts (platform staff)
    ADD_AGENCY = "accounts.add_agency"
    ADD_USER = "accounts.add_user"
    # accounts (agency roles)
    VIEW_MEMBERS = "accounts.view_membership"
    MANAGE_MEMBERS = "accounts.manage_members"
    MANAGE_AGENCY = "accounts.manage_agency"

    # casework: clients
    VIEW_CLIENT = "casework.view_client"
    ADD_CLIENT = "casework.add_client"
    CHANGE_CLIENT = "casework.change_client"
    VIEW_SENSITIVE = "casework.view_sensitive"
    # casework: cases
    VIEW_CASE = "casework.view_case"
    VIEW_ALL_CASES = "casework.view_all_cases"
    ADD_CASE = "casework.add_case"
    CHANGE_CASE = "casework.change_case"
    ASSIGN_CASE = "casework.assign_case"
    RESTRICT_CASE = "casework.restrict_case"
    CLOSE_CASE = "casework.close_case"
    VIEW_CASE_HISTORY = "casework.view_case_history"
    VIEW_NOTES = "casework.view_casenote"
    ADD_NOTE = "casework.add_casenote"
    VIEW_CONFIDENTIAL_NOTES = "casework.view_confidential_note"
    VIEW_FOLLOW_UPS = "casework.view_followup"
    ADD_FOLLOW_UP = "casework.add_followup"
    COMPLETE_FOLLOW_UP = "casework.change_followup"
    VIEW_CONSENT = "casework.view_consent"
    RECORD_CONSENT = "casework.add_consent"
    WITHDRAW_CONSENT = "casework.withdraw_consent"
    VIEW_DO_NOT_DISCLOSE = "casework.view_donotdisclose"
    ADD_DO_NOT_DISCLOSE = "casework.add_donotdisclose"
    VIEW_DOCUMENT = "casework.view_document"
    VIEW_PLAN = "casework.view_integrationplan"
    CHANGE_PLAN = "casework.change_plan"
    ADD_DOCUMENT = "casework.add_document"
    IMPORT_CLIENTS = "casework.import_clients"  # spreadsheet import into the agency

    # data protection
    VIEW_ACCESS_LOG = "accounts.view_accesslog"  # the agency's whole access log (DPO)
    VIEW_RECORD_ACCESSES = "casework.view_record_accesses"  # "who accessed this"
    EXPORT_SUBJECT_ACCESS = "casework.export_subject_access"
    ERASE_CLIENT = "casework.erase_client"
    PLACE_LEGAL_HOLD = "privacy.add_legalhold"
    BREAK_GLASS = "casework.add_breakglass"
    MANAGE_RETENTION = "privacy.change_retentionpolicy"

    # reports
    VIEW_STATISTICS = "reports.view_statistics"
    VIEW_DISCLOSURE_REGISTER = "reports.view_disclosure_register"
    EXPORT_CASES = "reports.export_cases"

    # referrals: the service directory
    MANAGE_SERVICES = "referrals.change_service"
    # referrals: the sending side (on the case's agency, for cases the user sees)
    VIEW_REFERRAL = "referrals.view_referral"
    SEND_REFERRAL = "referrals.add_referral"
    OVERRIDE_CONSENT = "referrals.override_consent"
    # referrals: either side (the receiving side through object grants)
    VIEW_PACKET = "referrals.view_packet"
    MESSAGE_REFERRAL = "referrals.message_referral"
    # referrals: the receiving side (object grants given when a referral is sent)
    RESPOND_REFERRAL = "referrals.respond_referral"

    @property
    def app_label(self) -> str:
        return self.value.split(".", 1)[0]

    @property
    def codename(self) -> str:
        return self.value.split(".", 1)[1]


_CASEWORK = frozenset(
    {
        Perm.VIEW_CLIENT,
        Perm.ADD_CLIENT,
        Perm.CHANGE_CLIENT,
        Perm.VIEW_CASE,
        Perm.ADD_CASE,
        Perm.CHANGE_CASE,
        Perm.CLOSE_CASE,
        Perm.VIEW_NOTES,
        Perm.ADD_NOTE,
        Perm.VIEW_FOLLOW_UPS,
        Perm.ADD_FOLLOW_UP,
        Perm.COMPLETE_FOLLOW_UP,
        Perm.VIEW_DOCUMENT,
        Perm.ADD_DOCUMENT,
        Perm.VIEW_PLAN,
        Perm.CHANGE_PLAN,
        Perm.VIEW_CONSENT,
        Perm.RECORD_CONSENT,
        Perm.WITHDRAW_CONSENT,
        Perm.VIEW_DO_NOT_DISCLOSE,
        Perm.ADD_DO_NOT_DISCLOSE,
        Perm.VIEW_REFERRAL,
        Perm.SEND_REFERRAL,
        Perm.VIEW_PACKET,
        Perm.MESSAGE_REFERRAL,
        Perm.EXPORT_CASES,
    }
)

# What the receiving agency's role groups get on a referral (guardian rows,
# granted by referrals.services when it is sent and revoked when it is
# declined, withdrawn, expired or cancelled). A role's own permissions never
# reach another agency's referrals: only these grants do.
REFERRAL_RECEIVER_GRANTS: dict[str, frozenset[Perm]] = {
    Role.REFERRAL_OFFICER: frozenset(
        {Perm.VIEW_REFERRAL, Perm.VIEW_PACKET, Perm.RESPOND_REFERRAL, Perm.MESSAGE_REFERRAL}
    ),
    Role.SUPERVISOR: frozenset(
        {Perm.VIEW_REFERRAL, Perm.VIEW_PACKET, Perm.RESPOND_REFERRAL, Perm.MESSAGE_REFERRAL}
    ),
}
# What break-the-glass opens on a case outside one's scope, for its few hours:
# reading, never changing.
BREAK_GLASS_PERMISSIONS = frozenset(
    {
        Perm.VIEW_CASE,
        Perm.VIEW_NOTES,
        Perm.VIEW_FOLLOW_UPS,
        Perm.VIEW_DOCUMENT,
        Perm.VIEW_PLAN,
        Perm.VIEW_SENSITIVE,
        Perm.VIEW_CONSENT,
        Perm.VIEW_DO_NOT_DISCLOSE,
    }
)
# The caseworker of the case opened from a referral: the packet it came from.
REFERRAL_CASE_OWNER_GRANTS = frozenset({Perm.VIEW_REFERRAL, Perm.VIEW_PACKET})

# Special-category data: supervisors hold VIEW_SENSITIVE for the whole agency;
# a caseworker holds it only on the cases (and their clients) assigned to them,
# a rule of casework.backends, not a role permission.
ROLE_PERMISSIONS: dict[str, frozenset[Perm]] = {
    Role.CASEWORKER: _CASEWORK,
    Role.SUPERVISOR: _CASEWORK
    | {
        Perm.VIEW_MEMBERS,
        Perm.VIEW_ALL_CASES,
        Perm.VIEW_SENSITIVE,
        Perm.ASSIGN_CASE,
        Perm.RESTRICT_CASE,
        Perm.VIEW_CASE_HISTORY,
        Perm.VIEW_CONFIDENTIAL_NOTES,
        Perm.OVERRIDE_CONSENT,
        Perm.VIEW_RECORD_ACCESSES,
        Perm.EXPORT_SUBJECT_ACCESS,
        Perm.PLACE_LEGAL_HOLD,
        Perm.BREAK_GLASS,
        Perm.VIEW_STATISTICS,
        Perm.VIEW_DISCLOSURE_REGISTER,
        Perm.IMPORT_CLIENTS,
    },
    Role.REFERRAL_OFFICER: frozenset(),
    # The DPO sees audit data and answers the data subject, not case content.
    Role.DPO: frozenset(
        {
            Perm.VIEW_MEMBERS,
            Perm.VIEW_ACCESS_LOG,
            Perm.VIEW_RECORD_ACCESSES,
            Perm.EXPORT_SUBJECT_ACCESS,
            Perm.ERASE_CLIENT,
            Perm.PLACE_LEGAL_HOLD,
            Perm.MANAGE_RETENTION,
            Perm.VIEW_DISCLOSURE_REGISTER,
        }
    ),
    Role.AGENCY_ADMIN: frozenset(
        {
            Perm.VIEW_MEMBERS,
            Perm.MANAGE_MEMBERS,
            Perm.MANAGE_AGENCY,
            Perm.MANAGE_SERVICES,
            Perm.MANAGE_RETENTION,
            Perm.IMPORT_CLIENTS,
        }
    ),
}


def group_name(agency_slug: str, role: str) -> str:
    """The Django group of one (agency, role)."""
    return f"{agency_slug}:{role}"
