"""Forms of the case records: the intake form (case, victims, perpetrators, links), its edit form,
and the filters of the case list and the access log.

Forms only validate and translate input into plain dicts; cases/services/intake.py writes. Each
form's layout (lbk.forms.form_helper) is what templates/cases/intake_form.html renders.
"""

import re
from datetime import timedelta

from crispy_forms.layout import Column, Div, Fieldset, Row
from django import forms
from django.core.exceptions import ValidationError
from django.forms import BaseModelFormSet, modelformset_factory
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from lbk.forms import DateField, DateTimeField, NoNullCharacters, Section, form_helper

from .. import vocab
from ..assessment import gbv_type_from
from ..models import Case, Perpetrator, Victim

MAX_AGE = 120
YES_NO = [("yes", _("Yes")), ("no", _("No"))]
# A phone's clock may run a little ahead of the server's.
CLOCK_SKEW = timedelta(minutes=10)


class KINDS:
    VIOLENCE = "violence"
    SOCIAL = "social_protection"
    CHOICES = [(VIOLENCE, _("Violence")), (SOCIAL, _("Social protection"))]


def _multi(choices, label, help_text=""):
    return forms.MultipleChoiceField(
        label=label,
        choices=choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=help_text,
    )


def _yes_no(label, initial=None):
    return forms.ChoiceField(
        label=label,
        choices=YES_NO,
        required=False,
        widget=forms.RadioSelect,
        initial=initial,
    )


def _age_from(birth_date, day=None):
    day = day or timezone.localdate()
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


# --------------------------------------------------------------------------------------------
# The case
# --------------------------------------------------------------------------------------------


