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
        from notifications.services import register_receiver

        # The referral table gets its effects and its reactions to the case procedure; its
        # clocks join the clock rows, Tugas Saya and the dashboard.
        from . import clocks, services  # noqa: F401
        from .access import may_see_referral
        from .home import referral_panels
        from .sections import annotate_referred, case_prefetches, case_referrals_section

        # Messages about a referral reach only those who may see it (cases/invariants.py).
        register_receiver("referrals.referral", may_see_referral)
        if referral_panels not in home.PANEL_PROVIDERS:
            home.register(referral_panels)
        if case_referrals_section not in page.SECTION_PROVIDERS:
            page.register_section_provider(case_referrals_section)
        page.register_list_annotation(annotate_referred)
        page.register_prefetch(case_prefetches)
