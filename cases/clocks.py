"""Deadline clocks (cases/workflow.py CLOCKS) as rows: every run of a clock is a ClockRun,
started and stopped by the engine in the same transaction as the step that starts or stops it.

- `running_clocks(case)` is the rule: which clocks run on a case, computed from its fields alone
  (PROCEDURE.md's clock table). `sync_case` compares it with the running rows after every step
  (and at registration), stopping the runs that ended (with the step as reason) and starting the
  new ones with their due time, computed once, in Python, when the run starts.
- Tugas Saya, the dashboard, the case list's overdue mark and the case page read the running
  rows in SQL: their work depends on the rows they show, not on the number of open cases.
- Deadlines come from the mechanism version the case recorded at registration (mechanism app;
  PROCEDURE.md's defaults when it has none), in hours, clock days or working days.
- `recompute_running` (manage.py recompute_clocks) moves the due time of running rows to their
  version's deadlines (after the holiday list was corrected).

Other apps add their clocks (the referral clocks, referrals/clocks.py) through PRESENTERS and
the "clocks.case_synced" engine event. A public submission's verify_public clock
(public_channel/services.py) is a row without a case (`submission` set): it waits on the
coordinator (WaitsOn.COORDINATOR), and its app gives its due time to `recompute_running`
through RECOMPUTE.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from django.db.models import Count, OuterRef, Q, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import KELURAHAN_WIDE_ROLES, STAFF_ROLES, Role
from accounts.roles import roles_of
from mechanism import calendar as working
from mechanism.models import Deadline, Unit, Version

from . import engine, vocab
from .models import Assessment, ClockRun, Consent
from .vocab import Status as S
from .workflow import CLOCKS_BY_KEY

WORKING = {S.ASSESSMENT, S.HANDLING, S.MONITORING}
W = ClockRun.WaitsOn


@dataclass
class Running:
    """A clock that should be running on a case now (the rule, before it is a row)."""

    key: str
    case: Any
    start: datetime.datetime
    due: datetime.datetime
    hours: int
    now: datetime.datetime
    # "companion" (the assigned pendamping) or "deciders" (coordinator and kelurahan staff)
    waits_on: str

    @property
    def clock(self):
        return CLOCKS_BY_KEY[self.key]

    @property
    def label(self):
        return self.clock.label

    @property
    def overdue(self):
        return self.now > self.due


def deadline_map(version_ids) -> dict[int, dict[str, Deadline]]:
    """{mechanism version id: {clock key: Deadline}} of the versions the cases recorded at
    registration (mechanism.Version.deadlines), in one query; a case without a version (None)
    runs on PROCEDURE.md's defaults."""
    ids = {v for v in version_ids if v is not None}
    out: dict[int, dict[str, Deadline]] = {}
    if not ids:
        return out
    for pk, deadlines in Version.objects.filter(pk__in=ids).values_list("pk", "deadlines"):
        out[pk] = deadlines_of(deadlines)
    return out


def deadlines_of(deadlines) -> dict[str, Deadline]:
    """{clock key: Deadline} of a version's stored deadlines (mechanism.Version.deadlines)."""
    return {key: Deadline.from_json(v) for key, v in (deadlines or {}).items() if v}


def deadline_for(dmap, version_id, key, *, emergency=False, clocks=None) -> Deadline:
    """A version's deadline for a clock, else the default; the emergency variant's key is
    "<key>.emergency" (e.g. first_contact.emergency), always in hours."""
    clock = (clocks or CLOCKS_BY_KEY)[key]
    settings = dmap.get(version_id, {}) if version_id is not None else {}
    if emergency and clock.emergency_hours is not None:
        d = settings.get(f"{key}.emergency") or Deadline(clock.emergency_hours)
        return Deadline(d.nominal_hours)
    return settings.get(key) or Deadline(clock.default_hours)


def due_for(start, deadline: Deadline, holder, calendar=None, session=None) -> datetime.datetime:
    """The due time of a run started at `start`; working days are counted in the zone of
    `holder.kelurahan` (a case or a clock row), read only then. A case of a role-play session
    runs on the session's compressed time (every day, working or not, lasts the session's
    minutes per day)."""
    if session is not None:
        return start + session.compressed(deadline.nominal_hours)
    if deadline.unit != Unit.WORKING_DAYS:
        return start + datetime.timedelta(hours=deadline.nominal_hours)
    return working.due_at(start, deadline, holder.kelurahan.tzinfo, calendar)


