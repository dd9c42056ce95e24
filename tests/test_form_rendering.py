"""One way to render a form field: crispy-forms, through the project's field template
(templates/bootstrap5/field.html), for every form of the app. The case-list filter form is the one
exception (a later issue renders it once and caches it).

- No template renders fields by hand (field loops, as_field_group, as_widget...).
- Every form page renders its fields through templates/bootstrap5/field.html, the project's
  override, never the pack's own or Django's field templates, and every field of a form (but a
  referral step's, which shows only its step's) reaches the page: a layout never drops one.
"""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.forms import BaseForm
from django.forms.formsets import BaseFormSet
from django.template.loader import get_template
from django.urls import reverse

from cases.forms.procedure import FORMS

TEMPLATES = Path(settings.BASE_DIR) / "templates"
FIELD_TEMPLATE = TEMPLATES / "bootstrap5" / "field.html"
# The one form still rendered field by field: the case list's filters. The error summary walks
# the fields for their errors only.
HAND_RENDERED = {
    "cases/case_list.html",
    # The case list's filter fields, rendered once per selection (cases/views/filters.py).
    "cases/_case_filter_fields.html",
    "_partials/form_errors.html",
}

# What renders a field by hand: a loop over a form's fields, a field printed or passed to a
# filter ({{ form.name }}, {{ form.name|as_crispy_field }}), Django's own field renderings, the
# old procedure field partial. A formset's management form (hidden inputs only) is fine.
BY_HAND = [
    re.compile(r"{%\s*for\s+\w+\s+in\s+\w*form\w*(\.\w+)?\s*%}"),
    re.compile(r"{%\s*for\s+\w+\s+in\s+[\w.]*\b(fields|visible_fields|hidden_fields)\b"),
    re.compile(r"{{\s*\w*form\w*(\.(?!management_form\b)\w+)?\s*(\|[^}]*)?}}"),
    re.compile(r"\b(as_field_group|as_widget|as_crispy_field|as_p|as_div|as_table|as_ul)\b"),
    re.compile(r"\|\s*crispy\b|\blabel_tag\b|_procedure_field"),
]


def test_no_template_renders_a_field_by_hand():
    found = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        name = str(path.relative_to(TEMPLATES))
        if name in HAND_RENDERED or name.startswith("bootstrap5/"):
            continue
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if any(p.search(line) for p in BY_HAND):
                found.append(f"{name}:{n}: {line.strip()}")
    assert found == [], "render forms with {% crispy form %}:\n" + "\n".join(found)


def test_the_project_field_template_overrides_the_pack():
    assert Path(get_template("bootstrap5/field.html").origin.name) == FIELD_TEMPLATE
    assert not (TEMPLATES / "cases" / "_procedure_field.html").exists()


def _forms_in(context):
    """The forms (formsets opened up) of a response's template context, each once."""
    seen, out = set(), []
    for ctx in context:
        for value in ctx.flatten().values() if hasattr(ctx, "flatten") else ctx.values():
            items = value.forms if isinstance(value, BaseFormSet) else [value]
            for form in items:
                if isinstance(form, BaseForm) and id(form) not in seen:
                    seen.add(id(form))
                    out.append(form)
    return out


def _check_page(response, *, partial=()):
    """Fields went through the project's field template, and every field of every form of the
    page (but those of the forms in `partial`) is on it."""
    assert response.status_code in (200, 400), response.status_code
    html = response.content.decode()
    used = [t for t in response.templates if t.name == "bootstrap5/field.html"]
    assert used, "no field rendered through crispy"
    assert {Path(t.origin.name) for t in used} == {FIELD_TEMPLATE}
    # Django's own field group (as_field_group, and form.as_div/as_p... around it); a formset's
    # management form, all hidden inputs, renders none.
    assert "django/forms/field.html" not in {t.name for t in response.templates}
    for form in _forms_in(response.context):
        if type(form).__name__ in partial or type(form).__name__ == "CaseFilterForm":
            continue
        for bf in form:
            assert f'name="{bf.html_name}"' in html, (type(form).__name__, bf.html_name)
    return html


@pytest.fixture
def case(master, personas):
    from tests.factories import make_case

    return make_case(personas)


def test_login_and_password_forms(client, personas):
    _check_page(client.get(reverse("login")))
    html = _check_page(client.post(reverse("login"), {"username": "x", "password": "y"}))
    assert 'id="error-summary"' in html
    _check_page(personas.client("ws.relawan").get(reverse("password_change")))


def test_intake_form_and_its_formsets(personas, case):
    c = personas.client("ws.relawan")
    html = _check_page(c.get(reverse("cases:create")))
    # The sections of the form, each under its heading, in the page's order.
    order = [
        "sec-complaint",
        "sec-risk",
        "sec-violence",
        "sec-gbv",
        "sec-social",
        "sec-victims",
        "sec-perps",
        "sec-reporter",
    ]
    at = [html.index(f'id="{s}"') for s in order]
    assert at == sorted(at)
    html = _check_page(c.post(reverse("cases:create"), {"save": "1"}))
    assert 'id="error-summary"' in html
    _check_page(personas.client("ws.koordinator").get(reverse("cases:edit", args=[case.pk])))


def test_procedure_step_forms(personas, master, case):
    from tests.factories import advance_case

    koor = personas.client("ws.koordinator")
    # On the case page (every step the coordinator may take now) and on the step's own page.
    _check_page(koor.get(reverse("cases:detail", args=[case.pk])))
    _check_page(koor.post(reverse("cases:act", args=[case.pk, "assign"]), {"assign-note": "x"}))
    advance_case(case, "handling", personas)
    pend = personas.client("ws.pendamping")
    _check_page(pend.get(reverse("cases:detail", args=[case.pk])))
    shown = []
    for action in FORMS:
        r = pend.get(reverse("cases:act", args=[case.pk, action]))
        if r.status_code == 200:
            shown.append(action)
            _check_page(r)
    assert {"assess", "consent", "plan_action", "visit"} <= set(shown)


def test_attachments_and_access_log_forms(personas, case):
    koor = personas.client("ws.koordinator")
    _check_page(koor.get(reverse("attachments:case", args=[case.pk])))
    html = _check_page(koor.get(reverse("cases:access_log"), {"date_from": "kemarin"}))
    assert 'href="#id_date_from"' in html


def test_referral_forms(master, personas):
    from tests.factories import REFERRAL_VICTIM, make_case, make_referral

    draft = make_referral(personas, "draft")
    pend = personas.client("ws.pendamping")
    _check_page(pend.get(reverse("referrals:edit", args=[draft.pk])))
    emergency_case = make_case(personas, victims=[REFERRAL_VICTIM])
    koor = personas.client("ws.koordinator")
    url = reverse("referrals:emergency", args=[emergency_case.pk])
    _check_page(koor.get(url))
    assert 'id="error-summary"' in _check_page(koor.post(url, {"summary": ""}))
    # A referral step shows only the fields its step asks for.
    requested = make_referral(personas, "requested")
    staff = personas.client("ws.kasikesra")
    html = _check_page(
        staff.get(reverse("referrals:detail", args=[requested.pk])), partial={"StepForm"}
    )
    assert 'name="return-note"' in html and 'name="return-reason"' not in html
