from django.utils.functional import SimpleLazyObject


def navigation_counts(request):
    """New incoming referrals and unread notifications for the navigation:
    two small counts, only for a logged-in user, only when a template asks."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    def counts() -> dict[str, int]:
        from accounts.notices import unread_notice_count
        from referrals.selectors import new_incoming_count

        return {
            "new_referrals": new_incoming_count(user),
            "unread_notifications": unread_notice_count(user),
        }

    return {"nav_counts": SimpleLazyObject(counts)}
