from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class JoiningConfig(AppConfig):
    name = "joining"
    verbose_name = _("Joining and guided setup")
    default_auto_field = "django.db.models.BigAutoField"
