"""The coordinator's "Masuk dari publik" queue: the verify_public clock, verification,
registration through the normal intake, decline, the 90-day erasure, who sees the contact."""

import datetime
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from cases.models import AccessLog, Case, ClockRun
from public_channel import hours, services
from public_channel.models import Submission
from tests.form_posts import form_data
from tests.queries import assert_queries_constant, count_get

from .helpers import GOOD, send

pytestmark = pytest.mark.django_db

WITA = datetime.timezone(datetime.timedelta(hours=8))


def at(y, m, d, hh, mm=0):
    return datetime.datetime(y, m, d, hh, mm, tzinfo=WITA)


def test_service_hours_from_the_mechanism_and_holidays(master):
    """The governing mechanism version's hours count, and a holiday (Christmas 2026, with the
    cuti bersama of 24 December) is a day without service."""
    from tests.factories import mechanism_version

    kel = master["wb"]
    mechanism_version(
        kel, "trial", service_hours={"5": ["09:00", "12:00"], "0": ["08:00", "16:00"]}
    )
    assert hours.within_service_hours(kel, at(2026, 12, 5, 10))  # Saturday, open in this version
    assert not hours.within_service_hours(kel, at(2026, 12, 4, 10))  # Friday: closed here
    # Wednesday 23 December 15:00, closed until Saturday 26 (Thursday-Friday are days off,
    # Wednesday has no hours in this version): Saturday 09:00 + 2 hours.
    assert not hours.within_service_hours(kel, at(2026, 12, 24, 10))
    assert hours.add_service_hours(kel, at(2026, 12, 23, 15), 2) == at(2026, 12, 26, 11)


def test_service_hours_arithmetic(master):
    kel = master["wb"]
    assert kel.time_zone == "Asia/Makassar"
    assert hours.within_service_hours(kel, at(2026, 12, 4, 9))  # Friday 09:00
    assert not hours.within_service_hours(kel, at(2026, 12, 4, 16))  # closes at 16:00
    assert not hours.within_service_hours(kel, at(2026, 12, 5, 10))  # Saturday
    # Friday 15:00 + 2 working hours: one hour on Friday, one on Monday from 08:00.
    assert hours.add_service_hours(kel, at(2026, 12, 4, 15), 2) == at(2026, 12, 7, 9)
    # Saturday night: counted from Monday 08:00.
    assert hours.add_service_hours(kel, at(2026, 12, 5, 22), 2) == at(2026, 12, 7, 10)
    # Within the same morning.
    assert hours.add_service_hours(kel, at(2026, 12, 3, 8, 30), 2) == at(2026, 12, 3, 10, 30)
    assert hours.describe(kel) == [("Monday - Friday", "08.00 - 16.00")] or hours.describe(kel) == [
        ("Senin - Jumat", "08.00 - 16.00")
    ]


def test_clock_urgent_within_service_hours_others_as_first_contact(master, time_machine):
    time_machine.move_to(at(2026, 12, 4, 15), tick=False)  # Friday 15:00 WITA
    send(danger_now="yes")
    send(danger_now="no")
    urgent, other = Submission.objects.order_by("-danger_now")
    # The clock is a ClockRun row (no case), started with the submission, on the coordinator.
    run = ClockRun.objects.get(submission=urgent)
    assert run.case_id is None and run.key == "verify_public" and run.waits_on == "coordinator"
    assert run.started_at == urgent.received_at and run.stopped_at is None
    assert not run.is_roleplay and run.kelurahan_id == master["wb"].pk
    assert run.due_at == at(2026, 12, 7, 9) and run.hours == 2
    assert urgent.clock_due == at(2026, 12, 7, 9)
    assert ClockRun.objects.get(submission=other).due_at == at(2026, 12, 4, 15) + timedelta(
        hours=72
    )
    # The queue: urgent first.
    from tests.factories import mechanism_version

    mechanism_version(master["wb"], "trial", deadlines={"verify_public": 24})
    send(danger_now="no")
    newest = Submission.objects.order_by("-pk").first()
    assert newest.mechanism.deadlines["verify_public"]["amount"] == 24
    assert ClockRun.objects.get(submission=newest).due_at == at(2026, 12, 5, 15)


