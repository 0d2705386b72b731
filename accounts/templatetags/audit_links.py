"""Whether to show links to the audit pages: from the roles loaded once per
request (``accounts.selectors.agency_permissions``), no query of their own."""

from django import template

from accounts import selectors_audit

register = template.Library()


@register.simple_tag(takes_context=True)
def may_read_access_log(context) -> bool:
    """``{% may_read_access_log as flag %}``: the user is the DPO of some agency."""
    user = context.get("user")
    return bool(user and user.is_authenticated and selectors_audit.may_read_access_log(user))


@register.filter
def may_see_accesses(user, record) -> bool:
    """``user|may_see_accesses:case``: VIEW_RECORD_ACCESSES in the record's agency."""
    if user is None or not user.is_authenticated or record is None:
        return False
    return selectors_audit.may_see_accesses_of(user, record)
