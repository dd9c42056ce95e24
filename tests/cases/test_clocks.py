"""Deadline clocks with a frozen clock (time-machine): the rule (running_clocks), the rows the
engine writes (ClockRun), and the lists read from them (Tugas Saya, dashboard, overdue marks)."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from cases import clocks
from cases.models import Case, ClockRun
from cases.services.procedure import case_advance
from mechanism.models import Version
from tests.clock_tasks import tasks_for
from tests.factories import assess_and_plan, assign, make_case, mechanism_version

pytestmark = pytest.mark.django_db
T0 = datetime.datetime(2026, 11, 2, 8, 0, tzinfo=ZoneInfo("Asia/Makassar"))
H = datetime.timedelta(hours=1)


def keys(case, now):
    return {r.key: r for r in clocks.running_clocks(case, now=now)}


def test_case_clocks_start_and_stop(personas, master):
    p = personas
    with time_machine.travel(T0, tick=False):
        case = make_case(p)
    run = keys(case, T0 + 25 * H)
    assert set(run) == {"assign"}
    assert run["assign"].due == T0 + 24 * H and run["assign"].overdue
    assert not keys(case, T0 + 23 * H)["assign"].overdue

    with time_machine.travel(T0 + 30 * H, tick=False):
        assign(case, p["ws.koordinator"], p["ws.pendamping"])
    run = keys(case, T0 + 31 * H)
    assert set(run) == {"first_contact", "plan"}
    assert run["first_contact"].due == T0 + 30 * H + 72 * H
    assert run["plan"].due == T0 + 30 * H + 7 * 24 * H

    with time_machine.travel(T0 + 40 * H, tick=False):
        case_advance(
            case=case, action="first_contact", actor=p["ws.pendamping"], data={"how": "phone"}
        )
        assess_and_plan(case, p["ws.pendamping"])
        case_advance(case=case, action="complete_assessment", actor=p["ws.pendamping"])
    assert keys(case, T0 + 41 * H) == {}

    with time_machine.travel(T0 + 50 * H, tick=False):
        case_advance(case=case, action="start_monitoring", actor=p["ws.pendamping"])
    run = keys(case, T0 + 51 * H)
    assert set(run) == {"visit"} and run["visit"].due == T0 + 50 * H + 14 * 24 * H
    visit_day = (T0 + 100 * H).date()
    with time_machine.travel(T0 + 100 * H, tick=False):
        case_advance(
            case=case,
            action="visit",
            actor=p["ws.pendamping"],
            data={"kind": "home", "text": "baik", "visited_on": visit_day},
        )
    assert keys(case, T0 + 101 * H)["visit"].due == T0 + 100 * H + 14 * 24 * H

    with time_machine.travel(T0 + 200 * H, tick=False):
        case_advance(
            case=case,
            action="propose_closure",
            actor=p["ws.pendamping"],
            data={"closure_reason": "needs_met"},
        )
    run = keys(case, T0 + 300 * H)
    assert set(run) == {"closure_decision"} and run["closure_decision"].overdue
    assert run["closure_decision"].due == T0 + 272 * H
    with time_machine.travel(T0 + 300 * H, tick=False):
        case_advance(case=case, action="approve_closure", actor=p["ws.kasikesra"])
    assert keys(case, T0 + 900 * H) == {}  # every clock stops when the case is closed


def test_emergency_first_contact_two_hours_from_registration(personas, master):
    p = personas
    with time_machine.travel(T0, tick=False):
        case = make_case(p, injured_needs_care=True)
    run = keys(case, T0 + H)
    assert run["first_contact"].due == T0 + 2 * H
    assert run["first_contact"].waits_on == "deciders"
    assert keys(case, T0 + 3 * H)["first_contact"].overdue
    with time_machine.travel(T0 + H, tick=False):
        assign(case, p["ws.koordinator"], p["ws.pendamping"])
    run = keys(case, T0 + H)
    assert run["first_contact"].due == T0 + 2 * H and run["first_contact"].waits_on == "companion"


def test_not_pursued_stops_every_clock(personas, master):
    p = personas
    with time_machine.travel(T0, tick=False):
        case = make_case(p, danger_now=True)
        case_advance(
            case=case,
            action="decline",
            actor=p["ws.koordinator"],
            data={"not_pursued_reason": "duplicate"},
        )
    assert keys(case, T0 + 1000 * H) == {}


def test_kelurahan_settings_override_defaults(personas, master):
    p = personas
    mechanism_version("ws", deadlines={"assign": 6, "first_contact.emergency": 1})
    with time_machine.travel(T0, tick=False):
        ws = make_case(p, danger_now=True)
        wb = make_case(p, kel="wb")
    assert keys(ws, T0)["assign"].due == T0 + 6 * H
    assert keys(ws, T0)["first_contact"].due == T0 + H
    assert keys(wb, T0)["assign"].due == T0 + 24 * H


def test_tasks_most_urgent_first_for_the_person_who_must_act(personas, master):
    p = personas
    with time_machine.travel(T0, tick=False):
        old = make_case(p)
    with time_machine.travel(T0 + 10 * H, tick=False):
        new = make_case(p)
        mine = make_case(p, "assessment")
        make_case(p, kel="wb")
    now = T0 + 30 * H
    koor = [(t.case, t.action, t.overdue) for t in tasks_for(p["ws.koordinator"], now)]
    assert koor == [(old, "assign", True), (new, "assign", False)]
    pend = [(t.case, t.action) for t in tasks_for(p["ws.pendamping"], now)]
    assert pend == [(mine, "first_contact"), (mine, "plan")]
    assert tasks_for(p["ws.pendamping2"], now) == []
    assert tasks_for(p["ws.relawan"], now) == []
    assert [t.case.kelurahan_id for t in tasks_for(p["wb.lurah"], now)] == [master["wb"].pk]


def test_dashboard_and_overdue_marks(personas, master):
    p = personas
    with time_machine.travel(T0, tick=False):
        late = make_case(p)
        make_case(p, "closed")
    now = T0 + 48 * H
    data = clocks.dashboard([master["ws"].pk], now)[master["ws"].pk]
    states = {code: n for code, _label, n in data["states"]}
    assert states["received"] == 1 and states["closed"] == 1
    rows = {str(label): n for label, n in data["overdue_rows"]}
    assert rows[str(clocks.CLOCKS_BY_KEY["assign"].label)] == 1 and data["overdue_total"] == 1
    assert data["oldest"][0].case == late
    marked = Case.objects.annotate(running=clocks.overdue_rows()).get(pk=late.pk)
    assert [r["key"] for r in marked.running] == ["assign"]
    assert clocks.overdue_labels(marked.running, now) == [clocks.CLOCKS_BY_KEY["assign"].label]
    assert clocks.overdue_labels(marked.running, T0) == []  # not yet due
    closed = Case.objects.annotate(running=clocks.overdue_rows()).exclude(pk=late.pk).get()
    assert closed.running is None and clocks.overdue_labels(closed.running, now) == []


def test_admin_sets_a_kelurahan_deadline_from_the_clock_list(personas, master):
    admin = personas["admin"]
    admin.is_staff = True
    admin.save()
    # The admin no longer keeps deadlines (ROLES.md: the mechanism record does).
    assert personas.client("admin").get("/admin/cases/clocksetting/").status_code == 404


def test_rows_follow_the_steps_and_are_kept_after_they_stop(personas, master):
    p = personas
    with time_machine.travel(T0, tick=False):
        case = make_case(p)
    (assign_run,) = ClockRun.objects.filter(case=case)
    assert (assign_run.key, assign_run.due_at, assign_run.waits_on) == (
        "assign",
        T0 + 24 * H,
        "deciders",
    )
    with time_machine.travel(T0 + 30 * H, tick=False):
        assign(case, p["ws.koordinator"], p["ws.pendamping"])
    assign_run.refresh_from_db()
    assert assign_run.stopped_at == T0 + 30 * H and assign_run.stop_reason == "case.assign"
    running = {r.key: r for r in ClockRun.objects.running().filter(case=case)}
    assert set(running) == {"first_contact", "plan"}
    assert running["plan"].assignee == p["ws.pendamping"]
    with time_machine.travel(T0 + 31 * H, tick=False):
        case_advance(
            case=case,
            action="reassign",
            actor=p["ws.koordinator"],
            data={"companion": p["ws.pendamping2"], "no_conflict": True, "reason": "Cuti"},
        )
    running = {r.key: r for r in ClockRun.objects.running().filter(case=case)}
    assert running["plan"].assignee == p["ws.pendamping2"]  # who acts follows the case
    assert running["plan"].started_at == T0 + 30 * H  # the same run goes on
    assert ClockRun.objects.filter(case=case).count() == 3  # the stopped row is kept


def test_registration_starts_the_first_clocks(personas, master):
    with time_machine.travel(T0, tick=False):
        case = make_case(personas, danger_now=True)
    keys = sorted(ClockRun.objects.running().filter(case=case).values_list("key", flat=True))
    assert keys == ["assign", "first_contact"]
    fc = ClockRun.objects.get(case=case, key="first_contact")
    assert fc.due_at == T0 + 2 * H and fc.hours == 2


def test_recompute_moves_running_rows_after_a_settings_change(personas, master):
    version = mechanism_version("ws")
    with time_machine.travel(T0, tick=False):
        case = make_case(personas)
    # The case's version corrected with the ORM (the app edits drafts only).
    Version.objects.filter(pk=version.pk).update(deadlines={"assign": {"amount": 6}})
    assert ClockRun.objects.get(case=case).due_at == T0 + 24 * H  # fixed when it started
    from django.core.management import call_command

    call_command("recompute_clocks", verbosity=0)
    row = ClockRun.objects.get(case=case)
    assert (row.hours, row.due_at) == (6, T0 + 6 * H)


def _expected_tasks(user, now):
    """Today's rule computed in Python over every open case (the reference the SQL lists must
    equal): each running clock of PROCEDURE.md that waits on the user."""
    from accounts.roles import roles_of
    from cases.access import companion_work_waits_on
    from cases.models import Case

    roles = roles_of(user)
    out = []
    for case in Case.objects.in_full_to(user).exclude(status__in=["closed", "not_pursued"]):
        held = roles.at(case.kelurahan_id)
        for run in clocks.running_clocks(case, now=now):
            if run.waits_on == "deciders":
                waits = bool(held & {"koordinator", "kasi_kesra", "lurah"})
            else:
                waits = companion_work_waits_on(user, case, held)
            if waits:
                out.append((run.due, case.number, run.key))
    return sorted(out)


def test_sql_tasks_equal_the_python_rule_on_a_mixed_data_set(personas, master):
    """The same tasks (due times and order) from the clock rows as from the rule itself."""
    p = personas
    states = ["received", "assessment", "handling", "monitoring", "closure_requested", "closed"]
    for i, state in enumerate(states * 2):
        with time_machine.travel(T0 + i * 7 * H, tick=False):
            emergency = {"danger_now": True} if i % 4 == 0 else {}
            make_case(p, state, **emergency)
    with time_machine.travel(T0 + 200 * H, tick=False):
        other = make_case(p, "assessment")
        case_advance(
            case=other,
            action="reassign",
            actor=p["ws.koordinator"],
            data={"companion": p["ws.pendamping2"], "no_conflict": True, "reason": "Cuti"},
        )
    now = T0 + 300 * H
    for name in ("ws.koordinator", "ws.kasikesra", "ws.pendamping", "ws.pendamping2", "ws.lurah"):
        user = p[name]
        got = [
            (r.due_at, r.case.number, r.key)
            for r in clocks.clock_tasks(user, now)
            if r.referral_id is None
        ]
        assert got == _expected_tasks(user, now), name
        assert got, name  # each persona has work in this data set


def test_the_dashboards_counts_are_kept_by_the_engine_and_equal_a_recount(personas, master):
    from cases import state_counts
    from cases.models import Case

    p = personas
    for state in ("received", "assessment", "handling", "closed", "closed"):
        make_case(p, state)
    make_case(p, "handling", roleplay=True)
    kept = state_counts.counts([master["ws"].pk])[master["ws"].pk]
    real = Case.objects.filter(kelurahan=master["ws"], is_roleplay=False)
    for status in ("received", "assessment", "handling", "closed"):
        assert kept.get(status, 0) == real.filter(status=status).count(), status
    state_counts.rebuild()
    assert state_counts.counts([master["ws"].pk])[master["ws"].pk] == {
        k: v for k, v in kept.items() if v
    }
