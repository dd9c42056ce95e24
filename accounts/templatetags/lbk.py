from django import forms, template
from django.template.loader import render_to_string

register = template.Library()


@register.simple_tag
def error_summary(*forms):
    """The error summary at the top of a form page, with links to each field (WCAG 3.3.1)."""
    with_errors = []
    for f in forms:
        if f is None:
            continue
        if hasattr(f, "forms"):  # a formset
            with_errors.extend(x for x in f.forms if x.errors)
            if f.non_form_errors():
                with_errors.append(_NonForm(f.non_form_errors()))
        elif f.errors:
            with_errors.append(f)
    return render_to_string("_partials/form_errors.html", {"forms_with_errors": with_errors})


class _NonForm:
    def __init__(self, errors):
        self._errors = errors

    def non_field_errors(self):
        return self._errors

    def __iter__(self):
        return iter(())


@register.filter
def error_anchor(bound_field):
    """The id the error summary links to: the field itself, or the first input of a radio or
    checkbox group (the group's own auto id is on no element) or of a multi-widget."""
    widget = bound_field.field.widget
    if isinstance(widget, (forms.RadioSelect, forms.MultiWidget)):
        return f"{bound_field.auto_id}_0"
    return bound_field.auto_id
