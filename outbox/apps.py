from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OutboxConfig(AppConfig):
    name = "outbox"
    verbose_name = _("Background work")

    def ready(self) -> None:
        # The kinds register their handlers (e-mail, letters, reminders).
        from . import kinds  # noqa: F401
