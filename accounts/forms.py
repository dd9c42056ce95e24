from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.utils.translation import gettext_lazy as _

from lbk.forms import NoNullCharacters, form_helper


class LoginForm(NoNullCharacters, AuthenticationForm):
    # One answer for an unknown username, a wrong password and an inactive account, so the
    # login page never tells whether a username exists.
    error_messages = {
        "invalid_login": _("The username or password is wrong. Check both and try again."),
        "inactive": _("The username or password is wrong. Check both and try again."),
    }
    helper = form_helper()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # No autofocus: keyboard and screen-reader users start at the skip link, as on every page.
        self.fields["username"].widget.attrs.pop("autofocus", None)
        self.fields["username"].widget.attrs.update({"autocomplete": "username"})
        self.fields["password"].widget.attrs.update({"autocomplete": "current-password"})


class ChangePasswordForm(NoNullCharacters, PasswordChangeForm):
    helper = form_helper()