def test_queue_order_marks_and_access(master, personas):
    for danger in ("no", "yes", "no"):
        send(danger_now=danger)
    send(code="ws")
    koor = personas.client("wb.koordinator")
    r = koor.get("/publik/")
    assert r.status_code == 200
    rows = [s for s in r.context["page"].object_list]
    assert [s.kelurahan.code for s in rows] == ["WB"] * 3
    assert rows[0].danger_now and not rows[1].danger_now
    assert "Bahaya sekarang" in r.content.decode()
    # Only the coordinator has the queue; everyone else 404 (the WS coordinator sees WS only).
    for name in ("wb.relawan", "wb.pendamping", "wb.kasikesra", "wb.lurah", "dp3a.petugas"):
        assert personas.client(name).get("/publik/").status_code == 404, name
        sub = rows[0]
        assert personas.client(name).get(f"/publik/{sub.pk}/").status_code == 404, name
        assert personas.client(name).post(f"/publik/{sub.pk}/decline/", {}).status_code == 404
    ws_rows = personas.client("ws.koordinator").get("/publik/").context["page"].object_list
    assert [s.kelurahan.code for s in ws_rows] == ["WS"]
    assert personas.client("ws.koordinator").get(f"/publik/{rows[0].pk}/").status_code == 404
    assert Client().get("/publik/").status_code == 302
    # The nav leads the coordinator to the queue.
    assert 'href="/publik/"' in koor.get("/home/").content.decode()


def test_queue_queries_constant(master, personas):
    koor = personas.client("wb.koordinator")
    send()

    def grow():
        for _ in range(6):
            send(danger_now="yes")

    assert_queries_constant(lambda: count_get(koor, "/publik/"), grow)


def test_read_is_logged_and_verification_shows_to_the_sender(master, personas):
    send()
    sub = Submission.objects.get()
    koor = personas.client("wb.koordinator")
    before = AccessLog.objects.count()
    r = koor.get(f"/publik/{sub.pk}/")
    assert GOOD["contact_value"] in r.content.decode()
    log = AccessLog.objects.order_by("-pk").first()
    assert AccessLog.objects.count() == before + 1
    assert log.user == personas["wb.koordinator"] and log.detail == f"submission #{sub.pk}"
    # Reading (GET) changes nothing; "mark as read" is a POST, twice is once.
    sub.refresh_from_db()
    assert sub.state == "received"
    koor.post(f"/publik/{sub.pk}/read/")
    koor.post(f"/publik/{sub.pk}/read/")
    sub.refresh_from_db()
    assert sub.state == "read" and sub.read_by == personas["wb.koordinator"]


def test_register_through_the_normal_intake(master, personas):
    send(danger_now="yes", affected="self", text="Saya dipukul suami.")
    sub = Submission.objects.get()
    koor = personas.client("wb.koordinator")
    r = koor.post(f"/publik/{sub.pk}/register/")
    assert r.status_code == 302 and r["Location"] == f"/cases/new/?publik={sub.pk}"
    # Pressing it twice opens the same form (same intake token).
    token = Submission.objects.get().intake_token
    koor.post(f"/publik/{sub.pk}/register/")
    assert Submission.objects.get().intake_token == token
    page = koor.get(r["Location"]).content.decode()
    data = form_data(page)
    assert data["intake_token"] == str(token)
    assert data["channel"] == "public_form"
    assert "Saya dipukul suami." in page
    assert data["danger_now"] == "yes"
    # Someone else's intake page without the token: an ordinary empty form.
    other = personas.client("ws.koordinator").get(r["Location"]).content.decode()
    assert "Saya dipukul suami." not in other
    data.update(
        {
            "victims-0-full_name": "Rina",
            "victims-0-estimated_age": "30",
            "violence_types": ["physical"],
            "incident_place": "household",
            "save": "1",
        }
    )
    resp = koor.post("/cases/new/", data)
    assert resp.status_code == 302, resp.content.decode()[:3000]
    case = Case.objects.get()
    sub.refresh_from_db()
    assert sub.case == case and sub.state == "registered"
    run = ClockRun.objects.get(submission=sub)
    assert run.stopped_at == sub.decided_at and run.stop_reason == "public.register"
    assert sub.clock_due is None
    assert case.channel == "public_form" and case.danger_now
    assert "Saya dipukul suami." in case.narrative
    # Now closed to every other step.
    koor.post(f"/publik/{sub.pk}/decline/", {"reason": "spam", "note": "x"})
    sub.refresh_from_db()
    assert sub.state == "registered"
    with pytest.raises(services.Refused):
        services.decline(sub.pk, personas["wb.koordinator"], "spam", "x")
    # The assigned companion sees it with the contact; the other companion does not.
    case.companion = personas["wb.pendamping"]
    case.save(update_fields=["companion"])
    assert personas.client("wb.pendamping").get(f"/publik/{sub.pk}/").status_code == 200
    assert personas.client("wb.pendamping2").get(f"/publik/{sub.pk}/").status_code == 404


