"""``{% may_search as show_search %}``: whether the header shows the search box."""

from django import template

from casework.selectors import may_search as _may_search

register = template.Library()


@register.simple_tag(takes_context=True)
def may_search(context) -> bool:
    user = getattr(context.get("request"), "user", None)
    return bool(user is not None and user.is_authenticated and _may_search(user))
