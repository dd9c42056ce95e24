"""Navigation per role: each app contributes its entries here, so base.html has no role logic."""

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .models import KELURAHAN_WIDE_ROLES, STAFF_ROLES, Role
from .roles import roles_of

# (url name, label, roles that see it, or "admin"[, dotted path of badge(user) -> int]);
# a url that does not exist yet is skipped.
NAV_ITEMS = [
    ("home", _("Home"), None),
    ("cases:create", _("New complaint"), {Role.RELAWAN, Role.PENDAMPING, *KELURAHAN_WIDE_ROLES}),
    ("cases:list", _("Cases"), {Role.RELAWAN, Role.PENDAMPING, *KELURAHAN_WIDE_ROLES}),
    ("cases:tasks", _("My tasks"), {Role.PENDAMPING, *KELURAHAN_WIDE_ROLES}),
    ("public:queue", _("From the public"), {Role.KOORDINATOR}),
    ("referrals:queue", _("Approval queue"), set(STAFF_ROLES)),
    ("referrals:register", _("Referral register"), set(KELURAHAN_WIDE_ROLES)),
    ("cases:dashboard", _("Dashboard"), set(KELURAHAN_WIDE_ROLES)),
    ("reports:index", _("Reports"), {*KELURAHAN_WIDE_ROLES, Role.ANALIS_KOTA, Role.PETUGAS}),
    ("referrals:inbox", _("Referral inbox"), {Role.PETUGAS}),
    (
        "outreach:list",
        pgettext_lazy("activities", "Outreach"),
        {Role.RELAWAN, Role.PENDAMPING, *KELURAHAN_WIDE_ROLES},
    ),
    ("cases:procedure", _("Procedure"), {Role.PENDAMPING, *KELURAHAN_WIDE_ROLES}),
    ("mechanism:index", _("Mechanism (SK)"), set(KELURAHAN_WIDE_ROLES)),
    # Who may run or take part in role-play sessions (roleplay app).
    (
        "roleplay:index",
        _("Role-play sessions"),
        {Role.RELAWAN, Role.PENDAMPING, Role.FASILITATOR, Role.PETUGAS, *KELURAHAN_WIDE_ROLES},
    ),
    ("cases:access_log", _("Access log"), set(KELURAHAN_WIDE_ROLES)),
    ("joining:setup_home", _("Setup"), set(KELURAHAN_WIDE_ROLES)),
    ("people", _("People"), {*KELURAHAN_WIDE_ROLES, Role.ADMIN_INSTANSI}),
    ("account_audit", _("Account audit log"), set(KELURAHAN_WIDE_ROLES)),
    ("lockouts", _("Login lockouts"), set(KELURAHAN_WIDE_ROLES)),
    ("notifications:list", _("Notifications"), None, "notifications.services.unread_count"),
    ("joining:join", _("Places"), "admin"),
    ("admin:index", _("Administration"), "admin"),
]


def nav_for(user):
    roles = roles_of(user)
    held = roles.all_roles
    items = []
    for name, label, who, *badge in NAV_ITEMS:
        if who == "admin":
            if not roles.is_admin:
                continue
        elif who is not None and not (held & who):
            continue
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        item = {"name": name, "label": label, "url": url}
        if badge:
            from django.utils.module_loading import import_string

            item["badge"] = import_string(badge[0])(user) or None
        items.append(item)
    return items
