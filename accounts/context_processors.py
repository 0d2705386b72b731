from django.conf import settings
from django.utils.functional import SimpleLazyObject

from accounts.permissions import Perm


def navigation(request):
    """Agencies whose team page the user may open, computed only if a template
    asks; whether the server requires a second factor, and whether this
    session is half-way through it (then the navigation is hidden)."""
    from accounts.second_factor import is_pending

    context = {"second_factor_off": not settings.SECOND_FACTOR_REQUIRED}
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return context
    if is_pending(request):
        return {**context, "second_factor_pending": True}

    def team_agencies():
        from accounts.selectors import agencies_of

        agencies = agencies_of(user).order_by("name")
        return [agency for agency in agencies if user.has_perm(Perm.VIEW_MEMBERS, agency)]

    return {**context, "nav_team_agencies": SimpleLazyObject(team_agencies)}
