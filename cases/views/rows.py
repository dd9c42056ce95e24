"""The case list's rows, built in Python with format_html (every value escaped): the list is the
page people open most, and the template engine's per-row work (a url tag, a dozen lookups and
conditions per row, a nested loop over victims) was most of its cost."""

from __future__ import annotations

from django.urls import reverse
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from .. import vocab


class Words:
    """The words every row repeats, translated once per page."""

    def __init__(self):
        self.number = _("Number")
        self.victims = _("Victims")
        self.status = _("Status")
        self.kelurahan = _("Kelurahan")
        self.registered = _("Registered")
        self.nik = _("NIK")
        self.phone = _("phone")
        self.referred = _("Referred")
        self.emergency = _("Emergency")
        self.simulation = _("SIMULATION")
        self.risk = _("Risk")
        self.overdue = _("OVERDUE")
        self.risk_labels = dict(vocab.RiskLevel.choices)


def _victim(v, w: Words) -> SafeString:
    band = v.age_band
    return format_html(
        "<li>{}{}{}{}</li>",
        v.full_name,
        format_html(" ({})", band) if band else "",
        format_html(" · {} {}", w.nik, v.nik_masked) if v.nik else "",
        format_html(" · {} {}", w.phone, v.phone_masked) if v.phone else "",
    )


def _status(c, w: Words) -> SafeString:
    parts = [
        format_html(
            '<span class="badge text-bg-secondary status-badge">{}</span>', c.get_status_display()
        )
    ]
    if getattr(c, "has_open_referral", False):
        parts.append(format_html('<span class="badge badge-referred">{}</span>', w.referred))
    if c.danger_now or c.injured_needs_care:
        parts.append(format_html('<span class="badge badge-emergency">{}</span>', w.emergency))
    if c.is_roleplay:
        parts.append(format_html('<span class="badge badge-sim">{}</span>', w.simulation))
    if c.latest_risk:
        parts.append(
            format_html(
                '<span class="risk risk-{}">{}: {}</span>',
                c.latest_risk,
                w.risk,
                w.risk_labels.get(c.latest_risk, ""),
            )
        )
    for r in c.overdue_clocks:
        parts.append(format_html('<br><strong class="overdue">{}: {}</strong>', w.overdue, r.label))
    return mark_safe(" ".join(parts))  # noqa: S308  # nosec B308 B703: each part is format_html


def case_row(c, w: Words, show_kelurahan: bool) -> SafeString:
    detail = reverse("cases:detail", args=[c.pk])
    kelurahan = (
        format_html('<td data-label="{}">{}</td>', w.kelurahan, c.kelurahan.name)
        if show_kelurahan
        else ""
    )
    return format_html(
        "<tr>"
        '<td data-label="{}"><a href="{}">{}</a></td>'
        '<td data-label="{}"><ul class="list-unstyled mb-0">{}</ul></td>'
        '<td data-label="{}">{}</td>'
        "{}"
        '<td data-label="{}">{}</td>'
        "</tr>",
        w.number,
        detail,
        c.number,
        w.victims,
        format_html_join("", "{}", ((_victim(v, w),) for v in c.victims.all())),
        w.status,
        _status(c, w),
        kelurahan,
        w.registered,
        date_format(c.registered_at, "j M Y"),
    )
