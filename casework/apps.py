from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CaseworkConfig(AppConfig):
    name = "casework"
    verbose_name = _("Casework")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from accounts.signals import emergency_access_withdrawn
        from casework.services.protection import end_emergency_accesses

        emergency_access_withdrawn.connect(
            end_emergency_accesses, dispatch_uid="casework.end_emergency_accesses"
        )
