"""The report sections: each a page of tables (with their charts) read from the monthly rows
(reports/figures.py), the clock rows (cases.models.ClockRun) and the cases' dates, all in SQL
and within a fixed number of queries whatever the data."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import Sum
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext, pgettext_lazy

from accounts.models import Agency
from cases import vocab
from cases.models import ClockRun

from . import charts
from .figures import DURATION_EDGES, is_sensitive
from .models import MonthlyCount
from .periods import Period, add_months
from .protect import shown
from .scope import Place, Scope

SECTIONS = {
    "victims": gettext_lazy("Cases and victims"),
    "violence": gettext_lazy("Violence"),
    "social": gettext_lazy("Social protection"),
    "services": gettext_lazy("Services and referrals"),
    "quality": gettext_lazy("Procedure quality"),
    "outreach": pgettext_lazy("activities", "Outreach"),
}


@dataclass
class Table:
    id: str
    title: str
    columns: list[str]
    rows: list[tuple[str, list[object]]]
    total: list[object] | None = None
    chart: str = ""
    summary: str = ""
    note: str = ""


@dataclass
class Report:
    section: str
    title: str
    period: Period
    place: Place
    protected: bool
    tables: list[Table] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    figures: list[tuple[str, object]] = field(default_factory=list)


def _labels(metric: str) -> list[tuple[str, str]]:
    from referrals import models as rm

    choices = {
        "victim.sex": vocab.Sex.choices,
        "perp.sex": vocab.Sex.choices,
        "victim.age": vocab.AgeBand.choices,
        "perp.age": vocab.AgeBand.choices,
        "victim.education": vocab.Education.choices,
        "victim.disability_type": [
            *vocab.DisabilityType.choices,
            ("multiple", _("Multiple (ganda)")),
        ],
        "victim.disabled": [("yes", _("With a disability")), ("no", _("Without a disability"))],
        "victim.wg": [
            ("yes", _("A lot of difficulty or cannot do, in at least one domain")),
            ("no", _("Below the threshold")),
            ("unknown", _("Not asked")),
        ],
        "victim.dtsen": vocab.DtsenStatus.choices,
        "violence.type": vocab.ViolenceType.choices,
        "violence.tpks": vocab.TpksType.choices,
        "violence.place": vocab.Place.choices,
        "violence.relation": vocab.Relation.choices,
        "social.problem": vocab.SocialProblem.choices,
        "service.planned": vocab.ServiceType.choices,
        "service.done": vocab.ServiceType.choices,
        "referral.agency": Agency.Kind.choices,
        "referral.kind": rm.Kind.choices,
        "referral.outcome": [*rm.Outcome.choices, ("pending", _("No answer yet"))],
    }[metric]
    return [(str(k), str(v)) for k, v in choices]


NOT_RECORDED = gettext_lazy("Not recorded")


class Builder:
    def __init__(self, scope: Scope, period: Period, place: Place, *, roleplay: bool = False):
        self.scope = scope
        self.period = period
        self.place = place
        self.protected = scope.protected
        self.roleplay = roleplay
        self.data: dict[str, dict[str, int]] = {}

    # --- reading the monthly rows: one query for every metric of the page
    def base(self):
        qs = MonthlyCount.objects.filter(
            kelurahan_id__in=self.place.kelurahan_ids,
            month__gte=self.period.first,
            month__lte=self.period.last,
            is_roleplay=self.roleplay,
        )
        if self.scope.agency_id is not None:
            qs = qs.filter(agency_key=self.scope.agency_id)
        return qs

    def load(self, metrics: list[str]) -> None:
        rows = (
            self.base()
            .filter(metric__in=metrics)
            .values_list("metric", "category")
            .annotate(n=Sum("n"))
            .order_by()
        )
        for metric, cat, n in rows:
            self.data.setdefault(metric, {})[cat] = n

    def n(self, metric: str, cat: str = "all") -> int:
        return self.data.get(metric, {}).get(cat, 0)

    def v(self, n: int) -> object:
        return shown(n, self.protected)

    # --- tables
    def hides_sensitive(self) -> bool:
        return self.protected and self.place.level == "kelurahan"

    def one(self, metric: str, title: str, *, total_metric: str | None = None) -> Table:
        counts = self.data.get(metric, {})
        rows: list[tuple[str, list[object]]] = []
        hidden = False
        for code, label in _labels(metric):
            if self.hides_sensitive() and is_sensitive(metric, code):
                hidden = True
                continue
            rows.append((label, [self.v(counts.get(code, 0))]))
        if counts.get("unknown"):
            rows.append((str(NOT_RECORDED), [self.v(counts["unknown"])]))
        raw_total = (
            self.n(total_metric)
            if total_metric
            else sum(
                n
                for c, n in counts.items()
                if not (self.hides_sensitive() and is_sensitive(metric, c))
            )
        )
        total = self.v(raw_total)
        table = Table(
            id=metric.replace(".", "-"),
            title=title,
            columns=[pgettext("count", "Number")],
            rows=rows,
            total=[total],
        )
        pairs = [(label, vals[0]) for label, vals in rows]
        table.summary = charts.summary_of(title, pairs, total)
        table.chart = charts.bar_chart(table.id + "-chart", title, table.summary, pairs)
        if hidden:
            table.note = _(
                "Figures about sexual violence or children are shown for a kecamatan or the "
                "kota, not for one kelurahan."
            )
        return table

    def age_by_sex(self) -> Table | None:
        title = _("Victims by age group and sex")
        if self.protected and self.place.level == "kelurahan":
            self.notes.append(_("Tables of two dimensions are shown for a kecamatan or the kota."))
            return None
        counts = self.data.get("victim.age_sex", {})
        sexes = [*_labels("victim.sex"), ("unknown", str(NOT_RECORDED))]
        rows = []
        for band, label in [*_labels("victim.age"), ("unknown", str(NOT_RECORDED))]:
            values = [self.v(counts.get(f"{band}|{s}", 0)) for s, _l in sexes]
            total = self.v(sum(counts.get(f"{band}|{s}", 0) for s, _l in sexes))
            rows.append((label, [*values, total]))
        totals = [
            self.v(sum(n for k, n in counts.items() if k.endswith(f"|{s}"))) for s, _l in sexes
        ]
        return Table(
            id="victim-age-sex",
            title=title,
            columns=[label for _s, label in sexes] + [_("Total")],
            rows=rows,
            total=[*totals, self.v(sum(counts.values()))],
        )

    def by_place(self, metric: str, cat: str, title: str) -> Table | None:
        """One dimension over places: the kelurahan of the chosen place (or its kecamatan)."""
        if self.place.level == "kelurahan":
            return None
        names = {p.kelurahan_ids[0]: p.label for p in self.scope.places if p.level == "kelurahan"}
        rows_q = (
            self.base()
            .filter(metric=metric, category=cat)
            .values_list("kelurahan_id")
            .annotate(n=Sum("n"))
            .order_by()
        )
        got = dict(rows_q)
        rows = [(names[k], [self.v(got.get(k, 0))]) for k in self.place.kelurahan_ids if k in names]
        total = self.v(sum(got.values()))
        t = Table(
            id=f"{metric.replace('.', '-')}-place",
            title=title,
            columns=[pgettext("count", "Number")],
            rows=rows,
            total=[total],
        )
        pairs = [(label, vals[0]) for label, vals in rows]
        t.summary = charts.summary_of(title, pairs, total)
        t.chart = charts.bar_chart(t.id + "-chart", title, t.summary, pairs)
        return t

    def trend(self) -> Table:
        """New cases and victims month by month over the twelve months that end with the
        period (a longer period: its own months), one query; a line chart beside the table."""
        first = min(self.period.first, add_months(self.period.last, -11))
        months = []
        m = first
        while m <= self.period.last:
            months.append(m)
            m = add_months(m, 1)
        qs = MonthlyCount.objects.filter(
            kelurahan_id__in=self.place.kelurahan_ids,
            month__gte=first,
            month__lte=self.period.last,
            is_roleplay=self.roleplay,
            metric__in=["case.new", "victim.all"],
            category="all",
        )
        if self.scope.agency_id is not None:
            qs = qs.filter(agency_key=self.scope.agency_id)
        got = {
            (metric, month): n
            for metric, month, n in qs.values_list("metric", "month")
            .annotate(n=Sum("n"))
            .order_by()
        }
        labels = [date_format(m, "M y") for m in months]
        new = [self.v(got.get(("case.new", m), 0)) for m in months]
        victims = [self.v(got.get(("victim.all", m), 0)) for m in months]
        title = _("New cases and victims by month")
        series = [(_("New cases"), new), (_("Victims"), victims)]
        t = Table(
            id="trend",
            title=title,
            columns=[name for name, _v in series],
            rows=[(label, [new[i], victims[i]]) for i, label in enumerate(labels)],
        )
        t.summary = charts.trend_summary(title, labels, series)
        t.chart = charts.line_chart("trend-chart", title, t.summary, labels, series)
        return t

    notes: list[str]


def build(section: str, scope: Scope, period: Period, place: Place, *, roleplay=False) -> Report:
    b = Builder(scope, period, place, roleplay=roleplay)
    b.notes = []
    report = Report(section, str(SECTIONS[section]), period, place, scope.protected)
    fn = {
        "victims": _victims,
        "violence": _violence,
        "social": _social,
        "services": _services,
        "quality": _quality,
        "outreach": _outreach,
    }[section]
    fn(b, report)
    report.tables = [t for t in report.tables if t is not None]
    report.notes = b.notes + report.notes
    return report


def _victims(b: Builder, r: Report) -> None:
    b.load(
        [
            "case.new",
            "case.kind",
            "case.closed",
            "case.not_pursued",
            "victim.all",
            "victim.sex",
            "victim.age",
            "victim.age_sex",
            "victim.education",
            "victim.disabled",
            "victim.disability_type",
            "victim.wg",
            "victim.dtsen",
            "victim.child_disabled",
        ]
    )
    cases = Table(
        id="cases",
        title=_("Cases"),
        columns=[pgettext("count", "Number")],
        rows=[
            (_("New cases"), [b.v(b.n("case.new"))]),
            (_("of which violence"), [b.v(b.n("case.kind", "violence"))]),
            (_("of which social protection"), [b.v(b.n("case.kind", "social_protection"))]),
            (_("Closed"), [b.v(b.n("case.closed"))]),
            (_("Not pursued"), [b.v(b.n("case.not_pursued"))]),
            (_("Open at the end of the period"), [b.v(_open_at_end(b))]),
        ],
    )
    r.tables.append(cases)
    r.tables.append(b.trend())
    r.tables.append(b.one("victim.sex", _("Victims by sex"), total_metric="victim.all"))
    r.tables.append(b.one("victim.age", _("Victims by age group (SIMFONI)")))
    r.tables.append(b.age_by_sex())
    r.tables.append(b.one("victim.education", _("Victims by education")))
    r.tables.append(b.one("victim.disabled", _("Victims with a disability")))
    r.tables.append(b.one("victim.disability_type", _("Disability by type (UU 8/2016)")))
    r.tables.append(b.one("victim.wg", _("Washington Group threshold")))
    r.tables.append(b.one("victim.dtsen", _("Victims registered in DTSEN")))
    if not b.hides_sensitive():
        r.figures.append(
            (_("Children with a disability"), b.v(b.n("victim.child_disabled", "yes")))
        )
    r.tables.append(b.by_place("victim.all", "all", _("Victims by kelurahan")))


def _open_at_end(b: Builder) -> int:
    """Cases registered before the end of the period and not closed (or not pursued) by then:
    the monthly rows up to the period's last month (new cases minus closed and not pursued; a
    case counts in the month of its registration and of its closed_at), so the work grows with
    the months, not with the cases."""
    rows = (
        MonthlyCount.objects.filter(
            kelurahan_id__in=b.place.kelurahan_ids,
            is_roleplay=b.roleplay,
            month__lte=b.period.last,
            metric__in=["case.new", "case.closed", "case.not_pursued"],
        )
        .values_list("metric")
        .annotate(n=Sum("n"))
        .order_by()
    )
    got = dict(rows)
    return got.get("case.new", 0) - got.get("case.closed", 0) - got.get("case.not_pursued", 0)


def _violence(b: Builder, r: Report) -> None:
    b.load(
        [
            "case.kind",
            "violence.type",
            "violence.tpks",
            "violence.place",
            "violence.online",
            "violence.relation",
            "perp.sex",
            "perp.age",
        ]
    )
    r.tables.append(b.one("violence.type", _("Cases by type of violence")))
    r.tables.append(b.one("violence.tpks", _("Sexual violence by type (UU 12/2022)")))
    r.tables.append(b.one("violence.place", _("Cases by place of incident")))
    r.figures.append((_("Happened online"), b.v(b.n("violence.online", "yes"))))
    r.tables.append(b.one("violence.relation", _("Relation of the perpetrator to the victim")))
    r.tables.append(b.one("perp.sex", _("Perpetrators by sex")))
    r.tables.append(b.one("perp.age", _("Perpetrators by age group")))
    r.tables.append(b.by_place("case.kind", "violence", _("Cases of violence by kelurahan")))


def _social(b: Builder, r: Report) -> None:
    b.load(["case.kind", "social.problem"])
    r.figures.append((_("Social-protection cases"), b.v(b.n("case.kind", "social_protection"))))
    r.tables.append(b.one("social.problem", _("Social-protection problems by type")))
    r.tables.append(
        b.by_place("case.kind", "social_protection", _("Social-protection cases by kelurahan"))
    )


def _services(b: Builder, r: Report) -> None:
    metrics = ["referral.agency", "referral.kind", "referral.outcome", "duration.agency_ack"]
    if b.scope.agency_id is None:
        metrics += ["service.planned", "service.done"]
    b.load(metrics)
    if b.scope.agency_id is None:
        r.tables.append(b.one("service.planned", _("Services planned by type")))
        r.tables.append(b.one("service.done", _("Services given by type")))
    r.tables.append(b.one("referral.agency", _("Referrals by agency")))
    r.tables.append(b.one("referral.kind", _("Referrals by kind")))
    r.tables.append(b.one("referral.outcome", _("Referrals by outcome")))
    r.figures.append(
        (_("Median time to the agency's acknowledgement"), _median(b, "duration.agency_ack"))
    )


def _median(b: Builder, metric: str) -> object:
    """The median of a duration counted in bands (reports.figures.DURATION_EDGES) by the
    monthly rows of the period (loaded by the section), estimated within its band and shown
    with "≈"; for protected readers only over 5 or more cases."""
    edges = DURATION_EDGES
    bands = sorted((int(k), n) for k, n in b.data.get(metric, {}).items() if k.isdigit() and n)
    total = sum(n for _k, n in bands)
    if total == 0 or (b.protected and total < 5):
        return "–"
    half, seen = total / 2, 0
    for k, n in bands:
        if seen + n >= half:
            low = edges[k - 1] if 0 < k <= len(edges) else 0.0
            high = edges[k] if k < len(edges) else low
            hours = low + (high - low) * (half - seen) / n
            return "≈ " + _duration(datetime.timedelta(hours=hours))
        seen += n
    return "–"  # not reached: the bands sum to the total


def _duration(td: datetime.timedelta) -> str:
    hours = td.total_seconds() / 3600
    if hours < 48:
        return _("%(n).1f hours") % {"n": hours}
    return _("%(n).1f days") % {"n": hours / 24}


def _quality(b: Builder, r: Report) -> None:
    from cases.workflow import CLOCKS as CASE_CLOCKS
    from referrals.workflow import CLOCKS as REFERRAL_CLOCKS

    labels = {c.key: str(c.label) for c in (*CASE_CLOCKS, *REFERRAL_CLOCKS)}
    # Met and missed per clock from the monthly rows (reports/figures.py), not by counting the
    # period's runs: the page's work does not grow with the data.
    b.load(["clock.met", "clock.missed", "duration.first_contact", "duration.plan"])
    got = {}
    for key in labels:
        met, missed = b.n("clock.met", key), b.n("clock.missed", key)
        got[key] = (met + missed, met)
    rows = []
    for key, label in labels.items():
        total, met = got.get(key, (0, 0))
        share = "–"
        if total and (not b.protected or total >= 10):
            share = f"{round(100 * met / total)}%"
        rows.append((label, [b.v(met), b.v(total - met), b.v(total), share]))
    r.tables.append(
        Table(
            id="clocks",
            title=_("Deadlines met per step"),
            columns=[_("Met"), _("Missed"), _("Total"), _("Share met")],
            rows=rows,
        )
    )
    r.figures.append(
        (_("Median time from complaint to first contact"), _median(b, "duration.first_contact"))
    )
    r.figures.append(
        (_("Median time from complaint to the case plan"), _median(b, "duration.plan"))
    )
    overdue = ClockRun.objects.filter(
        kelurahan_id__in=b.place.kelurahan_ids,
        is_roleplay=b.roleplay,
        stopped_at__isnull=True,
        due_at__lt=timezone.now(),
    ).count()
    r.figures.append((_("Deadlines overdue now"), b.v(overdue)))


def _outreach(b: Builder, r: Report) -> None:
    from outreach.reports import outreach_tables

    outreach_tables(b, r)