def running_clocks(case, dmap=None, now=None) -> list[Running]:
    """Every clock that runs on the case, with its due time (the rule of PROCEDURE.md). Closed
    and not-pursued cases have none: each clock stops when the case closes."""
    if case.status in vocab.FINAL_STATES:
        return []
    now = now or timezone.now()
    if dmap is None:
        dmap = deadline_map([case.mechanism_id])
    emergency = case.danger_now or case.injured_needs_care
    session = case.roleplay_session if case.roleplay_session_id else None
    out = []

    def add(key, start, waits_on, emergency_deadline=False):
        if start is None:
            return
        d = deadline_for(dmap, case.mechanism_id, key, emergency=emergency_deadline)
        due = due_for(start, d, case, session=session)
        out.append(Running(key, case, start, due, d.nominal_hours, now, waits_on))

    if case.status == S.RECEIVED:
        add("assign", case.status_changed_at, W.DECIDERS)
        if emergency and not case.first_contact_at:
            add("first_contact", case.registered_at, W.DECIDERS, emergency_deadline=True)
    if case.status in WORKING and not case.first_contact_at:
        if emergency:
            add("first_contact", case.registered_at, W.COMPANION, emergency_deadline=True)
        else:
            add("first_contact", case.assigned_at, W.COMPANION)
    if case.status == S.ASSESSMENT:
        add("plan", case.status_changed_at, W.COMPANION)
    if case.status == S.MONITORING:
        starts = [t for t in (case.last_visit_at, case.monitoring_started_at) if t]
        add("visit", max(starts) if starts else case.status_changed_at, W.COMPANION)
    if case.status == S.CLOSURE_REQUESTED:
        add("closure_decision", case.closure_requested_at, W.DECIDERS)
    return sorted(out, key=lambda r: r.due)


# ---------------------------------------------------------------------------------------------
# Writing the rows (called by the engine after every step, in its transaction)


@dataclass(frozen=True)
class Wanted:
    """A run that should exist: its key, start, due, deadline and who acts."""

    key: str
    start: datetime.datetime
    due: datetime.datetime
    hours: int
    waits_on: str
    assignee_id: int | None


def sync_runs(*, case, referral_id, wanted: list[Wanted], now, reason) -> None:
    """Make the running rows of (case, referral) match `wanted`: stop the runs that ended or
    restarted (stop reason: the step), start the new ones, follow a change of who acts."""
    current = {
        r.key: r
        for r in ClockRun.objects.filter(
            case=case, referral_id=referral_id, stopped_at__isnull=True
        )
    }
    by_key = {w.key: w for w in wanted}
    for key, row in current.items():
        want = by_key.get(key)
        if want is None or want.start != row.started_at:
            row.stopped_at = now
            row.stop_reason = reason[:40]
            row.save(update_fields=["stopped_at", "stop_reason"])
            continue
        if (row.waits_on, row.assignee_id) != (want.waits_on, want.assignee_id):
            row.waits_on, row.assignee_id = want.waits_on, want.assignee_id
            row.save(update_fields=["waits_on", "assignee"])
    new = [
        ClockRun(
            kelurahan_id=case.kelurahan_id,
            case=case,
            referral_id=referral_id,
            key=w.key,
            waits_on=w.waits_on,
            assignee_id=w.assignee_id,
            is_roleplay=case.is_roleplay,
            hours=w.hours,
            started_at=w.start,
            due_at=w.due,
        )
        for w in wanted
        if w.key not in current or current[w.key].stopped_at is not None
    ]
    if new:
        ClockRun.objects.bulk_create(new)


def sync_case(case, *, now=None, reason="", dmap=None) -> None:
    """The case's clock rows after a step (or its registration)."""
    now = now or timezone.now()
    wanted = [
        Wanted(
            r.key,
            r.start,
            r.due,
            r.hours,
            r.waits_on,
            case.companion_id if r.waits_on == W.COMPANION else None,
        )
        for r in running_clocks(case, dmap, now)
    ]
    sync_runs(case=case, referral_id=None, wanted=wanted, now=now, reason=reason)


def _after_step(ctx) -> None:
    reason = f"{ctx.table.key}.{ctx.step.action}"
    sync_case(ctx.case, now=ctx.now, reason=reason)
    engine.emit("clocks.case_synced", ctx, reason=reason)


engine.on("after_step", _after_step)


# Clocks whose rows have no case (public_channel: verify_public): {key: fn(row) -> (hours,
# due)}, the due time by the app's own rule.
RECOMPUTE: dict[str, Callable[[ClockRun], tuple[int, datetime.datetime]]] = {}


