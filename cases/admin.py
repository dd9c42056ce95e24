"""Case content is never registered in the Django admin: the admin sees no case content.

Only the per-kelurahan deadline settings (no personal data) are kept there.
"""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from accounts.admin import LbkAdminOnly
from lbk.forms import NoNullCharacters

from .models import ClockSetting


def clock_key_choices():
    """Every clock of the case and referral procedures, and the emergency variants."""
    from .engine import tables

    out = []
    for clock in (c for table in tables() for c in table.clocks):
        out.append((clock.key, f"{clock.label} ({clock.key})"))
        if clock.emergency_hours is not None:
            out.append(
                (
                    f"{clock.key}.emergency",
                    f"{clock.label}: {_('emergency')} ({clock.key}.emergency)",
                )
            )
    out.append(("reminder_lead", _("Reminder before a deadline (hours)") + " (reminder_lead)"))
    return out


class ClockSettingForm(NoNullCharacters, forms.ModelForm):
    key = forms.ChoiceField(label=_("clock"), choices=clock_key_choices)

    class Meta:
        model = ClockSetting
        fields = ["kelurahan", "key", "hours"]


@admin.register(ClockSetting)
class ClockSettingAdmin(LbkAdminOnly, admin.ModelAdmin):
    form = ClockSettingForm
    list_display = ("kelurahan", "key", "hours")
    list_filter = ("kelurahan",)
