"""Only settings without personal data are in the admin (the submissions never are)."""

from django.contrib import admin

from accounts.admin import LbkAdminOnly

from .models import KotaEmergencyNumbers, PublicSettings


@admin.register(PublicSettings)
class PublicSettingsAdmin(LbkAdminOnly, admin.ModelAdmin):
    list_display = ("kelurahan", "flood_per_day")


@admin.register(KotaEmergencyNumbers)
class KotaEmergencyNumbersAdmin(LbkAdminOnly, admin.ModelAdmin):
    list_display = ("kota", "runs_112", "police", "ambulance", "sapa_phone", "police_ppa")