def recompute_running(kelurahan_ids=None) -> int:
    """Move the due time of running rows to the deadlines of the mechanism version each case
    recorded (after a correction of the holiday list, or of the data). Enacting a new version
    moves nothing: a case keeps the version it was registered under. Returns how many rows
    moved."""
    from django.db import transaction

    # A role-play session's rows keep their compressed time.
    qs = ClockRun.objects.running().filter(case__roleplay_session__isnull=True)
    if kelurahan_ids is not None:
        qs = qs.filter(kelurahan_id__in=kelurahan_ids)
    moved = 0
    with transaction.atomic():
        rows = list(qs.select_for_update(of=("self",)).select_related("case", "kelurahan"))
        dmap = deadline_map({r.case.mechanism_id for r in rows if r.case_id is not None})
        calendar = working.Calendar()
        for row in rows:
            if row.case_id is None:
                rule = RECOMPUTE.get(row.key)
                if rule is None:
                    continue
                hours, due = rule(row)
            else:
                clocks = presenter(row.key).clocks
                if row.key not in clocks:
                    continue
                emergency = (
                    row.key == "first_contact"
                    and row.referral_id is None
                    and (row.case.danger_now or row.case.injured_needs_care)
                )
                d = deadline_for(
                    dmap, row.case.mechanism_id, row.key, emergency=emergency, clocks=clocks
                )
                hours = d.nominal_hours
                due = due_for(row.started_at, d, row, calendar)
            if (hours, due) != (row.hours, row.due_at):
                # A new due time: its reminder and escalation are still to come.
                row.hours, row.due_at = hours, due
                row.reminded_at = row.escalated_at = None
                row.save(update_fields=["hours", "due_at", "reminded_at", "escalated_at"])
                moved += 1
    return moved


# ---------------------------------------------------------------------------------------------
# Reading the rows


@dataclass(frozen=True)
class Presenter:
    """How a clock's running row reads in Tugas Saya: its label, where it leads, and the clock
    table it belongs to (for its deadline settings)."""

    label: Any
    clocks: dict
    url: Callable[[ClockRun], str] | None = None


PRESENTERS: dict[str, Presenter] = {
    c.key: Presenter(c.label, CLOCKS_BY_KEY) for c in CLOCKS_BY_KEY.values()
}


def _case_url(run) -> str:
    """A case's row leads to its procedure; a row of a clock no table knows and with no case
    (a public submission's run whose key was altered) leads nowhere rather than failing."""
    if run.case_id is None:
        return ""
    return f"{run.case.get_absolute_url()}#procedure"


def presenter(key: str) -> Presenter:
    """How a clock reads (a key no table knows reads as itself)."""
    return PRESENTERS.get(key) or Presenter(key, {})


def present(run, now) -> ClockRun:
    """The row with what the pages show: label, url, title (the case number, or the public
    submission's number: never its content), due, overdue."""
    p = presenter(run.key)
    run.label = p.label
    run.url = p.url(run) if p.url else _case_url(run)
    if run.case_id is not None:
        run.title = run.case.number
    else:
        run.title = gettext("Public submission #%(n)s") % {"n": run.submission_id}
    run.due = run.due_at
    run.start = run.started_at
    run.overdue = now > run.due_at
    return run


def waiting_on(user, now) -> Q:
    """The running rows that wait on the user (PROCEDURE.md's "who acts"): the deciders'
    clocks on the coordinator and kelurahan staff, the companion's on the assigned pendamping
    (on the coordinator while nobody is assigned), the referral decisions on the kelurahan staff,
    and an agency's overdue receipt on the companion who follows it up."""
    q = Q(pk__in=[])
    for kel_id, held in roles_of(user).by_kelurahan.items():
        # Role-play session rows wait on session roles, on the session's page only.
        mine = Q(kelurahan_id=kel_id, case__roleplay_session__isnull=True)
        if held & KELURAHAN_WIDE_ROLES:
            q |= mine & Q(waits_on=W.DECIDERS)
        if Role.KOORDINATOR in held:
            q |= mine & Q(waits_on=W.COORDINATOR)
        if held & STAFF_ROLES:
            q |= mine & Q(waits_on=W.STAFF)
        companion = Q(pk__in=[])
        if Role.PENDAMPING in held:
            companion |= Q(assignee=user)
        if Role.KOORDINATOR in held:
            companion |= Q(assignee__isnull=True)
        q |= mine & companion & Q(waits_on=W.COMPANION)
        q |= mine & companion & Q(waits_on=W.AGENCY, due_at__lt=now)
    return q