class CaseForm(NoNullCharacters, forms.ModelForm):
    """The case part of the intake form. `kelurahan_choices` (create only): the places where the
    user may register; a select is shown only when there are several."""

    kelurahan = forms.ChoiceField(label=_("Kelurahan"), required=False)
    kinds = forms.MultipleChoiceField(
        label=_("Kind of case"),
        choices=KINDS.CHOICES,
        widget=forms.CheckboxSelectMultiple,
        required=True,
        error_messages={"required": _("Choose at least one kind: violence or social protection.")},
    )
    received_at = DateTimeField(
        label=_("Complaint received at"),
        required=False,
        help_text=_("Leave empty for now."),
    )
    incident_date = DateField(label=_("Incident date"), required=False)
    danger_now = _yes_no(_("Is the victim in danger now?"), initial="no")
    injured_needs_care = _yes_no(_("Is the victim injured and in need of care now?"), initial="no")
    violence_types = _multi(vocab.ViolenceType.choices, _("Violence types"))
    tpks_types = _multi(
        vocab.TpksType.choices,
        _("Sexual violence types (UU 12/2022 art. 4)"),
        _("Only when the violence is sexual."),
    )
    social_problems = _multi(vocab.SocialProblem.choices, _("Social-protection problems"))
    reporter_kind = forms.ChoiceField(
        label=_("Who reports?"),
        choices=[("self", _("The victim themself")), ("other", _("Another person"))],
        widget=forms.RadioSelect,
        required=False,
        initial="other",
    )
    is_roleplay = forms.BooleanField(
        label=_("Role-play case (simulation, own number series)"),
        required=False,
        help_text=_("Fixed at registration: it cannot be changed later."),
    )
    intake_token = forms.UUIDField(widget=forms.HiddenInput, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Case
        fields = [
            "channel",
            "incident_date_approximate",
            "incident_place",
            "incident_online",
            "incident_rt",
            "incident_rw",
            "narrative",
            "reporter_anonymous",
            "reporter_name",
            "reporter_relation",
            "reporter_contact",
            "reporter_wants_feedback",
        ]
        widgets = {"narrative": forms.Textarea(attrs={"rows": 5})}

    def __init__(self, *args, kelurahan_choices=None, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.editing = editing
        for name, _q in vocab.GBV_QUESTIONS:
            self.fields[f"gbv_{name}"] = _yes_no(_q)
        self.fields["reporter_relation"].choices = [("", "---------")] + [
            c for c in vocab.ReporterRelation.choices if c[0] != vocab.ReporterRelation.SELF
        ]
        choices = list(kelurahan_choices or [])
        if editing or len(choices) <= 1:
            del self.fields["kelurahan"]
        else:
            self.fields["kelurahan"].choices = [("", "---------")] + [
                (str(k.pk), str(k)) for k in choices
            ]
            self.fields["kelurahan"].required = True
        if editing:
            del self.fields["is_roleplay"]
            del self.fields["intake_token"]
        else:
            del self.fields["version"]
        inst = self.instance
        if inst.pk and not self.is_bound:
            self.initial.update(
                kinds=[k for k, on in self._kinds_of(inst) if on],
                received_at=timezone.localtime(inst.received_at),
                incident_date=inst.incident_date,
                danger_now="yes" if inst.danger_now else "no",
                injured_needs_care="yes" if inst.injured_needs_care else "no",
                violence_types=inst.violence_types,
                tpks_types=inst.tpks_types,
                social_problems=inst.social_problems,
                reporter_kind="self" if inst.reporter_is_victim else "other",
                version=inst.version,
                **{f"gbv_{k}": v for k, v in (inst.gbv_answers or {}).items()},
            )
        elif not self.is_bound:
            self.initial.setdefault("kinds", [KINDS.VIOLENCE])
            self.initial.setdefault(
                "received_at", timezone.localtime().replace(second=0, microsecond=0)
            )
        # The page puts the victims and the perpetrators between the two parts of this form.
        self.helper = form_helper(*self._sections_before_people())
        self.reporter_helper = form_helper(*self._sections_after_people(), hidden_fields=False)

    def _sections_before_people(self):
        place = ["kelurahan"] if "kelurahan" in self.fields else []
        gbv = [f"gbv_{name}" for name, _q in vocab.GBV_QUESTIONS]
        return [
            Section(
                _("The complaint"),
                *place,
                "kinds",
                "channel",
                "received_at",
                "incident_date",
                "incident_date_approximate",
                "incident_place",
                "incident_online",
                Row(
                    Column("incident_rt", css_class="col-6"),
                    Column("incident_rw", css_class="col-6"),
                    css_class="g-2",
                ),
                "narrative",
                css_id="sec-complaint",
            ),
            Section(
                _("Immediate risk"),
                "danger_now",
                "injured_needs_care",
                intro=_("A yes to either question makes the case an emergency."),
                css_id="sec-risk",
            ),
            Section(
                _("Violence"),
                "violence_types",
                "tpks_types",
                Section(
                    capfirst(_("GBVIMS core type")),
                    *gbv,
                    intro=_("Ask the questions in this order; the first yes sets the type."),
                    level=3,
                    css_id="sec-gbv",
                ),
                css_id="sec-violence",
            ),
            Section(_("Social protection"), "social_problems", css_id="sec-social"),
        ]

    def _sections_after_people(self):
        sections = [
            Section(
                _("Reporter"),
                "reporter_kind",
                "reporter_anonymous",
                "reporter_name",
                "reporter_relation",
                "reporter_contact",
                "reporter_wants_feedback",
                css_id="sec-reporter",
            )
        ]
        if "is_roleplay" in self.fields:
            sections.append(Section(_("Simulation"), "is_roleplay", css_id="sec-roleplay"))
        return sections

    @staticmethod
    def _kinds_of(case):
        return [(KINDS.VIOLENCE, case.is_violence), (KINDS.SOCIAL, case.is_social_protection)]

    def clean_received_at(self):
        value = self.cleaned_data.get("received_at")
        if value and value > timezone.now() + CLOCK_SKEW:
            raise ValidationError(_("The date cannot be in the future."))
        return value

    def clean_incident_date(self):
        value = self.cleaned_data.get("incident_date")
        if value and value > timezone.localdate():
            raise ValidationError(_("The date cannot be in the future."))
        return value

    def clean(self):
        data = super().clean()
        violence = data.get("violence_types") or []
        if data.get("tpks_types") and vocab.ViolenceType.SEXUAL not in violence:
            self.add_error(
                "tpks_types",
                _(
                    "Sexual violence types apply only to sexual violence: tick "
                    "'Sexual' among the violence types, or clear these."
                ),
            )
        kinds = data.get("kinds") or []
        if KINDS.VIOLENCE not in kinds and violence:
            self.add_error(
                "violence_types",
                _("Violence types are recorded only for a case of violence."),
            )
        if data.get("reporter_anonymous"):
            # An anonymous reporter's name is never stored.
            data["reporter_name"] = ""
        return data

    def case_data(self):
        """The cleaned case fields as a plain dict for the intake service."""
        d = self.cleaned_data
        answers = {
            name.value: d.get(f"gbv_{name}")
            for name, _q in vocab.GBV_QUESTIONS
            if d.get(f"gbv_{name}")
        }
        out = {f: d.get(f) for f in self.Meta.fields}
        out.update(
            is_violence=KINDS.VIOLENCE in d["kinds"],
            is_social_protection=KINDS.SOCIAL in d["kinds"],
            incident_date=d.get("incident_date"),
            danger_now=d.get("danger_now") == "yes",
            injured_needs_care=d.get("injured_needs_care") == "yes",
            violence_types=list(d.get("violence_types") or []),
            tpks_types=list(d.get("tpks_types") or []),
            social_problems=list(d.get("social_problems") or []),
            gbv_answers=answers,
            gbv_type=gbv_type_from(answers),
            reporter_is_victim=d.get("reporter_kind") == "self",
        )
        if d.get("received_at"):
            out["received_at"] = d["received_at"]
        if out["reporter_is_victim"]:
            out["reporter_relation"] = ""
        return out


# --------------------------------------------------------------------------------------------
# Victims
# --------------------------------------------------------------------------------------------

VICTIM_FIELDS = [
    "full_name",
    "initials",
    "sex",
    "birth_date",
    "estimated_age",
    "nik",
    "address",
    "rt",
    "rw",
    "phone",
    "safe_contact",
    "marital_status",
    "education",
    "occupation",
]
VICTIM_MULTI = ["vulnerable_groups", "disability_types", "accommodations", "assistance"]
WG_FIELDS = [f for f, _label in vocab.WG_DOMAINS]


class IntakeVictimForm(NoNullCharacters, forms.ModelForm):
    """One victim (person served) in the intake form, with the Washington Group questions."""

    birth_date = DateField(label=_("Birth date"), required=False)
    estimated_age = forms.IntegerField(
        label=_("Estimated age (years)"),
        required=False,
        min_value=0,
        help_text=_("When the birth date is not known."),
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    nik = forms.CharField(
        label=_("NIK"),
        required=False,
        help_text=_("16 digits, if known."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    vulnerable_groups = _multi(vocab.VulnerableGroup.choices, _("Vulnerable groups"))
    disability_types = _multi(
        vocab.DisabilityType.choices,
        _("Disability (UU 8/2016)"),
        _("Several types: multiple disability (ganda)."),
    )
    accommodations = _multi(vocab.Accommodation.choices, _("Accommodation needs"))
    assistance = _multi(vocab.Assistance.choices, _("Social assistance received"))
    dtsen_status = forms.ChoiceField(
        label=_("Registered in DTSEN"),
        choices=vocab.DtsenStatus.choices,
        widget=forms.RadioSelect,
        required=False,
        initial=vocab.DtsenStatus.UNKNOWN,
    )
    dtsen_decile = forms.TypedChoiceField(
        label=capfirst(_("DTSEN decile")),
        choices=[("", "---------")] + [(str(i), str(i)) for i in range(1, 11)],
        coerce=int,
        empty_value=None,
        required=False,
    )

    class Meta:
        model = Victim
        fields = VICTIM_FIELDS
        widgets = {
            "phone": forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["full_name"].error_messages["required"] = _(
            "Write the victim's name (initials are enough)."
        )
        for name, label in vocab.WG_DOMAINS:
            self.fields[name] = forms.ChoiceField(
                label=label,
                choices=vocab.WgAnswer.choices,
                widget=forms.RadioSelect,
                required=False,
            )
        inst = self.instance
        if inst.pk and not self.is_bound:
            for f in VICTIM_MULTI:
                self.initial[f] = getattr(inst, f)
            self.initial["dtsen_status"] = inst.dtsen_status
            self.initial["dtsen_decile"] = inst.dtsen_decile
            for f in WG_FIELDS:
                self.initial[f] = getattr(inst, f)
        self.helper = form_helper(
            "full_name",
            "initials",
            "sex",
            Row(
                Column("birth_date", css_class="col-sm-6"),
                Column("estimated_age", css_class="col-sm-6"),
                css_class="g-2",
            ),
            "nik",
            "address",
            Row(Column("rt", css_class="col-6"), Column("rw", css_class="col-6"), css_class="g-2"),
            "phone",
            "safe_contact",
            "marital_status",
            "education",
            "occupation",
            "vulnerable_groups",
            "dtsen_status",
            "dtsen_decile",
            "assistance",
            "disability_types",
            Fieldset(
                _("Washington Group questions (adults): does the person have difficulty..."),
                *WG_FIELDS,
                css_class="field-group wg-block",
            ),
            "accommodations",
        )

    def has_changed(self):
        # The DTSEN default ("unknown") alone does not make a victim.
        return any(name != "dtsen_status" for name in self.changed_data)

    def clean_nik(self):
        nik = re.sub(r"[\s.\-]", "", self.cleaned_data.get("nik") or "")
        if nik and not re.fullmatch(r"\d{16}", nik):
            raise ValidationError(_("The NIK must be exactly 16 digits."))
        return nik

    def clean_birth_date(self):
        value = self.cleaned_data.get("birth_date")
        if value and value > timezone.localdate():
            raise ValidationError(_("The date cannot be in the future."))
        if value and _age_from(value) > MAX_AGE:
            raise ValidationError(_("An age over 120 years is not possible."))
        return value

    def clean_estimated_age(self):
        value = self.cleaned_data.get("estimated_age")
        if value is not None and value > MAX_AGE:
            raise ValidationError(_("An age over 120 years is not possible."))
        return value

    def clean(self):
        data = super().clean()
        decile = data.get("dtsen_decile")
        if decile and data.get("dtsen_status") != vocab.DtsenStatus.YES:
            self.add_error(
                "dtsen_decile",
                _("A decile is recorded only when the person is registered in DTSEN."),
            )
        if not data.get("dtsen_status"):
            data["dtsen_status"] = vocab.DtsenStatus.UNKNOWN
        return data

    def victim_data(self):
        d = self.cleaned_data
        out = {f: d.get(f) for f in VICTIM_FIELDS}
        for f in ("initials", "address", "rt", "rw", "phone", "safe_contact", "occupation"):
            out[f] = out[f] or ""
        for f in ("sex", "marital_status", "education"):
            out[f] = out[f] or ""
        for f in VICTIM_MULTI:
            out[f] = list(d.get(f) or [])
        out["dtsen_status"] = d.get("dtsen_status") or vocab.DtsenStatus.UNKNOWN
        out["dtsen_decile"] = d.get("dtsen_decile")
        for f in WG_FIELDS:
            out[f] = d.get(f) or ""
        return out


class BaseVictimFormSet(BaseModelFormSet):
    def clean(self):
        super().clean()
        if not self.filled_forms():
            raise ValidationError(_("Record at least one victim (a name or initials is enough)."))

    def filled_forms(self):
        return [f for f in self.forms if f.instance.pk or f.has_changed()]


VictimFormSet = modelformset_factory(
    Victim, form=IntakeVictimForm, formset=BaseVictimFormSet, extra=0, min_num=1, can_delete=False
)


# --------------------------------------------------------------------------------------------
# Perpetrators and their links to the victims
# --------------------------------------------------------------------------------------------

PERP_FIELDS = ["name", "sex", "age", "age_band", "is_child"]


class PerpetratorForm(NoNullCharacters, forms.ModelForm):
    """One alleged perpetrator, with a relation/lives-together pair per victim of the form."""

    age = forms.IntegerField(
        label=_("Age (years)"),
        required=False,
        min_value=0,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )

    class Meta:
        model = Perpetrator
        fields = PERP_FIELDS

    def __init__(self, *args, victim_labels=(), link_initial=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.victim_labels = list(victim_labels)
        link_initial = link_initial or {}
        for i, vlabel in enumerate(self.victim_labels):
            rel, together = link_initial.get(i, ("", False))
            self.fields[f"rel_{i}"] = forms.ChoiceField(
                label=_("Relation to %(victim)s") % {"victim": vlabel},
                choices=[("", _("(not involved / unknown)"))] + list(vocab.Relation.choices),
                required=False,
                initial=rel,
            )
            self.fields[f"together_{i}"] = forms.BooleanField(
                label=_("Lives with %(victim)s") % {"victim": vlabel},
                required=False,
                initial=together,
            )
        links = [
            Div(f"rel_{i}", f"together_{i}", css_class="link-row")
            for i in range(len(self.victim_labels))
        ]
        self.helper = form_helper(
            "name",
            "sex",
            Row(
                Column("age", css_class="col-sm-6"),
                Column("age_band", css_class="col-sm-6"),
                css_class="g-2",
            ),
            "is_child",
            *links,
        )

    def clean_age(self):
        value = self.cleaned_data.get("age")
        if value is not None and value > MAX_AGE:
            raise ValidationError(_("An age over 120 years is not possible."))
        return value

    def perpetrator_data(self):
        d = self.cleaned_data
        out = {f: d.get(f) for f in PERP_FIELDS}
        out["name"] = out["name"] or ""
        out["sex"] = out["sex"] or ""
        out["age_band"] = out["age_band"] or ""
        out["is_child"] = bool(out["is_child"]) or (out["age"] is not None and out["age"] < 18)
        if out["age"] is not None and not out["age_band"]:
            out["age_band"] = vocab.age_band(out["age"])
        return out

    def link_data(self):
        """{victim index: (relation, lives_together)} for the victims this perpetrator is linked
        to."""
        out = {}
        for i in range(len(self.victim_labels)):
            rel = self.cleaned_data.get(f"rel_{i}") or ""
            together = bool(self.cleaned_data.get(f"together_{i}"))
            if rel or together:
                out[i] = (rel, together)
        return out


class BasePerpetratorFormSet(BaseModelFormSet):
    def __init__(self, *args, victim_labels=(), link_initial=None, **kwargs):
        self.victim_labels = list(victim_labels)
        self.link_initial = link_initial or {}
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index):
        kwargs = super().get_form_kwargs(index)
        kwargs["victim_labels"] = self.victim_labels
        kwargs["link_initial"] = self.link_initial.get(index, {})
        return kwargs

    @property
    def empty_form(self):  # pragma: no cover - not used without JavaScript
        return super().empty_form

    def filled_forms(self):
        return [f for f in self.forms if f.instance.pk or f.has_changed()]


PerpetratorFormSet = modelformset_factory(
    Perpetrator,
    form=PerpetratorForm,
    formset=BasePerpetratorFormSet,
    # One empty perpetrator form is offered; left empty, it is ignored.
    extra=1,
    min_num=0,
    can_delete=False,
)


def check_victim_dates(victims, incident_date):
    """Cross-form rule: a victim cannot be born after the incident."""
    if not incident_date:
        return
    for f in victims.forms:
        born = getattr(f, "cleaned_data", {}).get("birth_date")
        if born and born > incident_date:
            f.add_error("birth_date", _("The birth date is after the incident date."))


# --------------------------------------------------------------------------------------------
# Filters
# --------------------------------------------------------------------------------------------


class CaseFilterForm(NoNullCharacters, forms.Form):
    q = forms.CharField(label=_("Search by number or victim name"), required=False, max_length=100)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All"))] + list(vocab.Status.choices)
    )
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("All"))] + KINDS.CHOICES
    )
    emergency = forms.ChoiceField(
        label=_("Emergency"),
        required=False,
        choices=[("", _("All")), ("yes", _("Emergency only"))],
    )
    roleplay = forms.ChoiceField(
        label=_("Role-play"),
        required=False,
        choices=[("", _("All")), ("real", _("Real cases only")), ("sim", _("Role-play only"))],
    )
    kelurahan = forms.ChoiceField(label=_("Kelurahan"), required=False)
    # The risk level of the case's latest assessment (cases.clocks.filter_by_risk).
    risk = forms.ChoiceField(
        label=_("Risk level"),
        required=False,
        choices=[("", _("All"))] + list(vocab.RiskLevel.choices),
    )

    def __init__(self, *args, kelurahan_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        kel = list(kelurahan_choices)
        if len(kel) > 1:
            self.fields["kelurahan"].choices = [("", _("All"))] + kel
        else:
            del self.fields["kelurahan"]


class AccessLogFilterForm(NoNullCharacters, forms.Form):
    case_number = forms.CharField(label=_("Case number"), required=False, max_length=30)
    user = forms.ChoiceField(label=_("User"), required=False)
    date_from = DateField(label=_("From"), required=False)
    date_to = DateField(label=_("Until"), required=False)
    kelurahan = forms.ChoiceField(label=_("Kelurahan"), required=False)

    def __init__(self, *args, user_choices=(), kelurahan_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].choices = [("", _("All"))] + list(user_choices)
        kel = list(kelurahan_choices)
        place = []
        if len(kel) > 1:
            self.fields["kelurahan"].choices = [("", _("All"))] + kel
            place = [Column("kelurahan", css_class="col-12 col-md-2")]
        else:
            del self.fields["kelurahan"]
        self.helper = form_helper(
            Row(
                Column("case_number", css_class="col-12 col-md-3"),
                Column("user", css_class="col-12 col-md-3"),
                Column("date_from", css_class="col-6 col-md-2"),
                Column("date_to", css_class="col-6 col-md-2"),
                *place,
                css_class="g-2 align-items-end",
            )
        )
