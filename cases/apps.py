from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = _("Cases")

    def ready(self):
        from notifications.services import register_receiver

        # The procedure table gets its effects (no database writes in workflow.py).
        from . import clocks  # noqa: F401  (the clock rows follow every step)
        from .access import sees_in_full
        from .services import procedure  # noqa: F401

        # Messages about a case reach only those who see it in full (cases/invariants.py).
        register_receiver("cases.case", sees_in_full)
