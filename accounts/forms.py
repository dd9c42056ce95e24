from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm, SetPasswordForm
from django.utils.translation import gettext_lazy as _

from lbk.forms import NoNullCharacters, form_helper


class LoginForm(NoNullCharacters, AuthenticationForm):
    # One answer for an unknown username, a wrong password and an inactive account, so the
    # login page never tells whether a username exists.
    error_messages = {
        "invalid_login": _("The username or password is wrong. Check both and try again."),
        "inactive": _("The username or password is wrong. Check both and try again."),
    }
    shared_computer = forms.BooleanField(
        label=_("This is a shared computer (posko, office, internet café)"),
        help_text=_(
            "You are logged out after 10 minutes without activity, and this browser does not "
            "remember you or your username."
        ),
        required=False,
    )
    helper = form_helper()

    def __init__(self, *args, shared=False, **kwargs):
        super().__init__(*args, **kwargs)
        # No autofocus: keyboard and screen-reader users start at the skip link, as on every page.
        self.fields["username"].widget.attrs.pop("autofocus", None)
        if shared:
            # A computer known to be shared: the browser is asked not to offer what was typed.
            self.fields["shared_computer"].initial = True
            self.fields["username"].widget.attrs.update({"autocomplete": "off"})
            self.fields["password"].widget.attrs.update({"autocomplete": "off"})
        else:
            self.fields["username"].widget.attrs.update({"autocomplete": "username"})
            self.fields["password"].widget.attrs.update({"autocomplete": "current-password"})


class ChangePasswordForm(NoNullCharacters, PasswordChangeForm):
    helper = form_helper()


class PasswordResetRequestForm(NoNullCharacters, forms.Form):
    email = forms.EmailField(
        label=_("Your e-mail address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    helper = form_helper()


class NewPasswordForm(NoNullCharacters, SetPasswordForm):
    helper = form_helper()


class ResetCodeForm(NoNullCharacters, SetPasswordForm):
    """The username and the code handed over in person, then the new password (twice)."""

    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "username"}),
    )
    code = forms.CharField(
        label=_("Reset code"),
        max_length=30,
        help_text=_("The code your coordinator gave you, e.g. ABCD-EFGH-JKLM."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )
    helper = form_helper()
    field_order = ["username", "code", "new_password1", "new_password2"]

    def __init__(self, *args, **kwargs):
        super().__init__(None, *args, **kwargs)
        self.order_fields(self.field_order)
        self.token = None

    def clean(self):
        from .passwords import token_for_code

        self.validate_passwords("new_password1", "new_password2")
        data = self.cleaned_data
        token = token_for_code(data.get("username", ""), data.get("code", ""))
        if token is None:
            raise forms.ValidationError(
                _("The username or code is wrong, or the code has expired or was already used.")
            )
        self.token = token
        self.user = token.user
        self.validate_password_for_user(self.user, "new_password2")
        return data


class SecondFactorCodeForm(NoNullCharacters, forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=20,
        help_text=_(
            "The 6 digits your authenticator app shows now, or one of your recovery codes."
        ),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "text", "autocapitalize": "off"}
        ),
    )
    helper = form_helper()


class ExemptionForm(NoNullCharacters, forms.Form):
    days = forms.IntegerField(label=_("Days (at most 90)"), min_value=1, max_value=90, initial=90)
    reason = forms.CharField(label=_("Reason"), max_length=300, initial="")
    helper = form_helper()