def clock_tasks(user, now=None):
    """Running rows waiting on the user, most urgent first (nearest due first, then the case
    number): a queryset, for the page to slice."""
    now = now or timezone.now()
    return (
        ClockRun.objects.running()
        .filter(waiting_on(user, now))
        .select_related("case", "kelurahan")
        .order_by("due_at", "case__number", "pk")
    )


# What a task line shows (present()), read as plain values: no model instances per line.
LINE_FIELDS = (
    "id",
    "key",
    "case_id",
    "submission_id",
    "referral_id",
    "is_roleplay",
    "due_at",
    "started_at",
    "case__number",
    "kelurahan__name",
)


class _Line(SimpleNamespace):
    """A running clock row as present() reads it, built from LINE_FIELDS values."""


def task_lines(qs, now) -> list:
    """The rows of a clock_tasks() slice as presented lines (label, url, title, due, overdue,
    is_roleplay, kelurahan.name), from one values() query."""
    return task_lines_of(qs.values(*LINE_FIELDS), now)


def task_lines_of(rows, now) -> list:
    """task_lines() of rows already read (LINE_FIELDS values)."""
    out = []
    for row in rows:
        case = (
            CaseRef(row["case_id"], row["case__number"], row["is_roleplay"])
            if row["case_id"] is not None
            else None
        )
        line = _Line(
            pk=row["id"],
            key=row["key"],
            case_id=row["case_id"],
            case=case,
            submission_id=row["submission_id"],
            referral_id=row["referral_id"],
            is_roleplay=row["is_roleplay"],
            due_at=row["due_at"],
            started_at=row["started_at"],
            kelurahan=SimpleNamespace(name=row["kelurahan__name"]),
        )
        out.append(present(line, now))
    return out


@dataclass
class Task:
    case: Any
    label: Any
    due: datetime.datetime | None
    overdue: bool
    action: str = ""
    url: str = ""


# Tasks that are not deadlines (a best-interest decision to confirm, a returned referral to
# correct): provider(user, roles, now) -> [Task], each one bounded query.
TASK_PROVIDERS: list[Callable[..., list[Task]]] = []
# At most a page's worth of each kind (the oldest first): more of them asks nothing new of the
# reader, who works through these and sees the next ones (Tugas Saya stays a page, issue 12).
OTHER_TASKS_LIMIT = 25


def other_tasks(user, now=None) -> list[Task]:
    """The tasks without a deadline, at most OTHER_TASKS_LIMIT of each kind."""
    now = now or timezone.now()
    roles = roles_of(user)
    out = []
    for ref in _waiting_decision_cases(user, roles):
        out.append(
            Task(
                ref,
                _("Confirm a best-interest decision"),
                None,
                False,
                "confirm_consent",
                f"{ref.get_absolute_url()}#assessment",
            )
        )
    for provider in TASK_PROVIDERS:
        out.extend(provider(user, roles, now))
    return out


# Counts of the tasks without a deadline, each bounded: provider(user, roles) -> int.
TASK_COUNT_PROVIDERS: list[Callable[..., int]] = []


@dataclass(frozen=True)
class CaseRef:
    """What a task line shows of its case (number, simulation badge, link): read as plain
    values, so that a list of tasks costs no model instances."""

    pk: int
    number: str
    is_roleplay: bool

    def get_absolute_url(self):
        return reverse("cases:detail", args=[self.pk])


def _waiting_decision_cases(user, roles) -> list[CaseRef]:
    """Open cases with a best-interest decision waiting for another coordinator's
    confirmation, the oldest first, at most OTHER_TASKS_LIMIT."""
    coord_kel = [k for k, held in roles.by_kelurahan.items() if Role.KOORDINATOR in held]
    if not coord_kel:
        return []
    # The oldest waiting decisions through their partial index (a join over every case would
    # cost more than these few rows); cases closed meanwhile are skipped here.
    rows = (
        Consent.objects.filter(
            kelurahan_id__in=coord_kel,
            given_by=vocab.ConsentGiver.BEST_INTEREST,
            confirmed_at__isnull=True,
            withdrawn_at__isnull=True,
        )
        .exclude(recorded_by=user)
        .order_by("given_at", "pk")
        # The 200 oldest, as before the list was cut to a page: a decision left waiting on a
        # case that was closed still sits in the partial index and is skipped below.
        .values_list("case_id", "case__number", "case__is_roleplay", "case__status")[
            : OTHER_TASKS_LIMIT * 8
        ]
    )
    out: dict[int, CaseRef] = {}
    for pk, number, roleplay, status in rows:
        if status in vocab.FINAL_STATES or pk in out:
            continue
        out[pk] = CaseRef(pk, number, roleplay)
        if len(out) >= OTHER_TASKS_LIMIT:
            break
    return list(out.values())


