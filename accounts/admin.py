from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from sequences.models import Sequence
from simple_history.admin import SimpleHistoryAdmin

from lbk.forms import NoNullCharacters

from .grants import can_grant_at
from .models import Agency, Kelurahan, Membership, SecondFactorPolicy, User
from .people_service import role_refusals

admin.site.site_header = _("Posko LBK administration")
admin.site.site_title = _("Posko LBK")
admin.site.index_title = _("Users and master data")


class LbkAdminOnly:
    """Only application admins (and superusers) manage master data; nothing is ever deleted."""

    def _allowed(self, request):
        u = request.user
        return u.is_active and u.is_staff and (u.is_lbk_admin or u.is_superuser)

    def has_module_permission(self, request):
        return self._allowed(request)

    def has_view_permission(self, request, obj=None):
        return self._allowed(request)

    def has_add_permission(self, request, *args):
        return self._allowed(request)

    def has_change_permission(self, request, obj=None):
        return self._allowed(request)

    def has_delete_permission(self, request, obj=None):
        return False

    def scope(self, request):
        return "" if request.user.is_superuser else request.user.admin_scope

    def get_form(self, request, obj=None, **kwargs):
        # Every admin form answers a NUL byte with a field error too (lbk.forms).
        form = super().get_form(request, obj, **kwargs)
        if not issubclass(form, NoNullCharacters):
            form = type(form.__name__, (NoNullCharacters, form), {})
        return form


