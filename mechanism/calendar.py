"""Working days: Monday to Friday, less national holidays and cuti bersama.

The list comes from lokal-id (`lokal.holidays`: the libur nasional and cuti bersama of each
year's SKB 3 Menteri, with the decree's number), corrected per date by the Holiday rows the admin
keeps. A year is "published" when lokal-id has its SKB or the admin entered rows for it; for any
other year only weekends are skipped, and the admin sees a warning (mechanism/admin.py).
"""

from __future__ import annotations

import datetime
from functools import lru_cache

from .models import Deadline, Holiday, Unit


@lru_cache(maxsize=64)
def _library(year: int) -> tuple[frozenset[datetime.date], bool]:
    """(days off of the year's SKB, whether lokal-id has that SKB)."""
    from lokal.holidays import HOLIDAY_YEARS, get_holidays

    if year not in HOLIDAY_YEARS:
        return frozenset(), False
    days = get_holidays(year).holidays
    return frozenset(datetime.date.fromisoformat(h.date) for h in days), True


def decree(year: int) -> str:
    """The SKB a year's days off come from (lokal-id), or ""."""
    from lokal.holidays import HOLIDAY_YEARS, get_holidays

    return get_holidays(year).decree if year in HOLIDAY_YEARS else ""


def published(year: int) -> bool:
    return _library(year)[1] or Holiday.objects.filter(date__year=year).exists()


def unpublished_years(today: datetime.date) -> list[int]:
    """This year and the next, if their days off are not known (the admin's warning)."""
    return [y for y in (today.year, today.year + 1) if not published(y)]


class Calendar:
    """The days off of the years asked for, read once per year (one query per year)."""

    def __init__(self):
        self._years: dict[int, frozenset[datetime.date]] = {}

    def days_off(self, year: int) -> frozenset[datetime.date]:
        if year not in self._years:
            listed, joint = _library(year)
            rows = list(Holiday.objects.filter(date__year=year).values_list("date", "day_off"))
            if not joint and not rows:
                self._years[year] = frozenset()
            else:
                off = set(listed)
                for day, day_off in rows:
                    (off.add if day_off else off.discard)(day)
                self._years[year] = frozenset(off)
        return self._years[year]

    def is_working_day(self, day: datetime.date) -> bool:
        return day.weekday() < 5 and day not in self.days_off(day.year)

    def add_working_days(self, day: datetime.date, n: int) -> datetime.date:
        """The n-th working day after `day`."""
        while n > 0:
            day += datetime.timedelta(days=1)
            if self.is_working_day(day):
                n -= 1
        return day


def due_at(
    start: datetime.datetime,
    deadline: Deadline,
    tz: datetime.tzinfo,
    calendar: Calendar | None = None,
) -> datetime.datetime:
    """When a clock started at `start` runs out. Hours and days are clock time; n working days
    end at the same local time (in the place's zone) on the n-th working day after the start's
    local date."""
    if deadline.unit != Unit.WORKING_DAYS:
        return start + datetime.timedelta(hours=deadline.nominal_hours)
    calendar = calendar or Calendar()
    local = start.astimezone(tz)
    day = calendar.add_working_days(local.date(), deadline.amount)
    return datetime.datetime.combine(day, local.timetz().replace(tzinfo=None), tzinfo=tz)
