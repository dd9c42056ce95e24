"""Service hours of a posko and "N working hours counted within service hours".

ONE function gives a place's weekly hours: `service_hours(kelurahan)`. Until the mechanism
record (issue: mechanism, `mechanism.service_hours(kelurahan)`) is merged it returns the default,
Monday to Friday 08:00-16:00 in the place's own time zone (`kelurahan.tzinfo`). The integrator
points it at the mechanism's function; nothing else here changes.
"""

from __future__ import annotations

import datetime

# Monday = 0 ... Sunday = 6: a list of (opens, closes) per day, local wall-clock times.
WeeklyHours = dict[int, list[tuple[datetime.time, datetime.time]]]

DEFAULT_HOURS: WeeklyHours = {
    day: [(datetime.time(8, 0), datetime.time(16, 0))] for day in range(5)
}


def service_hours(kelurahan) -> WeeklyHours:
    """The place's weekly service hours (default Monday-Friday 08:00-16:00 local time).

    TODO(integrator): return mechanism.service_hours(kelurahan) once the mechanism app is merged.
    """
    return DEFAULT_HOURS


def _local(kelurahan, dt: datetime.datetime) -> datetime.datetime:
    return dt.astimezone(kelurahan.tzinfo)


def within_service_hours(
    kelurahan, dt: datetime.datetime, hours: WeeklyHours | None = None
) -> bool:
    hours = service_hours(kelurahan) if hours is None else hours
    local = _local(kelurahan, dt)
    return any(opens <= local.time() < closes for opens, closes in hours.get(local.weekday(), []))


def add_service_hours(
    kelurahan, start: datetime.datetime, amount: float, hours: WeeklyHours | None = None
) -> datetime.datetime:
    """The moment `amount` hours of service time have passed since `start` (counted only while
    the posko is open). A place with no service hours at all counts clock hours."""
    hours = service_hours(kelurahan) if hours is None else hours
    if not any(hours.values()):
        return start + datetime.timedelta(hours=amount)
    tz = kelurahan.tzinfo
    left = datetime.timedelta(hours=amount)
    cursor = _local(kelurahan, start)
    day = cursor.date()
    # A year of days is more than enough for any weekly schedule with at least one window.
    for _ in range(400):
        for opens, closes in sorted(hours.get(day.weekday(), [])):
            win_start = datetime.datetime.combine(day, opens, tzinfo=tz)
            win_end = datetime.datetime.combine(day, closes, tzinfo=tz)
            begin = max(win_start, cursor)
            if begin >= win_end:
                continue
            if begin + left <= win_end:
                return (begin + left).astimezone(datetime.UTC)
            left -= win_end - begin
            cursor = win_end
        day += datetime.timedelta(days=1)
        cursor = max(cursor, datetime.datetime.combine(day, datetime.time(0), tzinfo=tz))
    raise ValueError("no service hours found within a year")  # pragma: no cover


def describe(kelurahan) -> list[tuple[str, str]]:
    """[("Senin - Jumat", "08.00 - 16.00")] for printing (poster, public page)."""
    from django.utils.translation import gettext as _

    names = [
        _("Monday"),
        _("Tuesday"),
        _("Wednesday"),
        _("Thursday"),
        _("Friday"),
        _("Saturday"),
        _("Sunday"),
    ]
    hours = service_hours(kelurahan)
    rows: list[tuple[list[int], str]] = []
    for day in range(7):
        spans = hours.get(day) or []
        if not spans:
            continue
        text = ", ".join(f"{a:%H.%M} - {b:%H.%M}" for a, b in spans)
        if rows and rows[-1][1] == text and rows[-1][0][-1] == day - 1:
            rows[-1][0].append(day)
        else:
            rows.append(([day], text))
    out = []
    for days, text in rows:
        label = names[days[0]] if len(days) == 1 else f"{names[days[0]]} - {names[days[-1]]}"
        out.append((label, text))
    return out
