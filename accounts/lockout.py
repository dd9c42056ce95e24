"""The login lockout that protects both ways (issue 16, replacing django-axes).

Two counters, both in the shared cache (CACHES["default"]: the database cache until Redis is
configured), so every process and machine sees the same counts:

Per account (the typed username, by a keyed hash): after ACCOUNT_FREE_FAILURES (5) failures,
each further attempt waits an increasing delay (30 s, 1, 2, 4, 8 minutes, then 15 minutes at
most), wherever it comes from, so spreading guesses over many addresses gains nothing. A
browser that has signed in to that account before carries a signed device cookie naming it:
it has its own counter, so an attacker elsewhere never slows the real user on their phone.
The cookie is never set when "this is a shared computer" is ticked.

Per address: failures on ADDRESS_USERNAMES (10) different usernames within an hour make the
address wait ADDRESS_WAIT_SECONDS (15 minutes), but only for usernames that have never signed in
from that address: a posko's or a mobile carrier's address is shared by many honest people.

Every count is an atomic increment of the shared cache (count(): cache.add, then cache.incr,
atomic in Redis and in the database cache of lbk/cache.py), never a read-then-write, so failures
arriving at the same moment all count. The address's hour starts at its first failure.

An attempt made while waiting is refused before the password is checked and is not counted.
Nothing here tells whether a username exists: an unknown name is counted and slowed like any
other. The cache holds keyed hashes and counts, never a typed username.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.core.cache import caches

ACCOUNT_FREE_FAILURES = 5
FIRST_DELAY_SECONDS = 30
MAX_DELAY_SECONDS = 15 * 60
ADDRESS_USERNAMES = 10
ADDRESS_WINDOW_SECONDS = 60 * 60
ADDRESS_WAIT_SECONDS = 15 * 60
# How long an address remembers the usernames that signed in from it.
KNOWN_AT_ADDRESS_SECONDS = 180 * 24 * 60 * 60
# Counters are forgotten a day after the last failure.
COUNTER_SECONDS = 24 * 60 * 60

DEVICE_COOKIE = "lbk_device"
DEVICE_COOKIE_SECONDS = 365 * 24 * 60 * 60
_DEVICE_SALT = "lbk.known-device"
# A browser remembers at most this many accounts (a family phone, a companion's laptop).
DEVICE_MAX_ACCOUNTS = 5
# Set when "this is a shared computer" was ticked: the login page then starts ticked and asks the
# browser not to remember what is typed. It names no one.
SHARED_COOKIE = "lbk_shared_pc"


def _cache():
    return caches["default"]


def now() -> float:
    return time.time()


def account_key(username: str) -> str:
    """A keyed hash of the typed username (case and surrounding spaces ignored)."""
    normalized = str(username or "").strip().lower()
    return hmac.new(
        settings.SECRET_KEY.encode(), b"lockout:" + normalized.encode(), hashlib.sha256
    ).hexdigest()[:32]


def delay_after(failures: int) -> int:
    """Seconds to wait after `failures` consecutive failures: none up to five, then 30 s,
    doubling each time, at most 15 minutes."""
    if failures < ACCOUNT_FREE_FAILURES:
        return 0
    return min(MAX_DELAY_SECONDS, FIRST_DELAY_SECONDS * 2 ** (failures - ACCOUNT_FREE_FAILURES))


# The known-device cookie.


@dataclass
class Device:
    device_id: str
    accounts: list[str]  # account keys that signed in on this browser

    def knows(self, key: str) -> bool:
        return key in self.accounts


def read_device(request) -> Device | None:
    raw = request.COOKIES.get(DEVICE_COOKIE) if request is not None else None
    if not raw or len(raw) > 2000:
        return None
    try:
        data = signing.loads(raw, salt=_DEVICE_SALT, max_age=DEVICE_COOKIE_SECONDS)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if not isinstance(data, dict):
        return None
    device_id, accounts = data.get("d"), data.get("a")
    if not isinstance(device_id, str) or not isinstance(accounts, list):
        return None
    return Device(device_id, [a for a in accounts if isinstance(a, str)])


def device_cookie_value(request, username: str) -> str:
    """The cookie value after `username` signed in on this browser."""
    device = read_device(request) or Device(secrets.token_hex(16), [])
    key = account_key(username)
    accounts = [key] + [a for a in device.accounts if a != key]
    return signing.dumps(
        {"d": device.device_id, "a": accounts[:DEVICE_MAX_ACCOUNTS]}, salt=_DEVICE_SALT
    )


# Counters.


def _account_counter_key(key: str, device: Device | None) -> str:
    if device is not None and device.knows(key):
        return f"lockout:acct:{key}:dev:{device.device_id}"
    return f"lockout:acct:{key}"


def _address(request) -> str:
    from .security import client_ip

    return client_ip(request) or "-"


def _address_key(ip: str) -> str:
    return hashlib.sha256(ip.encode()).hexdigest()[:24]


@dataclass
class Wait:
    """Why and until when a login attempt must wait."""

    until: float
    reason: str  # "account" or "address"

    @property
    def seconds(self) -> int:
        return max(1, int(self.until - now() + 0.999))


def check(request, username: str) -> Wait | None:
    """None when the attempt may go ahead, else how long it must wait."""
    if not settings.LOCKOUT_ENABLED:
        return None
    cache = _cache()
    key = account_key(username)
    device = read_device(request)
    t = now()
    state = _account_state(cache, _account_counter_key(key, device))
    if state:
        until = state["last"] + delay_after(state["n"])
        if until > t:
            return Wait(until, "account")
    if device is not None and device.knows(key):
        # The real user's own browser: never slowed by what others do from their address.
        return None
    ip_key = _address_key(_address(request))
    blocked_until = cache.get(f"lockout:addr-wait:{ip_key}")
    if blocked_until and blocked_until > t:
        known = cache.get(f"lockout:addr-known:{ip_key}") or ()
        if key not in known:
            return Wait(blocked_until, "address")
    return None


def count(key: str, seconds: int, *, refresh: bool = False) -> int:
    """Adds one to a counter of the shared cache and returns the new count, atomically: add()
    makes the key only when it is missing, incr() is atomic in Redis and in our database cache
    (lbk/cache.py), so two requests counting at the same moment both count. The counter lasts
    `seconds` from its first count (from the last with `refresh`)."""
    cache = _cache()
    for _attempt in range(3):
        cache.add(key, 0, seconds)
        try:
            n = cache.incr(key)
        except ValueError:  # it expired between add() and incr()
            continue
        if refresh:
            cache.touch(key, seconds)
        return n
    return 1


def _account_state(cache, ckey: str) -> dict | None:
    got = cache.get_many([f"{ckey}:n", f"{ckey}:last"])
    n = got.get(f"{ckey}:n")
    if not n:
        return None
    return {"n": n, "last": got.get(f"{ckey}:last") or now()}


def record_failure(request, username: str) -> Wait | None:
    """Counts a failed attempt; returns the wait that now applies (None if none yet).
    Every count is an atomic increment (count()), never a read-then-write."""
    if not settings.LOCKOUT_ENABLED:
        return None
    cache = _cache()
    key = account_key(username)
    device = read_device(request)
    t = now()
    ckey = _account_counter_key(key, device)
    count(f"{ckey}:n", COUNTER_SECONDS, refresh=True)
    # The time of the last failure: whichever of two simultaneous failures writes last, the
    # delay counts from about the same moment.
    cache.set(f"{ckey}:last", t, COUNTER_SECONDS)

    # Per address: the distinct usernames that failed from it within the window. add() is true
    # once per username and window, so each counts once.
    ip_key = _address_key(_address(request))
    if cache.add(f"lockout:addr-fail:{ip_key}:{key}", 1, ADDRESS_WINDOW_SECONDS):
        distinct = count(f"lockout:addr-fail:{ip_key}", ADDRESS_WINDOW_SECONDS)
        if distinct >= ADDRESS_USERNAMES:
            cache.add(f"lockout:addr-wait:{ip_key}", t + ADDRESS_WAIT_SECONDS, ADDRESS_WAIT_SECONDS)
    return check(request, username)


def record_success(request, username: str) -> None:
    """The account's counter (for this browser) is cleared and the address learns the name."""
    cache = _cache()
    key = account_key(username)
    device = read_device(request)
    ckey = _account_counter_key(key, device)
    cache.delete_many([f"{ckey}:n", f"{ckey}:last"])
    if device is None or not device.knows(key):
        cache.delete_many([f"lockout:acct:{key}:n", f"lockout:acct:{key}:last"])
    ip_key = _address_key(_address(request))
    kkey = f"lockout:addr-known:{ip_key}"
    known = [k for k in (cache.get(kkey) or []) if k != key]
    cache.set(kkey, ([key] + known)[:2000], KNOWN_AT_ADDRESS_SECONDS)


