from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("People and places")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
        from django.db.models.signals import post_save, pre_save

        from . import outbox_kinds, security  # noqa: F401 - outbox_kinds registers its kinds
        from .admin import unregister_otp_admin

        unregister_otp_admin()

        user_login_failed.connect(security.on_login_failed, dispatch_uid="lbk_login_failed")
        user_logged_in.connect(security.on_logged_in, dispatch_uid="lbk_logged_in")
        user_logged_out.connect(security.on_logged_out, dispatch_uid="lbk_logged_out")
        pre_save.connect(
            security.on_user_pre_save,
            sender=self.get_model("User"),
            dispatch_uid="lbk_user_pre_save",
        )
        post_save.connect(
            security.on_user_saved, sender=self.get_model("User"), dispatch_uid="lbk_user_saved"
        )
