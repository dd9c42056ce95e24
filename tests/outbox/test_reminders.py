"""Deadline reminders and escalations from the clock rows (outbox/reminders.py), with a frozen
clock: due, reminded once to whoever acts, escalated once to the right people, none after the
clock stopped, none by e-mail for role play."""

import datetime

import time_machine
from django.core import mail
from django.utils import timezone

from cases.models import ClockRun
from cases.services.procedure import case_advance
from mechanism.models import Version
from notifications.models import Notification
from outbox import reminders
from outbox.models import OutboxItem
from tests.factories import make_case, make_referral, mechanism_version, worked

H = datetime.timedelta(hours=1)


def told(kind, **more):
    return set(
        Notification.objects.filter(kind=kind, **more).values_list("user__username", flat=True)
    )


def test_reminded_once_then_escalated_once_to_the_right_people(master, personas):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        case = make_case(personas)  # received: the assign clock runs (24 hours)
        run = ClockRun.objects.running().get(case=case, key="assign")
        assert run.due_at == start + 24 * H
        # The lead time is 24 hours, but never more than half the clock: 12 hours before.
        clock.move_to(start + 12 * H - datetime.timedelta(seconds=1))
        assert reminders.schedule() == (0, 0)
        clock.move_to(start + 12 * H)
        assert reminders.schedule() == (1, 0)
        assert reminders.schedule() == (0, 0)  # never twice for the same run and due time
        mail.outbox.clear()
        worked()
        # Who acts on "assign": the coordinator and the kelurahan staff.
        assert told("reminder") == {"ws.koordinator", "ws.kasikesra", "ws.lurah"}
        n = Notification.objects.filter(kind="reminder").first()
        assert case.number in n.text and n.email_state == "sent"
        assert {m.to[0] for m in mail.outbox} == {
            "ws.koordinator@example.org",
            "ws.kasikesra@example.org",
            "ws.lurah@example.org",
        }
        for m in mail.outbox:
            assert case.number not in m.subject + m.body  # no case data in any e-mail
            assert m.extra_headers["Message-ID"]
        run.refresh_from_db()
        assert run.reminded_at == start + 12 * H and run.escalated_at is None

        clock.move_to(start + 24 * H + datetime.timedelta(seconds=1))
        assert reminders.schedule() == (0, 1)
        assert reminders.schedule() == (0, 0)
        worked()
        # Overdue assignment: escalated to the coordinator.
        assert told("escalation") == {"ws.koordinator"}
        clock.shift(48 * H)
        assert reminders.schedule() == (0, 0)
        worked()
        assert Notification.objects.filter(kind="escalation").count() == 1
        assert Notification.objects.filter(kind="reminder").count() == 3


def test_decisions_of_the_kelurahan_staff_escalate_to_the_lurah_and_the_staff(master, personas):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        case = make_case(personas, "closure_requested")
        run = ClockRun.objects.running().get(case=case, key="closure_decision")
        clock.move_to(run.due_at + H)
        reminders.schedule()
        worked()
    escalated = OutboxItem.objects.filter(kind="escalation", target_id=run.pk)
    assert escalated.get().state == OutboxItem.State.DONE
    assert told("escalation", subject_type="cases.case", subject_id=case.pk) == {
        "ws.kasikesra",
        "ws.lurah",
    }


def test_the_agency_receipt_reminds_the_companion_who_follows_it_up(master, personas):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        r = make_referral(personas, "sent")  # UPTD PPA: 72 hours to confirm receipt
        run = ClockRun.objects.running().get(referral_id=r.pk)
        assert run.key == "agency_ack"
        on_referral = {"subject_type": "referrals.referral", "subject_id": r.pk}
        clock.move_to(run.due_at - 24 * H)
        reminders.schedule()
        worked()
        assert told("reminder", **on_referral) == {"ws.pendamping"}
        clock.move_to(run.due_at + H)
        reminders.schedule()
        worked()
        assert told("escalation", **on_referral) == {"ws.koordinator"}


def test_the_kelurahan_lead_time_setting(master, personas):
    mechanism_version("ws", reminder_lead_hours=2)
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        make_case(personas)
        clock.move_to(start + 21 * H)
        assert reminders.schedule() == (0, 0)
        clock.move_to(start + 22 * H)
        assert reminders.schedule() == (1, 0)


def test_none_after_the_clock_stops(master, personas):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        case = make_case(personas)
        clock.move_to(start + 13 * H)
        assert reminders.schedule() == (1, 0)  # written, not yet delivered...
        case_advance(
            case=case,
            action="decline",
            actor=personas["ws.koordinator"],
            data={"not_pursued_reason": "duplicate", "note": "Duplikat"},
        )
        worked()  # ...and the clock stopped meanwhile: nothing is sent
        assert not told("reminder")
        row = OutboxItem.objects.get(kind="reminder")
        assert row.state == OutboxItem.State.DONE and row.result == "stopped"
        clock.move_to(start + 48 * H)
        assert reminders.schedule() == (0, 0)
        assert not told("escalation")


def test_role_play_gets_in_app_reminders_only(master, personas):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        make_case(personas, roleplay=True)
        clock.move_to(start + 12 * H)
        reminders.schedule()
        mail.outbox.clear()
        worked()
        notes = Notification.objects.filter(kind="reminder")
        assert notes.count() == 3
        assert all("SIMULASI" in n.text and n.email_state == "" for n in notes)
        clock.move_to(start + 25 * H)
        reminders.schedule()
        worked()
        assert Notification.objects.filter(kind="escalation").get().email_state == ""
    assert not mail.outbox
    assert not OutboxItem.objects.filter(kind="email", target_id__in=[n.pk for n in notes])


def test_a_moved_due_time_is_reminded_again(master, personas):
    from cases.clocks import recompute_running

    start = timezone.now()
    version = mechanism_version("ws")
    with time_machine.travel(start, tick=False) as clock:
        case = make_case(personas)
        clock.move_to(start + 12 * H)
        assert reminders.schedule() == (1, 0)
        # The case's version corrected with the ORM (the app edits drafts only).
        Version.objects.filter(pk=version.pk).update(
            deadlines={"assign": {"amount": 48, "unit": "hours"}}
        )
        assert recompute_running([master["ws"].pk]) >= 1
        run = ClockRun.objects.running().get(case=case, key="assign")
        assert run.reminded_at is None
        clock.move_to(start + 24 * H)
        assert reminders.schedule() == (1, 0)
