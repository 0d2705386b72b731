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

    # accounts
    VIEW_MEMBERS = "accounts.view_membership"
    MANAGE_MEMBERS = "accounts.manage_members"
    MANAGE_AGENCY = "accounts.manage_agency"

    @property
    def app_label(self) -> str:
        return self.value.split(".", 1)[0]

    @property
    def codename(self) -> str:
        return self.value.split(".", 1)[1]


ROLE_PERMISSIONS: dict[str, frozenset[Perm]] = {
    Role.CASEWORKER: frozenset(),
    Role.SUPERVISOR: frozenset({Perm.VIEW_MEMBERS}),
    Role.REFERRAL_OFFICER: frozenset(),
    Role.DPO: frozenset({Perm.VIEW_MEMBERS}),
    Role.AGENCY_ADMIN: frozenset({Perm.VIEW_MEMBERS, Perm.MANAGE_MEMBERS, Perm.MANAGE_AGENCY}),
}


def group_name(agency_slug: str, role: str) -> str:
    """The Django group of one (agency, role)."""
    return f"{agency_slug}:{role}"
