"""The debrief (evaluasi) of a session, read from the record: per scenario the path taken
against the expected one, the refusals met, the deadlines met and missed on the compressed
clock (the clock rows) and which session role acted when; then the correction notes. Roles, not
people's names."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils import timezone

from accounts.models import Role
from cases import clocks
from cases.models import CaseEvent, ClockRun

from . import scenarios
from .models import Note, Refusal, Session


@dataclass
class Deadline:
    label: str
    due_at: object
    stopped_at: object
    met: bool | None  # None: still running and not yet due


@dataclass
class Scenario:
    case: object
    card: scenarios.Card | None
    expected: list[tuple[str, bool]] = field(default_factory=list)  # (step, taken)
    unexpected: list[str] = field(default_factory=list)
    acts: list[tuple[object, str, str]] = field(default_factory=list)  # (at, step, roles)
    refusals: list[Refusal] = field(default_factory=list)
    deadlines: list[Deadline] = field(default_factory=list)

    @property
    def missed(self) -> int:
        return sum(d.met is False for d in self.deadlines)


def step_labels() -> dict[str, str]:
    """{"assign": "Tetapkan pendamping", "referral.send": "...", ...}: the steps' own labels."""
    from cases.engine import tables

    out: dict[str, str] = {"registered": str(CaseEvent.Kind.REGISTERED.label)}
    for table in tables():
        prefix = "" if table.key == "case" else f"{table.key}."
        for step in table.steps:
            out.setdefault(f"{prefix}{step.action}", str(step.label))
    return out


def step_of(event: CaseEvent) -> str:
    if event.kind == CaseEvent.Kind.REFERRAL:
        return f"referral.{event.action}"
    return event.action


def build(session: Session, now=None) -> dict:
    now = now or timezone.now()
    cases = list(session.cases.order_by("pk"))
    ids = [c.pk for c in cases]
    roles_by_user: dict[int, set[str]] = {}
    for p in session.participants.all():
        roles_by_user.setdefault(p.user_id, set()).add(p.get_role_display())
    facilitator = str(Role.FASILITATOR.label)
    events: dict[int, list[CaseEvent]] = {}
    for e in CaseEvent.objects.filter(case_id__in=ids).order_by("at", "pk"):
        events.setdefault(e.case_id, []).append(e)
    refusals: dict[int, list[Refusal]] = {}
    names_ = step_labels()
    for r in Refusal.objects.filter(session=session).order_by("at", "pk"):
        r.label = names_.get(r.action, r.action)
        refusals.setdefault(r.case_id, []).append(r)
    runs: dict[int, list[ClockRun]] = {}
    for run in ClockRun.objects.filter(case_id__in=ids).order_by("started_at", "pk"):
        runs.setdefault(run.case_id, []).append(run)
    names = step_labels()
    out = []
    for case in cases:
        card = scenarios.card(case.scenario)
        taken = [step_of(e) for e in events.get(case.pk, []) if e.action]
        s = Scenario(case=case, card=card, refusals=refusals.get(case.pk, []))
        expected = list(card.expected) if card else []
        s.expected = [(names.get(step, step), step in taken) for step in expected]
        s.unexpected = [names.get(t, t) for t in dict.fromkeys(taken) if t not in expected]
        for e in events.get(case.pk, []):
            who = roles_by_user.get(e.actor_id)
            label = ", ".join(sorted(who)) if who else facilitator
            s.acts.append((e.at, names.get(step_of(e) or e.kind, step_of(e) or e.kind), label))
        for run in runs.get(case.pk, []):
            end = run.stopped_at
            met = end <= run.due_at if end is not None else False if now > run.due_at else None
            s.deadlines.append(Deadline(clocks.presenter(run.key).label, run.due_at, end, met))
        out.append(s)
    notes = list(
        Note.objects.filter(session=session)
        .select_related("case", "applied_version")
        .order_by("at", "pk")
    )
    return {
        "scenarios": out,
        "notes_in": [n for n in notes if n.in_mechanism],
        "notes_out": [n for n in notes if not n.in_mechanism],
        "missed": sum(s.missed for s in out),
    }


def reminders(session: Session, now=None) -> list[dict]:
    """The session's in-app reminders, computed when the page loads: running rows due within a
    quarter of their length, and the overdue ones (never an e-mail)."""
    now = now or timezone.now()
    out = []
    rows = (
        ClockRun.objects.running()
        .filter(case__roleplay_session=session)
        .select_related("case")
        .order_by("due_at", "pk")
    )
    for run in rows:
        quarter = (run.due_at - run.started_at) / 4
        if now >= run.due_at - quarter:
            out.append(
                {
                    "case": run.case,
                    "label": clocks.presenter(run.key).label,
                    "due_at": run.due_at,
                    "overdue": now > run.due_at,
                }
            )
    return out
