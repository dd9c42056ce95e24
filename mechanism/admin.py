"""The admin keeps the holiday list (corrections of the `holidays` package's list per date);
the mechanism itself is kept on its own pages by the kelurahan (ROLES.md), not here."""

from django import forms
from django.contrib import admin, messages
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.admin import LbkAdminOnly
from lbk.forms import NoNullCharacters

from . import calendar
from .models import Holiday


class HolidayForm(NoNullCharacters, forms.ModelForm):
    class Meta:
        model = Holiday
        fields = ["date", "name", "day_off"]


@admin.register(Holiday)
class HolidayAdmin(LbkAdminOnly, admin.ModelAdmin):
    form = HolidayForm
    list_display = ("date", "name", "day_off")
    list_filter = ("day_off",)
    date_hierarchy = "date"

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        messages.info(
            request,
            _(
                "Deadlines computed from now on count this day. Running deadlines move when "
                "the operator runs manage.py recompute_clocks."
            ),
        )

    def changelist_view(self, request, extra_context=None):
        for y in calendar.unpublished_years(timezone.localdate()):
            messages.warning(
                request,
                _(
                    "No national holidays or cuti bersama are published for %(year)s: "
                    "working days in %(year)s skip weekends only. Add that year's days off "
                    "here when the decree is out."
                )
                % {"year": y},
            )
        return super().changelist_view(request, extra_context)
