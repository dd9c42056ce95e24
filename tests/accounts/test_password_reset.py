"""Password reset (issue 16, item 2): no account enumeration (the same answer and the same work
queued, asserted on the queries and the outbox rows and tasks recorded), link expiry and single
use, in-person codes, the reset limits (not your own, only grantable roles, four eyes), every
reset ends the person's sessions and is audited, the person is told."""

import datetime as dt
import re

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts import passwords
from accounts.models import AccountAudit, ResetToken, User
from accounts.sessions import _index
from outbox.models import OutboxItem
from outbox.services import work_due

NEW_PASSWORD = "kucing hitam di pasar lakessi"


def _shape(queries):
    """The statements with their values removed: what work was done, not with which values."""
    out = []
    for q in queries:
        sql = re.sub(r"'[^']*'", "?", q["sql"])
        sql = re.sub(r'"s\d+_x\d+"', '"savepoint"', sql)
        sql = re.sub(r"\b\d+(\.\d+)?\b", "?", sql)
        # A value, not work: the user id of the token row is NULL for an unknown address.
        sql = re.sub(r"\bNULL\b", "?", sql)
        out.append(sql)
    return out


@pytest.fixture
def with_email(personas):
    u = personas["ws.pendamping"]
    u.email = "andi@example.id"
    u.save()
    return u


def _request(address, monkeypatch, ip="198.51.100.7"):
    """POST the reset form (from `ip`: the per-address rate limit's counter is then new for
    each call, the two compared requests do the same work); returns (response, query shapes,
    tasks enqueued)."""
    from outbox import tasks as outbox_tasks

    enqueued = []
    task = outbox_tasks.TASKS["reset_email"]
    monkeypatch.setattr(
        type(task), "enqueue", lambda self, *a, **k: enqueued.append((self.name, a))
    )
    c = Client(REMOTE_ADDR=ip)
    with CaptureQueriesContext(connection) as ctx:
        r = c.post(reverse("password_reset"), {"email": address})
    return r, _shape(ctx.captured_queries), enqueued


