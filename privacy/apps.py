from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    name = "privacy"
    label = "privacy"
    verbose_name = _("Data protection")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from accounts.signals import emergency_access_withdrawn
        from privacy.services.break_glass import end_emergency_accesses

        emergency_access_withdrawn.connect(
            end_emergency_accesses, dispatch_uid="privacy.end_emergency_accesses"
        )

        # The verify_access_log command's verdict is kept for the DPO's home.
        from accounts.signals import access_log_verified
        from privacy.services.access_log import keep_command_verdict

        access_log_verified.connect(keep_command_verdict, dispatch_uid="privacy.keep_verdict")

        from accounts.home import register_home_section
        from privacy.home import DPO

        register_home_section(DPO)
