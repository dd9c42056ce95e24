from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AttachmentsConfig(AppConfig):
    name = "attachments"
    verbose_name = _("Attachments")

    def ready(self):
        from cases.page import register_prefetch, register_section_provider

        from .views import case_page_section, case_prefetches

        register_section_provider(case_page_section)
        register_prefetch(case_prefetches)
