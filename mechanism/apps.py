from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MechanismConfig(AppConfig):
    name = "mechanism"
    verbose_name = _("Handling mechanism (SK)")
