from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReferralsConfig(AppConfig):
    name = "referrals"
    verbose_name = _("Referrals")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from casework.signals import consent_withdrawn
        from referrals.services import cancel_referrals_relying_on

        consent_withdrawn.connect(
            cancel_referrals_relying_on, dispatch_uid="referrals.cancel_on_consent_withdrawal"
        )
