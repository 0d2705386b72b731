from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReferralsConfig(AppConfig):
    name = "referrals"
    verbose_name = _("Referrals")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from accounts.notices import register_link_check
        from casework.signals import consent_withdrawn
        from referrals.selectors import referral_notice_links
        from referrals.services import cancel_referrals_relying_on

        consent_withdrawn.connect(
            cancel_referrals_relying_on, dispatch_uid="referrals.cancel_on_consent_withdrawal"
        )
        # accounts e-mails every notice but knows no referral page: referrals
        # says which of its notices still link to a referral their reader sees.
        register_link_check("referral.", referral_notice_links)

        from accounts.home import register_home_section
        from referrals.home import REFERRAL_OFFICER, SUPERVISOR_REFERRALS

        # The home page's referral sections: accounts renders them, referrals reads.
        register_home_section(REFERRAL_OFFICER)
        register_home_section(SUPERVISOR_REFERRALS)