def test_no_enumeration_same_answer_and_same_work(
    with_email, monkeypatch, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        known, known_q, known_tasks = _request("andi@example.id", monkeypatch)
    with django_capture_on_commit_callbacks(execute=True):
        unknown, unknown_q, unknown_tasks = _request(
            "nobody@example.id", monkeypatch, ip="198.51.100.8"
        )
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"] == reverse("password_reset_sent")
    # The same statements in the same order; the same kind of task, once each.
    assert known_q == unknown_q
    assert [t[0] for t in known_tasks] == [t[0] for t in unknown_tasks] == ["send_reset_email"]
    rows = list(OutboxItem.objects.filter(kind="reset_email").order_by("pk"))
    assert len(rows) == 2
    tokens = list(ResetToken.objects.order_by("pk"))
    assert [t.user_id is not None for t in tokens] == [True, False]
    # The pages the two see are the same.
    page = Client().get(reverse("password_reset_sent")).content
    assert b"andi@example.id" not in page


def test_email_link_round_trip_ends_sessions_and_is_audited(with_email, personas):
    other_session = personas.client("ws.pendamping")
    assert other_session.get(reverse("home")).status_code == 200
    passwords.request_by_email("ANDI@example.id")
    work_due()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["andi@example.id"]
    url = re.search(r"https?://\S+/accounts/password/reset/(\w+)/", message.body)
    assert url
    secret = url.group(1)
    # Nothing stored opens the account: the row has the hash only, the outbox row ids only.
    token = ResetToken.objects.get()
    assert secret not in (token.token_hash + token.nonce)
    assert token.token_hash == passwords._hash(secret)
    c = Client()
    path = reverse("password_reset_confirm", args=[secret])
    assert c.get(path).status_code == 200
    r = c.post(path, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert r.status_code == 302 and r["Location"] == reverse("password_reset_complete")
    user = User.objects.get(pk=with_email.pk)
    assert user.check_password(NEW_PASSWORD)
    assert other_session.get(reverse("home")).status_code == 302
    assert not _index().filter(user=user).exists()
    assert AccountAudit.objects.filter(subject=user, action="pw_reset_done").count() == 1
    # Single use.
    assert c.get(path).status_code == 404
    assert c.post(path, {"new_password1": "x" * 12, "new_password2": "x" * 12}).status_code == 404


def test_email_link_expires_after_an_hour(with_email):
    passwords.request_by_email("andi@example.id")
    token = ResetToken.objects.get()
    secret = passwords.link_secret(token.nonce)
    ResetToken.objects.filter(pk=token.pk).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    assert Client().get(reverse("password_reset_confirm", args=[secret])).status_code == 404
    # The worker does not send an expired link either.
    work_due()
    assert mail.outbox == []


def test_unknown_address_sends_nothing(db, personas):
    passwords.request_by_email("nobody@example.id")
    work_due()
    assert mail.outbox == []
    assert OutboxItem.objects.get(kind="reset_email").result == "no account"


def test_staff_reset_gives_a_one_time_code(personas):
    subject = personas["ws.relawan"]
    victim_session = personas.client("ws.relawan")
    coord = personas.client("ws.koordinator")
    r = coord.post(reverse("people_reset_password", args=[subject.pk]))
    assert r.status_code == 200
    code = r.context["code"]
    assert re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}", code)
    subject.refresh_from_db()
    assert not subject.has_usable_password()
    assert victim_session.get(reverse("home")).status_code == 302  # sessions ended
    assert ResetToken.objects.get(user=subject).token_hash == passwords._hash(
        passwords.normalize_code(code)
    )
    audit = AccountAudit.objects.get(subject=subject, action="pw_reset_by_staff")
    assert audit.actor == personas["ws.koordinator"]
    assert code not in str(audit.detail)
    # The person sets a new password with the code, once.
    c = Client()
    data = {
        "username": "ws.relawan",
        "code": code.lower(),
        "new_password1": NEW_PASSWORD,
        "new_password2": NEW_PASSWORD,
    }
    r = c.post(reverse("password_reset_code"), data)
    assert r.status_code == 302
    subject.refresh_from_db()
    assert subject.check_password(NEW_PASSWORD)
    r = c.post(reverse("password_reset_code"), data)
    assert r.status_code == 200 and "sudah dipakai" in r.content.decode()
    # Told at the next sign-in, once.
    c = Client()
    r = c.post(reverse("login"), {"username": "ws.relawan", "password": NEW_PASSWORD}, follow=True)
    assert "Hasnah Lamba" in r.content.decode() or "Kata sandi" in r.content.decode()
    assert AccountAudit.objects.get(pk=audit.pk).seen_at is not None


def test_code_for_another_username_is_refused(personas):
    code = passwords.reset_by_staff(
        actor=personas["ws.koordinator"], subject=personas["ws.relawan"]
    )
    r = Client().post(
        reverse("password_reset_code"),
        {
            "username": "ws.pendamping",
            "code": code,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )
    assert r.status_code == 200
    assert personas["ws.pendamping"].check_password(personas.password)


def test_staff_reset_tells_the_person_by_email(personas):
    subject = personas["ws.relawan"]
    subject.email = "nurul@example.id"
    subject.save()
    passwords.reset_by_staff(actor=personas["ws.koordinator"], subject=subject)
    work_due()
    assert [m.to for m in mail.outbox] == [["nurul@example.id"]]
    # The notice carries no code.
    code_rows = ResetToken.objects.filter(user=subject)
    assert code_rows.count() == 1
    assert (
        "Kode" not in mail.outbox[0].body or "-" not in mail.outbox[0].body.split("Kode")[-1][:20]
    )


@pytest.mark.parametrize(
    "actor,subject,allowed",
    [
        ("ws.koordinator", "ws.relawan", True),
        ("ws.koordinator", "ws.pendamping", True),
        ("ws.koordinator", "ws.kasikesra", False),  # only roles they could grant
        ("ws.koordinator", "ws.lurah", False),
        ("ws.koordinator", "ws.koordinator", False),  # never their own
        ("ws.koordinator", "wb.relawan", False),  # another kelurahan
        ("ws.kasikesra", "ws.koordinator", True),
        ("ws.kasikesra", "ws.lurah", False),
        ("ws.lurah", "ws.kasikesra", True),
        ("ws.lurah", "ws.lurah", False),
        ("ws.relawan", "ws.pendamping", False),
        ("ws.pendamping", "ws.relawan", False),
        ("ws.lurah", "admin", False),
        ("ws.lurah", "uptdppa.petugas", False),
    ],
)
def test_reset_limits(personas, actor, subject, allowed):
    refusals = passwords.reset_refusals(personas[actor], personas[subject], "password")
    assert (not refusals) == allowed


def test_reset_view_refuses_outside_the_grant_table(personas):
    r = personas.client("ws.koordinator").post(
        reverse("people_reset_password", args=[personas["ws.lurah"].pk])
    )
    assert r.status_code == 302
    assert personas["ws.lurah"].has_usable_password()
    r = personas.client("ws.koordinator").post(
        reverse("people_reset_password", args=[personas["wb.relawan"].pk])
    )
    assert r.status_code == 404
    assert (
        personas.client("ws.pendamping")
        .post(reverse("people_reset_password", args=[personas["ws.relawan"].pk]))
        .status_code
        == 404
    )


def test_four_eyes_for_both_factors_within_seven_days(personas):
    coord, other = personas["ws.koordinator"], personas["ws.kasikesra"]
    subject = personas["ws.pendamping"]
    AccountAudit.objects.create(actor=coord, subject=subject, action="2fa_reset")
    # The same person may not reset the password too...
    assert passwords.reset_refusals(coord, subject, "password")
    with pytest.raises(passwords.ResetRefused):
        passwords.reset_by_staff(actor=coord, subject=subject)
    # ...a second person may.
    assert passwords.reset_refusals(other, subject, "password") == []
    # After 7 days the first may again.
    AccountAudit.objects.filter(subject=subject).update(at=timezone.now() - dt.timedelta(days=8))
    assert passwords.reset_refusals(coord, subject, "password") == []


def test_people_page_and_audit_log(personas):
    coord = personas.client("ws.koordinator")
    page = coord.get(reverse("people")).content.decode()
    assert "ws.relawan" in page and "wb.relawan" not in page
    assert reverse("people_reset_password", args=[personas["ws.relawan"].pk]) in page
    assert reverse("people_reset_password", args=[personas["ws.lurah"].pk]) not in page
    passwords.reset_by_staff(actor=personas["ws.koordinator"], subject=personas["ws.relawan"])
    log = personas.client("ws.lurah").get(reverse("account_audit")).content.decode()
    assert "Nurul Hidayah" in log
    assert (
        "Nurul Hidayah"
        not in personas.client("wb.lurah").get(reverse("account_audit")).content.decode()
    )
