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
from accounts.selectors import holds_in
from casework.models import BreakGlass, Case, Client

# Emergency accesses asked this request, {case id: running?}: dropped with the
# user's permissions (``casework.apps`` registers it with accounts).
BREAK_GLASS_CACHE_ATTR = "_sanad_break_glass"


def sees_case(user, case: Case) -> bool:
    """Whether ``user``'s role in the case's agency shows them the case: every
    case (VIEW_ALL_CASES), or the unrestricted ones and their own (VIEW_CASE)."""
    if holds_in(user, Perm.VIEW_ALL_CASES, case.agency_id):
        return True
    if not holds_in(user, Perm.VIEW_CASE, case.agency_id):
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
        if not sees_case(user, case):
            return perm in BREAK_GLASS_PERMISSIONS and self._broke_glass(user, case)
        if perm == Perm.VIEW_CASE:
            return True
        if perm == Perm.VIEW_SENSITIVE:
            return (
                holds_in(user, Perm.VIEW_SENSITIVE, case.agency_id)
                or case.assigned_to_id == user.pk
            )
        return holds_in(user, perm, case.agency_id)

    def _client_perm(self, user, perm, client: Client) -> bool:
        if not holds_in(user, Perm.VIEW_CLIENT, client.agency_id):
            return False
        supervises = holds_in(user, Perm.VIEW_ALL_CASES, client.agency_id)
        if client.is_restricted and not supervises and not self._assigned(user, client):
            return False
        if perm == Perm.VIEW_CLIENT:
            return True
        if perm == Perm.VIEW_SENSITIVE:
            return holds_in(user, Perm.VIEW_SENSITIVE, client.agency_id) or self._assigned(
                user, client
            )
        return holds_in(user, perm, client.agency_id)

    @staticmethod
    def _broke_glass(user, case: Case) -> bool:
        """An emergency access of the user to the case that has not expired
        (asked once per case and request)."""
        cache = user.__dict__.setdefault(BREAK_GLASS_CACHE_ATTR, {})
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
