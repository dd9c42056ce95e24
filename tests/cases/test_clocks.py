"""Deadline clocks computed with a frozen clock (time-machine)."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from cases import clocks
from cases.models import ClockSetting
from cases.services.procedure import case_advance
from tests.cases.factories_procedure import assign, make_case, prepare_plan, walk_to

pytestmark = pytest.mark.django_db
T0 = datetime.datetime(2026, 11, 2, 8, 0, tzinfo=ZoneInfo("Asia/Makassar"))
H = datetime.timedelta(hours=1)


def keys(case, now):
    return {r.key: r for r in clocks.running_clocks(case, now=now)}


def test_case_clocks_start_and_stop(personas, master):
    p = personas
    with time_machine.travel(T0, tick=False):
        case = make_case(master["ws"], p["ws.relawan"])
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
        prepare_plan(case, p["ws.pendamping"])
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
        case = make_case(master["ws"], p["ws.relawan"], injured_needs_care=True)
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
        case = make_case(master["ws"], p["ws.relawan"], danger_now=True)
        case_advance(
            case=case,
            action="decline",
            actor=p["ws.koordinator"],
            data={"not_pursued_reason": "duplicate"},
        )
    assert keys(case, T0 + 1000 * H) == {}


def test_kelurahan_settings_override_defaults(personas, master):
    p = personas
    ClockSetting.objects.create(kelurahan=master["ws"], key="assign", hours=6)
    ClockSetting.objects.create(kelurahan=master["ws"], key="first_contact.emergency", hours=1)
    with time_machine.travel(T0, tick=False):
        ws = make_case(master["ws"], p["ws.relawan"], danger_now=True)
        wb = make_case(master["wb"], p["wb.relawan"])
    assert keys(ws, T0)["assign"].due == T0 + 6 * H
    assert keys(ws, T0)["first_contact"].due == T0 + H
    assert keys(wb, T0)["assign"].due == T0 + 24 * H


def test_tasks_most_urgent_first_for_the_person_who_must_act(personas, master):
    p = personas
    with time_machine.travel(T0, tick=False):
        old = make_case(master["ws"], p["ws.relawan"])
    with time_machine.travel(T0 + 10 * H, tick=False):
        new = make_case(master["ws"], p["ws.relawan"])
        mine = walk_to(make_case(master["ws"], p["ws.relawan"]), "assessment", p)
        make_case(master["wb"], p["wb.relawan"])
    now = T0 + 30 * H
    koor = [(t.case, t.action, t.overdue) for t in clocks.tasks_for(p["ws.koordinator"], now)]
    assert koor == [(old, "assign", True), (new, "assign", False)]
    pend = [(t.case, t.action) for t in clocks.tasks_for(p["ws.pendamping"], now)]
    assert pend == [(mine, "first_contact"), (mine, "plan")]
    assert clocks.tasks_for(p["ws.pendamping2"], now) == []
    assert clocks.tasks_for(p["ws.relawan"], now) == []
    assert [t.case.kelurahan_id for t in clocks.tasks_for(p["wb.lurah"], now)] == [master["wb"].pk]


def test_dashboard_and_overdue_marks(personas, master):
    p = personas
    with time_machine.travel(T0, tick=False):
        late = make_case(master["ws"], p["ws.relawan"])
        walk_to(make_case(master["ws"], p["ws.relawan"]), "closed", p)
    now = T0 + 48 * H
    data = clocks.dashboard([master["ws"].pk], now)[master["ws"].pk]
    states = {code: n for code, _label, n in data["states"]}
    assert states["received"] == 1 and states["closed"] == 1
    assert data["overdue"]["assign"] == 1 and data["overdue_total"] == 1
    assert data["oldest"][0].case == late
    marks = clocks.overdue_marks([late], now)
    assert [r.key for r in marks[late.pk]] == ["assign"]


def test_admin_sets_a_kelurahan_deadline_from_the_clock_list(personas, master):
    admin = personas["admin"]
    admin.is_staff = True
    admin.save()
    c = personas.client("admin")
    r = c.get("/admin/cases/clocksetting/add/")
    assert r.status_code == 200 and "first_contact.emergency" in r.content.decode()
    r = c.post(
        "/admin/cases/clocksetting/add/",
        {"kelurahan": master["wb"].pk, "key": "nonsense", "hours": 5},
    )
    assert r.status_code == 200 and not ClockSetting.objects.exists()
    r = c.post(
        "/admin/cases/clocksetting/add/",
        {"kelurahan": master["wb"].pk, "key": "visit", "hours": 240},
    )
    assert r.status_code == 302
    assert clocks.hours_for(clocks.hours_map([master["wb"].pk]), master["wb"].pk, "visit") == 240
