"""The case list's filter selects, rendered once per language, selection and kelurahan choices
and kept in the process (issue 12: crispy-forms rendering six selects was a fifth of the list's
cost on every request). Only a form without errors is kept: a field with an error message is
rendered afresh, and the free-text search field is never part of what is kept (no search term
stays in memory)."""

from __future__ import annotations

import threading
from collections import OrderedDict

from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

TEMPLATE = "cases/_case_filter_selects.html"
FIELDS = ("status", "kind", "emergency", "roleplay", "risk", "kelurahan")
MAX_KEPT = 512

_kept: OrderedDict[tuple, str] = OrderedDict()
_lock = threading.Lock()


def _render(form) -> SafeString:
    return mark_safe(render_to_string(TEMPLATE, {"form": form}))  # noqa: S308 # nosec B308 B703


def filter_selects(form) -> SafeString:
    """The HTML of the form's choice fields (each escaped by its widget template)."""
    if form.is_bound and any(form[f].errors for f in FIELDS if f in form.fields):
        return _render(form)
    # The other fields' choices are fixed per language; the kelurahan ones are the user's.
    kelurahan = form.fields.get("kelurahan")
    key = (
        get_language(),
        tuple((f, str(form[f].value() or "")) for f in FIELDS if f in form.fields),
        tuple((str(k), str(v)) for k, v in kelurahan.choices) if kelurahan else (),
    )
    with _lock:
        html = _kept.get(key)
        if html is not None:
            _kept.move_to_end(key)
            return mark_safe(html)  # noqa: S308 # nosec B308 B703: rendered by _render
    html = _render(form)
    with _lock:
        _kept[key] = str(html)
        while len(_kept) > MAX_KEPT:
            _kept.popitem(last=False)
    return html
