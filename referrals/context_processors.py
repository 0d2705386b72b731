from django.utils.functional import SimpleLazyObject

from accounts.second_factor import is_pending


def navigation_counts(request):
    """New incoming referrals and unread notifications for the navigation:
    two small counts, only for a logged-in user, only when a template asks."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or is_pending(request):
        return {}

    def counts() -> dict[str, int]:
        from accounts.notices import unread_notice_count
        from referrals.selectors import new_incoming_count

        return {
            "new_referrals": new_incoming_count(user),
            "unread_notifications": unread_notice_count(user),
        }

    return {"nav_counts": SimpleLazyObject(counts)}
