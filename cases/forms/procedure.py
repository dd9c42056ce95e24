"""Input of the procedure's steps. Forms validate what was typed; they never change a state
(cases/services/procedure.py does, after the workflow's guards)."""

import datetime

from crispy_forms.layout import Fieldset
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import Agency, Role, User, active_members
from lbk.forms import DateField, DateTimeField, NoNullCharacters, form_helper

from .. import vocab
from ..models import Consent, PlannedAction


class CompanionChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.display_name


class VictimChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.full_name} ({obj.display_initials})"


class ProcedureForm(NoNullCharacters, forms.Form):
    """Base: knows the case and the user; carries the case version the user saw."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    helper = form_helper()  # every field in order; a form with groups sets its own

    def __init__(self, *args, case, user, **kwargs):
        self.case = case
        self.user = user
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("version", case.version)

    def service_data(self):
        return dict(self.cleaned_data)


def companions_of(case):
    return active_members([Role.PENDAMPING], kelurahan_id=case.kelurahan_id).order_by(
        "first_name", "username"
    )


NO_CONFLICT_MSG = _("Record that the companion declared no conflict of interest.")


class AssignForm(ProcedureForm):
    companion = CompanionChoice(
        queryset=User.objects.none(),
        label=_("Companion"),
        error_messages={"required": _("Choose the companion.")},
    )
    no_conflict = forms.BooleanField(
        label=_("The companion declared that they have no conflict of interest in this case"),
        error_messages={"required": NO_CONFLICT_MSG},
    )
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["companion"].queryset = companions_of(self.case)


class ReassignForm(AssignForm):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["note"]
        self.fields["companion"].label = _("New companion")
        self.fields["companion"].queryset = companions_of(self.case).exclude(
            pk=self.case.companion_id
        )


class NoteForm(ProcedureForm):
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class RequiredNoteForm(ProcedureForm):
    note = forms.CharField(
        label=_("Note for the companion"), widget=forms.Textarea(attrs={"rows": 2})
    )


class ReasonForm(ProcedureForm):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class DeclineForm(ProcedureForm):
    not_pursued_reason = forms.ChoiceField(
        label=_("Reason not pursued"), choices=[("", "---------"), *vocab.NotPursuedReason.choices]
    )
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ProposeClosureForm(ProcedureForm):
    closure_reason = forms.ChoiceField(
        label=_("Closure reason"), choices=[("", "---------"), *vocab.ClosureReason.choices]
    )
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


FIRST_CONTACT_HOW = [
    ("in_person", _("Met in person")),
    ("home_visit", _("Home visit")),
    ("phone", _("Phone/WhatsApp")),
    ("other", _("Other")),
]


class FirstContactForm(ProcedureForm):
    contacted_at = DateTimeField(
        label=pgettext_lazy("form field: date and time an action took place", "When")
    )
    how = forms.ChoiceField(label=_("How"), choices=FIRST_CONTACT_HOW)
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["contacted_at"] = timezone.localtime().replace(second=0, microsecond=0)

    def clean_contacted_at(self):
        value = self.cleaned_data["contacted_at"]
        if value > timezone.now() + datetime.timedelta(minutes=5):
            raise forms.ValidationError(_("The time cannot be in the future."))
        return value


class VictimStepForm(ProcedureForm):
    """A step about one victim of the case (assessment, consent, plan, recovery)."""

    victim = VictimChoice(
        queryset=None,
        label=_("Victim / person served"),
        error_messages={"required": _("Choose a victim of this case.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["victim"].queryset = self.case.victims.all()


class AssessForm(VictimStepForm):
    needs = forms.MultipleChoiceField(
        label=_("Needs"),
        choices=vocab.NeedDomain.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one need.")},
    )
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        names = []
        for key, label in vocab.RISK_QUESTIONS:
            self.fields[f"risk_{key}"] = forms.BooleanField(label=label, required=False)
            names.append(f"risk_{key}")
        # The risk questions come right after the victim (on the page and in the error summary).
        self.order_fields(["victim", *names, "needs", "note"])
        self.helper = form_helper(
            "victim",
            Fieldset(_("Risk questions (tick each that applies)"), *names, css_class="field-group"),
            "needs",
            "note",
        )

    def service_data(self):
        data = dict(self.cleaned_data)
        data["answers"] = {k: bool(data.pop(f"risk_{k}", False)) for k, _l in vocab.RISK_QUESTIONS}
        return data


class AgencyChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class ConsentForm(VictimStepForm):
    purpose = forms.ChoiceField(label=_("Purpose"), choices=vocab.ConsentPurpose.choices)
    agency = AgencyChoice(
        queryset=Agency.objects.filter(is_active=True),
        required=False,
        label=_("Agency (for sharing data)"),
    )
    shared_fields = forms.MultipleChoiceField(
        label=_("What may be shared"),
        choices=vocab.SharedField.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    given_by = forms.ChoiceField(label=_("Given by"), choices=vocab.ConsentGiver.choices)
    giver_name = forms.CharField(
        label=_("Name of the guardian or supporter"), required=False, max_length=120
    )
    child_view = forms.CharField(
        label=_("The child's own view (for a child)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    how = forms.ChoiceField(label=_("How"), choices=vocab.ConsentHow.choices)
    given_at = DateTimeField(
        label=pgettext_lazy("form field: date and time an action took place", "When")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["given_at"] = timezone.localtime().replace(second=0, microsecond=0)


class ConsentChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        agency = f" - {obj.agency.name}" if obj.agency_id else ""
        return f"{obj.victim.display_initials}: {obj.get_purpose_display()}{agency}"


class WithdrawConsentForm(ProcedureForm):
    consent = ConsentChoice(queryset=Consent.objects.none(), label=_("Consent entry"))
    note = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["consent"].queryset = self.case.consents.filter(
            withdrawn_at__isnull=True
        ).select_related("victim", "agency")


class ConfirmConsentForm(ProcedureForm):
    consent = ConsentChoice(queryset=Consent.objects.none(), label=_("Best-interest decision"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["consent"].queryset = self.case.consents.filter(
            given_by=vocab.ConsentGiver.BEST_INTEREST,
            confirmed_at__isnull=True,
            withdrawn_at__isnull=True,
        ).select_related("victim", "agency")


class PlanActionForm(VictimStepForm):
    service_type = forms.ChoiceField(label=_("Service"), choices=vocab.ServiceType.choices)
    agency = AgencyChoice(
        queryset=Agency.objects.filter(is_active=True),
        required=False,
        label=_("Provider"),
        empty_label=_("LBK-KK itself"),
    )
    target_date = DateField(label=_("Target date"), required=False)
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.case.is_sexual_violence:
            # Never offered (UU 12/2022 art. 23); posted by hand, the engine refuses it.
            self.fields["service_type"].widget.choices = vocab.choices_without_mediation()


class ActionChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return (
            f"{obj.victim.display_initials}: {obj.get_service_type_display()} "
            f"({obj.provider_label}) - {obj.get_status_display()}"
        )


class ActionStatusForm(ProcedureForm):
    planned_action = ActionChoice(queryset=PlannedAction.objects.none(), label=_("Action"))
    status = forms.ChoiceField(label=_("New status"), choices=vocab.ActionStatus.choices)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["planned_action"].queryset = self.case.actions.select_related(
            "victim", "agency"
        )


class VisitForm(ProcedureForm):
    victim = VictimChoice(queryset=None, label=_("Victim / person served"), required=False)
    kind = forms.ChoiceField(label=_("Kind"), choices=vocab.VisitKind.choices)
    visited_on = DateField(label=_("Date"))
    text = forms.CharField(label=_("Notes"), widget=forms.Textarea(attrs={"rows": 3}))
    next_visit_on = DateField(label=_("Next visit"), required=False)
    confidential = forms.BooleanField(
        label=_("Confidential note (only the companion and the coordinator see it)"),
        required=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["victim"].queryset = self.case.victims.all()
        if not self.is_bound:
            self.initial["visited_on"] = timezone.localdate()

    def clean(self):
        data = super().clean()
        if data.get("visited_on") and data["visited_on"] > timezone.localdate():
            self.add_error("visited_on", _("The date cannot be in the future."))
        nxt = data.get("next_visit_on")
        if nxt and data.get("visited_on") and nxt < data["visited_on"]:
            self.add_error("next_visit_on", _("The next visit comes after this one."))
        return data


class RecoveryForm(VictimStepForm):
    items = forms.MultipleChoiceField(
        label=_("Reached"),
        choices=vocab.RECOVERY_ITEMS,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )


FORMS = {
    "assign": AssignForm,
    "reassign": ReassignForm,
    "decline": DeclineForm,
    "complete_assessment": NoteForm,
    "propose_closure": ProposeClosureForm,
    "start_monitoring": NoteForm,
    "new_need": ReasonForm,
    "approve_closure": NoteForm,
    "return": RequiredNoteForm,
    "reopen": ReasonForm,
    "first_contact": FirstContactForm,
    "assess": AssessForm,
    "consent": ConsentForm,
    "withdraw_consent": WithdrawConsentForm,
    "confirm_consent": ConfirmConsentForm,
    "plan_action": PlanActionForm,
    "action_status": ActionStatusForm,
    "visit": VisitForm,
    "recovery": RecoveryForm,
}


def form_for(action, case, user, data=None):
    return FORMS[action](data, case=case, user=user, prefix=action)
