"""The public form (very short, plain words) and the status check. Every field carries
autocomplete="off"; the hidden token (signed, time-limited) replaces the CSRF cookie and is the
time check; the honeypot field stays empty for people."""

from __future__ import annotations

import secrets
import time

from django import forms
from django.conf import settings
from django.core import signing
from django.utils.translation import gettext_lazy as _

from lbk.forms import NoNullCharacters

from .models import SHORT_MAX, TEXT_MAX, Submission

TOKEN_SALT = "public.form"  # noqa: S105  # nosec B105 (a signing salt, not a password)
HONEYPOT = "website"


def min_seconds() -> int:
    return settings.PUBLIC_FORM_MIN_SECONDS


def max_seconds() -> int:
    return settings.PUBLIC_FORM_MAX_SECONDS


def new_token(kelurahan_id: int) -> str:
    return signing.dumps(
        {"k": kelurahan_id, "n": secrets.token_urlsafe(16), "t": int(time.time())},
        salt=TOKEN_SALT,
    )


class TokenProblem(Exception):
    pass


def read_token(token: str, kelurahan_id: int, min_age: int | None = None) -> str:
    """The form's nonce, or TokenProblem with the message to show (the form is kept)."""
    try:
        data = signing.loads(token or "", salt=TOKEN_SALT, max_age=max_seconds())
    except signing.SignatureExpired:
        raise TokenProblem(
            _("The form was open for a long time. Check what you wrote and send it again.")
        ) from None
    except signing.BadSignature:
        raise TokenProblem(_("The form could not be sent. Check it and send it again.")) from None
    if data.get("k") != kelurahan_id:
        raise TokenProblem(_("The form could not be sent. Check it and send it again."))
    if time.time() - int(data.get("t", 0)) < (min_seconds() if min_age is None else min_age):
        raise TokenProblem(_("The form was sent very quickly. Check it and send it again."))
    return str(data["n"])


def _off(widget):
    widget.attrs["autocomplete"] = "off"
    return widget


class SubmissionForm(NoNullCharacters, forms.Form):
    kind = forms.ChoiceField(
        label=_("What happened?"),
        choices=Submission.Kind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose what happened.")},
    )
    text = forms.CharField(
        label=_("Tell us in a few words"),
        max_length=TEXT_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": TEXT_MAX}),
        help_text=_("No names needed. At most %(n)s characters.") % {"n": TEXT_MAX},
    )
    place = forms.CharField(
        label=_("Where? (RT/RW or a landmark)"),
        max_length=SHORT_MAX,
        required=False,
    )
    affected = forms.ChoiceField(
        label=_("Who is affected?"),
        choices=Submission.Affected.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose who is affected.")},
    )
    age_group = forms.ChoiceField(
        label=_("Age group of the person affected"),
        choices=Submission.AgeGroup.choices,
        widget=forms.RadioSelect,
        initial=Submission.AgeGroup.UNKNOWN,
        required=False,
    )
    danger_now = forms.ChoiceField(
        label=_("Is someone in danger now?"),
        choices=[("no", _("No")), ("yes", _("Yes"))],
        widget=forms.RadioSelect,
        initial="no",
        error_messages={"required": _("Answer whether someone is in danger now.")},
    )
    contact_how = forms.ChoiceField(
        label=_("How may the posko contact you?"),
        choices=Submission.ContactHow.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose how the posko may contact you, or anonymous.")},
    )
    contact_value = forms.CharField(
        label=_("Phone or WhatsApp number"),
        max_length=20,
        required=False,
        help_text=_("Only if you want to be contacted by phone, WhatsApp or SMS."),
    )
    contact_when = forms.CharField(
        label=_("When is it safe to contact you?"),
        max_length=SHORT_MAX,
        required=False,
        help_text=_("For example: weekdays after 10.00, not in the evening."),
    )
    token = forms.CharField(widget=forms.HiddenInput, required=False)
    # The honeypot: hidden from people (CSS and aria-hidden), left empty by them.
    website = forms.CharField(required=False, label=_("Leave this empty"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            _off(field.widget)
        self.fields["contact_value"].widget.attrs["inputmode"] = "tel"
        self.fields[HONEYPOT].widget.attrs["tabindex"] = "-1"

    def clean_contact_value(self):
        value = self.cleaned_data.get("contact_value", "").strip()
        digits = "".join(ch for ch in value if ch.isdigit())
        if value and (len(digits) < 8 or any(ch not in "0123456789+-() " for ch in value)):
            raise forms.ValidationError(_("Write a phone number with digits only, e.g. 0812..."))
        return value

    def clean(self):
        data = super().clean()
        how = data.get("contact_how")
        if how in ("call", "whatsapp", "sms") and not data.get("contact_value"):
            self.add_error(
                "contact_value", _("Write the number the posko may use, or choose anonymous.")
            )
        if how == "none":
            # Anonymous: nothing to contact is kept, even if typed.
            data["contact_value"] = ""
            data["contact_when"] = ""
        if data.get("kind") and not (data.get("text") or "").strip() and not data.get("place"):
            self.add_error("text", _("Write a few words about what happened."))
        return data

    def submission_data(self) -> dict:
        d = self.cleaned_data
        return {
            "kind": d["kind"],
            "text": d.get("text", "").strip(),
            "place": d.get("place", "").strip(),
            "affected": d["affected"],
            "age_group": d.get("age_group") or Submission.AgeGroup.UNKNOWN,
            "danger_now": d.get("danger_now") == "yes",
            "contact_how": d["contact_how"],
            "contact_value": d.get("contact_value", ""),
            "contact_when": d.get("contact_when", "").strip(),
        }


class StatusForm(NoNullCharacters, forms.Form):
    code = forms.CharField(label=_("Code (8 characters)"), max_length=20)
    pin = forms.CharField(label=_("PIN (6 digits)"), max_length=10, widget=forms.PasswordInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            _off(field.widget)
        self.fields["pin"].widget.attrs["inputmode"] = "numeric"
        self.fields["code"].widget.attrs["autocapitalize"] = "characters"


class DeclineForm(NoNullCharacters, forms.Form):
    reason = forms.ChoiceField(
        label=_("Reason"), choices=Submission.Decline.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(
        label=_("Explain in a few words"),
        max_length=SHORT_MAX,
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )


class MessageForm(NoNullCharacters, forms.Form):
    from .models import Message as _M

    template = forms.ChoiceField(
        label=_("Message"),
        choices=_M.Template.choices,
        widget=forms.Select(attrs={"class": "form-select text-wrap"}),
    )
    text = forms.CharField(
        label=_("Your own words (only when the sender is the person affected)"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}),
    )
    confirm_free = forms.BooleanField(
        label=_("I verified that the sender is the person affected"),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )
