from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CaseworkConfig(AppConfig):
    name = "casework"
    verbose_name = _("Casework")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from accounts.notices import register_link_check
        from accounts.selectors import register_user_cache
        from casework.backends import BREAK_GLASS_CACHE_ATTR
        from casework.selectors.notifications import case_notice_links
        from casework.selectors.scope import USER_CACHE_ATTRS

        # What casework caches on a user for a request: dropped with their permissions.
        register_user_cache(*USER_CACHE_ATTRS, BREAK_GLASS_CACHE_ATTR)
        # A notice about a case, or a follow-up of one, links there only while
        # its reader still sees the case.
        register_link_check("case.", case_notice_links)
        register_link_check("followup.", case_notice_links)

        from accounts.home import register_home_section
        from casework.home import CASEWORKER, SUPERVISOR

        register_home_section(CASEWORKER)
        register_home_section(SUPERVISOR)
