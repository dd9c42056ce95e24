"""Forms validate input; they never change a referral's state (services.py does)."""

from crispy_forms.layout import Fieldset
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import Agency
from cases import vocab
from lbk.forms import DateTimeField, NoNullCharacters, form_helper

from .models import EmergencyGround, Kind, Outcome, SendHow
from .workflow import HANDOVER_AGENCY_KINDS, consents_for


class SharedFieldsMixin:
    """Shared fields limited to what this victim consented to share with that agency."""

    def clean_shared_fields_for(self, victim, agency):
        chosen = set(self.cleaned_data.get("shared_fields") or [])
        if victim is None or agency is None:
            return sorted(chosen)
        _s, _share, allowed = consents_for(victim, agency)
        refused = chosen - allowed
        if refused:
            self.add_error(
                "shared_fields",
                _("The victim did not agree to share with this agency: %(fields)s.")
                % {"fields": ", ".join(str(vocab.SharedField(f).label) for f in sorted(refused))},
            )
        return sorted(chosen & allowed)


class ActionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        service = obj.get_service_type_display()
        return f"{service} · {obj.provider_label} · {obj.victim.display_initials}"


class ReferralForm(NoNullCharacters, SharedFieldsMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Kind.choices, widget=forms.RadioSelect)
    action = ActionChoiceField(label=_("Planned action it serves"), queryset=None)
    services_requested = forms.CharField(
        label=_("Services requested"),
        help_text=_("One per line; they are numbered in the letter."),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
    )
    summary = forms.CharField(
        label=_("Summary for the agency"),
        help_text=_("Only what the agency needs for the service."),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=3000,
    )
    shared_fields = forms.MultipleChoiceField(
        label=_("Data shared with the agency"),
        choices=vocab.SharedField.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Without a choice the letter shows initials, sex and age only."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput)
    helper = form_helper()

    def __init__(self, *args, referral, **kwargs):
        super().__init__(*args, **kwargs)
        self.referral = referral
        from cases.models import PlannedAction

        self.fields["action"].queryset = PlannedAction.objects.filter(
            case_id=referral.case_id, victim_id=referral.victim_id, agency_id=referral.agency_id
        ).select_related("agency", "victim")
        _s, _share, allowed = consents_for(referral.victim, referral.agency)
        self.allowed = allowed
        if allowed:
            self.fields["shared_fields"].help_text = _(
                "The victim agreed to share with this agency: %(fields)s. Without a choice the "
                "letter shows initials, sex and age only."
            ) % {
                "fields": ", ".join(
                    str(label) for v, label in vocab.SharedField.choices if v in allowed
                )
            }
        else:
            self.fields["shared_fields"].help_text = _(
                "The victim has not agreed to share any of these with this agency: the letter "
                "shows initials, sex and age only."
            )

    def clean(self):
        data = super().clean()
        data["shared_fields"] = self.clean_shared_fields_for(
            self.referral.victim, self.referral.agency
        )
        if (
            data.get("kind") == Kind.HANDOVER
            and self.referral.agency.kind not in HANDOVER_AGENCY_KINDS
        ):
            self.add_error("kind", _("A handover can only go to UPTD PPA or Dinas Sosial."))
        return data


class EmergencyForm(NoNullCharacters, SharedFieldsMixin, forms.Form):
    victim = forms.ModelChoiceField(label=_("Victim"), queryset=None)
    agency = forms.ModelChoiceField(label=_("Agency"), queryset=None)
    service_type = forms.ChoiceField(label=_("Service"), choices=vocab.ServiceType.choices)
    ground = forms.ChoiceField(
        label=_("Why it could not wait"),
        choices=EmergencyGround.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": _(
                "Say why the referral could not wait: the victim is in danger now, or injured "
                "and needs care now."
            )
        },
    )
    how = forms.ChoiceField(
        label=_("How the referral was made"),
        choices=[
            (SendHow.PHONE, SendHow.PHONE.label),
            (SendHow.ACCOMPANIED, SendHow.ACCOMPANIED.label),
        ],
        widget=forms.RadioSelect,
    )
    made_at = DateTimeField(
        label=pgettext_lazy("form field: date and time an action took place", "When")
    )
    summary = forms.CharField(
        label=_("Emergency summary for the agency"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=3000,
    )
    services_requested = forms.CharField(
        label=_("Services requested"),
        required=False,
        help_text=_("One per line; empty: the service above."),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
    )
    shared_fields = forms.MultipleChoiceField(
        label=_("Data shared with the agency"),
        choices=vocab.SharedField.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Only what the victim has agreed to; without consent the letter shows initials, sex, "
            "age and the emergency summary."
        ),
    )

    helper = form_helper()

    def __init__(self, *args, case, **kwargs):
        super().__init__(*args, **kwargs)
        self.case = case
        self.fields["victim"].queryset = case.victims.all()
        self.fields["agency"].queryset = Agency.objects.filter(is_active=True)
        if case.is_sexual_violence:
            # Never offered (UU 12/2022 art. 23); posted by hand, the engine refuses it with
            # the article's explanation.
            self.fields["service_type"].widget.choices = vocab.choices_without_mediation()
        self.fields["made_at"].initial = timezone.localtime().replace(second=0, microsecond=0)

    def clean(self):
        data = super().clean()
        data["shared_fields"] = self.clean_shared_fields_for(data.get("victim"), data.get("agency"))
        made = data.get("made_at")
        if made and made > timezone.now() + timezone.timedelta(minutes=5):
            self.add_error("made_at", _("The time cannot be in the future."))
        return data


class StepForm(NoNullCharacters, forms.Form):
    """The input a step asks for (workflow Step.fields): every field is optional here, and a
    page shows only those of its step (`show`); the engine's guards ask for what is needed."""

    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=3000
    )
    reason = forms.CharField(
        label=_("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=3000
    )
    how = forms.ChoiceField(
        label=_("How"),
        required=False,
        choices=[("", "---")] + [c for c in SendHow.choices if c[0] != SendHow.APP],
    )
    when = DateTimeField(
        label=pgettext_lazy("form field: date and time an action took place", "When"),
        required=False,
    )
    proof = forms.CharField(
        label=_("Proof (receipt slip, phone call...)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
    )
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        required=False,
        choices=[("", "---")] + [c for c in Outcome.choices if c[0] != Outcome.SERVED],
    )
    service_given = forms.ChoiceField(
        label=_("Service given"),
        required=False,
        choices=[("", "---")] + list(vocab.ServiceType.choices),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = form_helper()

    def show(self, step, fields):
        """Lay the form out for `step`: its `fields` (some of the form's) under its label."""
        self.helper = form_helper(Fieldset(step.label, *fields, css_class="field-group"))
        if "when" in fields:
            self.fields["when"].initial = timezone.localtime().replace(second=0, microsecond=0)

    def clean_when(self):
        when = self.cleaned_data.get("when")
        if when and when > timezone.now() + timezone.timedelta(minutes=5):
            raise forms.ValidationError(_("The time cannot be in the future."))
        return when
