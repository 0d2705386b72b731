"""Object permissions that come from a user's roles in agencies.

A role's permissions (carried by its agency role group) hold for the records
of that agency: the agency itself and any object with an ``agency_id``.
Exceptions (a referral shared with a partner, break-glass) are guardian rows,
answered by guardian's own backend next to this one.
"""

from django.conf import settings
from django.contrib.auth.backends import BaseBackend
from guardian.backends import ObjectPermissionBackend

from accounts.models import Agency
from accounts.selectors import holds_in


def agency_id_of(obj):
    """The agency whose role permissions govern ``obj``, for the objects this
    backend answers: agencies and records that declare ``ROLE_SCOPED = True``.
    Records with finer rules (cases, clients) have their own backend."""
    if isinstance(obj, Agency):
        return obj.pk
    if getattr(obj, "ROLE_SCOPED", False):
        return obj.agency_id
    return None


class AgencyRoleBackend(BaseBackend):
    def has_perm(self, user_obj, perm, obj=None):
        if obj is None or not user_obj.is_active or user_obj.is_anonymous:
            return False
        agency_id = agency_id_of(obj)
        if agency_id is None:
            return False
        return holds_in(user_obj, perm, agency_id)


class GrantBackend(ObjectPermissionBackend):
    """django-guardian's object permissions, asked only where Sanad keeps grant
    tables (direct foreign-key tables of cases, clients, referrals).

    Guardian raises WrongAppError for a permission of another app than the
    object's (``has_perm("casework.add_case", agency)``); outside the models
    that hold grants the answer is simply no.
    """

    def has_perm(self, user_obj, perm, obj=None):
        if obj is None or obj._meta.label_lower not in settings.SANAD_GRANT_MODELS:
            return False
        if perm.split(".", 1)[0] != obj._meta.app_label:
            return False
        return super().has_perm(user_obj, perm, obj)
