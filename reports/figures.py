"""The monthly figures of the reports, kept by the engine (as cases/state_counts.py keeps the
cases per state): after every step of either procedure table, at registration and at an intake
edit, in the same transaction, the case's contribution is computed again from its own rows and
only the difference moves the MonthlyCount rows. `rebuild` recomputes every row from the cases
(manage.py rebuild_report_counts); a test checks both give the numbers of counting the cases.

What is counted, and in which month (WITA):
- at registration: cases by kind, victims by sex, age group (on the registration date), age
  group x sex, education, disability (UU 8/2016 type; Washington Group threshold), DTSEN status;
  violence types, TPKS types, place of incident, online, relation of each perpetrator to each
  victim, perpetrators by sex and age group; social-protection problems;
- at closure: cases closed, not pursued (closed_at);
- planned services by type (created), services done;
- referrals (issued, or made in an emergency) by agency kind, kind and outcome, per agency;
- deadline clocks (the case's and its referrals' ClockRun rows) met or missed, per clock key, in
  the month the run stopped (issue 15's procedure-quality table reads these rows, not the runs).
"""

from __future__ import annotations

import datetime
from collections import Counter
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from cases import engine, vocab
from cases.models import Case

from .models import CaseFigure, MonthlyCount

Key = tuple[datetime.date, str, str, int]

# Categories about sexual violence or children: shown at kecamatan level at the finest to
# kota-level users and agency officers (reports/protect.py).
SENSITIVE = {
    "violence.type": {vocab.ViolenceType.SEXUAL.value},
    "violence.tpks": None,  # every category
    "victim.age": set(vocab.CHILD_AGE_BANDS),
    "victim.child_disabled": None,
}


def is_sensitive(metric: str, category: str) -> bool:
    if metric not in SENSITIVE:
        return metric.startswith("victim.age_sex") and category.split("|")[0] in (
            vocab.CHILD_AGE_BANDS
        )
    cats = SENSITIVE[metric]
    return cats is None or category in cats


def _month_of(
    dt: datetime.datetime | None, tz: datetime.tzinfo | None = None
) -> datetime.date | None:
    """The first day of the month of `dt` in `tz` (the case's place's zone)."""
    if dt is None:
        return None
    return timezone.localdate(dt, tz).replace(day=1)


def wg_threshold(v: Any) -> str:
    answers = [getattr(v, f) for f, _label in vocab.WG_DOMAINS]
    if any(a in (vocab.WgAnswer.A_LOT, vocab.WgAnswer.CANNOT) for a in answers):
        return "yes"
    return "no" if any(answers) else "unknown"


# The bands (upper edges, in hours) in which a duration is counted for the medians of the
# quality and services sections: a median is read from the monthly rows of its period like
# every other figure, estimated within its band (a quarter of an hour at first, a day after
# two days, a month after two months), instead of sorting every case of a year on each request.
DURATION_EDGES: tuple[float, ...] = (
    0.25, 0.5, 1, 2, 3, 4, 6, 8, 12, 16, 24, 36, 48, 72, 96, 120, 168, 240, 336, 504, 720,
    1080, 1440, 2160, 4320, 8760,
)  # fmt: skip


def duration_band(start: datetime.datetime | None, end: datetime.datetime | None) -> str:
    """The band of end - start ("00", "01", ...), or "" when either is missing."""
    if start is None or end is None:
        return ""
    hours = max((end - start).total_seconds(), 0) / 3600
    for i, edge in enumerate(DURATION_EDGES):
        if hours < edge:
            return f"{i:02d}"
    return f"{len(DURATION_EDGES):02d}"


