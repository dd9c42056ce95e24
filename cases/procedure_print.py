"""The printed procedure (Alur Penanganan), drawn from cases/workflow.py: the rows of the table
of steps and clocks, the flow chart as server-side SVG, and the annex PDF of the SK Lurah.

The chart uses SVG presentation attributes only (fill=, stroke=): the strict CSP forbids style=.
"""

import math
import re

from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import Membership, Role
from lbk import pdf

from . import assessment, engine, workflow
from .clocks import deadline_for, deadline_map
from .vocab import Status


def label_of(value):
    return str(getattr(value, "label", value))


def hours_in_words(hours):
    if hours % 24 == 0 and hours >= 7 * 24:
        days = hours // 24
        return ngettext("%(n)d day", "%(n)d days", days) % {"n": days}
    if hours % 24 == 0:
        return _("%(n)d x 24 hours") % {"n": hours // 24}
    return ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours}


def deadline_in_words(deadline):
    if deadline.unit == "working_days":
        n = deadline.amount
        return ngettext("%(n)d working day", "%(n)d working days", n) % {"n": n}
    return hours_in_words(deadline.nominal_hours)


def clock_deadline(dmap, version_id, clock):
    """A clock's time limit in words, by the version's deadlines (defaults without one)."""
    clocks = {clock.key: clock}
    text = deadline_in_words(deadline_for(dmap, version_id, clock.key, clocks=clocks))
    if clock.emergency_hours is not None:
        emergency = deadline_for(dmap, version_id, clock.key, emergency=True, clocks=clocks)
        text += " (" + _("emergency: %(t)s") % {"t": deadline_in_words(emergency)} + ")"
    return text


def _sorted_states(states):
    order = {s: i for i, s in enumerate(Status.values)}
    return sorted(states, key=lambda s: (order.get(str(s), 99), str(s)))


def _target_words(step):
    if step.target is None:
        return _("(unchanged)")
    if step.target == "return":
        return _("the state it came from")
    if step.action == "reopen":
        return _("%(a)s (%(b)s when no companion was ever assigned)") % {
            "a": label_of(Status.ASSESSMENT),
            "b": label_of(Status.RECEIVED),
        }
    return label_of(step.target)


def head_words(text, kelurahan):
    """The head's title of the place's kind (Lurah, or Kepala Desa for a desa) in a text."""
    head = kelurahan.head_title
    return text if head == "Lurah" else re.sub(r"\bLurah\b", head, text)


def procedure_rows(kelurahan, version=None):
    """Every step (case, then referral) and every clock, with the deadlines of the mechanism
    version (the governing one by default; PROCEDURE.md's defaults without any)."""
    import mechanism

    if version is None:
        version = mechanism.current(kelurahan)
    vid = version.pk if version else None
    dmap = deadline_map([vid])
    case_table, referral_table = engine.TABLES["case"], engine.TABLES["referral"]
    clocks = {c.key: c for table in engine.tables() for c in table.clocks}

    def step_row(no, step):
        clock = clocks.get(step.clock) if step.clock else None
        return {
            "no": no,
            "action": step.action,
            "label": label_of(step.label),
            "from": ", ".join(label_of(s) for s in _sorted_states(step.source)),
            "to": _target_words(step),
            "who": head_words(workflow.who_in_words(step.roles), kelurahan),
            "requires": [str(r) for r in step.requires],
            "deadline": (
                f"{label_of(clock.label)}: {clock_deadline(dmap, vid, clock)}" if clock else ""
            ),
        }

    steps = [step_row(str(i), s) for i, s in enumerate(case_table.steps, 1)]
    referral_steps = [step_row(f"R{i}", s) for i, s in enumerate(referral_table.steps, 1)]
    clock_rows = [
        {
            "key": c.key,
            "label": label_of(c.label),
            "starts": label_of(c.starts),
            "stops": label_of(c.stops),
            "who": label_of(c.who),
            "deadline": clock_deadline(dmap, vid, c),
        }
        for c in clocks.values()
    ]
    rules = [label_of(inv.text) for inv in engine.INVARIANTS]
    return {
        "steps": steps,
        "referral_steps": referral_steps,
        "clocks": clock_rows,
        "rules": rules,
    }


# ---------------------------------------------------------------------------------------------
# Flow chart

