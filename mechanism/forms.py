"""The draft editor and the enactment form. The forms shape the input; the rules (who, which
state, which units) are the services' (mechanism/services.py), whatever door the POST came
through."""

from __future__ import annotations

import datetime

from crispy_forms.layout import HTML, Div, Fieldset
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.html import escape
from django.utils.translation import gettext_lazy as _

from accounts.models import Agency
from attachments.validation import clean_upload
from lbk.forms import DateField, NoNullCharacters, form_helper

from .models import Unit, Version, Weekday, allowed_units


def clock_keys():
    """(key, label) of every deadline a version may set: the case and referral clocks, and the
    emergency variants."""
    from cases.engine import tables

    out = []
    emergency = _("emergency")  # outside the f-string, where makemessages finds it
    for clock in (c for t in tables() for c in t.clocks):
        out.append((clock.key, str(clock.label)))
        if clock.emergency_hours is not None:
            out.append((f"{clock.key}.emergency", f"{clock.label}: {emergency}"))
    return out


def default_of(key: str) -> int:
    from cases.engine import tables

    base, _dot, variant = key.partition(".")
    clock = next(c for t in tables() for c in t.clocks if c.key == base)
    return int(clock.emergency_hours if variant else clock.default_hours)


def _field_key(key: str) -> str:
    return key.replace(".", "__")


TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


