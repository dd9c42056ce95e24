"""Deadline reminders and escalations, read from the clock rows (cases.models.ClockRun).

For each running clock: one reminder, to whoever PROCEDURE.md names under "who acts", when the
due time is nearer than the lead time (the reminder lead of the mechanism version the case
recorded, else REMINDER_LEAD_HOURS, default 24 hours; never more than half the clock's length);
and when the clock is overdue, one escalation: to the coordinator for assign, first contact,
plan, visit and the agency's acknowledgement; to the lurah and the other kelurahan staff for the
referral decision, the ratification and the closure decision.

`schedule` (the periodic run, `manage.py run_periodic`) marks the clock row (reminded_at,
escalated_at) and writes the outbox row in one transaction, with a conditional UPDATE, so two
periodic runs at once never send twice; `deliver` (the outbox's task) makes the notifications
then, and none when the clock stopped meanwhile. Role-play cases get in-app reminders only.

A public submission's verify_public clock (a row without a case) is reminded to and escalated
to the coordinators, with the submission's number and the due time only: never its content.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from accounts.models import STAFF_ROLES, Role, active_members
from cases import clocks
from cases.models import ClockRun
from mechanism.models import Version

from . import services as outbox
from .models import OutboxItem

if TYPE_CHECKING:
    from accounts.models import User

W = ClockRun.WaitsOn
# Escalated to the lurah and the other kelurahan staff; every other clock to the coordinator.
STAFF_ESCALATED = frozenset({"referral_decision", "ratify", "closure_decision"})
BATCH = 500


def lead_hours(runs: list[ClockRun]) -> dict[int, int]:
    """{run pk: lead hours} for the runs whose case's (or public submission's) mechanism
    version sets its own."""
    pairs = (
        ClockRun.objects.filter(pk__in=[r.pk for r in runs])
        .annotate(
            lead=Coalesce(
                "case__mechanism__reminder_lead_hours",
                "submission__mechanism__reminder_lead_hours",
            )
        )
        .filter(lead__isnull=False)
        .values_list("pk", "lead")
    )
    return dict(pairs)


def remind_at(run: ClockRun, leads: dict[int, int]) -> datetime.datetime:
    """When the run's reminder is due: the lead time before its due time, at most half its
    length."""
    lead = datetime.timedelta(hours=leads.get(run.pk, settings.REMINDER_LEAD_HOURS))
    half = (run.due_at - run.started_at) / 2
    return run.due_at - min(lead, half)


def schedule(now: datetime.datetime | None = None) -> tuple[int, int]:
    """Write the reminders and escalations that are due; returns (reminders, escalations)."""
    now = now or timezone.now()
    widest = max(
        [settings.REMINDER_LEAD_HOURS]
        + list(
            Version.objects.filter(reminder_lead_hours__isnull=False).values_list(
                "reminder_lead_hours", flat=True
            )
        )
    )
    # Role-play session rows: reminded on the session's page when it loads, never by e-mail.
    soon = list(
        ClockRun.objects.running()
        .filter(case__roleplay_session__isnull=True)
        .filter(
            reminded_at__isnull=True,
            due_at__gt=now,
            due_at__lte=now + datetime.timedelta(hours=widest),
        )
        .order_by("due_at")[:BATCH]
    )
    leads = lead_hours(soon)
    reminders = sum(
        _mark(run, "reminded_at", OutboxItem.Kind.REMINDER, now)
        for run in soon
        if now >= remind_at(run, leads)
    )
    late = ClockRun.objects.running().filter(
        escalated_at__isnull=True, due_at__lte=now, case__roleplay_session__isnull=True
    )
    escalations = sum(
        _mark(run, "escalated_at", OutboxItem.Kind.ESCALATION, now)
        for run in late.order_by("due_at")[:BATCH]
    )
    return reminders, escalations


def _mark(run: ClockRun, field: str, kind: str, now: datetime.datetime) -> int:
    with transaction.atomic():
        won = ClockRun.objects.filter(
            pk=run.pk, stopped_at__isnull=True, **{f"{field}__isnull": True}
        ).update(**{field: now})
        if won:
            outbox.add(kind, run.pk, kelurahan_id=run.kelurahan_id, at=now)
    return won


def coordinators(run: ClockRun) -> list[User]:
    return list(active_members([Role.KOORDINATOR], kelurahan_id=run.kelurahan_id))


def staff(run: ClockRun) -> list[User]:
    return list(active_members(STAFF_ROLES, kelurahan_id=run.kelurahan_id))


def who_acts(run: ClockRun) -> list[User]:
    """PROCEDURE.md "who acts": the companion (the coordinator while nobody is assigned), the
    deciders (coordinator and kelurahan staff), the kelurahan staff; for the agency's receipt,
    the companion who follows the agency up."""
    if run.waits_on == W.COORDINATOR:
        return coordinators(run)
    if run.waits_on in (W.COMPANION, W.AGENCY):
        return [run.assignee] if run.assignee_id and run.assignee else coordinators(run)
    if run.waits_on == W.DECIDERS:
        return coordinators(run) + staff(run)
    return staff(run)


def escalated_to(run: ClockRun) -> list[User]:
    return staff(run) if run.key in STAFF_ESCALATED else coordinators(run)


def _subject(run: ClockRun) -> Any:
    if run.case_id is None:
        return run.submission
    if run.referral_id is None:
        return run.case
    referral = apps.get_model("referrals", "Referral")
    return referral.objects.select_related("case").get(pk=run.referral_id)


def deliver(run_id: int, *, escalation: bool) -> str:
    """The notifications of one reminder or escalation (the outbox's task): "sent", "nobody"
    (no one may see it now), or "stopped" when the clock stopped meanwhile (nothing is sent)."""
    from notifications.services import notify

    run = (
        ClockRun.objects.select_related("case", "kelurahan", "submission", "assignee")
        .filter(pk=run_id)
        .first()
    )
    if run is None or run.stopped_at is not None:
        return "stopped"
    now = timezone.now()
    with override("id"):
        clocks.present(run, now)
    values = {
        "clock": run.label,
        "case": run.title + (" [SIMULASI]" if run.is_roleplay else ""),
        "due": timezone.localtime(run.due_at).strftime("%d-%m-%Y %H:%M"),
    }
    with override("id"):
        if run.case_id is None:
            # A public submission: its number and the due time, nothing of its content.
            if escalation:
                text = _("Overdue: %(clock)s (%(case)s) was due %(due)s.") % values
            else:
                text = _("Reminder: %(clock)s (%(case)s) is due %(due)s.") % values
        elif escalation:
            text = _("Overdue: %(clock)s for case %(case)s was due %(due)s.") % values
        else:
            text = _("Reminder: %(clock)s for case %(case)s is due %(due)s.") % values
    made = notify(
        escalated_to(run) if escalation else who_acts(run),
        subject=_subject(run),
        kind="escalation" if escalation else "reminder",
        text=text,
        url=run.url,
        kelurahan_id=run.kelurahan_id,
        # Role play rehearses the procedure, not the mailboxes: in-app only.
        email=not run.is_roleplay,
    )
    return "sent" if made else "nobody"
