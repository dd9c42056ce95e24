"""The period of a report: a month, a quarter, a year, or (kelurahan users only) a custom run
of months. Months are those of the monthly figures: each place's own (WIB, WITA or WIT, from
its province; Kelurahan.time_zone), so a month's bounds are the place's local midnights."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

KINDS = [
    ("month", _("Month")),
    ("quarter", _("Quarter")),
    ("year", _("Year")),
    ("custom", _("Custom period")),
]
FIXED = ("month", "quarter", "year")


@dataclass(frozen=True)
class Period:
    kind: str
    first: datetime.date  # first day of the first month
    last: datetime.date  # first day of the last month

    @property
    def end(self) -> datetime.date:
        """The day after the period."""
        return add_months(self.last, 1)

    def start_dt(self, tz: datetime.tzinfo | None = None) -> datetime.datetime:
        """The first instant of the period in `tz` (the place's zone; the current one if None)."""
        return _local_midnight(self.first, tz)

    def end_dt(self, tz: datetime.tzinfo | None = None) -> datetime.datetime:
        return _local_midnight(self.end, tz)

    def label(self) -> str:
        from django.utils.formats import date_format

        if self.kind == "month":
            return date_format(self.first, "F Y")
        if self.kind == "quarter":
            word = _("Quarter")
            return f"{word} {(self.first.month - 1) // 3 + 1} {self.first.year}"
        if self.kind == "year":
            return str(self.first.year)
        return f"{date_format(self.first, 'F Y')} – {date_format(self.last, 'F Y')}"


def _local_midnight(d: datetime.date, tz: datetime.tzinfo | None = None) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(d.year, d.month, d.day), tz)


def add_months(d: datetime.date, n: int) -> datetime.date:
    m = d.month - 1 + n
    return datetime.date(d.year + m // 12, m % 12 + 1, 1)


def _int(value: str | None, default: int, lo: int, hi: int) -> int:
    try:
        v = int(value or "")
    except ValueError:
        return default
    return v if lo <= v <= hi else default


def _month(value: str | None) -> datetime.date | None:
    try:
        y, m = (value or "").split("-")
        return datetime.date(int(y), int(m), 1)
    except ValueError:
        return None


def parse(params, *, custom_allowed: bool) -> Period:
    today = timezone.localdate()
    kind = params.get("period") or "month"
    if kind not in FIXED and not (kind == "custom" and custom_allowed):
        kind = "month"
    year = _int(params.get("year"), today.year, 2000, 2100)
    if kind == "month":
        m = _int(params.get("month"), today.month, 1, 12)
        first = datetime.date(year, m, 1)
        return Period(kind, first, first)
    if kind == "quarter":
        q = _int(params.get("quarter"), (today.month - 1) // 3 + 1, 1, 4)
        first = datetime.date(year, 3 * (q - 1) + 1, 1)
        return Period(kind, first, add_months(first, 2))
    if kind == "year":
        return Period(kind, datetime.date(year, 1, 1), datetime.date(year, 12, 1))
    first = _month(params.get("start")) or today.replace(day=1)
    last = _month(params.get("end")) or first
    if last < first:
        first, last = last, first
    return Period(kind, first, last)
