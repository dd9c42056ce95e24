"""Navigation per role: each app contributes its entries here, so base.html has no role logic."""

import threading
from collections import OrderedDict
from html import escape

from django.urls import NoReverseMatch, get_script_prefix, reverse
from django.utils.module_loading import import_string
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

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
            item["badge"] = import_string(badge[0])(user) or None
        items.append(item)
    return items


_kept: OrderedDict[tuple, str] = OrderedDict()
_lock = threading.Lock()
KEPT_MAX = 512


def nav_html(user, current: str) -> SafeString:
    """The main navigation's HTML, the same for everyone who holds the same roles and reads the
    same language on the same page: built once per such shape and kept (a few hundred shapes
    at most), instead of a template loop over ~17 items on every page (issue 12). The badges
    (unread notifications) are part of the shape."""
    roles = roles_of(user)
    badges = tuple(import_string(badge[0])(user) or 0 for _n, _l, _w, *badge in NAV_ITEMS if badge)
    key = (
        get_language(),
        get_script_prefix(),
        frozenset(roles.all_roles),
        roles.is_admin,
        current,
        badges,
    )
    with _lock:
        html = _kept.get(key)
        if html is not None:
            _kept.move_to_end(key)
            return mark_safe(html)  # noqa: S308 # nosec B308 B703: built below, escaped
    items = nav_for(user)
    if items:
        lines = []
        for item in items:
            current_mark = ' aria-current="page"' if item["name"] == current else ""
            badge = item.get("badge")
            badge_html = (
                f' <span class="badge text-bg-danger">{escape(str(badge))}</span>' if badge else ""
            )
            lines.append(
                f'<li><a href="{escape(item["url"])}"{current_mark}>'
                f"{escape(str(item['label']))}{badge_html}</a></li>"
            )
        # Outside the f-string, where makemessages finds it.
        name = escape(gettext("Main navigation"))
        html = (
            f'<nav class="main-nav" aria-label="{name}">'
            '<div class="container-lg"><ul>' + "".join(lines) + "</ul></div></nav>"
        )
    else:
        html = ""
    with _lock:
        _kept[key] = html
        while len(_kept) > KEPT_MAX:
            _kept.popitem(last=False)
    return mark_safe(html)  # noqa: S308 # nosec B308 B703: every value escaped above
