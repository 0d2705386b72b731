from django.utils.functional import SimpleLazyObject

from accounts.permissions import Perm


def navigation(request):
    """Agencies whose team page the user may open, computed only if a template asks."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    def team_agencies():
        from accounts.selectors import agencies_of

        agencies = agencies_of(user).order_by("name")
        return [agency for agency in agencies if user.has_perm(Perm.VIEW_MEMBERS, agency)]

    return {"nav_team_agencies": SimpleLazyObject(team_agencies)}
