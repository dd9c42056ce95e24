"""The session, participant and correction-note forms. They shape the input; who may act and in
which state is roleplay/services.py's, whatever door the POST came through."""

from __future__ import annotations

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Agency, Membership, User
from lbk.forms import DateField, NoNullCharacters, form_helper
from mechanism.forms import clock_keys
from mechanism.models import Unit, Version

from .models import SESSION_ROLES, Note, Participant


class SessionForm(NoNullCharacters, forms.Form):
    title = forms.CharField(label=_("Title"), max_length=160)
    version = forms.ModelChoiceField(
        label=_("Mechanism version tried"), queryset=Version.objects.none()
    )
    held_on = DateField(label=_("Date"))
    place = forms.CharField(label=_("Place"), max_length=160)
    minutes_per_day = forms.IntegerField(
        label=_("Minutes per day of the procedure (compressed time)"),
        min_value=1,
        max_value=1440,
        initial=10,
        help_text=_("For example 10: a three-day deadline falls due after 30 minutes."),
    )

    helper = form_helper()

    def __init__(self, *args, kelurahan, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["version"].queryset = Version.objects.filter(
            kelurahan=kelurahan,
            state__in=[Version.State.DRAFT, Version.State.TRIAL, Version.State.ENACTED],
        ).order_by("-number")


ROLE_CHOICES = [(r.value, r.label) for r in SESSION_ROLES]


class ParticipantForm(NoNullCharacters, forms.Form):
    user = forms.ModelChoiceField(
        label=_("Person (with an account)"), queryset=User.objects.none(), required=False
    )
    full_name = forms.CharField(
        label=_("Or the name of a person without an account"),
        max_length=150,
        required=False,
        help_text=_("An account and a one-time sign-in code are made; hand the code over."),
    )
    role = forms.ChoiceField(label=_("Session role"), choices=ROLE_CHOICES)
    agency = forms.ModelChoiceField(
        label=_("Agency played (agency officers)"),
        queryset=Agency.objects.filter(is_active=True).order_by("name"),
        required=False,
    )
    sex = forms.ChoiceField(label=_("Sex"), choices=Participant.Sex.choices)
    age_group = forms.ChoiceField(
        label=_("Age group"), choices=Participant.AgeGroup.choices, initial="adult"
    )
    with_disability = forms.BooleanField(label=_("Person with a disability"), required=False)

    helper = form_helper()

    def __init__(self, *args, kelurahan, **kwargs):
        super().__init__(*args, **kwargs)
        # People of the kota's kelurahan (a trainer mixes places) and agency officers.
        ids = (
            Membership.objects.active()
            .filter(kelurahan__kota_code=kelurahan.kota_code)
            .values("user_id")
        )
        agency_ids = Membership.objects.active().filter(agency__isnull=False).values("user_id")
        self.fields["user"].queryset = (
            User.objects.filter(is_active=True)
            .filter(Q(pk__in=ids) | Q(pk__in=agency_ids))
            .order_by("username")
        )

    def clean(self):
        data = super().clean()
        if not data.get("user") and not (data.get("full_name") or "").strip():
            raise forms.ValidationError(
                _("Choose a person with an account, or write the name of a person without one.")
            )
        if data.get("role") == "petugas" and not data.get("agency"):
            self.add_error("agency", _("Choose the agency the officer plays."))
        return data


class NoteForm(NoNullCharacters, forms.Form):
    case = forms.ModelChoiceField(
        label=_("Scenario case"), queryset=Version.objects.none(), required=False
    )
    step = forms.CharField(label=_("Step"), max_length=160)
    target = forms.ChoiceField(label=_("What it would change"), choices=Note.Target.choices)
    clock_key = forms.ChoiceField(label=_("Clock (for a deadline)"), required=False)
    amount = forms.IntegerField(label=_("Proposed deadline"), min_value=1, required=False)
    unit = forms.ChoiceField(label=_("Unit of the deadline"), choices=Unit.choices, required=False)
    approvers = forms.ChoiceField(
        label=_("Proposed approver"),
        choices=[("", "---------"), *Version.Approvers.choices],
        required=False,
    )
    agencies = forms.ModelMultipleChoiceField(
        label=_("Proposed agencies for handover"),
        queryset=Agency.objects.filter(is_active=True).order_by("name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    value = forms.CharField(
        label=_("Proposed text (contact points, local rule; service hours as 0=08:00-16:00)"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )
    text = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 3}))

    helper = form_helper()

    def __init__(self, *args, session, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["case"].queryset = session.cases.order_by("pk")
        self.fields["case"].label_from_instance = lambda c: f"{c.number} ({c.scenario})"
        self.fields["clock_key"].choices = [("", "---------"), *clock_keys()]

    def proposed(self):
        """The proposed value as the mechanism stores it, or None."""
        d = self.cleaned_data
        t = d["target"]
        T = Note.Target
        if t == T.DEADLINE:
            if d.get("amount") is None:
                return None
            return {"amount": d["amount"], "unit": d.get("unit") or Unit.HOURS}
        if t == T.APPROVERS:
            return d.get("approvers") or None
        if t == T.HANDOVER_AGENCIES:
            return [a.pk for a in d.get("agencies") or []] or None
        if t == T.SERVICE_HOURS:
            return parse_hours(d.get("value") or "")
        if t == T.OUTSIDE:
            return None
        return (d.get("value") or "").strip() or None

    def clean(self):
        data = super().clean()
        hours = data.get("target") == Note.Target.SERVICE_HOURS and data.get("value")
        if hours and parse_hours(data["value"]) is None:
            self.add_error(
                "value",
                _("Write the hours as weekday=open-close, e.g. 0=08:00-16:00 (0 = Monday)."),
            )
        return data


def parse_hours(text: str) -> dict | None:
    out = {}
    for part in text.replace(";", "\n").split():
        day, _eq, span = part.partition("=")
        start, _dash, end = span.partition("-")
        if not (day.isdigit() and 0 <= int(day) <= 6 and len(start) == 5 and len(end) == 5):
            return None
        out[day] = [start, end]
    return out or None
