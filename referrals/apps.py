from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReferralsConfig(AppConfig):
    name = "referrals"
    verbose_name = _("Referrals")

    def ready(self):
        import logging

        # WeasyPrint logs each rendering step at INFO (before letters.py imports it).
        logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)

        from accounts import home
        from cases import page

        from .home import referral_panels
        from .sections import case_referrals_section

        if referral_panels not in home.PANEL_PROVIDERS:
            home.register(referral_panels)
        if case_referrals_section not in page.SECTION_PROVIDERS:
            page.register_section_provider(case_referrals_section)
