from django.contrib import admin

from accounts.admin import LbkAdminOnly

from .models import Kecamatan, Kota, Province, Village


@admin.register(Province)
class ProvinceAdmin(LbkAdminOnly, admin.ModelAdmin):
    list_display = ("code", "name")
    search_fields = ("code", "name")


@admin.register(Kota)
class KotaAdmin(LbkAdminOnly, admin.ModelAdmin):
    list_display = ("code", "kind", "name", "province")
    search_fields = ("code", "name")


@admin.register(Kecamatan)
class KecamatanAdmin(LbkAdminOnly, admin.ModelAdmin):
    list_display = ("code", "name", "kota")
    search_fields = ("code", "name")


@admin.register(Village)
class VillageAdmin(LbkAdminOnly, admin.ModelAdmin):
    list_display = ("code", "kind", "name", "kecamatan")
    search_fields = ("code", "name")
    list_filter = ("kind",)