class DraftForm(NoNullCharacters, forms.Form):
    title = forms.CharField(label=_("Title of the SK (tentang ...)"), max_length=255)
    reminder_lead_hours = forms.IntegerField(
        label=_("Reminder before a deadline (hours)"),
        min_value=1,
        max_value=24 * 14,
        required=False,
        help_text=_("Empty: 24 hours. Never more than half the clock's length."),
    )
    approvers = forms.ChoiceField(
        label=_("Who approves referrals"),
        choices=Version.Approvers.choices,
        widget=forms.RadioSelect,
        help_text=_("Four eyes always hold: whoever requested a referral never approves it."),
    )
    handover_agencies = forms.MultipleChoiceField(
        label=_("Agencies that may receive handovers (pelimpahan)"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    contact_points = forms.CharField(
        label=_("Contact points"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Who can be reached, and how (one per line)."),
    )
    local_rules = forms.CharField(
        label=_("Local rules"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Shown in the printed procedure."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        agencies = Agency.objects.filter(is_active=True).order_by("name")
        self.fields["handover_agencies"].choices = [(str(a.pk), a.name) for a in agencies]
        self.deadline_rows = []
        for key, label in clock_keys():
            fk = _field_key(key)
            units = allowed_units(key)
            self.fields[f"dl_{fk}_amount"] = forms.IntegerField(
                label=_("%(clock)s: time limit") % {"clock": label},
                min_value=1,
                max_value=999,
                required=False,
                help_text=_("Empty: the default (%(n)d hours).") % {"n": default_of(key)},
            )
            self.fields[f"dl_{fk}_unit"] = forms.ChoiceField(
                label=_("%(clock)s: counted in") % {"clock": label},
                choices=[(u, Unit(u).label) for u in units],
                initial=Unit.HOURS,
                required=False,
            )
            self.deadline_rows.append((key, label, f"dl_{fk}_amount", f"dl_{fk}_unit"))
        self.hour_rows = []
        for day in Weekday:
            self.fields[f"open_{day.value}"] = forms.TimeField(
                label=_("%(day)s: opens") % {"day": day.label}, required=False, widget=TIME
            )
            self.fields[f"close_{day.value}"] = forms.TimeField(
                label=_("%(day)s: closes") % {"day": day.label}, required=False, widget=TIME
            )
            self.hour_rows.append((day, f"open_{day.value}", f"close_{day.value}"))
        self.helper = form_helper(
            "title",
            Fieldset(
                _("Time limits"),
                HTML(
                    '<p class="form-text">'
                    + escape(
                        _(
                            "Working days skip Saturdays, Sundays, national holidays and cuti "
                            "bersama, in the kelurahan's time zone. The emergency clocks always "
                            "count hours."
                        )
                    )
                    + "</p>"
                ),
                *[
                    Div(
                        Div(amount, css_class="col-7 col-md-5"),
                        Div(unit, css_class="col-5 col-md-4"),
                        css_class="row g-2",
                    )
                    for _key, _label, amount, unit in self.deadline_rows
                ],
                css_class="mb-3",
            ),
            "reminder_lead_hours",
            "approvers",
            "handover_agencies",
            "contact_points",
            Fieldset(
                _("Service hours (local time)"),
                *[
                    Div(
                        Div(opens, css_class="col-6 col-md-3"),
                        Div(closes, css_class="col-6 col-md-3"),
                        css_class="row g-2",
                    )
                    for _day, opens, closes in self.hour_rows
                ],
                css_class="mb-3",
            ),
            "local_rules",
        )

    @classmethod
    def initial_from(cls, version: Version) -> dict:
        initial = {
            "title": version.title,
            "reminder_lead_hours": version.reminder_lead_hours,
            "approvers": version.approvers,
            "handover_agencies": [
                str(pk) for pk in version.handover_agencies.values_list("pk", flat=True)
            ],
            "contact_points": version.contact_points,
            "local_rules": version.local_rules,
        }
        for key, _label in clock_keys():
            d = version.deadline(key)
            if d is not None:
                initial[f"dl_{_field_key(key)}_amount"] = d.amount
                initial[f"dl_{_field_key(key)}_unit"] = d.unit
        for day in range(7):
            pair = version.hours_on(day)
            if pair:
                initial[f"open_{day}"], initial[f"close_{day}"] = pair
        return initial

    def clean(self):
        data = super().clean()
        for day, open_name, close_name in self.hour_rows:
            opens, closes = data.get(open_name), data.get(close_name)
            if (opens is None) != (closes is None):
                self.add_error(
                    close_name if closes is None else open_name,
                    _("%(day)s: fill in both the opening and the closing time, or neither.")
                    % {"day": day.label},
                )
            elif opens is not None and closes is not None and opens >= closes:
                self.add_error(
                    close_name, _("%(day)s: closing must be after opening.") % {"day": day.label}
                )
        return data

    def changes(self) -> dict:
        """The form's values as services.update_draft takes them."""
        d = self.cleaned_data
        deadlines = {}
        for key, _label, amount, unit in self.deadline_rows:
            if d.get(amount):
                deadlines[key] = {"amount": d[amount], "unit": d.get(unit) or Unit.HOURS}
        hours = {}
        for day, open_name, close_name in self.hour_rows:
            if d.get(open_name) and d.get(close_name):
                hours[str(day.value)] = [
                    d[open_name].strftime("%H:%M"),
                    d[close_name].strftime("%H:%M"),
                ]
        return {
            "title": d["title"].strip(),
            "reminder_lead_hours": d.get("reminder_lead_hours"),
            "approvers": d["approvers"],
            "handover_agencies": [int(pk) for pk in d.get("handover_agencies") or []],
            "contact_points": d.get("contact_points") or "",
            "local_rules": d.get("local_rules") or "",
            "deadlines": deadlines,
            "service_hours": hours,
        }


class EnactForm(NoNullCharacters, forms.Form):
    helper = form_helper()

    sk_number = forms.CharField(label=_("SK number"), max_length=100)
    sk_date = DateField(label=_("SK date"))
    title = forms.CharField(label=_("Title of the SK (tentang ...)"), max_length=255)
    scan = forms.FileField(
        label=_("Scan of the signed SK (optional)"),
        required=False,
        help_text=_("A PDF or a photo."),
        widget=forms.ClearableFileInput(
            attrs={"accept": "image/jpeg,image/png,image/webp,application/pdf"}
        ),
    )

    def clean_sk_date(self):
        value = self.cleaned_data["sk_date"]
        if value and value > datetime.date.today() + datetime.timedelta(days=1):
            raise ValidationError(_("The date of the SK cannot be in the future."))
        return value

    def clean_scan(self):
        uploaded = self.cleaned_data.get("scan")
        if not uploaded:
            return None
        return clean_upload(uploaded, settings.ATTACHMENT_MAX_BYTES)
