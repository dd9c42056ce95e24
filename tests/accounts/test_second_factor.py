"""Two-factor sign-in (issue 16, item 3), with a frozen clock (freezegun): enrolment and sign-in
with TOTP codes, a code used once, recovery codes single use, enforcement after the grace
period, the coordinator's exemption (at most 90 days, audited), resets by the grant table with
four eyes."""

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from freezegun import freeze_time

from accounts import passwords
from accounts import second_factor as sf
from accounts.models import AccountAudit, RecoveryCode, SecondFactorPolicy

START = "2027-03-01 09:00:00+08:00"


def code_for(device, at: float) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = at
    return f"{totp.token():06d}"


def _login(c, personas, name="ws.pendamping"):
    return c.post(reverse("login"), {"username": name, "password": personas.password})


def _enrol(c):
    """Opens the set-up page and confirms with the current code; returns the recovery codes."""
    page = c.get(reverse("two_factor_setup"))
    assert page.status_code == 200
    device = TOTPDevice.objects.get(confirmed=False)
    r = c.post(
        reverse("two_factor_setup"),
        {"code": code_for(device, timezone.now().timestamp())},
    )
    assert r.status_code == 200, r.content.decode()[:500]
    return r.context["codes"], page


@pytest.fixture
def policy(db):
    p = SecondFactorPolicy.objects.first() or SecondFactorPolicy()
    p.since = dt.date(2027, 3, 1)
    p.grace_days = 30
    p.save()
    return p


def test_enrolment_and_sign_in_with_a_frozen_clock(personas, policy):
    with freeze_time(START) as clock:
        c = Client()
        _login(c, personas)
        codes, page = _enrol(c)
        html = page.content.decode()
        # The QR code, and the key as text for those who cannot scan.
        assert "<svg" in html
        device = TOTPDevice.objects.get(user=personas["ws.pendamping"], confirmed=True)
        assert sf.secret_text(device) in html
        assert len(codes) == 10 and len(set(codes)) == 10
        assert RecoveryCode.objects.filter(user=device.user).count() == 10
        assert AccountAudit.objects.filter(subject=device.user, action="2fa_enrolled").exists()
        # Enrolment counted as the second step for this session.
        assert c.get(reverse("cases:list")).status_code == 200

        # Next sign-in: the password, then the code before any page.
        c.post(reverse("logout"))
        clock.tick(dt.timedelta(minutes=5))
        c = Client()
        r = _login(c, personas)
        assert r.status_code == 302
        r = c.get(reverse("cases:list"))
        assert r.status_code == 302 and r["Location"].startswith(reverse("two_factor_verify"))
        wrong = c.post(reverse("two_factor_verify"), {"code": "000000"})
        assert wrong.status_code == 200
        # django-otp makes the next try wait after a wrong code (1 s, then doubling).
        clock.tick(dt.timedelta(seconds=2))
        good = code_for(device, timezone.now().timestamp())
        r = c.post(reverse("two_factor_verify"), {"code": good, "next": reverse("cases:list")})
        assert r.status_code == 302 and r["Location"] == reverse("cases:list")
        assert c.get(reverse("cases:list")).status_code == 200

        # The same code is refused a second time (another browser, same 30-second step).
        other = Client()
        _login(other, personas)
        assert other.post(reverse("two_factor_verify"), {"code": good}).status_code == 200
        assert other.get(reverse("cases:list")).status_code == 302


def test_recovery_code_works_once(personas, policy):
    with freeze_time(START):
        c = Client()
        _login(c, personas)
        codes, _page = _enrol(c)
        c.post(reverse("logout"))
        c = Client()
        _login(c, personas)
        r = c.post(reverse("two_factor_verify"), {"code": codes[3].upper()})
        assert r.status_code == 302
        assert c.get(reverse("home")).status_code == 200
        assert AccountAudit.objects.filter(action="2fa_recovery_used").count() == 1
        c.post(reverse("logout"))
        c = Client()
        _login(c, personas)
        assert c.post(reverse("two_factor_verify"), {"code": codes[3]}).status_code == 200
        assert c.get(reverse("home")).status_code == 302
        # Only hashes are stored.
        assert not RecoveryCode.objects.filter(code_hash__icontains=codes[3].replace("-", ""))


def test_required_after_the_grace_period(personas, policy):
    user = personas["ws.relawan"]
    user.date_joined = timezone.make_aware(dt.datetime(2027, 1, 1))
    user.save()
    with freeze_time("2027-03-31 10:00:00+08:00"):
        c = Client()
        _login(c, personas, "ws.relawan")
        home = c.get(reverse("home"))
        assert home.status_code == 200  # still within the grace: a reminder only
        assert reverse("two_factor_setup") in home.content.decode()
    with freeze_time("2027-04-01 10:00:00+08:00"):
        c = Client()
        _login(c, personas, "ws.relawan")
        r = c.get(reverse("cases:list"))
        assert r.status_code == 302 and r["Location"].startswith(reverse("two_factor_setup"))
        # The set-up page and logging out stay open.
        assert c.get(reverse("two_factor_setup")).status_code == 200
        codes, _page = _enrol(c)
        assert c.get(reverse("cases:list")).status_code == 200


