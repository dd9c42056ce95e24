from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReferralsConfig(AppConfig):
    name = "referrals"
    verbose_name = _("Referrals")

    def ready(self):
        import logging

        # WeasyPrint logs each rendering step at INFO (before letters.py imports it).
        logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)

        from cases.page import register_section_provider

        from .sections import case_referrals_section

        if case_referrals_section not in __import__("cases.page").page.SECTION_PROVIDERS:
            register_section_provider(case_referrals_section)
