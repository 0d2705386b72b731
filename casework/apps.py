from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CaseworkConfig(AppConfig):
    name = "casework"
    verbose_name = _("Casework")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from accounts.selectors import register_user_cache
        from casework.backends import BREAK_GLASS_CACHE_ATTR
        from casework.selectors.scope import USER_CACHE_ATTRS

        # What casework caches on a user for a request: dropped with their permissions.
        register_user_cache(*USER_CACHE_ATTRS, BREAK_GLASS_CACHE_ATTR)