BOX_W, BOX_H = 184, 44
POSITIONS = {  # centre of each state's box; the layout is presentation, the edges come from STEPS
    Status.RECEIVED: (300, 60),
    Status.NOT_PURSUED: (600, 60),
    Status.ASSESSMENT: (300, 170),
    Status.HANDLING: (150, 310),
    Status.MONITORING: (150, 440),
    Status.CLOSURE_REQUESTED: (560, 310),
    Status.CLOSED: (560, 440),
}
# Long edges routed around the chart (polylines from box border to box border).
ROUTES = {
    (Status.CLOSED, Status.ASSESSMENT): [(652, 440), (735, 440), (735, 180), (392, 180)],
    (Status.CLOSED, Status.RECEIVED): [(652, 452), (762, 452), (762, 16), (300, 16), (300, 38)],
}
WIDTH, HEIGHT = 780, 480
FILL = {
    Status.CLOSED: "#e9ecef",
    Status.NOT_PURSUED: "#e9ecef",
}


def _edges():
    """(from, to, step number, dashed) for every state change of the table."""
    out = []
    proposing = set()
    for s in workflow.STEPS:
        if s.action == "propose_closure":
            proposing |= set(s.source)
    for i, step in enumerate(workflow.STEPS, 1):
        if step.target is None:
            continue
        for src in step.source:
            if step.target == "return":
                for back in proposing:
                    out.append((src, back, i, True))
            elif step.action == "reopen":
                out.append((src, Status.ASSESSMENT, i, False))
                out.append((src, Status.RECEIVED, i, True))
            else:
                out.append((src, step.target, i, False))
    merged = {}
    for a, b, n, dashed in out:
        key = (str(a), str(b))
        entry = merged.setdefault(key, {"numbers": [], "dashed": dashed})
        if n not in entry["numbers"]:
            entry["numbers"].append(n)
    return merged


def _exit(px, py, dx, dy, cx, cy):
    """Where a line from (px, py), inside the box centred at (cx, cy), leaves the box."""
    ts = []
    if dx:
        ts.append((cx + math.copysign(BOX_W / 2, dx) - px) / dx)
    if dy:
        ts.append((cy + math.copysign(BOX_H / 2, dy) - py) / dy)
    t = min(ts) if ts else 0
    return px + dx * t, py + dy * t


def flow_chart_svg():
    edges = _edges()
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="100%" role="img" aria-labelledby="chart-title chart-desc" class="flow-chart">',
        '<title id="chart-title">' + escape(_("Flow chart of the case procedure")) + "</title>",
    ]
    desc = "; ".join(
        f"{label_of(Status(a))} → {label_of(Status(b))} ({', '.join(map(str, e['numbers']))})"
        for (a, b), e in edges.items()
    )
    parts.append(f'<desc id="chart-desc">{escape(desc)}</desc>')
    labels = []
    for (a, b), e in edges.items():
        colour = "#6c757d" if e["dashed"] else "#0b3d6e"
        dash = ' stroke-dasharray="6 4"' if e["dashed"] else ""
        route = ROUTES.get((Status(a), Status(b)))
        if route:
            pts = " ".join(f"{x},{y}" for x, y in route)
            parts.append(
                f'<polyline points="{pts}" fill="none" stroke="{colour}" stroke-width="1.6"{dash}/>'
            )
            (x1, y1), (x2, y2) = route[-2], route[-1]
            longest = max(zip(route, route[1:], strict=False), key=lambda s: math.dist(*s))
            mx = (longest[0][0] + longest[1][0]) / 2
            my = (longest[0][1] + longest[1][1]) / 2
            nx = ny = 0
        else:
            (ax, ay), (bx, by) = POSITIONS[a], POSITIONS[b]
            dx, dy = bx - ax, by - ay
            length = math.hypot(dx, dy) or 1
            # Two edges between the same states in opposite directions run side by side.
            off = 7 if (b, a) in edges else 0
            nx, ny = -dy / length * off, dx / length * off
            # Clip the shifted line at the boxes, so both arrows stay outside the boxes.
            x1, y1 = _exit(ax + nx, ay + ny, dx, dy, ax, ay)
            x2, y2 = _exit(bx + nx, by + ny, -dx, -dy, bx, by)
            parts.append(
                f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
                f'stroke="{colour}" stroke-width="1.6"{dash}/>'
            )
            mx, my = (x1 + x2) / 2 + nx * 1.6, (y1 + y2) / 2 + ny * 1.6
        dx, dy = x2 - x1, y2 - y1
        length = math.hypot(dx, dy) or 1
        ux, uy = dx / length, dy / length
        hx, hy = x2 - ux * 10, y2 - uy * 10
        parts.append(
            f'<polygon points="{x2:.1f},{y2:.1f} {hx - uy * 4.5:.1f},{hy + ux * 4.5:.1f} '
            f'{hx + uy * 4.5:.1f},{hy - ux * 4.5:.1f}" fill="{colour}"/>'
        )
        text = ", ".join(map(str, e["numbers"]))
        w = 8 + 7 * len(text)
        labels.append(
            f'<rect x="{mx - w / 2:.1f}" y="{my - 9:.1f}" width="{w}" height="18" rx="9" '
            f'fill="#ffffff" stroke="{colour}" stroke-width="1"/>'
            f'<text x="{mx:.1f}" y="{my + 4:.1f}" font-size="11" text-anchor="middle" '
            f'font-family="DejaVu Sans, Noto Sans, sans-serif" fill="#000000">{text}</text>'
        )
    for state, (cx, cy) in POSITIONS.items():
        parts.append(
            f'<rect x="{cx - BOX_W / 2}" y="{cy - BOX_H / 2}" width="{BOX_W}" height="{BOX_H}" '
            f'rx="6" fill="{FILL.get(state, "#e7f1ff")}" stroke="#0b3d6e" stroke-width="1.5"/>'
            f'<text x="{cx}" y="{cy + 5}" font-size="14" font-weight="bold" text-anchor="middle" '
            f'font-family="DejaVu Sans, Noto Sans, sans-serif" fill="#000000">'
            f"{escape(label_of(state))}</text>"
        )
    parts.extend(labels)
    parts.append("</svg>")
    return "".join(parts)