def _waiting_decisions(user, roles):
    return len(_waiting_decision_cases(user, roles))


TASK_COUNT_PROVIDERS.append(_waiting_decisions)


def task_counts(user, now=None) -> tuple[int, int]:
    """(tasks waiting on the user, of which overdue): SQL counts, for the home panel."""
    now = now or timezone.now()
    roles = roles_of(user)
    qs = ClockRun.objects.running().filter(waiting_on(user, now))
    agg = qs.aggregate(n=Count("pk"), late=Count("pk", filter=Q(due_at__lt=now)))
    others = sum(provider(user, roles) for provider in TASK_COUNT_PROVIDERS)
    return agg["n"] + others, agg["late"]


def running_for_case(case, now=None) -> list[ClockRun]:
    """The clocks running on the case page (case clocks only; referral clocks show on their
    referral)."""
    now = now or timezone.now()
    rows = ClockRun.objects.running().filter(case=case, referral_id__isnull=True)
    out = []
    for r in rows.order_by("due_at", "pk"):
        r.case = case  # the page's own case, not fetched again for the row's link
        out.append(present(r, now))
    return out


def overdue_rows():
    """An annotation of cases: their running case clocks (referral clocks show on their
    referral) as a JSON list of {key, due}, read in the case list's own query; overdue_labels
    picks the overdue ones. No clock time in the SQL: the list's row query is compiled once
    (lbk.sql.Prepared)."""
    from lbk.sql import rows_of

    running = ClockRun.objects.running().filter(referral_id__isnull=True)
    return rows_of(running, "case_id", key="key", due="due_at")


def _moment(value) -> datetime.datetime:
    """A due time read from JSON: ISO text (PostgreSQL: with its offset; SQLite: UTC)."""
    moment = datetime.datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.UTC)


def overdue_labels(rows, now=None) -> list[str]:
    """The labels of the clocks of overdue_rows past their due time, the longest overdue
    first."""
    now = now or timezone.now()
    due = sorted((_moment(r["due"]), r["key"]) for r in rows or ())
    return [presenter(key).label for moment, key in due if moment < now]


def with_latest_risk(qs):
    """Annotate `latest_risk`: the risk level of the case's most recent assessment."""
    latest = Assessment.objects.filter(case=OuterRef("pk")).order_by("-assessed_at", "-pk")
    return qs.annotate(latest_risk=Subquery(latest.values("risk_level")[:1]))


def filter_by_risk(qs, level):
    """Cases whose most recent assessment has this risk level (the case list's risk filter)."""
    if level not in vocab.RiskLevel.values:
        return qs
    return with_latest_risk(qs).filter(latest_risk=level)


OLDEST = 5


def dashboard(kelurahan_ids, now=None) -> dict[int, dict]:
    """Per kelurahan: cases per state, overdue counts per clock (SQL aggregates over the
    running rows), the oldest waiting clocks (real cases; role play has its own lists)."""
    from . import state_counts

    now = now or timezone.now()
    counts = state_counts.counts(kelurahan_ids)
    overdue: dict[int, dict[str, int]] = {}
    running = ClockRun.objects.running().real().filter(kelurahan_id__in=kelurahan_ids)
    for kel_id, key, n in (
        running.filter(due_at__lt=now)
        .values_list("kelurahan_id", "key")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        overdue.setdefault(kel_id, {})[key] = n
    out = {}
    for kel_id in kelurahan_ids:
        per_key = overdue.get(kel_id, {})
        rows = [(p.clocks[key].label, per_key.get(key, 0)) for key, p in PRESENTERS.items()]
        oldest = running.filter(kelurahan_id=kel_id).select_related("case")
        out[kel_id] = {
            "states": [(s, s.label, counts.get(kel_id, {}).get(s.value, 0)) for s in S],
            "overdue_rows": rows,
            "overdue_total": sum(n for _label, n in rows),
            "oldest": [present(r, now) for r in oldest.order_by("started_at", "pk")[:OLDEST]],
        }
    return out
