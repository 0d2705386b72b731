"""Object permissions on cases and clients.

The common rule lives in columns of the case (owning agency, restricted flag,
assignee) plus the user's agency roles; guardian rows (answered by guardian's
backend next to this one) are the exceptions. ``casework.selectors`` expresses
the very same rule as one SQL query: a test checks that the two agree for
every persona and every case.
"""

from django.contrib.auth.backends import BaseBackend
from django.utils import timezone

from accounts.permissions import BREAK_GLASS_PERMISSIONS, Perm
from accounts.selectors import agency_permissions
from casework.models import BreakGlass, Case, Client


def sees_case(role_perms: frozenset[str], user, case: Case) -> bool:
    if Perm.VIEW_ALL_CASES in role_perms:
        return True
    if Perm.VIEW_CASE not in role_perms:
        return False
    return not case.is_restricted or case.assigned_to_id == user.pk


class CaseworkBackend(BaseBackend):
    def has_perm(self, user_obj, perm, obj=None):
        if obj is None or not user_obj.is_active or user_obj.is_anonymous:
            return False
        if isinstance(obj, Case):
            return self._case_perm(user_obj, perm, obj)
        if isinstance(obj, Client):
            return self._client_perm(user_obj, perm, obj)
        return False

    def _case_perm(self, user, perm, case: Case) -> bool:
        role_perms = agency_permissions(user).get(case.agency_id, frozenset())
        if not sees_case(role_perms, user, case):
            return perm in BREAK_GLASS_PERMISSIONS and self._broke_glass(user, case)
        if perm == Perm.VIEW_CASE:
            return True
        if perm == Perm.VIEW_SENSITIVE:
            return Perm.VIEW_SENSITIVE in role_perms or case.assigned_to_id == user.pk
        return perm in role_perms

    def _client_perm(self, user, perm, client: Client) -> bool:
        role_perms = agency_permissions(user).get(client.agency_id, frozenset())
        if Perm.VIEW_CLIENT not in role_perms:
            return False
        supervises = Perm.VIEW_ALL_CASES in role_perms
        if client.is_restricted and not supervises and not self._assigned(user, client):
            return False
        if perm == Perm.VIEW_CLIENT:
            return True
        if perm == Perm.VIEW_SENSITIVE:
            return Perm.VIEW_SENSITIVE in role_perms or self._assigned(user, client)
        return perm in role_perms

    @staticmethod
    def _broke_glass(user, case: Case) -> bool:
        """An emergency access of the user to the case that has not expired
        (asked once per case and request)."""
        cache = user.__dict__.setdefault("_sanad_break_glass", {})
        if case.pk not in cache:
            cache[case.pk] = BreakGlass.objects.filter(
                user=user, case=case, expires_at__gt=timezone.now()
            ).exists()
        return cache[case.pk]

    @staticmethod
    def _assigned(user, client: Client) -> bool:
        return Case.objects.filter(
            client=client, assigned_to=user, agency_id=client.agency_id
        ).exists()
