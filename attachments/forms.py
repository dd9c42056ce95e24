from django import forms
from django.utils.translation import gettext_lazy as _

from lbk.forms import NoNullCharacters, form_helper


class AttachmentForm(NoNullCharacters, forms.Form):
    """Only the file and its description: the case, kelurahan and uploader come from the view."""

    file = forms.FileField(
        label=_("File"),
        help_text=_("A photo (JPEG, PNG, WebP) or a PDF. Location data is removed from photos."),
        widget=forms.ClearableFileInput(
            attrs={"accept": "image/jpeg,image/png,image/webp,application/pdf"}
        ),
    )
    description = forms.CharField(
        label=_("Description"),
        max_length=255,
        required=False,
        help_text=_("For example: visum letter, photo of the injury, police report."),
    )
    helper = form_helper()
