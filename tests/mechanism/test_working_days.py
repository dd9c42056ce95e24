"""Working-day deadlines (issue 17, item 5): weekends, national holidays and cuti bersama
skipped in the place's time zone; the emergency clocks always in clock hours; the admin's
corrections of the holiday list; a year without a published list."""

import datetime
import zoneinfo

import pytest
import time_machine

from cases.clocks import recompute_running
from cases.models import ClockRun
from mechanism import calendar
from mechanism.models import Deadline, Holiday
from tests.factories import make_case, mechanism_version

pytestmark = pytest.mark.django_db

WITA = zoneinfo.ZoneInfo("Asia/Makassar")
WIB = zoneinfo.ZoneInfo("Asia/Jakarta")
# Friday 14 August 2026, 10:00 WITA; Monday 17 August is Independence Day.
FRIDAY = datetime.datetime(2026, 8, 14, 10, 0, tzinfo=WITA)


def test_the_calendar_skips_weekends_holidays_and_cuti_bersama():
    cal = calendar.Calendar()
    assert not cal.is_working_day(datetime.date(2026, 8, 17))  # Hari Kemerdekaan
    assert not cal.is_working_day(datetime.date(2026, 12, 24))  # cuti bersama Natal
    assert not cal.is_working_day(datetime.date(2026, 8, 15))  # Saturday
    assert cal.is_working_day(datetime.date(2026, 8, 18))
    assert cal.add_working_days(datetime.date(2026, 8, 14), 1) == datetime.date(2026, 8, 18)
    # Clock time is not affected.
    assert calendar.due_at(FRIDAY, Deadline(24), WITA) == FRIDAY + datetime.timedelta(hours=24)
    # Reckoned in the place's zone: 23:30 WIB on Friday is Saturday 00:30 WITA... but the same
    # instant is still Friday in Jakarta, so 1 working day ends on Tuesday 23:30 WIB.
    late = datetime.datetime(2026, 8, 14, 23, 30, tzinfo=WIB)
    due = calendar.due_at(late, Deadline(1, "working_days"), WIB)
    assert due == datetime.datetime(2026, 8, 18, 23, 30, tzinfo=WIB)
    due = calendar.due_at(late, Deadline(1, "working_days"), WITA)
    assert due.astimezone(WITA) == datetime.datetime(2026, 8, 18, 0, 30, tzinfo=WITA)


def test_working_day_deadlines_across_a_weekend_and_a_holiday(personas, master):
    mechanism_version(
        "ws",
        deadlines={"assign": (1, "working_days"), "first_contact.emergency": 2},
    )
    with time_machine.travel(FRIDAY, tick=False):
        case = make_case(personas, danger_now=True)
    runs = {r.key: r for r in ClockRun.objects.filter(case=case)}
    # Saturday, Sunday and Monday 17 August skipped: Tuesday 10:00 WITA.
    assert runs["assign"].due_at == datetime.datetime(2026, 8, 18, 10, 0, tzinfo=WITA)
    # The emergency clock counts clock hours whatever the day.
    assert runs["first_contact"].due_at == FRIDAY + datetime.timedelta(hours=2)

    # The admin adds a day off (a regional holiday decreed late): recomputed, the deadline moves
    # to Wednesday; the emergency clock stays.
    c = personas.client("admin")
    r = c.post(
        "/admin/mechanism/holiday/add/",
        {"date": "2026-08-18", "name": "Cuti bersama tambahan", "day_off": "on"},
    )
    assert r.status_code == 302
    recompute_running([master["ws"].pk])
    runs = {r.key: r for r in ClockRun.objects.filter(case=case)}
    assert runs["assign"].due_at == datetime.datetime(2026, 8, 19, 10, 0, tzinfo=WITA)
    assert runs["first_contact"].due_at == FRIDAY + datetime.timedelta(hours=2)
    # A listed day marked as worked counts again.
    Holiday.objects.create(date=datetime.date(2026, 8, 17), name="Masuk", day_off=False)
    Holiday.objects.filter(date=datetime.date(2026, 8, 18)).delete()
    recompute_running([master["ws"].pk])
    run = ClockRun.objects.get(case=case, key="assign")
    assert run.due_at == datetime.datetime(2026, 8, 17, 10, 0, tzinfo=WITA)


def test_a_year_without_published_holidays_counts_weekends_only(personas, master, monkeypatch):
    assert calendar.published(2026) and not calendar.published(2031)
    cal = calendar.Calendar()
    # 17 August 2031 is a Sunday; 1 January 2031 (Wednesday) is not skipped without a list.
    assert cal.is_working_day(datetime.date(2031, 1, 1))
    assert not cal.is_working_day(datetime.date(2031, 1, 4))  # Saturday
    assert calendar.unpublished_years(datetime.date(2031, 3, 2)) == [2031, 2032]
    assert calendar.unpublished_years(datetime.date(2026, 3, 2)) == []
    # The admin is warned on the holiday list (today's years are published: a later year is
    # made to look unpublished here).
    monkeypatch.setattr(calendar, "unpublished_years", lambda today: [2031])
    r = personas.client("admin").get("/admin/mechanism/holiday/")
    body = r.content.decode()
    assert r.status_code == 200
    assert "2031" in body and ("weekends only" in body or "akhir pekan" in body)
    # Once the admin enters the year's days off, they count and the year is published.
    Holiday.objects.create(date=datetime.date(2031, 1, 1), name="Tahun Baru Masehi")
    assert calendar.published(2031)
    assert not calendar.Calendar().is_working_day(datetime.date(2031, 1, 1))