# ---------------------------------------------------------------------------------------------
# The annex PDF


def signer_of(kelurahan):
    today = timezone.localdate()
    m = (
        Membership.objects.filter(kelurahan=kelurahan, role=Role.LURAH, valid_from__lte=today)
        .exclude(valid_until__lt=today)
        .select_related("user")
        .order_by("-valid_from")
        .first()
    )
    return m


def annex_context(kelurahan, version=None):
    """The annex of the mechanism version (the governing one by default): the SK's number, date
    and signer once it is enacted; marked DRAF on every page until then."""
    import mechanism

    if version is None:
        version = mechanism.current(kelurahan)
    enacted = version is not None and version.is_enacted
    signer = signer_of(kelurahan)
    with translation.override("id"):
        sk_date = date_format(version.sk_date, "j F Y") if enacted and version.sk_date else ""
    return {
        "kelurahan": kelurahan,
        "version": version,
        "draft": not enacted,
        "head": kelurahan.head_title.upper(),
        "sk_number": version.sk_number if enacted else "." * 20,
        "sk_date": sk_date or "." * 20,
        "sk_title": (version.title if version else "").upper()
        or "MEKANISME PENANGANAN KASUS KEKERASAN DAN PERLINDUNGAN SOSIAL PADA LBK-KK",
        "signed_name": version.signer_name if enacted else "",
        "local_rules": [
            r for r in (version.local_rules if version else "").splitlines() if r.strip()
        ],
        "contact_points": [
            r for r in (version.contact_points if version else "").splitlines() if r.strip()
        ],
        "signer": signer,
        "rows": procedure_rows(kelurahan, version),
        "chart": flow_chart_svg(),
        "risk_rule": [str(r) for r in assessment.RISK_RULE],
        "static": pdf.STATIC_PREFIX,
    }


def render_procedure_pdf(kelurahan, version=None):
    """The annex of the SK Lurah as PDF bytes, always in Indonesian. Takes no request."""
    with translation.override("id"):
        html = render_to_string("cases/procedure/annex_pdf.html", annex_context(kelurahan, version))
    return pdf.render_pdf(html)


def stored_procedure_pdf(kelurahan, version=None):
    """The printed procedure's PDF, rendered once per distinct content and kept through the
    storage API (local folder or object storage), so every web node serves the same file and
    WeasyPrint (seconds) runs only when the procedure, the SK or the signer changed."""
    import hashlib

    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    with translation.override("id"):
        html = render_to_string("cases/procedure/annex_pdf.html", annex_context(kelurahan, version))
    digest = hashlib.sha256(html.encode()).hexdigest()
    name = f"procedures/{kelurahan.code}/{digest[:40]}.pdf"
    if default_storage.exists(name):
        with default_storage.open(name, "rb") as fh:
            return fh.read()
    pdf = render_procedure_pdf(kelurahan, version)
    default_storage.save(name, ContentFile(pdf))
    return pdf