class MembershipForm(NoNullCharacters, forms.ModelForm):
    class Meta:
        model = Membership
        fields = [
            "user",
            "kelurahan",
            "agency",
            "kota",
            "role",
            "valid_from",
            "valid_until",
            "title",
            "rank",
            "nip",
        ]

    def __init__(self, *args, request_user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.request_user = request_user

    def clean(self):
        data = super().clean()
        user = data.get("user") or getattr(self.instance, "user", None)
        if self.request_user is not None and user is not None and user.pk == self.request_user.pk:
            raise ValidationError(_("An admin cannot give a membership to themselves."))
        kota = data.get("kota")
        u = self.request_user
        # A kota-level role (the kota analyst) only by an admin whose scope covers the kota.
        outside = u is not None and not u.is_superuser and u.admin_scope not in ("", None)
        if kota is not None and outside and u.admin_scope != kota.code:
            raise ValidationError({"kota": _("This kota is outside your admin scope.")})
        # The grant table holds here too (accounts/grants.py): an application admin gives the
        # lurah, agency admin and kota roles of the places their scope covers; the other roles
        # are given on the People page by the people of the place. A superuser (break-glass,
        # ops/) is not bound by it.
        role = data.get("role")
        place = data.get("kelurahan") or data.get("agency") or kota
        if u is not None and not u.is_superuser and role and place is not None:
            refused = role_refusals(u, role, place)
            if refused:
                raise ValidationError({"role": refused})
            old = self.instance
            if old.pk and not can_grant_at(u, old.role, old):
                raise ValidationError(
                    _("You may not end the role %(role)s here (see the grant table).")
                    % {"role": old.get_role_display()}
                )
        return data


@admin.register(Membership)
class MembershipAdmin(LbkAdminOnly, SimpleHistoryAdmin):
    form = MembershipForm
    list_display = ("user", "role", "kelurahan", "agency", "kota", "valid_from", "valid_until")
    list_filter = ("role", "kelurahan", "agency", "kota")
    search_fields = ("user__username", "user__first_name", "user__last_name")
    autocomplete_fields = ("user",)

    def get_form(self, request, obj=None, **kwargs):
        form_class = super().get_form(request, obj, **kwargs)

        class WithUser(form_class):
            def __init__(self, *args, **kw):
                kw["request_user"] = request.user
                super().__init__(*args, **kw)

        return WithUser

    def get_queryset(self, request):
        qs = super().get_queryset(request).select_related("user", "kelurahan", "agency", "kota")
        scope = self.scope(request)
        if scope:
            qs = qs.filter(
                Q(kelurahan__kota_code=scope) | Q(agency__kota_code=scope) | Q(kota_id=scope)
            )
        return qs


class MembershipInline(admin.TabularInline):
    model = Membership
    form = MembershipForm
    fk_name = "user"
    extra = 0
    can_delete = False

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        form_class = formset.form

        class WithUser(form_class):
            def __init__(self, *args, **kw):
                kw["request_user"] = request.user
                super().__init__(*args, **kw)

        formset.form = WithUser
        return formset

    def has_add_permission(self, request, obj=None):
        # The inline is hidden on the admin's own user page: no membership for oneself.
        return obj is None or obj.pk != request.user.pk

    def has_change_permission(self, request, obj=None):
        return obj is None or obj.pk != request.user.pk

    def has_view_permission(self, request, obj=None):
        return True


@admin.register(User)
class UserAdmin(LbkAdminOnly, DjangoUserAdmin):
    inlines = [MembershipInline]
    list_display = ("username", "first_name", "last_name", "is_active", "is_lbk_admin")
    list_filter = ("is_active", "is_lbk_admin")
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Personal info"), {"fields": ("first_name", "last_name", "email", "phone")}),
        (_("Status"), {"fields": ("is_active", "is_staff", "is_lbk_admin", "admin_scope")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    readonly_fields = ("last_login", "date_joined")

    def get_readonly_fields(self, request, obj=None):
        ro = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            # An admin does not widen their own or anyone's admin powers.
            ro += ["is_staff", "is_lbk_admin", "admin_scope"]
        return ro

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        scope = self.scope(request)
        if scope:
            qs = qs.filter(
                Q(memberships__kelurahan__kota_code=scope)
                | Q(memberships__agency__kota_code=scope)
                | Q(memberships__kota_id=scope)
                | Q(pk=request.user.pk)
            ).distinct()
        return qs


@admin.register(Kelurahan)
class KelurahanAdmin(LbkAdminOnly, admin.ModelAdmin):
    list_display = ("name", "kind", "code", "kecamatan", "kota", "region", "is_active")
    search_fields = ("name", "code", "region__code")
    readonly_fields = ("letter_number_example",)

    @admin.display(description=_("letter number example"))
    def letter_number_example(self, obj):
        # The saved format with this kelurahan's code: what its next letters will look like.
        example = obj.letter_number_example() if obj is not None and obj.pk else ""
        return example or "-"

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        scope = self.scope(request)
        return qs.filter(kota_code=scope) if scope else qs


@admin.register(Agency)
class AgencyAdmin(LbkAdminOnly, admin.ModelAdmin):
    list_display = ("name", "kind", "kota", "has_users", "is_active")
    list_filter = ("kind", "has_users")
    search_fields = ("name",)
    filter_horizontal = ("kelurahan_served",)

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        scope = self.scope(request)
        return qs.filter(kota_code=scope) if scope else qs


# The gapless counters of case and letter numbers (django-sequences) are never edited by hand: a
# number moved back would be issued twice.
if admin.site.is_registered(Sequence):
    admin.site.unregister(Sequence)


# Two-factor sign-in: the admin sets the grace period; nobody reads a person's TOTP key
# (django-otp's own admin shows it), so that page is not registered. A lost phone is reset by
# the coordinator (accounts/second_factor.py), with the audit row.
@admin.register(SecondFactorPolicy)
class SecondFactorPolicyAdmin(LbkAdminOnly, admin.ModelAdmin):
    list_display = ("since", "grace_days")

    def has_add_permission(self, request, *args):
        return super().has_add_permission(request) and not SecondFactorPolicy.objects.exists()


def unregister_otp_admin():
    """Called by AccountsConfig.ready(), after the admin's autodiscovery imported every admin
    module (django.contrib.admin's ready() runs first), whatever the order of the apps."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    if admin.site.is_registered(TOTPDevice):
        admin.site.unregister(TOTPDevice)
