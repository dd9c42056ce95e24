"""The handling mechanism of a kelurahan (the SK Lurah / SK Kepala Desa) as versioned records.

What the SK may vary lives here (deadlines per clock, the reminder lead time, the agencies that
may receive handovers, who approves referrals, contact points, service hours, local rules); the
steps, guards and laws stay in code (cases/workflow.py, referrals/workflow.py).

A version is a draft (editable), then on trial (governs real cases until one is enacted; role
play tries it out), then enacted by the head of the place with the SK's number and date; an
enacted version is superseded only by enacting another. Every change is a ChangeLog row.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Agency, Kelurahan

DEFAULT_TITLE = (
    "Mekanisme Penanganan Kasus Kekerasan dan Perlindungan Sosial pada Layanan Berbasis "
    "Komunitas (LBK-KK)"
)


class Unit(models.TextChoices):
    HOURS = "hours", _("hours")
    DAYS = "days", _("days (24 hours each)")
    WORKING_DAYS = "working_days", _("working days")


# PROCEDURE.md: these clocks may count working days; the emergency clocks always count hours.
WORKING_DAY_KEYS = frozenset(
    {"assign", "plan", "visit", "referral_decision", "agency_ack", "closure_decision"}
)
HOURS_ONLY_KEYS = frozenset({"first_contact.emergency", "ratify"})


def allowed_units(key: str) -> tuple[str, ...]:
    if key in HOURS_ONLY_KEYS:
        return (Unit.HOURS,)
    if key in WORKING_DAY_KEYS:
        return (Unit.HOURS, Unit.DAYS, Unit.WORKING_DAYS)
    return (Unit.HOURS, Unit.DAYS)


@dataclass(frozen=True)
class Deadline:
    """A time limit: an amount of hours, clock days or working days."""

    amount: int
    unit: str = Unit.HOURS

    @property
    def nominal_hours(self) -> int:
        """Hours as clock time (a working day counts 24): what ClockRun.hours records."""
        return self.amount if self.unit == Unit.HOURS else self.amount * 24

    @classmethod
    def from_json(cls, value) -> Deadline:
        return cls(int(value["amount"]), str(value.get("unit") or Unit.HOURS))

    def to_json(self) -> dict:
        return {"amount": self.amount, "unit": str(self.unit)}

    def __str__(self):
        return f"{self.amount} {self.unit}"


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class VersionQuerySet(models.QuerySet):
    def governing(self):
        return self.filter(state__in=[Version.State.TRIAL, Version.State.ENACTED])


class Version(models.Model):
    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        TRIAL = "trial", _("Trial")
        ENACTED = "enacted", _("Enacted")
        SUPERSEDED = "superseded", _("Superseded")

    class Approvers(models.TextChoices):
        HEAD = "head", _("The head of the place alone")
        HEAD_AND_KASI = (
            "head_and_kasi",
            _("The head, or the Kasi Kesra on the head's behalf (a.n.)"),
        )

    kelurahan = models.ForeignKey(
        Kelurahan, on_delete=models.PROTECT, related_name="mechanism_versions"
    )
    number = models.PositiveIntegerField(_("version"))
    state = models.CharField(
        _("state"), max_length=12, choices=State.choices, default=State.DRAFT, db_index=True
    )
    based_on = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # {clock key (or "<key>.emergency"): {"amount": n, "unit": "hours"|"days"|"working_days"}};
    # a clock not listed keeps PROCEDURE.md's default.
    deadlines = models.JSONField(_("deadlines"), default=dict, blank=True)
    reminder_lead_hours = models.PositiveIntegerField(
        _("reminder before a deadline (hours)"), null=True, blank=True
    )
    handover_agencies = models.ManyToManyField(
        Agency,
        blank=True,
        related_name="+",
        verbose_name=_("agencies that may receive handovers"),
    )
    approvers = models.CharField(
        _("who approves referrals"),
        max_length=20,
        choices=Approvers.choices,
        default=Approvers.HEAD_AND_KASI,
    )
    contact_points = models.TextField(_("contact points"), blank=True)
    # {"0": ["08:00", "16:00"], ...}: weekday (0 = Monday) -> opening and closing, local time.
    service_hours = models.JSONField(_("service hours"), default=dict, blank=True)
    local_rules = models.TextField(_("local rules"), blank=True)

    title = models.CharField(_("title (tentang ...)"), max_length=255, default=DEFAULT_TITLE)
    sk_number = models.CharField(_("SK number"), max_length=100, blank=True)
    sk_date = models.DateField(_("SK date"), null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("signed by"),
    )
    signer_name = models.CharField(_("signed by (name)"), max_length=200, blank=True)
    scan = models.FileField(_("scan of the SK"), upload_to="mechanism/", blank=True)
    scan_sha256 = models.CharField(max_length=64, blank=True)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    trial_at = models.DateTimeField(null=True, blank=True)
    enacted_at = models.DateTimeField(null=True, blank=True)
    superseded_at = models.DateTimeField(null=True, blank=True)

    objects = VersionQuerySet.as_manager()

    class Meta:
        verbose_name = _("mechanism version")
        verbose_name_plural = _("mechanism versions")
        ordering = ["kelurahan", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["kelurahan", "number"], name="mechanism_version_no"),
            models.UniqueConstraint(
                fields=["kelurahan"],
                condition=Q(state="enacted"),
                name="mechanism_one_enacted",
            ),
            models.UniqueConstraint(
                fields=["kelurahan"],
                condition=Q(state="draft"),
                name="mechanism_one_draft",
            ),
        ]

    def __str__(self):
        return f"{self.kelurahan.name} v{self.number} ({self.get_state_display()})"

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("mechanism:detail", args=[self.kelurahan.code, self.number])

    @property
    def is_enacted(self) -> bool:
        return self.state in (self.State.ENACTED, self.State.SUPERSEDED) and bool(self.sk_number)

    @property
    def editable(self) -> bool:
        return self.state == self.State.DRAFT

    def deadline(self, key: str) -> Deadline | None:
        value = (self.deadlines or {}).get(key)
        return Deadline.from_json(value) if value else None

    def hours_on(self, weekday: int) -> tuple[datetime.time, datetime.time] | None:
        pair = (self.service_hours or {}).get(str(weekday))
        if not pair:
            return None
        return datetime.time.fromisoformat(pair[0]), datetime.time.fromisoformat(pair[1])


class ChangeLog(models.Model):
    """One change of a version: who, when, which field, the old and the new value."""

    version = models.ForeignKey(Version, on_delete=models.PROTECT, related_name="changes")
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    field = models.CharField(_("field"), max_length=60)
    old = models.TextField(_("old value"), blank=True)
    new = models.TextField(_("new value"), blank=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("mechanism change")


class Holiday(models.Model):
    """A correction of the national holiday list (lokal-id's libur nasional and cuti bersama of
    the SKB 3 Menteri) for one date: a day off it lacks, or (`day_off` unticked) a listed day
    that is a working day after all."""

    date = models.DateField(_("date"), unique=True)
    name = models.CharField(_("name"), max_length=120)
    day_off = models.BooleanField(
        _("day off"), default=True, help_text=_("Untick for a listed day that is worked.")
    )

    class Meta:
        ordering = ["date"]
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays (national holidays and cuti bersama)")

    def __str__(self):
        return f"{self.date:%Y-%m-%d} {self.name}"