def contributions(case: Case) -> Counter[Key]:
    """What the case counts for, from its rows (a few queries: victims, perpetrators, links,
    planned actions, referrals)."""
    out: Counter[Key] = Counter()
    # The place's own months (WIB, WITA or WIT).
    tz = case.kelurahan.tzinfo

    def month_of(dt: datetime.datetime | None) -> datetime.date | None:
        return _month_of(dt, tz)

    reg = month_of(case.registered_at)
    assert reg is not None

    def add(month: datetime.date | None, metric: str, category: str, agency: int = 0) -> None:
        if month is not None:
            out[(month, metric, category or "unknown", agency)] += 1

    add(reg, "case.new", "all")
    _durations(case, reg, add)
    if case.is_violence:
        add(reg, "case.kind", "violence")
    if case.is_social_protection:
        add(reg, "case.kind", "social_protection")
    if case.status == vocab.Status.CLOSED:
        add(month_of(case.closed_at), "case.closed", "all")
    elif case.status == vocab.Status.NOT_PURSUED:
        add(month_of(case.closed_at or case.status_changed_at), "case.not_pursued", "all")
    for v in case.victims.all():
        _victim(v, reg, add, case.registered_at)
    if case.is_violence:
        _violence(case, reg, add)
    if case.is_social_protection:
        for t in case.social_problems or []:
            add(reg, "social.problem", t)
    _services(case, add, month_of)
    _referrals(case, add, month_of)
    _clocks(case, add, month_of)
    return out


def _durations(case: Case, reg: datetime.date, add: Any) -> None:
    """The bands of the case's times to first contact and to the plan, in its month."""
    for metric, start, end in (
        ("duration.first_contact", case.received_at, case.first_contact_at),
        ("duration.plan", case.received_at, case.handling_started_at),
    ):
        band = duration_band(start, end)
        if band:
            add(reg, metric, band)


def _clocks(case: Case, add: Any, month_of: Any) -> None:
    agency_of = None
    for run in case.clock_runs.all():
        if run.stopped_at is None:
            continue
        met = run.stopped_at <= run.due_at
        add(month_of(run.stopped_at), "clock.met" if met else "clock.missed", run.key)
        if run.key == "agency_ack" and run.referral_id:
            # How long the agency took to acknowledge, per agency (the services section).
            if agency_of is None:
                agency_of = {r.pk: r.agency_id for r in case.referrals.all()}
            add(
                month_of(run.stopped_at),
                "duration.agency_ack",
                duration_band(run.started_at, run.stopped_at),
                agency_of.get(run.referral_id, 0),
            )


def _services(case: Case, add: Any, month_of: Any) -> None:
    for a in case.actions.all():
        add(month_of(a.created_at), "service.planned", a.service_type)
        if a.status == vocab.ActionStatus.DONE:
            add(month_of(a.created_at), "service.done", a.service_type)


def _victim(v: Any, reg: datetime.date, add: Any, registered_at: datetime.datetime) -> None:
    # Stored at registration/edit; a bulk-loaded row (the benchmark) may lack it.
    group = v.age_group or vocab.age_group_at_registration(v, registered_at)
    add(reg, "victim.all", "all")
    add(reg, "victim.sex", v.sex)
    add(reg, "victim.age", group)
    add(reg, "victim.age_sex", f"{group or 'unknown'}|{v.sex or 'unknown'}")
    add(reg, "victim.education", v.education)
    disabled = bool(v.disability_types) or wg_threshold(v) == "yes"
    add(reg, "victim.disabled", "yes" if disabled else "no")
    for t in v.disability_types or []:
        add(reg, "victim.disability_type", t)
    if len(v.disability_types or []) > 1:
        add(reg, "victim.disability_type", "multiple")
    add(reg, "victim.wg", wg_threshold(v))
    add(reg, "victim.dtsen", v.dtsen_status)
    if disabled and group in vocab.CHILD_AGE_BANDS:
        add(reg, "victim.child_disabled", "yes")


def _violence(case: Case, reg: datetime.date, add: Any) -> None:
    for t in case.violence_types or []:
        add(reg, "violence.type", t)
    for t in case.tpks_types or []:
        add(reg, "violence.tpks", t)
    add(reg, "violence.place", case.incident_place)
    if case.incident_online:
        add(reg, "violence.online", "yes")
    for p in case.perpetrators.all():
        add(reg, "perp.sex", p.sex)
        add(reg, "perp.age", p.age_band or vocab.age_band(p.age))
    for v in case.victims.all():
        for link in v.perpetrator_links.all():
            add(reg, "violence.relation", link.relation)


