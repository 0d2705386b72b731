from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _refresh_role_groups(sender, using="default", **kwargs):
    """After every migrate, role groups carry exactly the permissions of
    accounts.permissions.ROLE_PERMISSIONS (the map is code; groups follow it)."""
    from django.apps import apps

    # Permissions of every app exist only once the last app has had its
    # post_migrate, and Django sends it only to apps that have models.
    with_models = [config for config in apps.get_app_configs() if config.models_module is not None]
    if sender.name != with_models[-1].name:
        return
    from accounts.models import Agency
    from accounts.services import apply_role_permissions

    for agency in Agency.objects.using(using).all():
        apply_role_permissions(agency)


def _record_last_login(sender, user, **kwargs):
    from django.utils import timezone

    user.last_login = timezone.now()
    user.skip_history_when_saving = True
    try:
        user.save(update_fields=["last_login"])
    finally:
        del user.skip_history_when_saving


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts and agencies")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.contrib.auth.models import update_last_login
        from django.contrib.auth.signals import user_logged_in

        # Logging in is not a change of the person's record: no history row.
        user_logged_in.disconnect(update_last_login, dispatch_uid="update_last_login")
        user_logged_in.connect(_record_last_login, dispatch_uid="sanad.record_last_login")
        import config.http.schema  # noqa: F401  (registers the bearer-token OpenAPI extension)

        post_migrate.connect(_refresh_role_groups, dispatch_uid="accounts.refresh_role_groups")

        from django.contrib.auth.signals import user_logged_out, user_login_failed

        from accounts import access

        user_logged_in.connect(access.on_logged_in, dispatch_uid="sanad.access.login")
        user_logged_out.connect(access.on_logged_out, dispatch_uid="sanad.access.logout")
        user_login_failed.connect(access.on_login_failed, dispatch_uid="sanad.access.failed")

        from accounts import sessions

        # The session's idle and absolute clocks start at login.
        user_logged_in.connect(sessions.on_logged_in, dispatch_uid="sanad.sessions.login")

        from accounts import second_factor

        # The password just given counts as given again for changing one's factors.
        user_logged_in.connect(
            second_factor.on_logged_in, dispatch_uid="sanad.second_factor.password_at"
        )

        from accounts.home import register_home_section
        from accounts.home_sections import ADMIN

        register_home_section(ADMIN)
