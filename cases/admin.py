"""Case content is never registered in the Django admin: the admin sees no case content.

Only the per-kelurahan deadline settings (no personal data) are kept there.
"""

from django.contrib import admin

from accounts.admin import LbkAdminOnly

from .models import ClockSetting


@admin.register(ClockSetting)
class ClockSettingAdmin(LbkAdminOnly, admin.ModelAdmin):
    list_display = ("kelurahan", "key", "hours")
    list_filter = ("kelurahan",)
