"""Hardening of issue 16 found in review: the lockout counters count atomically (two failures
interleaved both count, and many at once in Redis), and the password-reset request has a rate
limit per address and per target account that answers the same whether or not it was hit."""

import threading

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse

from accounts import lockout, passwords
from accounts.models import ResetToken
from outbox.models import OutboxItem


class Interleaving:
    """The shared cache, except that right after the first read of a lockout counter another
    request runs to the end: what happens when two failures arrive at the same moment."""

    def __init__(self, real, other, match=lambda key: key.startswith("lockout:acct")):
        self.real, self.other, self.fired, self.match = real, other, False, match

    def __getattr__(self, name):
        attr = getattr(self.real, name)
        if name not in ("get", "get_many", "add"):
            return attr

        def wrapped(key, *a, **k):
            result = attr(key, *a, **k)
            if not self.fired and self.match(str(key)):
                self.fired = True
                self.other()
            return result

        return wrapped


def _request(ip):
    return RequestFactory().post("/accounts/login/", REMOTE_ADDR=ip)


def _failures(username):
    key = lockout._account_counter_key(lockout.account_key(username), None)
    state = lockout._account_state(lockout._cache(), key)
    return state["n"] if state else 0


@pytest.mark.django_db
def test_two_failures_interleaved_both_count(monkeypatch):
    real = lockout._cache()
    proxy = Interleaving(
        real, lambda: lockout.record_failure(_request("10.0.0.2"), "ws.pendamping")
    )
    monkeypatch.setattr(lockout, "_cache", lambda: proxy)
    lockout.record_failure(_request("10.0.0.1"), "ws.pendamping")
    assert proxy.fired
    assert _failures("ws.pendamping") == 2


@pytest.mark.django_db
def test_distinct_usernames_interleaved_both_count(monkeypatch, settings):
    """The address counter: ten usernames from one address, two of them at the same moment."""
    ip = "10.0.0.9"
    for i in range(lockout.ADDRESS_USERNAMES - 2):
        lockout.record_failure(_request(ip), f"tebakan{i}")
    real = lockout._cache()
    counter = f"lockout:addr-fail:{lockout._address_key(ip)}"
    proxy = Interleaving(
        real,
        lambda: lockout.record_failure(_request(ip), "tebakan-b"),
        match=lambda key: key == counter,
    )
    monkeypatch.setattr(lockout, "_cache", lambda: proxy)
    lockout.record_failure(_request(ip), "tebakan-a")
    monkeypatch.setattr(lockout, "_cache", lambda: real)
    assert proxy.fired
    # Ten distinct usernames: the address now waits for a new one.
    wait = lockout.check(_request(ip), "orang-lain")
    assert wait is not None and wait.reason == "address"


@pytest.mark.django_db
def test_many_failures_at_once_in_redis(redis_cache):
    def fail():
        for _ in range(5):
            lockout.record_failure(_request("10.0.0.3"), "ws.koordinator")

    threads = [threading.Thread(target=fail) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert _failures("ws.koordinator") == 40


def _ask(address, ip):
    r = Client(REMOTE_ADDR=ip).post(reverse("password_reset"), {"email": address})
    assert r.status_code == 302 and r["Location"] == reverse("password_reset_sent")
    return r


def test_reset_requests_limited_per_target_the_same_for_unknown_addresses(personas):
    u = personas["ws.pendamping"]
    u.email = "andi@example.id"
    u.save()
    for i in range(passwords.RESET_PER_TARGET + 2):
        _ask("andi@example.id", f"192.0.2.{i}")
        _ask("nobody@example.id", f"192.0.2.{100 + i}")
    known = ResetToken.objects.filter(user=u).count()
    unknown = ResetToken.objects.filter(user__isnull=True).count()
    # The same work for both, and no more than the limit (the answer was the same every time).
    assert known == unknown == passwords.RESET_PER_TARGET
    assert OutboxItem.objects.filter(kind="reset_email").count() == 2 * passwords.RESET_PER_TARGET


def test_reset_requests_limited_per_address(db):
    for i in range(passwords.RESET_PER_ADDRESS + 3):
        _ask(f"orang{i}@example.id", "203.0.113.5")
    assert ResetToken.objects.count() == passwords.RESET_PER_ADDRESS
    # Another address is not slowed by that one.
    _ask("orang-lain@example.id", "203.0.113.6")
    assert ResetToken.objects.count() == passwords.RESET_PER_ADDRESS + 1
