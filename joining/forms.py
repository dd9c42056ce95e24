from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.models import Agency, Kelurahan, Membership
from lbk.forms import DateField, NoNullCharacters, form_helper

from .models import ActingHead


def clean_nip(value: str) -> str:
    """NIP: 18 digits (spaces allowed when typed); optional (village officials have none)."""
    digits = "".join((value or "").split())
    if digits and (len(digits) != 18 or not digits.isdigit()):
        raise ValidationError(_("A NIP has 18 digits; leave it empty if there is none."))
    return digits


class JoinForm(NoNullCharacters, forms.Form):
    region_code = forms.CharField(
        label=_("Region code (kode wilayah)"),
        max_length=20,
        help_text=_(
            "The kelurahan's or desa's code in Kepmendagri 300.2.2-2138/2025, e.g. 73.72.03.1003."
        ),
    )
    short_code = forms.CharField(
        label=_("Short code"),
        max_length=6,
        help_text=_("2 to 6 letters used in case and letter numbers, e.g. WS."),
    )
    coordinator = forms.CharField(
        label=_("First coordinator (username)"),
        max_length=150,
        required=False,
        help_text=_("An existing account; the coordinator completes the setup."),
    )
    helper = form_helper()


class LetterheadForm(NoNullCharacters, forms.ModelForm):
    class Meta:
        model = Kelurahan
        fields = ["address", "phone", "email"]

    helper = form_helper()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["address"].required = True


class SignerForm(NoNullCharacters, forms.ModelForm):
    # Typed with spaces as printed (19870101 201001 1 001): checked and kept as 18 digits.
    nip = forms.CharField(
        label=_("NIP"),
        max_length=30,
        required=False,
        help_text=_("18 digits; optional for village officials without one."),
    )

    class Meta:
        model = Membership
        fields = ["title", "rank", "nip"]

    helper = form_helper()

    def clean_nip(self):
        return clean_nip(self.cleaned_data.get("nip", ""))


class ActingHeadForm(NoNullCharacters, forms.ModelForm):
    user = forms.TypedChoiceField(label=_("Acting head"), coerce=int)
    nip = forms.CharField(
        label=_("NIP"), max_length=30, required=False, help_text=_("18 digits; optional.")
    )

    class Meta:
        model = ActingHead
        fields = ["kind", "valid_from", "valid_until", "rank", "nip"]
        field_classes = {"valid_from": DateField, "valid_until": DateField}

    helper = form_helper()

    def __init__(self, *args, kelurahan, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.kelurahan = kelurahan
        self.fields["user"].choices = [(u.pk, u.display_name) for u in members]
        self.order_fields(["user", "kind", "valid_from", "valid_until", "rank", "nip"])

    def clean_nip(self):
        return clean_nip(self.cleaned_data.get("nip", ""))

    def clean(self):
        data = super().clean()
        start, end = data.get("valid_from"), data.get("valid_until")
        if start and end:
            if end < start:
                self.add_error("valid_until", _("The end date is before the start date."))
            elif ActingHead.objects.filter(
                kelurahan=self.kelurahan, valid_from__lte=end, valid_until__gte=start
            ).exists():
                self.add_error(
                    "valid_from", _("Another acting head is entered for some of these days.")
                )
        return data


class AgencyForm(NoNullCharacters, forms.ModelForm):
    """A new agency of the kota, serving this place."""

    class Meta:
        model = Agency
        fields = ["name", "kind", "head_title", "address", "phone", "email"]

    helper = form_helper()


class AgenciesServedForm(NoNullCharacters, forms.Form):
    """Per agency of the kota: whether it serves this place (agencies serving the whole kota
    always do), and its contact person for this place."""

    helper = form_helper()

    def __init__(self, *args, agencies, contacts, served, **kwargs):
        super().__init__(*args, **kwargs)
        self.agencies = agencies
        self.rows = []
        for a in agencies:
            whole_kota = a.pk in served["whole"]
            if not whole_kota:
                self.fields[f"serves_{a.pk}"] = forms.BooleanField(
                    label=_("%(agency)s serves this place") % {"agency": a.name},
                    required=False,
                    initial=a.pk in served["here"],
                )
            c = contacts.get(a.pk)
            self.fields[f"contact_{a.pk}"] = forms.CharField(
                label=_("Contact person at %(agency)s") % {"agency": a.name},
                max_length=160,
                required=False,
                initial=c.name if c else "",
            )
            self.fields[f"phone_{a.pk}"] = forms.CharField(
                label=_("Contact phone at %(agency)s") % {"agency": a.name},
                max_length=30,
                required=False,
                initial=c.phone if c else "",
            )


class NumberingForm(NoNullCharacters, forms.ModelForm):
    class Meta:
        model = Kelurahan
        fields = ["letter_number_format", "letter_classification", "letter_copies"]

    helper = form_helper()


class EmblemForm(NoNullCharacters, forms.Form):
    file = forms.FileField(
        label=_("Emblem of the kota or kabupaten"),
        help_text=_("PNG or JPEG (no SVG). Used on the letterhead of every place of the kota."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg"}),
    )
    helper = form_helper()
