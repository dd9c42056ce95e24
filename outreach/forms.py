from django import forms
from django.utils.translation import gettext_lazy as _

from lbk.forms import DateField, NoNullCharacters, form_helper

from .models import Activity


class ActivityForm(NoNullCharacters, forms.ModelForm):
    class Meta:
        model = Activity
        fields = [
            "kind",
            "held_on",
            "place",
            "topic",
            "facilitator",
            "women",
            "men",
            "children",
            "elderly",
            "with_disability",
            "partners",
            "notes",
        ]
        field_classes = {"held_on": DateField}

    helper = form_helper()

    def __init__(self, *args, kelurahan_choices=None, **kwargs):
        super().__init__(*args, **kwargs)
        if kelurahan_choices and len(kelurahan_choices) > 1:
            self.fields["kelurahan"] = forms.TypedChoiceField(
                label=_("Kelurahan"), choices=kelurahan_choices, coerce=int
            )


class PhotoForm(NoNullCharacters, forms.Form):
    file = forms.FileField(
        label=_("Photo"),
        help_text=_("JPEG, PNG or WebP. Location data is removed."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )
    caption = forms.CharField(label=_("Caption"), max_length=255, required=False)
    consent = forms.BooleanField(
        label=_(
            "The people shown agreed to this photo being kept (for children: a parent or the "
            "school)"
        ),
        required=True,
    )
    helper = form_helper()
