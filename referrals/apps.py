from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReferralsConfig(AppConfig):
    name = "referrals"
    verbose_name = _("Referrals")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from casework.signals import (
            consent_withdrawn,
            personal_data_erasing,
            subject_access_collecting,
        )
        from referrals.protection import collect_referrals, erase_referrals
        from referrals.services import cancel_referrals_relying_on

        consent_withdrawn.connect(
            cancel_referrals_relying_on, dispatch_uid="referrals.cancel_on_consent_withdrawal"
        )
        personal_data_erasing.connect(erase_referrals, dispatch_uid="referrals.erase")
        subject_access_collecting.connect(collect_referrals, dispatch_uid="referrals.export")
