"""The error summary links every error to an element that exists: a radio or checkbox group's
first input (the group's own auto id is on no element), and the field itself otherwise."""

import re

import pytest
from django import forms

from accounts.templatetags.lbk import error_summary


class _Form(forms.Form):
    name = forms.CharField()
    kind = forms.ChoiceField(choices=[("a", "A"), ("b", "B")], widget=forms.RadioSelect)
    needs = forms.MultipleChoiceField(
        choices=[("x", "X"), ("y", "Y")], widget=forms.CheckboxSelectMultiple
    )
    channel = forms.ChoiceField(choices=[("", "---"), ("p", "P")])


def test_every_summary_link_lands_on_an_element():
    form = _Form(data={})
    assert not form.is_valid()
    summary = error_summary(form)
    page = summary + str(form)
    links = re.findall(r'href="#([^"]+)"', summary)
    assert links == ["id_name", "id_kind_0", "id_needs_0", "id_channel"]
    for target in links:
        assert f'id="{target}"' in page, target
    assert 'role="alert"' in summary


@pytest.mark.django_db
def test_procedure_form_errors_are_described_and_summarised(personas, master):
    """Every aria-describedby of a refused procedure form names an element that exists (Django
    points fields with errors at `<id>_error`), and every summary link lands on one."""
    from tests.factories import make_case

    case = make_case(personas)
    client = personas.client("ws.koordinator")
    html = client.post(f"/cases/{case.pk}/act/assign/", {"assign-note": "x"}).content.decode()
    refs = [i for ref in re.findall(r'aria-describedby="([^"]+)"', html) for i in ref.split()]
    assert "id_assign-companion_error" in refs
    for target in refs + re.findall(r'href="#(id_[^"]+)"', html):
        assert f'id="{target}"' in html, target
