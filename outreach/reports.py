"""The outreach figures of the reports (reports/sections.py) and the monthly PDF: counts only,
from one SQL aggregate over the activities of the place and period; no topic, photo or note
reaches kota-level users."""

from __future__ import annotations

from django.db.models import Count, Sum
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from .models import Activity, Kind

SUMS = ("women", "men", "children", "elderly", "with_disability")


def _rows(kelurahan_ids, period):
    return (
        Activity.objects.filter(
            kelurahan_id__in=kelurahan_ids, held_on__gte=period.first, held_on__lt=period.end
        )
        .values_list("kind")
        .annotate(n=Count("pk"), **{f: Sum(f) for f in SUMS})
        .order_by()
    )


def outreach_tables(b, r) -> None:
    from reports import charts
    from reports.sections import Table

    got = {kind: rest for kind, *rest in _rows(b.place.kelurahan_ids, b.period)}
    rows = [(str(label), [b.v(got.get(code, [0])[0])]) for code, label in Kind.choices]
    total = b.v(sum(v[0] for v in got.values()))
    title = _("Activities by kind")
    t = Table(
        id="outreach-kind",
        title=title,
        columns=[pgettext("count", "Number")],
        rows=rows,
        total=[total],
    )
    pairs = [(label, vals[0]) for label, vals in rows]
    t.summary = charts.summary_of(title, pairs, total)
    t.chart = charts.bar_chart("outreach-kind-chart", title, t.summary, pairs)
    r.tables.append(t)
    sums = [sum((v[i + 1] or 0) for v in got.values()) for i in range(len(SUMS))]
    labels = [
        _("Women and girls"),
        _("Men and boys"),
        _("Children (under 18)"),
        _("Elderly (60+)"),
        _("Persons with disabilities"),
    ]
    r.tables.append(
        Table(
            id="outreach-participants",
            title=_("Participants"),
            columns=[pgettext("count", "Number")],
            rows=[(label, [b.v(n)]) for label, n in zip(labels, sums, strict=True)],
            total=[b.v(sums[0] + sums[1])],
        )
    )


def activities_for_pdf(kelurahan, period, *, protected: bool) -> list[dict]:
    from reports.protect import shown

    qs = Activity.objects.filter(
        kelurahan=kelurahan, held_on__gte=period.first, held_on__lt=period.end
    ).order_by("held_on", "pk")
    return [
        {
            "date": a.held_on.strftime("%d-%m-%Y"),
            "kind": a.get_kind_display(),
            "topic": a.topic,
            "participants": shown(a.participants, protected),
        }
        for a in qs
    ]