def test_an_account_made_later_gets_its_own_grace(personas, policy):
    user = personas["ws.relawan"]
    user.date_joined = timezone.make_aware(dt.datetime(2027, 3, 20))
    user.save()
    assert sf.due_date(user) == dt.date(2027, 4, 19)


def test_grace_is_at_most_30_days(policy):
    from django.core.exceptions import ValidationError

    policy.grace_days = 31
    with pytest.raises(ValidationError):
        policy.full_clean()


def test_not_required_without_a_role(db, personas, policy):
    from accounts.models import User

    nobody = User.objects.create_user("tanpa.peran", password=personas.password)
    assert not sf.needs_second_factor(nobody)
    assert sf.needs_second_factor(personas["admin"])
    assert sf.needs_second_factor(personas["dp3a.petugas"])


def test_coordinator_exempts_a_volunteer_for_at_most_90_days(personas, policy):
    with freeze_time("2027-05-01 10:00:00+08:00"):
        coord = personas.client("ws.koordinator")
        # The coordinator is past the grace too: verified for this test.
        _verified(coord, personas["ws.koordinator"])
        url = reverse("people_exempt", args=[personas["ws.relawan"].pk])
        assert (
            coord.post(url, {"days": 91, "reason": "Tidak punya ponsel pintar"}).status_code == 302
        )
        assert not AccountAudit.objects.filter(action="2fa_exempted").exists()
        coord.post(url, {"days": 90, "reason": "Tidak punya ponsel pintar"})
        row = AccountAudit.objects.get(action="2fa_exempted")
        assert row.subject == personas["ws.relawan"] and row.actor == personas["ws.koordinator"]
        assert row.detail["until"] == "2027-07-30"
        c = Client()
        _login(c, personas, "ws.relawan")
        assert c.get(reverse("cases:list")).status_code == 200
    with freeze_time("2027-07-31 10:00:00+08:00"):
        c = Client()
        _login(c, personas, "ws.relawan")
        assert c.get(reverse("cases:list")).status_code == 302


@pytest.mark.parametrize(
    "actor,subject",
    [
        ("ws.koordinator", "ws.pendamping"),  # not a volunteer
        ("ws.kasikesra", "ws.relawan"),  # only the coordinator
        ("ws.koordinator", "wb.relawan"),  # another kelurahan
        ("ws.koordinator", "ws.koordinator"),
    ],
)
def test_exemption_refused(personas, actor, subject, policy):
    kel = personas[subject].memberships.first().kelurahan_id
    assert sf.exemption_refusals(personas[actor], personas[subject], kel, 30)


def _verified(client, user):
    """Gives a logged-in test client a confirmed device and marks the session verified."""
    from django_otp import DEVICE_ID_SESSION_KEY

    device = TOTPDevice.objects.create(user=user, name="t", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return device


def test_second_factor_reset_by_staff_four_eyes_and_sessions(personas, policy):
    subject = personas["ws.pendamping"]
    TOTPDevice.objects.create(user=subject, name="phone", confirmed=True)
    their_session = personas.client("ws.pendamping")
    coord = personas["ws.koordinator"]
    sf.reset_by_staff(actor=coord, subject=subject)
    assert not TOTPDevice.objects.filter(user=subject).exists()
    assert their_session.get(reverse("home")).status_code == 302
    assert AccountAudit.objects.filter(subject=subject, action="2fa_reset", actor=coord).exists()
    # Both factors within 7 days: not by the same person...
    with pytest.raises(passwords.ResetRefused):
        passwords.reset_by_staff(actor=coord, subject=subject)
    # ...but by a second one.
    assert passwords.reset_by_staff(actor=personas["ws.kasikesra"], subject=subject)
    # Never one's own; never someone whose roles one could not grant.
    with pytest.raises(sf.Refused):
        sf.reset_by_staff(actor=coord, subject=coord)
    with pytest.raises(sf.Refused):
        sf.reset_by_staff(actor=coord, subject=personas["ws.lurah"])


def test_setup_page_shows_the_key_as_text_without_javascript(personas, policy):
    c = personas.client("ws.pendamping")
    html = c.get(reverse("two_factor_setup")).content.decode()
    assert "<script" not in html.split("<main")[1] if "<main" in html else True
    assert re.search(r"([A-Z2-7]{4} ){4,}", html)
