"""``{% may_import as flag %}``: whether the navigation offers the imports page."""

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def may_import(context) -> bool:
    """The user may import clients (a supervisor or agency admin) in some
    agency. From the roles loaded once per request: no query."""
    from accounts.permissions import Perm
    from accounts.selectors import holds_anywhere

    user = context.get("user")
    if user is None or not user.is_authenticated:
        return False
    return holds_anywhere(user, Perm.IMPORT_CLIENTS)