def test_a_case_registered_by_someone_else_with_the_token_is_not_linked(master, personas):
    from cases.services.intake import case_register

    send()
    sub = services.start_registration(Submission.objects.get().pk, personas["wb.koordinator"])
    case = case_register(
        kelurahan=master["wb"],
        actor=personas["wb.relawan"],
        case_data={"channel": "public_form"},
        victims=[{"full_name": "X"}],
        token=sub.intake_token,
    ).case
    sub.refresh_from_db()
    assert sub.case is None and sub.is_open and case.pk


def test_decline_needs_a_reason_and_erases_after_90_days(master, personas, time_machine):
    send()
    sub = Submission.objects.get()
    koor = personas.client("wb.koordinator")
    r = koor.post(f"/publik/{sub.pk}/decline/", {"reason": "spam", "note": ""}, follow=True)
    assert "Pilih alasan dan jelaskan" in r.content.decode()
    sub.refresh_from_db()
    assert sub.is_open
    koor.post(f"/publik/{sub.pk}/decline/", {"reason": "outside", "note": "Urusan RT"})
    sub.refresh_from_db()
    assert sub.state == "declined" and sub.decline_reason == "outside"
    run = ClockRun.objects.get(submission=sub)
    assert run.stopped_at == sub.decided_at and run.stop_reason == "public.decline"
    services.add_message(sub.pk, personas["wb.koordinator"], "followed")
    # Day 89: still there. Day 91: text and contact erased, counts and reason kept.
    assert services.erase_declined(now=sub.decided_at + timedelta(days=89)) == 0
    assert services.erase_declined(now=sub.decided_at + timedelta(days=91)) == 1
    sub.refresh_from_db()
    assert sub.erased_at and sub.text == "" and sub.place == "" and sub.contact_value == ""
    assert sub.contact_when == ""
    assert sub.decline_reason == "outside" and sub.decline_note == "Urusan RT"
    assert Submission.objects.filter(kelurahan=master["wb"], state="declined").count() == 1
    page = koor.get(f"/publik/{sub.pk}/").content.decode()
    assert GOOD["text"] not in page and GOOD["contact_value"] not in page
    assert "Dihapus 90 hari" in page
    # The management command does the same (the periodic run calls it).
    from django.core.management import call_command

    call_command("erase_public_submissions")


def test_anonymous_never_exposes_contact(master, personas):
    send(contact_how="none", contact_value="081299998888", contact_when="malam")
    sub = Submission.objects.get()
    assert sub.contact_value == "" and sub.contact_when == ""
    page = personas.client("wb.koordinator").get(f"/publik/{sub.pk}/").content.decode()
    assert "081299998888" not in page and "Tanpa nama" in page
    services.start_registration(sub.pk, personas["wb.koordinator"])
    intake = personas.client("wb.koordinator").get(f"/cases/new/?publik={sub.pk}")
    data = form_data(intake.content.decode())
    assert data.get("reporter_anonymous") in ("on", True)
    assert not data.get("reporter_contact")
    assert "081299998888" not in intake.content.decode()


def test_spam_is_never_counted_in_statistics(master, personas):
    """Submissions are not cases: the report figures (MonthlyCount) never see them."""
    from reports.models import MonthlyCount

    send()
    sub = Submission.objects.get()
    services.decline(sub.pk, personas["wb.koordinator"], "spam", "iklan")
    assert not MonthlyCount.objects.exists()
    assert timezone.now()


