"""The lockout that protects both ways (issue 16, item 4) and signing in on a shared computer
(item 5): the four cases of the issue, the waiting page, the coordinator's view, the idle limit.
Time is moved by patching accounts.lockout.now (the counters store plain timestamps)."""

import pytest
from django.test import Client
from django.urls import reverse

from accounts import lockout
from accounts.lockout import (
    ACCOUNT_FREE_FAILURES,
    ADDRESS_USERNAMES,
    DEVICE_COOKIE,
    MAX_DELAY_SECONDS,
    SHARED_COOKIE,
    delay_after,
)
from accounts.middleware import SHARED_SESSION_KEY, SessionLimitsMiddleware

LOGIN = "/accounts/login/"
POSKO = "10.20.30.40"


def _post(client, username, password, **extra):
    return client.post(LOGIN, {"username": username, "password": password, **extra})


@pytest.fixture
def clock(monkeypatch):
    """A frozen clock for the lockout counters: clock.t += 60 moves it on a minute."""

    class Clock:
        t = 1_800_000_000.0

    c = Clock()
    monkeypatch.setattr(lockout, "now", lambda: c.t)
    return c


def test_delay_grows_after_five_failures_up_to_fifteen_minutes():
    assert [delay_after(n) for n in range(5)] == [0, 0, 0, 0, 0]
    assert [delay_after(n) for n in range(5, 11)] == [30, 60, 120, 240, 480, 900]
    assert delay_after(50) == MAX_DELAY_SECONDS == 15 * 60


def test_one_address_many_accounts(personas, clock):
    """Spraying one password over many usernames from one address: after 10 usernames in an
    hour the address waits 15 minutes for every username never signed in from there."""
    attacker = Client(REMOTE_ADDR="10.66.0.1")
    for i in range(ADDRESS_USERNAMES - 1):
        assert _post(attacker, f"guess.{i}", "Password2026!").status_code == 200
    r = _post(attacker, "guess.last", "Password2026!")
    assert r.status_code == 429
    # Real accounts too, even with the right password: never signed in from there.
    assert _post(attacker, "ws.lurah", personas.password).status_code == 429
    # Another address is not concerned.
    assert _post(Client(REMOTE_ADDR="10.66.0.2"), "ws.lurah", personas.password).status_code == 302
    # 15 minutes later the address may try again.
    clock.t += 15 * 60 + 1
    assert _post(attacker, "ws.lurah", personas.password).status_code == 302


def test_one_account_many_addresses(personas, clock):
    """Guessing one password from many addresses: the account is slowed wherever the guesses
    come from, the delay grows after each further failure and is 15 minutes at most."""
    for i in range(ACCOUNT_FREE_FAILURES):
        r = _post(Client(REMOTE_ADDR=f"10.77.0.{i}"), "ws.pendamping", "wrong-password-1")
    assert r.status_code == 429
    # A fresh address gains nothing: the right password is refused while the account waits.
    assert (
        _post(Client(REMOTE_ADDR="10.77.1.1"), "ws.pendamping", personas.password).status_code
        == 429
    )
    # After the first delay (30 s) one more attempt is allowed; a failure doubles the wait.
    clock.t += 31
    assert _post(Client(REMOTE_ADDR="10.77.1.2"), "ws.pendamping", "wrong-2").status_code == 429
    assert lockout.status_of(["ws.pendamping"])["ws.pendamping"]["failures"] == 6
    # Within the next delay (60 s) an attempt is refused unseen and not counted.
    clock.t += 31
    assert _post(Client(REMOTE_ADDR="10.77.1.3"), "ws.pendamping", "wrong-3").status_code == 429
    assert lockout.status_of(["ws.pendamping"])["ws.pendamping"]["failures"] == 6
    clock.t += 61
    assert _post(Client(REMOTE_ADDR="10.77.1.4"), "ws.pendamping", "wrong-4").status_code == 429
    assert lockout.status_of(["ws.pendamping"])["ws.pendamping"]["failures"] == 7
    # Never more than 15 minutes, however many failures.
    for i in range(20):
        clock.t += MAX_DELAY_SECONDS + 1
        _post(Client(REMOTE_ADDR=f"10.77.2.{i}"), "ws.pendamping", "wrong")
    clock.t += MAX_DELAY_SECONDS + 1
    assert (
        _post(Client(REMOTE_ADDR="10.77.3.1"), "ws.pendamping", personas.password).status_code
        == 302
    )


def test_real_user_on_the_posko_computer_after_an_attacker_used_it(personas, clock):
    """Someone at the posko computer guesses at many accounts (the volunteer's among them): the
    volunteer, who has signed in from the posko before (ticking "shared computer", so the
    browser holds no device cookie), still signs in at once on that very computer."""
    posko = Client(REMOTE_ADDR=POSKO)
    r = _post(posko, "ws.relawan", personas.password, shared_computer="on")
    assert r.status_code == 302
    assert DEVICE_COOKIE not in r.cookies
    posko.post(reverse("logout"))
    for name in ["ws.relawan", *[f"guess.{i}" for i in range(ADDRESS_USERNAMES + 3)]]:
        _post(posko, name, "wrong-password-1")
    # The address now waits for strangers...
    assert _post(posko, "ws.kasikesra", personas.password).status_code == 429
    # ...but not for a username that has signed in from there before.
    r = _post(posko, "ws.relawan", personas.password, shared_computer="on")
    assert r.status_code == 302 and r["Location"] == reverse("home")


