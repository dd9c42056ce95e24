"""The outbox (outbox/services.py): e-mail retried with backoff and then failed, shown to the
admin without arguments or bodies; one Message-ID per event; leases; the lost rows handed to
the queue again."""

import datetime

import pytest
import time_machine
from django.contrib import admin
from django.core import mail
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from notifications.models import Notification
from outbox import services
from outbox.models import OutboxItem
from tests.factories import REFERRAL_VICTIM, make_referral

from . import backends

S = OutboxItem.State


@pytest.fixture(autouse=True)
def _reset():
    backends.HANDED.clear()
    backends.REFUSE["left"] = 0


def email_rows(user):
    ids = Notification.objects.filter(user=user).values_list("pk", flat=True)
    return OutboxItem.objects.filter(kind="email", target_id__in=list(ids))


def test_an_event_writes_its_email_rows_in_its_transaction(master, personas):
    r = make_referral(personas, "requested")
    rows = OutboxItem.objects.filter(kind="email")
    # The request told the kelurahan staff: one row per e-mail copy, waiting, with ids only.
    told = {n.user.username for n in Notification.objects.filter(kind="referral_requested")}
    assert told == {"ws.kasikesra", "ws.lurah"}
    mine = email_rows(personas["ws.kasikesra"]).get()
    assert mine.state == S.PENDING and mine.attempts == 0
    assert mine.kelurahan_id == r.kelurahan_id
    assert mine.message_id.startswith("<") and mine.message_id.endswith(">")
    assert len({row.message_id for row in rows}) == rows.count()  # one Message-ID each


def test_smtp_failure_is_retried_with_backoff_then_failed_and_shown_to_the_admin(
    master, personas, settings
):
    settings.EMAIL_BACKEND = "tests.outbox.backends.RefusingBackend"
    make_referral(personas, "requested")
    row = email_rows(personas["ws.kasikesra"]).get()
    start = timezone.now()
    waits = []
    with time_machine.travel(start, tick=False) as clock:
        for attempt in range(1, settings.OUTBOX_MAX_ATTEMPTS + 1):
            assert services.process(row.pk) is None
            row.refresh_from_db()
            assert row.attempts == attempt
            if attempt < settings.OUTBOX_MAX_ATTEMPTS:
                assert row.state == S.PENDING
                waits.append((row.next_attempt_at - timezone.now()).total_seconds() / 60)
                # Not due yet: nobody takes it before its time.
                assert services.process(row.pk) is None
                assert OutboxItem.objects.get(pk=row.pk).attempts == attempt
                clock.move_to(row.next_attempt_at)
    assert waits == [1, 2, 4, 8, 16, 32, 64]
    row.refresh_from_db()
    assert row.state == S.FAILED and row.done_at is not None
    # The error without the address or the number the server's message held.
    assert row.last_error.startswith("SMTPServerDisconnected: ")
    assert "example.org" not in row.last_error and "081234567890" not in row.last_error
    assert "[address]" in row.last_error
    assert Notification.objects.get(pk=row.target_id).email_state == "pending"
    # Every attempt carried the row's one Message-ID.
    assert {mid for _ok, mid, _to in backends.HANDED} == {row.message_id}
    # No more attempts, whatever runs.
    services.requeue()
    assert services.process(row.pk) is None

    c = personas.client("admin")
    page = c.get(reverse("admin:outbox_outboxitem_changelist") + "?state=failed")
    html = page.content.decode()
    assert page.status_code == 200
    assert "SMTPServerDisconnected" in html
    change = c.get(reverse("admin:outbox_outboxitem_change", args=[row.pk])).content.decode()
    for text in (html, change):
        assert "ws.kasikesra@example.org" not in text and "081234567890" not in text
        assert REFERRAL_VICTIM["full_name"] not in text
        assert "Traceback" not in text

    # The admin may try it again: waiting, attempts from zero, done once the server accepts.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    resp = c.post(
        reverse("admin:outbox_outboxitem_changelist"),
        {"action": "retry", "_selected_action": [row.pk]},
    )
    assert resp.status_code == 302
    row.refresh_from_db()
    assert row.state == S.DONE and row.result == "sent"  # the immediate backend of the tests


def test_one_message_id_per_event_across_retries(master, personas, settings):
    settings.EMAIL_BACKEND = "tests.outbox.backends.FlakyBackend"
    backends.REFUSE["left"] = 2
    make_referral(personas, "requested")
    row = email_rows(personas["ws.lurah"]).get()
    other = email_rows(personas["ws.kasikesra"]).get()
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        services.process(row.pk)
        clock.shift(datetime.timedelta(minutes=1))
        services.process(row.pk)
        clock.shift(datetime.timedelta(minutes=2))
        assert services.process(row.pk) == "sent"
        services.process(other.pk)
    row.refresh_from_db()
    assert row.state == S.DONE and row.attempts == 3
    attempts = [(ok, mid) for ok, mid, to in backends.HANDED if to == ["ws.lurah@example.org"]]
    assert attempts == [(False, row.message_id), (False, row.message_id), (True, row.message_id)]
    delivered = [mid for ok, mid, _to in backends.HANDED if ok]
    assert delivered == [row.message_id, other.message_id]
    assert row.message_id != other.message_id
    assert Notification.objects.get(pk=row.target_id).email_state == "sent"
    # Done is done: a second task for the same row sends nothing.
    assert services.process(row.pk) is None
    assert len([1 for ok, mid, _to in backends.HANDED if ok and mid == row.message_id]) == 1


def test_a_held_row_is_not_taken_until_its_lease_expires(master, personas, settings):
    make_referral(personas, "requested")
    row = email_rows(personas["ws.lurah"]).get()
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        token = services._claim(row.pk, timezone.now())  # a worker holds it...
        assert token
        assert services.process(row.pk) is None  # ...so another worker leaves it
        services.requeue()  # (hands the other rows, never enqueued in a test transaction)
        row.refresh_from_db()
        assert row.state == S.RUNNING and row.lease_token == token and row.attempts == 1
        clock.shift(datetime.timedelta(seconds=settings.OUTBOX_LEASE_SECONDS + 1))
        mail.outbox.clear()
        # The worker died: the periodic run hands the row again and it is done once.
        assert services.requeue() >= 1
    row.refresh_from_db()
    assert row.state == S.DONE and row.attempts == 2
    assert [m.to for m in mail.outbox] == [["ws.lurah@example.org"]]
    # The first worker wakes up late: its lease is gone, it cannot mark the row.
    assert OutboxItem.objects.filter(pk=row.pk, lease_token=token).count() == 0


def test_the_tasks_library_admin_is_unregistered_and_outbox_rows_cannot_be_edited(master, personas):
    from django_tasks_db.models import DBTaskResult

    assert not admin.site.is_registered(DBTaskResult)
    with pytest.raises(NoReverseMatch):
        reverse("admin:django_tasks_db_dbtaskresult_changelist")
    make_referral(personas, "requested")
    row = OutboxItem.objects.first()
    c = personas.client("admin")
    page = c.get(reverse("admin:outbox_outboxitem_change", args=[row.pk])).content.decode()
    # Task name, state, attempts and times; never the arguments (the target's id).
    assert "Target" not in page and "target_id" not in page
    assert 'name="_save"' not in page
    assert c.get(reverse("admin:outbox_outboxitem_add")).status_code == 403
    # Nobody else reaches it.
    for name in ("ws.lurah", "ws.koordinator", "uptdppa.petugas"):
        resp = personas.client(name).get(reverse("admin:outbox_outboxitem_changelist"))
        assert resp.status_code == 302
