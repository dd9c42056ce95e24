"""The case list's rows, built in Python (every value escaped with html.escape, as Django's
escape does): the list is the page people open most, and the template engine's per-row work (a
url tag, a dozen lookups and conditions per row, a nested loop over victims) was most of its
cost; format_html's SafeString checks per value, get_FOO_display and reverse() per row were
most of what remained (issue 12)."""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from html import escape as _escape

from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from .. import vocab
from ..clocks import overdue_labels
from ..models import age_on, mask


class Words:
    """The words every row repeats, translated once per page, and the detail link's pattern
    (one reverse() per page, not per row)."""

    def __init__(self):
        self.number = e(_("Number"))
        self.victims = e(_("Victims"))
        self.status = e(_("Status"))
        self.kelurahan = e(_("Kelurahan"))
        self.registered = e(_("Registered"))
        self.nik = e(_("NIK"))
        self.phone = e(_("phone"))
        self.referred = e(_("Referred"))
        self.emergency = e(_("Emergency"))
        self.simulation = e(_("SIMULATION"))
        self.risk = e(_("Risk"))
        self.overdue = e(_("OVERDUE"))
        self.risk_labels = {k: e(v) for k, v in vocab.RiskLevel.choices}
        self.status_labels = {k: e(v) for k, v in vocab.Status.choices}
        self.detail = link_pattern("cases:detail")
        self._dates = {}
        self.language = get_language()
        self.now = timezone.now()
        self.today = timezone.localdate(self.now)

    def date(self, dt) -> str:
        """The day in the current time zone (the kelurahan's), as the template's date filter
        shows an aware datetime."""
        day = timezone.localtime(dt).date()
        out = self._dates.get(day)
        if out is None:
            out = self._dates[day] = _day_text(day, self.language)
        return out


def link_pattern(name: str):
    """pk -> the URL of the named view for that pk, reversed once (not once per row)."""
    marker = 987654321
    head, tail = reverse(name, args=[marker]).split(str(marker))
    return lambda pk: f"{head}{int(pk)}{tail}"


def moment_text(dt) -> str:
    """An aware time in the current zone as the lists show it ("5 Des 2026 14:35"), escaped."""
    return e(date_format(timezone.localtime(dt), "j M Y H:i"))


@lru_cache(maxsize=4096)
def _day_text(day, language) -> str:
    """A day as the list shows it ("5 Des 2026"), per language (the active one)."""
    return e(date_format(day, "j M Y"))


def e(value) -> str:
    """Escaped text (what django.utils.html.escape gives, without the SafeString wrapping)."""
    return _escape(str(value))


def _victim(v: dict, w: Words) -> str:
    """One victim of the list's JSON rows (cases.views.records._list_rows)."""
    born = v.get("birth_date")
    band = vocab.age_band(
        age_on(date.fromisoformat(born[:10]) if born else None, v.get("estimated_age"), w.today)
    )
    nik, phone = v.get("nik"), v.get("phone")
    return "<li>{}{}{}{}</li>".format(
        e(v.get("full_name") or ""),
        f" ({e(band)})" if band else "",
        f" · {w.nik} {e(mask(nik))}" if nik else "",
        f" · {w.phone} {e(mask(phone))}" if phone else "",
    )


def _status(c: dict, w: Words) -> str:
    status = c["status"]
    label = w.status_labels.get(status)
    if label is None:
        label = e(status)
    parts = [f'<span class="badge text-bg-secondary status-badge">{label}</span>']
    if c.get("has_open_referral"):
        parts.append(f'<span class="badge badge-referred">{w.referred}</span>')
    if c["danger_now"] or c["injured_needs_care"]:
        parts.append(f'<span class="badge badge-emergency">{w.emergency}</span>')
    if c["is_roleplay"]:
        parts.append(f'<span class="badge badge-sim">{w.simulation}</span>')
    risk = c.get("latest_risk")
    if risk:
        label = w.risk_labels.get(risk, "")
        parts.append(f'<span class="risk risk-{e(risk)}">{w.risk}: {label}</span>')
    for label in overdue_labels(c["clock_rows"], w.now):
        parts.append(f'<br><strong class="overdue">{w.overdue}: {e(label)}</strong>')
    return " ".join(parts)


def case_row(c: dict, w: Words, show_kelurahan: bool) -> SafeString:
    """One row of the list from the row dict of cases.views.records._list_rows."""
    kelurahan = (
        f'<td data-label="{w.kelurahan}">{e(c["kelurahan__name"])}</td>' if show_kelurahan else ""
    )
    victims = sorted(c["victim_rows"] or (), key=lambda v: (v["position"], v["id"]))
    items = "".join(_victim(v, w) for v in victims)
    # Every value above and here is escaped by e() or is a label escaped once in Words.
    return mark_safe(  # noqa: S308  # nosec B308 B703
        "<tr>"
        f'<td data-label="{w.number}"><a href="{e(w.detail(c["id"]))}">{e(c["number"])}</a></td>'
        f'<td data-label="{w.victims}"><ul class="list-unstyled mb-0">{items}</ul></td>'
        f'<td data-label="{w.status}">{_status(c, w)}</td>'
        f"{kelurahan}"
        f'<td data-label="{w.registered}">{w.date(c["registered_at"])}</td>'
        "</tr>"
    )


class TaskWords:
    """The words of Tugas Saya's lines, translated once per page."""

    def __init__(self):
        self.case = e(_("Case"))
        self.kelurahan = e(_("Kelurahan"))
        self.waiting = e(_("Waiting for"))
        self.due = e(_("Due"))
        self.simulation = e(_("SIMULATION"))
        self.overdue = e(_("OVERDUE"))


def task_row(t, w: TaskWords) -> SafeString:
    """A line of the deadlines' table (cases.clocks.task_lines)."""
    sim = f'<span class="badge text-bg-secondary">{w.simulation}</span>' if t.is_roleplay else ""
    when = moment_text(t.due) if t.due else ""
    late = f'<strong class="overdue">{w.overdue}</strong>' if t.overdue else ""
    # Every value here is escaped by e() or is a label escaped once in TaskWords.
    return mark_safe(  # noqa: S308  # nosec B308 B703
        "<tr>"
        f'<td data-label="{w.case}"><a href="{e(t.url)}">{e(t.title)}</a>{sim}</td>'
        f'<td data-label="{w.kelurahan}">{e(t.kelurahan.name)}</td>'
        f'<td data-label="{w.waiting}">{e(t.label)}</td>'
        f'<td data-label="{w.due}">{when} {late}</td>'
        "</tr>"
    )


def other_task_item(t, w: TaskWords) -> SafeString:
    """A line of "also waiting for you" (cases.clocks.other_tasks)."""
    sim = (
        f' <span class="badge text-bg-secondary">{w.simulation}</span>'
        if t.case.is_roleplay
        else ""
    )
    return mark_safe(  # noqa: S308  # nosec B308 B703: escaped as above
        f'<li><a href="{e(t.url)}">{e(t.case.number)}</a>: {e(t.label)}{sim}</li>'
    )
