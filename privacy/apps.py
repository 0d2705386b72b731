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
