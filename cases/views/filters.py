"""The case list's filter fields, rendered once per language, selection and kelurahan choices
and kept in the process (issue 12: crispy-forms rendering seven fields was a fifth of the list's
cost on every request). Only a form without errors and without a search term is kept: a field
with an error message, or a typed search, is rendered afresh (no search term stays in memory).
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

TEMPLATE = "cases/_case_filter_fields.html"
CHOICE_FIELDS = ("status", "kind", "emergency", "roleplay", "risk", "kelurahan")
MAX_KEPT = 512

_kept: OrderedDict[tuple, str] = OrderedDict()
_lock = threading.Lock()


def _render(form) -> SafeString:
    # Each value is escaped by the field templates.
    return mark_safe(render_to_string(TEMPLATE, {"form": form}))  # noqa: S308 # nosec B308 B703


def filter_fields(form) -> SafeString:
    """The HTML of the filter form's fields."""
    if form.is_bound and (form.errors or (form["q"].value() or "").strip()):
        return _render(form)
    # The choices are fixed per language, but the kelurahan ones are the user's.
    kelurahan = form.fields.get("kelurahan")
    key = (
        get_language(),
        tuple((f, str(form[f].value() or "")) for f in CHOICE_FIELDS if f in form.fields),
        tuple((str(k), str(v)) for k, v in kelurahan.choices) if kelurahan else (),
        # An empty search box: its raw value ("" or spaces) is what the box shows.
        str(form["q"].value() or ""),
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


def forget() -> None:
    """Drop what is kept (tests that change the choices' translations)."""
    with _lock:
        _kept.clear()
