"""Charts drawn on the server as SVG: no JavaScript, no library at run time, printable (the
monthly PDF embeds the same markup). Each chart has a <title> and <desc> (its text summary) and
is marked role="img"; the data table beside it carries the numbers for screen readers. Colours
are the Okabe-Ito palette, safe for colour-blind readers, and every bar carries its value as
text, so nothing depends on colour."""

from __future__ import annotations

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

# Okabe & Ito (2008): distinguishable with the common colour-vision deficiencies.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442"]

BAR_H = 22
GAP = 6
LABEL_W = 230
BAR_W = 300


def _num(v) -> float:
    """A shown value as a bar length: "<5" (1 to 4, suppressed) is drawn at 2.5."""
    if isinstance(v, str):
        return 2.5 if v.startswith("<") else 0.0
    return float(v)


def bar_chart(
    chart_id: str, title: str, summary: str, rows: list[tuple[str, object]]
) -> SafeString:
    """Horizontal bars, one per row (label, shown value: a number or "<5")."""
    top = max((_num(v) for _label, v in rows), default=0) or 1
    height = len(rows) * (BAR_H + GAP) + GAP
    width = LABEL_W + BAR_W + 60
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'aria-labelledby="{chart_id}-t {chart_id}-d">',
        f'<title id="{chart_id}-t">{escape(title)}</title>',
        f'<desc id="{chart_id}-d">{escape(summary)}</desc>',
    ]
    for i, (label, v) in enumerate(rows):
        y = GAP + i * (BAR_H + GAP)
        w = round(BAR_W * _num(v) / top)
        colour = PALETTE[0]
        short = label if len(label) <= 34 else label[:33] + "…"
        parts.append(
            f'<text x="{LABEL_W - 6}" y="{y + BAR_H - 6}" text-anchor="end" '
            f'font-size="12" fill="#212529">{escape(short)}</text>'
        )
        parts.append(
            f'<rect x="{LABEL_W}" y="{y}" width="{max(w, 1)}" height="{BAR_H}" fill="{colour}"/>'
        )
        parts.append(
            f'<text x="{LABEL_W + max(w, 1) + 4}" y="{y + BAR_H - 6}" font-size="12" '
            f'fill="#212529">{escape(str(v))}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308  # nosec B308, B703: every text escaped


def summary_of(title: str, rows: list[tuple[str, object]], total: object) -> str:
    """A sentence a screen reader (or a printed page) can stand on: the total and the largest."""
    ranked = sorted(rows, key=lambda r: _num(r[1]), reverse=True)
    ranked = [r for r in ranked if _num(r[1]) > 0][:3]
    if not ranked:
        return _("%(title)s: none in this period.") % {"title": title}
    top = ", ".join(f"{label} {v}" for label, v in ranked)
    return _("%(title)s: total %(total)s; the largest: %(top)s.") % {
        "title": title,
        "total": total,
        "top": top,
    }
