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


# Line charts: each series has its own colour, its own dash pattern and its own marker shape, and
# every point carries its value as text, so the lines are told apart without colour.
DASHES = ["", "6 4", "2 3"]
# Okabe-Ito colours with at least 3:1 against white (WCAG 1.4.11 for graphical objects).
LINE_COLOURS = ["#0072B2", "#D55E00", "#009E73"]
LINE_W = 520
LINE_H = 200
PAD_L = 40
PAD_B = 44
PAD_T = 16


def _marker(shape: int, x: float, y: float, colour: str) -> str:
    if shape % 3 == 0:
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{colour}"/>'
    if shape % 3 == 1:
        return f'<rect x="{x - 4:.1f}" y="{y - 4:.1f}" width="8" height="8" fill="{colour}"/>'
    return (
        f'<path d="M{x:.1f} {y - 5:.1f} L{x + 5:.1f} {y + 4:.1f} L{x - 5:.1f} {y + 4:.1f} Z" '
        f'fill="{colour}"/>'
    )


def line_chart(
    chart_id: str,
    title: str,
    summary: str,
    x_labels: list[str],
    series: list[tuple[str, list[object]]],
) -> SafeString:
    """One line per series (name, shown values: numbers or "<5") over the x labels (months)."""
    top = max((_num(v) for _name, values in series for v in values), default=0) or 1
    legend_h = 20 * len(series)
    width = PAD_L + LINE_W + 20
    height = PAD_T + LINE_H + PAD_B + legend_h
    step = LINE_W / max(len(x_labels) - 1, 1)
    base_y = PAD_T + LINE_H

    def y_of(v: object) -> float:
        return base_y - LINE_H * _num(v) / top

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'aria-labelledby="{chart_id}-t {chart_id}-d">',
        f'<title id="{chart_id}-t">{escape(title)}</title>',
        f'<desc id="{chart_id}-d">{escape(summary)}</desc>',
        f'<line x1="{PAD_L}" y1="{base_y}" x2="{PAD_L + LINE_W}" y2="{base_y}" stroke="#6c757d"/>',
        f'<text x="{PAD_L - 6}" y="{PAD_T + 4}" text-anchor="end" font-size="11" '
        f'fill="#212529">{escape(_fmt(top))}</text>',
        f'<text x="{PAD_L - 6}" y="{base_y + 4}" text-anchor="end" font-size="11" '
        f'fill="#212529">0</text>',
    ]
    for i, label in enumerate(x_labels):
        x = PAD_L + i * step
        parts.append(
            f'<text x="{x:.1f}" y="{base_y + 16}" text-anchor="middle" font-size="11" '
            f'fill="#212529">{escape(label)}</text>'
        )
    for s, (name, values) in enumerate(series):
        colour = LINE_COLOURS[s % len(LINE_COLOURS)]
        points = " ".join(f"{PAD_L + i * step:.1f},{y_of(v):.1f}" for i, v in enumerate(values))
        dash = DASHES[s % len(DASHES)]
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(
            f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"'
            f"{dash_attr}/>"
        )
        for i, v in enumerate(values):
            x, y = PAD_L + i * step, y_of(v)
            parts.append(_marker(s, x, y, colour))
            # the first series' values below its points (it is the lower one here: new cases
            # under victims), the others' above, so equal values of two series stay readable
            ty = y - 8 if s else min(y + 16, base_y - 3)
            parts.append(
                f'<text x="{x:.1f}" y="{ty:.1f}" text-anchor="middle" font-size="10" '
                f'fill="#212529">{escape(str(v))}</text>'
            )
        ly = base_y + PAD_B - 10 + 20 * s
        parts.append(
            f'<line x1="{PAD_L}" y1="{ly}" x2="{PAD_L + 30}" y2="{ly}" stroke="{colour}" '
            f'stroke-width="2"{dash_attr}/>'
        )
        parts.append(_marker(s, PAD_L + 15, ly, colour))
        parts.append(
            f'<text x="{PAD_L + 38}" y="{ly + 4}" font-size="12" fill="#212529">'
            f"{escape(name)}</text>"
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308  # nosec B308, B703: every text escaped


def _fmt(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else f"{v:.1f}"


def trend_summary(title: str, x_labels: list[str], series: list[tuple[str, list[object]]]) -> str:
    """The text a screen reader (or a printed page) stands on: each series' first and last
    value and its highest month."""
    if not x_labels or all(_num(v) == 0 for _n, values in series for v in values):
        return _("%(title)s: none in these months.") % {"title": title}
    bits = []
    for name, values in series:
        peak = max(range(len(values)), key=lambda i: _num(values[i]))
        bits.append(
            _("%(name)s from %(first)s (%(m0)s) to %(last)s (%(m1)s), highest %(peak)s (%(pm)s)")
            % {
                "name": name,
                "first": values[0],
                "m0": x_labels[0],
                "last": values[-1],
                "m1": x_labels[-1],
                "peak": values[peak],
                "pm": x_labels[peak],
            }
        )
    return f"{title}: " + "; ".join(bits) + "."
