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


# People management (accounts/people_service.py enforces every rule; these forms only offer).


def place_choices(actor, managed) -> list[tuple[str, str]]:
    """ "<kind>:<pk>:<role>" for every role `actor` may give at each of `managed`'s places."""
    from places.models import Kota

    from . import grants
    from .models import Agency, Kelurahan, Role

    out = []
    places = [
        *Kelurahan.objects.filter(pk__in=managed.kelurahan).order_by("name"),
        *Agency.objects.filter(pk__in=managed.agencies).order_by("name"),
        *Kota.objects.filter(pk__in=managed.kota).order_by("name"),
    ]
    for place in places:
        p = grants.place_of(place)
        for role in sorted(grants.grantable(actor, p), key=lambda r: list(Role).index(Role(r))):
            out.append((f"{p.kind}:{p.pk}:{role}", f"{Role(role).label}, {place}"))
    return out


def parse_place_role(value: str):
    """(place object, role) from "<kind>:<pk>:<role>", or None."""
    from places.models import Kota

    from .models import Agency, Kelurahan

    try:
        kind, pk, role = str(value).split(":", 2)
        if kind == "kelurahan":
            return Kelurahan.objects.get(pk=int(pk)), role
        if kind == "agency":
            return Agency.objects.get(pk=int(pk)), role
        if kind == "kota":
            return Kota.objects.get(pk=pk), role
    except (
        ValueError,
        LookupError,
        Kelurahan.DoesNotExist,
        Agency.DoesNotExist,
        Kota.DoesNotExist,
    ):
        return None
    return None


class InviteForm(NoNullCharacters, forms.Form):
    place_role = forms.ChoiceField(label=_("Role and place"))
    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    email = forms.EmailField(
        label=_("E-mail address (optional)"),
        required=False,
        help_text=_(
            "With an address, the invitation goes by e-mail. Without one, you get a one-time "
            "code and link to hand over in person."
        ),
    )
    valid_until = forms.DateField(
        label=_("Valid until (optional)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    helper = form_helper()

    def __init__(self, *args, choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["place_role"].choices = list(choices)


class GiveMembershipForm(NoNullCharacters, forms.Form):
    place_role = forms.ChoiceField(label=_("Role and place"))
    valid_from = forms.DateField(
        label=_("Valid from"), widget=forms.DateInput(attrs={"type": "date"})
    )
    valid_until = forms.DateField(
        label=_("Valid until (optional)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    helper = form_helper()

    def __init__(self, *args, choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["place_role"].choices = list(choices)


class EndMembershipForm(NoNullCharacters, forms.Form):
    last_day = forms.DateField(
        label=_("Last day (optional)"),
        required=False,
        help_text=_("Empty: the membership ends now."),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    helper = form_helper()


class AcceptInvitationForm(NoNullCharacters, SetPasswordForm):
    """A new account from an invitation: username, name, the password (twice)."""

    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        help_text=_("Letters, digits and . _ - only, e.g. ws.nurul."),
        widget=forms.TextInput(attrs={"autocomplete": "username"}),
    )
    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    helper = form_helper()
    field_order = ["username", "first_name", "last_name", "new_password1", "new_password2"]

    def __init__(self, *args, invitation=None, **kwargs):
        super().__init__(None, *args, **kwargs)
        self.order_fields(self.field_order)
        if invitation is not None and not self.is_bound:
            self.fields["first_name"].initial = invitation.first_name
            self.fields["last_name"].initial = invitation.last_name

    def clean_username(self):
        from django.contrib.auth.validators import UnicodeUsernameValidator

        from .models import User

        username = self.cleaned_data["username"].strip()
        UnicodeUsernameValidator()(username)
        if User.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(_("This username is taken: choose another one."))
        return username

    def clean(self):
        from .models import User

        self.validate_passwords("new_password1", "new_password2")
        data = self.cleaned_data
        self.user = User(
            username=data.get("username", ""),
            first_name=data.get("first_name", ""),
            last_name=data.get("last_name", ""),
        )
        self.validate_password_for_user(self.user, "new_password2")
        return data


class InvitationCodeForm(NoNullCharacters, forms.Form):
    code = forms.CharField(
        label=_("Invitation code"),
        max_length=30,
        help_text=_("The code you were handed, e.g. ABCD-EFGH-JKLM."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )
    helper = form_helper()
