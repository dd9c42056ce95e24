from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RoleplayConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "roleplay"
    verbose_name = _("Role-play sessions")

    def ready(self):
        from . import services  # noqa: F401  (keeps the refusals of session cases)