def status_of(usernames: list[str]) -> dict[str, dict]:
    """For the coordinator's page: the account counters (any browser) of these usernames that
    are slowed now or were attacked today: {username: {"failures", "until", "last"}}."""
    keys = {f"lockout:acct:{account_key(u)}": u for u in usernames}
    found = _cache().get_many([f"{k}:{part}" for k in keys for part in ("n", "last")])
    out = {}
    for ckey, username in keys.items():
        state = {"n": found.get(f"{ckey}:n") or 0, "last": found.get(f"{ckey}:last") or 0}
        if state["n"] >= ACCOUNT_FREE_FAILURES:
            out[username] = {
                "failures": state["n"],
                "until": state["last"] + delay_after(state["n"]),
                "last": state["last"],
            }
    return out


class LockoutBackend:
    """First in AUTHENTICATION_BACKENDS: refuses an attempt that must wait, before any password
    is checked, on every login form (the app's and the Django admin's). The login view then
    shows when to try again (request.lbk_wait)."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        from django.core.exceptions import PermissionDenied

        if request is None or username is None:
            return None
        wait = check(request, username)
        if wait is not None:
            request.lbk_wait = wait
            raise PermissionDenied
        return None

    # No get_user: this backend never logs anyone in (and Django's force_login picks the first
    # backend that has one).


def reset(username: str) -> None:
    """Clears the account's counter (any browser without a device cookie): `manage.py
    lockout_reset`, and a password reset."""
    key = account_key(username)
    _cache().delete_many([f"lockout:acct:{key}:n", f"lockout:acct:{key}:last"])
