"""The object permissions a referral gives: the receiving agency's role groups
while it holds the referral, the caseworker of the case opened from it."""

from collections.abc import Iterable

from django.contrib.auth.models import Permission

from accounts.models import RoleGroup, User
from accounts.permissions import REFERRAL_CASE_OWNER_GRANTS, REFERRAL_RECEIVER_GRANTS, Perm
from referrals.models import (
    Referral,
    ReferralGroupObjectPermission,
    ReferralUserObjectPermission,
)


def _permissions(perms: Iterable[Perm]) -> list[Permission]:
    codenames = {perm.codename for perm in perms}
    return list(
        Permission.objects.filter(content_type__app_label="referrals", codename__in=codenames)
    )


def grant_partner_access(referral: Referral) -> None:
    """Give the receiving agency's role groups their object permissions on the
    referral and its packet (REFERRAL_RECEIVER_GRANTS)."""
    groups = RoleGroup.objects.filter(
        agency_id=referral.to_agency_id, role__in=list(REFERRAL_RECEIVER_GRANTS)
    ).select_related("group")
    for role_group in groups:
        for permission in _permissions(REFERRAL_RECEIVER_GRANTS[role_group.role]):
            ReferralGroupObjectPermission.objects.get_or_create(
                group=role_group.group, permission=permission, content_object=referral
            )


def grant_case_owner_access(referral: Referral, user: User) -> None:
    """The caseworker of the case opened from the referral reads its packet."""
    for permission in _permissions(REFERRAL_CASE_OWNER_GRANTS):
        ReferralUserObjectPermission.objects.get_or_create(
            user=user, permission=permission, content_object=referral
        )


def revoke_partner_access(referral: Referral) -> None:
    """Take every object permission on the referral away (the receiving
    agency's groups and users): from the next request on, the partner gets 404
    on the referral and its packet. The sender keeps its own access."""
    ReferralGroupObjectPermission.objects.filter(content_object=referral).delete()
    ReferralUserObjectPermission.objects.filter(content_object=referral).delete()
