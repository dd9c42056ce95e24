"""The approval queue's lines, built in Python as the case list's are (cases/views/rows.py):
every value escaped with html.escape, the labels translated and the link pattern reversed once
per page. The template's per-line work (a dozen lookups, filters and translations per line) was
most of the queue's cost once its page was full (issue 12)."""

from __future__ import annotations

from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from cases.views.rows import e, link_pattern, moment_text

from .models import Kind


class QueueWords:
    def __init__(self):
        self.case = e(_("Case"))
        self.agency = e(_("Agency"))
        self.kind = e(_("Kind"))
        self.by = e(_("Requested by"))
        self.deadline = e(_("Deadline"))
        self.open = e(_("Open"))
        self.overdue = e(_("overdue"))
        self.review = e(_("Review"))
        self.kinds = {k: e(v) for k, v in Kind.choices}
        self.detail = link_pattern("referrals:detail")


def queue_row(r: dict, w: QueueWords, now) -> SafeString:
    """One line of the queue from the values of referrals.views.QUEUE_FIELDS (`due`: the
    running clock's due time, referrals.clocks.with_due)."""
    number = e(r["case__number"])
    sim = ' <span class="badge text-bg-dark">SIMULASI</span>' if r["case__is_roleplay"] else ""
    agency = e(r["agency__name"])
    who = f"{r['requested_by__first_name']} {r['requested_by__last_name']}".strip()
    due = ""
    if r["due"]:
        overdue = r["due"] < now
        when = moment_text(r["due"])
        late = f" ({w.overdue})" if overdue else ""
        due = f'<span class="{"overdue" if overdue else ""}">{when}{late}</span>'
    # Every value here is escaped by e() or is a label escaped once in QueueWords.
    return mark_safe(  # noqa: S308  # nosec B308 B703
        "<tr>"
        f'<td data-label="{w.case}">{number}{sim}</td>'
        f'<td data-label="{w.agency}">{agency}</td>'
        f'<td data-label="{w.kind}">{w.kinds.get(r["kind"]) or e(r["kind"])}</td>'
        f'<td data-label="{w.by}">{e(who or r["requested_by__username"])}</td>'
        f'<td data-label="{w.deadline}">{due}</td>'
        f'<td data-label="{w.open}"><a href="{e(w.detail(r["id"]))}">{w.review}'
        f'<span class="visually-hidden"> {number} {agency}</span></a></td>'
        "</tr>"
    )
