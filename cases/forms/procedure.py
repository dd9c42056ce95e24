"""Input of the procedure's steps. Forms validate what was typed; they never change a state
(cases/services/procedure.py does, after the workflow's guards).

The choices a step form offers (the case's victims, consents, actions; the agencies; the
kelurahan's companions) come from one ProcedureData per request, so the case page renders every
step's form from lists loaded once (and prefetched with the case)."""

import datetime
from functools import cached_property

from crispy_forms.layout import Fieldset
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import Agency, Role
from lbk.forms import DateField, DateTimeField, NoNullCharacters, ObjectChoiceField, form_helper

from .. import vocab


class ProcedureData:
    """What the step forms of one case choose from, loaded once per request (the case's
    related rows come from its prefetch cache when the page prefetched them)."""

    def __init__(self, case):
        self.case = case

    @cached_property
    def victims(self):
        return list(self.case.victims.all())

    @cached_property
    def consents(self):
        return list(self.case.consents.all())

    @cached_property
    def actions(self):
        return list(self.case.actions.all())

    @cached_property
    def agencies(self):
        return list(Agency.objects.filter(is_active=True).order_by("name"))

    @cached_property
    def companions(self):
        return list(companions_of(self.case))


def victim_label(v):
    return f"{v.full_name} ({v.display_initials})"


def consent_label(c):
    agency = f" - {c.agency.name}" if c.agency_id else ""
    return f"{c.victim.display_initials}: {c.get_purpose_display()}{agency}"


def action_label(a):
    return (
        f"{a.victim.display_initials}: {a.get_service_type_display()} "
        f"({a.provider_label}) - {a.get_status_display()}"
    )


class ProcedureForm(NoNullCharacters, forms.Form):
    """Base: knows the case, the user and the shared choices; carries the case version the user
    saw."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    helper = form_helper()  # every field in order; a form with groups sets its own

    def __init__(self, *args, case, user, source=None, **kwargs):
        self.case = case
        self.user = user
        self.source = source or ProcedureData(case)
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("version", case.version)

    def service_data(self):
        return dict(self.cleaned_data)


def companions_of(case):
    from roleplay.roles import members

    return members([Role.PENDAMPING], case=case).order_by("first_name", "username")


NO_CONFLICT_MSG = _("Record that the companion declared no conflict of interest.")


class AssignForm(ProcedureForm):
    companion = ObjectChoiceField(
        label_from=lambda u: u.display_name,
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
        self.fields["companion"].set_objects(self.source.companions)


class ReassignForm(AssignForm):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["note"]
        self.fields["companion"].label = _("New companion")
        self.fields["companion"].set_objects(
            [u for u in self.source.companions if u.pk != self.case.companion_id]
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

    victim = ObjectChoiceField(
        label_from=victim_label,
        label=_("Victim / person served"),
        error_messages={"required": _("Choose a victim of this case.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["victim"].set_objects(self.source.victims)


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


class ConsentForm(VictimStepForm):
    purpose = forms.ChoiceField(label=_("Purpose"), choices=vocab.ConsentPurpose.choices)
    agency = ObjectChoiceField(
        label_from=lambda a: a.name, required=False, label=_("Agency (for sharing data)")
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
        self.fields["agency"].set_objects(self.source.agencies)
        if not self.is_bound:
            self.initial["given_at"] = timezone.localtime().replace(second=0, microsecond=0)


class WithdrawConsentForm(ProcedureForm):
    consent = ObjectChoiceField(label_from=consent_label, label=_("Consent entry"))
    note = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["consent"].set_objects(
            [c for c in self.source.consents if c.withdrawn_at is None]
        )


class ConfirmConsentForm(ProcedureForm):
    consent = ObjectChoiceField(label_from=consent_label, label=_("Best-interest decision"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["consent"].set_objects(
            [
                c
                for c in self.source.consents
                if c.given_by == vocab.ConsentGiver.BEST_INTEREST
                and c.confirmed_at is None
                and c.withdrawn_at is None
            ]
        )


class PlanActionForm(VictimStepForm):
    service_type = forms.ChoiceField(label=_("Service"), choices=vocab.ServiceType.choices)
    agency = ObjectChoiceField(
        label_from=lambda a: a.name,
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
        self.fields["agency"].set_objects(self.source.agencies)
        if self.case.is_sexual_violence:
            # Never offered (UU 12/2022 art. 23); posted by hand, the engine refuses it.
            self.fields["service_type"].widget.choices = vocab.choices_without_mediation()


class ActionStatusForm(ProcedureForm):
    planned_action = ObjectChoiceField(label_from=action_label, label=_("Action"))
    status = forms.ChoiceField(label=_("New status"), choices=vocab.ActionStatus.choices)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["planned_action"].set_objects(self.source.actions)


class VisitForm(ProcedureForm):
    victim = ObjectChoiceField(
        label_from=victim_label, label=_("Victim / person served"), required=False
    )
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
        self.fields["victim"].set_objects(self.source.victims)
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


def form_for(action, case, user, data=None, source=None):
    return FORMS[action](data, case=case, user=user, prefix=action, source=source)
