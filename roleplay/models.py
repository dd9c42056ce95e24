"""Role-play sessions (sesi simulasi, issue 18): a facilitator tries a mechanism version with
participants in session roles on scenario cards, on compressed time, and debriefs.

A session role is a temporary membership limited to the SIM cases of that session: it holds
while the session runs and ends with it (accounts.roles.UserRoles.on reads it). Cases opened
from the cards carry `Case.roleplay_session`; real memberships never reach them.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Agency, Kelurahan, Role

# The roles a participant may play (a kelurahan role or an agency officer).
SESSION_ROLES = (
    Role.RELAWAN,
    Role.PENDAMPING,
    Role.KOORDINATOR,
    Role.KASI_KESRA,
    Role.LURAH,
    Role.PETUGAS,
)


class Session(models.Model):
    class State(models.TextChoices):
        PLANNED = "planned", _("Planned")
        RUNNING = "running", _("Running")
        ENDED = "ended", _("Ended")

    kelurahan = models.ForeignKey(Kelurahan, on_delete=models.PROTECT, related_name="+")
    version = models.ForeignKey(
        "mechanism.Version",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("mechanism version"),
    )
    title = models.CharField(_("title"), max_length=160)
    held_on = models.DateField(_("date"), default=timezone.localdate)
    place = models.CharField(_("place"), max_length=160)
    # Compressed time: one day (24 hours) of the procedure lasts this many minutes.
    minutes_per_day = models.PositiveIntegerField(
        _("minutes per day of the procedure"),
        default=10,
        validators=[MinValueValidator(1), MaxValueValidator(1440)],
        help_text=_("For example 10: a three-day deadline falls due after 30 minutes."),
    )
    facilitator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.PLANNED, db_index=True
    )
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    # The outreach-log row the session became when it ended (outreach.Activity).
    activity = models.OneToOneField(
        "outreach.Activity", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("role-play session")
        verbose_name_plural = _("role-play sessions")
        ordering = ["-held_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                name="roleplay_minutes_per_day_range",
                condition=models.Q(minutes_per_day__gte=1, minutes_per_day__lte=1440),
            )
        ]

    def __str__(self):
        return f"{self.title} ({self.held_on:%Y-%m-%d})"

    def get_absolute_url(self):
        return reverse("roleplay:detail", args=[self.pk])

    @property
    def factor(self) -> float:
        """Real time per procedure time (10 minutes per day: 1/144)."""
        return self.minutes_per_day / (24 * 60)

    def compressed(self, hours: float) -> datetime.timedelta:
        """`hours` of the procedure on this session's clock."""
        return datetime.timedelta(hours=hours * self.factor)

    @property
    def is_running(self) -> bool:
        return self.state == self.State.RUNNING


class Participant(models.Model):
    class Sex(models.TextChoices):
        FEMALE = "f", _("Female")
        MALE = "m", _("Male")

    class AgeGroup(models.TextChoices):
        CHILD = "child", _("Child (under 18)")
        ADULT = "adult", _("Adult (18-59)")
        ELDERLY = "elderly", _("Elderly (60+)")

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="participants")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    role = models.CharField(
        _("session role"),
        max_length=20,
        choices=[(r.value, r.label) for r in SESSION_ROLES],
    )
    agency = models.ForeignKey(
        Agency,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("agency played (agency officers)"),
    )
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    age_group = models.CharField(
        _("age group"), max_length=10, choices=AgeGroup.choices, default=AgeGroup.ADULT
    )
    with_disability = models.BooleanField(_("person with a disability"), default=False)

    class Meta:
        verbose_name = _("participant")
        ordering = ["session", "role", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "user", "role"], name="roleplay_participant_once"
            ),
            models.CheckConstraint(
                name="roleplay_agency_for_officers",
                condition=(
                    models.Q(role="petugas", agency__isnull=False)
                    | (~models.Q(role="petugas") & models.Q(agency__isnull=True))
                ),
            ),
        ]

    def __str__(self):
        return f"{self.user} - {self.get_role_display()}"


class Note(models.Model):
    """A correction note taken during the session: what it would change in the mechanism (one
    of its variable fields, with a proposed value) or, outside the mechanism, in text."""

    class Target(models.TextChoices):
        DEADLINE = "deadline", _("A clock's deadline")
        APPROVERS = "approvers", _("Who approves referrals")
        HANDOVER_AGENCIES = "handover_agencies", _("Agencies for handover")
        CONTACT_POINTS = "contact_points", _("Contact points")
        SERVICE_HOURS = "service_hours", _("Service hours")
        LOCAL_RULES = "local_rules", _("A local rule's text")
        OUTSIDE = "outside", _("Outside the mechanism (steps, guards, laws)")

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="notes")
    case = models.ForeignKey(
        "cases.Case", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    step = models.CharField(_("step"), max_length=160)
    target = models.CharField(_("what it would change"), max_length=20, choices=Target.choices)
    clock_key = models.CharField(_("clock"), max_length=40, blank=True)
    # The proposed value, as the mechanism stores it (JSON: a deadline {"amount", "unit"}, an
    # approvers choice, agency ids, a text, service hours {"0": ["08:00", "16:00"]}).
    proposed = models.JSONField(_("proposed value"), null=True, blank=True)
    text = models.TextField(_("note"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    applied_version = models.ForeignKey(
        "mechanism.Version", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    applied_at = models.DateTimeField(null=True, blank=True)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("correction note")
        ordering = ["at", "pk"]

    def __str__(self):
        return f"note {self.pk}"

    @property
    def in_mechanism(self) -> bool:
        return self.target != self.Target.OUTSIDE

    @property
    def proposed_display(self) -> str:
        """The proposed value in words (the debrief reads it out)."""
        value = self.proposed
        if value in (None, "", [], {}):
            return ""
        if self.target == self.Target.DEADLINE:
            from cases.procedure_print import deadline_in_words
            from mechanism.forms import clock_keys
            from mechanism.models import Deadline

            clock = dict(clock_keys()).get(self.clock_key, self.clock_key)
            return f"{clock}: {deadline_in_words(Deadline.from_json(value))}"
        if self.target == self.Target.APPROVERS:
            from mechanism.models import Version

            return str(Version.Approvers(value).label)
        if self.target == self.Target.HANDOVER_AGENCIES:
            names = Agency.objects.filter(pk__in=value).order_by("name")
            return ", ".join(a.name for a in names)
        if self.target == self.Target.SERVICE_HOURS:
            return "; ".join(f"{d}={a}-{b}" for d, (a, b) in sorted(value.items()))
        return str(value)


class Refusal(models.Model):
    """A step refused on a session's case: the guard messages the participant saw (for the
    debrief; written by the engine's "refused" event, outside the refused transaction)."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="refusals")
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=60)
    roles = models.CharField(max_length=120, blank=True)
    reasons = models.JSONField(default=list)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "pk"]
