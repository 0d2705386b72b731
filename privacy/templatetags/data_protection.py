"""Links and banners of the data-protection pages, from the roles loaded once
per request (``accounts.selectors.agency_permissions``): no query of their
own, except the emergency-access banner for someone who may break the glass
looking at a case outside their agency."""

from django import template

from accounts.permissions import Perm
from accounts.selectors import holds_anywhere, holds_in
from casework.models import BreakGlass, Case, Client
from privacy.selectors import active_break_glass

register = template.Library()

_DATA_PROTECTION = (Perm.EXPORT_SUBJECT_ACCESS, Perm.ERASE_CLIENT, Perm.MANAGE_RETENTION)


@register.simple_tag(takes_context=True)
def may_use_data_protection(context: template.Context) -> bool:
    """``{% may_use_data_protection as flag %}``: the DPO, a supervisor or an
    agency admin somewhere (the data-protection pages have something for them)."""
    user = context.get("user")
    if user is None or not user.is_authenticated:
        return False
    return any(holds_anywhere(user, perm) for perm in _DATA_PROTECTION)


@register.filter
def may_protect(user, client: Client | None) -> bool:
    """``user|may_protect:client``: EXPORT_SUBJECT_ACCESS in the client's agency
    (the client's data-protection page)."""
    if user is None or not user.is_authenticated or client is None:
        return False
    return holds_in(user, Perm.EXPORT_SUBJECT_ACCESS, client.agency_id)


@register.simple_tag(takes_context=True)
def emergency_access_to(context: template.Context, case: Case | None) -> BreakGlass | None:
    """``{% emergency_access_to case as access %}``: the viewer's running
    emergency access to ``case`` (the one that lasts longest), or None."""
    user = context.get("user")
    if user is None or not user.is_authenticated or case is None:
        return None
    if not holds_anywhere(user, Perm.BREAK_GLASS):
        return None  # only supervisors break the glass
    if holds_in(user, Perm.VIEW_ALL_CASES, case.agency_id):
        return None  # their own agency's case: no emergency needed
    return active_break_glass(user).filter(case_id=case.pk).order_by("-expires_at").first()