def _referrals(case: Case, add: Any, month_of: Any) -> None:
    from referrals.models import State

    for r in case.referrals.all():
        if r.state in (State.DRAFT, State.CANCELLED):
            continue
        month = month_of(r.issued_at or r.emergency_at)
        if month is None:
            continue  # requested, not issued yet
        add(month, "referral.agency", r.agency.kind, r.agency_id)
        add(month, "referral.kind", r.kind, r.agency_id)
        add(month, "referral.outcome", r.outcome or "pending", r.agency_id)


def with_rows(qs):
    """The cases with every row contributions() reads, prefetched (a query per relation)."""
    return qs.select_related("kelurahan").prefetch_related(
        "victims__perpetrator_links", "perpetrators", "actions", "referrals__agency", "clock_runs"
    )


def refresh_case(case_id: int) -> None:
    """Move the monthly rows by the difference between what the case counted for and what it
    counts for now (in the caller's transaction)."""
    case = with_rows(Case.objects.filter(pk=case_id)).get()
    new = contributions(case)
    stored = list(CaseFigure.objects.filter(case_id=case_id))
    old: Counter[Key] = Counter()
    for f in stored:
        old[(f.month, f.metric, f.category, f.agency_key)] += f.n
    if new == old:
        return
    delta = Counter(new)
    delta.subtract(old)
    changed = {k: d for k, d in delta.items() if d}
    if not changed:
        return
    _move(case.kelurahan_id, case.is_roleplay, changed)
    CaseFigure.objects.filter(case_id=case_id).delete()
    CaseFigure.objects.bulk_create(
        CaseFigure(
            case_id=case_id,
            kelurahan_id=case.kelurahan_id,
            month=m,
            metric=metric,
            category=cat,
            agency_key=ag,
            n=n,
        )
        for (m, metric, cat, ag), n in new.items()
    )


def _move(kelurahan_id: int, is_roleplay: bool, changed: dict[Key, int]) -> None:
    MonthlyCount.objects.bulk_create(
        [
            MonthlyCount(
                kelurahan_id=kelurahan_id,
                is_roleplay=is_roleplay,
                month=m,
                metric=metric,
                category=cat,
                agency_key=ag,
            )
            for (m, metric, cat, ag) in changed
        ],
        ignore_conflicts=True,
    )
    for (m, metric, cat, ag), d in changed.items():
        MonthlyCount.objects.filter(
            kelurahan_id=kelurahan_id,
            is_roleplay=is_roleplay,
            month=m,
            metric=metric,
            category=cat,
            agency_key=ag,
        ).update(n=F("n") + d)


def _after_step(ctx: Any, **kw: Any) -> None:
    refresh_case(ctx.case.pk)


def _registered(ctx: Any, *, case: Case, **kw: Any) -> None:
    refresh_case(case.pk)


engine.on("after_step", _after_step)
engine.on("case.registered", _registered)


def rebuild() -> int:
    """Every case's contribution and every monthly row computed again from the cases (after a
    bulk load, or to check the kept rows). Returns the number of cases."""
    n = 0
    with transaction.atomic():
        CaseFigure.objects.all().delete()
        MonthlyCount.objects.all().delete()
        totals: dict[tuple[int, bool], Counter[Key]] = {}
        figures = []
        for case in with_rows(Case.objects.order_by("pk")).iterator(chunk_size=1000):
            c = contributions(case)
            totals.setdefault((case.kelurahan_id, case.is_roleplay), Counter()).update(c)
            figures.extend(
                CaseFigure(
                    case_id=case.pk,
                    kelurahan_id=case.kelurahan_id,
                    month=m,
                    metric=metric,
                    category=cat,
                    agency_key=ag,
                    n=k,
                )
                for (m, metric, cat, ag), k in c.items()
            )
            if len(figures) > 5000:
                CaseFigure.objects.bulk_create(figures)
                figures = []
            n += 1
        CaseFigure.objects.bulk_create(figures)
        MonthlyCount.objects.bulk_create(
            MonthlyCount(
                kelurahan_id=kel,
                is_roleplay=sim,
                month=m,
                metric=metric,
                category=cat,
                agency_key=ag,
                n=k,
            )
            for (kel, sim), counter in totals.items()
            for (m, metric, cat, ag), k in counter.items()
        )
    return n
