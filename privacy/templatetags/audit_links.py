"""Whether to show links to the access-log pages: from the roles loaded once
per request (``accounts.selectors.agency_permissions``), no query of their own."""

from django import template

from casework.models import Case, Client
from privacy import selectors

register = template.Library()


@register.simple_tag(takes_context=True)
def may_read_access_log(context: template.Context) -> bool:
    """``{% may_read_access_log as flag %}``: the user is the DPO of some agency."""
    user = context.get("user")
    return bool(user and user.is_authenticated and selectors.may_read_access_log(user))


@register.filter
def may_see_accesses(user, record: Client | Case | None) -> bool:
    """``user|may_see_accesses:case``: VIEW_RECORD_ACCESSES in the record's agency."""
    if user is None or not user.is_authenticated or record is None:
        return False
    return selectors.may_see_accesses_of(user, record)
