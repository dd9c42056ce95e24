import uuid

from django import forms, template
from django.template.loader import render_to_string
from django.utils.html import format_html_join

from accounts.security import AUTHOR_FIELD, ONCE_FIELD, sign_author

register = template.Library()


@register.simple_tag(takes_context=True)
def form_guard(context, once=None):
    """What every POST form carries, instead of a bare {% csrf_token %}:

    - the CSRF token;
    - for a logged-in user, `_lbk_author`: their id and the time of rendering, signed with
      SECRET_KEY (a form posted after the session ended is kept for its author only);
    - `_lbk_once`: a fresh random token per rendering, so that the same form sent twice makes
      one record. `once` passes a kept token on (the "send again" page) instead of a fresh one.
    """
    fields = []
    token = context.get("csrf_token")
    if token and str(token) != "NOTPROVIDED":
        fields.append(("csrfmiddlewaretoken", str(token)))
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    if user is not None and user.is_authenticated:
        fields.append((AUTHOR_FIELD, sign_author(user.pk)))
    fields.append((ONCE_FIELD, once or uuid.uuid4().hex))
    return format_html_join(
        "", '<input type="hidden" name="{}" value="{}">', ((n, v) for n, v in fields)
    )


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
