"""The error summary links every error to an element that exists: a radio or checkbox group's
first input (the group's own auto id is on no element), and the field itself otherwise."""

import re

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
