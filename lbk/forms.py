"""What every form of the project shares.

- How a form is rendered: crispy-forms with the bootstrap5 pack, through `form_helper()` (no
  <form> tag and no CSRF token of its own: each template writes its <form> with {% form_guard %})
  and the project's field template, templates/bootstrap5/field.html (labels, hints and errors
  with the ids that aria-describedby and the error summary name). `Section` is a part of a long
  form under its own heading.
- The date and time inputs: `DateField` and `DateTimeField` (the browser's date and
  datetime-local pickers, ISO formats), used by every form.
- A NUL byte answered by the form itself (`NoNullCharacters`).

PostgreSQL refuses NUL in text, so a NUL that reached a query or a save would be a 500. Django
guards its CharField (ProhibitNullCharactersValidator) and its model choice fields, but not a
ChoiceField, a date, a number or a JSON text (where "\\u0000" becomes NUL only once parsed).
NoNullCharacters checks every field, whatever its type, before and after the field's own
cleaning, and answers with the field's error (Django's own, translated, message). The other
fields are cleaned as usual, so everything else the user typed comes back on the page.

Every form class of the project includes it (tests/security/test_bad_input.py walks them all).
"""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Div, Layout
from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import ProhibitNullCharactersValidator

# --------------------------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------------------------


def form_helper(*layout, hidden_fields=True):
    """The crispy helper of a form: the fields, rows and fieldsets of `layout` in that order, or
    every field of the form when `layout` is empty. Hidden fields are added at the end unless
    `hidden_fields` is false (a form rendered in two parts renders them once)."""
    helper = FormHelper()
    helper.form_tag = False  # the template writes the <form>, with {% form_guard %}...
    helper.disable_csrf = True  # ...which carries the CSRF token
    helper.include_media = False
    # Errors of the whole form are listed by the error summary at the top of the page
    # ({% error_summary %}), not again inside the form; the field template always shows a
    # field's own errors beside it.
    helper.form_show_errors = False
    helper.render_hidden_fields = hidden_fields
    if layout:
        helper.layout = Layout(*layout)
    return helper


class Section(Div):
    """A part of a long form under its own heading (templates/bootstrap5/layout/section.html):
    a <section> named by an <h2> at level 2, a <div> with an <h3> inside one at level 3.
    `css_id` is the heading's id; `intro`, a line of guidance under the heading."""

    template = "%s/layout/section.html"

    def __init__(self, title, *fields, css_id, intro="", level=2, **kwargs):
        self.title = title
        self.intro = intro
        self.level = level
        super().__init__(*fields, css_id=css_id, **kwargs)


# --------------------------------------------------------------------------------------------
# Dates and times: the browser's own pickers, which send ISO values whatever the language.
# --------------------------------------------------------------------------------------------

DATE_FORMAT = "%Y-%m-%d"
DATETIME_FORMAT = "%Y-%m-%dT%H:%M"
DATETIME_INPUT_FORMATS = [
    DATETIME_FORMAT,
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d %H:%M:%S",
]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format=DATE_FORMAT)


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format=DATETIME_FORMAT)


class DateField(forms.DateField):
    widget = DateInput


class DateTimeField(forms.DateTimeField):
    widget = DateTimeInput
    input_formats = DATETIME_INPUT_FORMATS


# --------------------------------------------------------------------------------------------
# NUL bytes
# --------------------------------------------------------------------------------------------


def has_null_character(value):
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, bytes):
        return b"\x00" in value
    if isinstance(value, dict):
        return any(has_null_character(k) or has_null_character(v) for k, v in value.items())
    if isinstance(value, list | tuple | set | frozenset):
        return any(has_null_character(v) for v in value)
    return False


def _refuse():
    v = ProhibitNullCharactersValidator()
    return ValidationError(v.message, code=v.code)


def _guard(field):
    if getattr(field, "_lbk_null_guard", False):
        return
    clean = field.clean

    def guarded_clean(value, *args, **kwargs):
        if has_null_character(value):
            raise _refuse()
        cleaned = clean(value, *args, **kwargs)
        # JSON text: an escaped NUL appears only in the parsed value.
        if has_null_character(cleaned):
            raise _refuse()
        return cleaned

    field.clean = guarded_clean
    field._lbk_null_guard = True


class NoNullCharacters:
    """Mixin for forms.Form and forms.ModelForm (before the Django base class)."""

    def full_clean(self):
        # Here rather than in __init__: forms add and replace fields in their own __init__.
        for field in self.fields.values():
            _guard(field)
        super().full_clean()


class ObjectChoiceField(forms.ChoiceField):
    """A choice among model objects already loaded, shared by every form of a page (the case
    page renders a dozen step forms: each ModelChoiceField would query its own choices). The
    posted value is the object's pk; the cleaned value is the object itself."""

    def __init__(self, *, objects=(), label_from=str, empty_label="---------", **kwargs):
        self.label_from = label_from
        self.empty_label = empty_label
        super().__init__(choices=(), **kwargs)
        self.set_objects(objects)

    def set_objects(self, objects, label_from=None):
        if label_from is not None:
            self.label_from = label_from
        self._objects = {str(o.pk): o for o in objects}
        empty = [("", self.empty_label)] if self.empty_label is not None else []
        self.choices = empty + [(pk, self.label_from(o)) for pk, o in self._objects.items()]

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        obj = self._objects.get(str(value))
        if obj is None:
            raise forms.ValidationError(
                self.error_messages["invalid_choice"],
                code="invalid_choice",
                params={"value": value},
            )
        return obj

    def validate(self, value):
        if value is None and self.required:
            raise forms.ValidationError(self.error_messages["required"], code="required")

    def prepare_value(self, value):
        return getattr(value, "pk", value)

    def has_changed(self, initial, data):
        return str(self.prepare_value(initial) or "") != str(data or "")