def test_real_user_from_their_known_browser_while_the_account_is_under_attack(personas, clock):
    """Once signed in on their phone (not a shared computer), the volunteer's phone carries a
    signed device cookie: an attacker hammering the account elsewhere never slows the phone."""
    phone = Client(REMOTE_ADDR="10.88.0.5")
    r = _post(phone, "ws.relawan", personas.password)
    assert r.status_code == 302
    assert DEVICE_COOKIE in r.cookies
    phone.post(reverse("logout"))
    attacker = Client(REMOTE_ADDR="10.88.9.9")
    for _ in range(ACCOUNT_FREE_FAILURES + 3):
        clock.t += 1
        _post(attacker, "ws.relawan", "wrong-password-1")
    assert _post(attacker, "ws.relawan", personas.password).status_code == 429
    # The same mobile carrier's address as the attacker makes no difference either.
    phone.defaults["REMOTE_ADDR"] = "10.88.9.9"
    r = _post(phone, "ws.relawan", personas.password)
    assert r.status_code == 302 and r["Location"] == reverse("home")
    # A forged or foreign device cookie counts for nothing.
    forged = Client(REMOTE_ADDR="10.88.9.8")
    forged.cookies[DEVICE_COOKIE] = "forged-value"
    assert _post(forged, "ws.relawan", personas.password).status_code == 429


def test_a_known_browser_has_its_own_limit(personas, clock):
    """A stolen phone is not an unlimited guessing machine: its own counter slows it too."""
    phone = Client(REMOTE_ADDR="10.89.0.5")
    assert _post(phone, "ws.relawan", personas.password).status_code == 302
    phone.post(reverse("logout"))
    for _ in range(ACCOUNT_FREE_FAILURES):
        r = _post(phone, "ws.relawan", "wrong-password-1")
    assert r.status_code == 429
    # Elsewhere the account itself was never attacked.
    assert (
        _post(Client(REMOTE_ADDR="10.89.0.6"), "ws.relawan", personas.password).status_code == 302
    )


def test_waiting_page_says_when_and_whom_to_ask(personas, clock):
    attacker = Client(REMOTE_ADDR="10.90.0.1")
    for _ in range(ACCOUNT_FREE_FAILURES):
        r = _post(attacker, "ws.relawan", "wrong-password-1")
    assert r.status_code == 429
    html = r.content.decode()
    assert "Coba lagi setelah" in html
    assert "koordinator" in html.lower()


def test_coordinator_sees_the_lockouts_of_their_kelurahan(personas, clock):
    for _ in range(ACCOUNT_FREE_FAILURES):
        _post(Client(REMOTE_ADDR="10.91.0.1"), "ws.pendamping2", "wrong-password-1")
    for _ in range(ACCOUNT_FREE_FAILURES):
        _post(Client(REMOTE_ADDR="10.91.0.1"), "wb.pendamping2", "wrong-password-1")
    page = personas.client("ws.koordinator").get(reverse("lockouts"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "ws.pendamping2" in html
    assert "wb.pendamping2" not in html
    assert personas.client("ws.pendamping").get(reverse("lockouts")).status_code == 404


def test_success_clears_the_account_counter(personas, clock):
    c = Client(REMOTE_ADDR="10.92.0.1")
    for _ in range(ACCOUNT_FREE_FAILURES - 1):
        _post(c, "ws.lurah", "wrong-password-1")
    assert _post(c, "ws.lurah", personas.password).status_code == 302
    c.post(reverse("logout"))
    for _ in range(ACCOUNT_FREE_FAILURES - 1):
        assert _post(c, "ws.lurah", "wrong-password-1").status_code == 200


def test_shared_computer_shortens_idle_limit_and_remembers_no_one(personas, settings, monkeypatch):
    c = Client(REMOTE_ADDR=POSKO)
    r = _post(c, "ws.relawan", personas.password, shared_computer="on")
    assert r.status_code == 302
    assert DEVICE_COOKIE not in r.cookies
    assert c.session[SHARED_SESSION_KEY] is True
    # The next login page on this computer starts ticked, and asks the browser not to keep the
    # username; nothing on it names the last person.
    c.post(reverse("logout"))
    page = c.get(LOGIN).content.decode()
    assert "ws.relawan" not in page
    assert 'autocomplete="off"' in page
    assert 'name="shared_computer"' in page and "checked" in page
    assert c.cookies[SHARED_COOKIE].value == "1"
    # Idle: ended after SHARED_SESSION_IDLE_SECONDS (10 minutes) instead of 30.
    _post(c, "ws.relawan", personas.password, shared_computer="on")
    t0 = SessionLimitsMiddleware.now()
    monkeypatch.setattr(
        SessionLimitsMiddleware,
        "now",
        staticmethod(lambda: t0 + settings.SHARED_SESSION_IDLE_SECONDS + 5),
    )
    r = c.get(reverse("home"))
    assert r.status_code == 302 and r["Location"].startswith(LOGIN)


def test_own_device_keeps_the_normal_idle_limit(personas, settings, monkeypatch):
    c = Client(REMOTE_ADDR="10.93.0.1")
    _post(c, "ws.relawan", personas.password)
    assert not c.session.get(SHARED_SESSION_KEY)
    t0 = SessionLimitsMiddleware.now()
    monkeypatch.setattr(
        SessionLimitsMiddleware,
        "now",
        staticmethod(lambda: t0 + settings.SHARED_SESSION_IDLE_SECONDS + 5),
    )
    assert c.get(reverse("home")).status_code == 200
    # The login page of a private browser offers the username to the password manager.
    assert 'autocomplete="username"' in Client().get(LOGIN).content.decode()