def test_printed_procedure_lists_the_verify_public_clock(master, personas, settings):
    settings.LANGUAGE_CODE = "id"
    page = personas.client("wb.koordinator").get("/cases/procedure/").content.decode()
    assert "Verifikasi laporan publik" in page
    assert "dihitung dalam jam layanan" in page
    # The queue links the poster and the public page.
    queue = personas.client("wb.koordinator").get("/publik/").content.decode()
    assert 'href="/publik/poster/wb/"' in queue and 'href="/layanan/wb/"' in queue


def test_coordinators_told_on_receipt_before_the_due_time_and_when_overdue(
    master, personas, time_machine
):
    from notifications.models import Notification
    from outbox.models import OutboxItem

    time_machine.move_to(at(2026, 12, 3, 9), tick=False)  # Thursday 09:00 WITA
    send(danger_now="yes")
    sub = Submission.objects.get()
    told = Notification.objects.filter(subject_type="public.submission", subject_id=sub.pk)
    # Only the coordinator of Watang Bacukiki, without any of the content.
    assert {n.user.username for n in told} == {"wb.koordinator"}
    first = told.get()
    assert first.kind == "public_submission" and "bahaya" in first.text
    assert GOOD["text"] not in first.text and first.url == f"/publik/{sub.pk}/"
    assert OutboxItem.objects.filter(kind="email", target_id=first.pk).exists()
    # Due 11:00 (2 service hours): the general periodic run (outbox/reminders.py) reminds from
    # 10:00 (half its length), once, the coordinator only, with no content.
    from django.core import mail

    from outbox import reminders
    from tests.factories import worked

    assert reminders.schedule(at(2026, 12, 3, 9, 30)) == (0, 0)
    assert reminders.schedule(at(2026, 12, 3, 10, 1)) == (1, 0)
    assert reminders.schedule(at(2026, 12, 3, 10, 2)) == (0, 0)
    # Overdue: escalated once; none once the clock stopped.
    assert reminders.schedule(at(2026, 12, 3, 11, 1)) == (0, 1)
    assert reminders.schedule(at(2026, 12, 3, 12)) == (0, 0)
    mail.outbox.clear()
    time_machine.move_to(at(2026, 12, 3, 11, 2), tick=False)
    worked()
    run = ClockRun.objects.get(submission=sub)
    assert run.reminded_at == at(2026, 12, 3, 10, 1) and run.escalated_at == at(2026, 12, 3, 11, 1)
    for kind in ("reminder", "escalation"):
        n = told.get(kind=kind)
        assert n.user.username == "wb.koordinator" and n.url == f"/publik/{sub.pk}/"
        assert f"(Laporan publik #{sub.pk})" in n.text and "Verifikasi laporan publik" in n.text
        for field in ("text", "place", "contact_value", "contact_when"):
            assert GOOD[field] not in n.text
    assert {m.to[0] for m in mail.outbox} == {"wb.koordinator@example.org"}
    for m in mail.outbox:
        for field in ("text", "place", "contact_value", "contact_when"):
            assert GOOD[field] not in m.subject + m.body
    send()
    services.decline(Submission.objects.latest("pk").pk, personas["wb.koordinator"], "spam", "x")
    assert reminders.schedule(at(2026, 12, 30, 12)) == (0, 0)


def test_reminder_lead_from_the_version(master, personas, time_machine):
    """A non-urgent submission's reminder comes the version's lead time before its due time."""
    from outbox import reminders
    from tests.factories import mechanism_version

    mechanism_version(master["wb"], "trial", deadlines={"verify_public": 48}, reminder_lead_hours=6)
    time_machine.move_to(at(2026, 12, 3, 9), tick=False)
    send()
    run = ClockRun.objects.get()
    assert run.due_at == at(2026, 12, 5, 9)
    assert reminders.schedule(at(2026, 12, 5, 2, 59)) == (0, 0)
    assert reminders.schedule(at(2026, 12, 5, 3, 1)) == (1, 0)
