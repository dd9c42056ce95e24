"""The three session guarantees, each on each store: the database, the cached database (Redis as
its cache) and Redis alone (tests/conftest.py starts a redis-server on a free loopback port).

1. Every session of a user can be ended (deactivation, password change, "log out everywhere")
   through the per-user index of session keys, and is then gone from the store, the session
   table and the cache alike.
2. The kept-form binding (a form posted after the session ended comes back only to its author)
   does not read the session table: it holds with the session gone from table and cache.
3. The idle (30 min) and absolute (12 h) limits hold, and the idle bookkeeping writes the
   session at most once a minute, not on every request.
"""

import datetime as dt
import re
from importlib import import_module

import pytest
import redis
import time_machine
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from accounts.middleware import SAVED_POST_KEY
from accounts.models import SessionIndex
from cases.models import Case
from tests.form_posts import intake_post

START = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)
LOGIN = "/accounts/login/"
STORES = ["db", "cached_db", "cache"]


@pytest.fixture(params=STORES)
def store(request, settings):
    """SESSION_STORE as settings.py sets it: Redis for the cache-based stores."""
    redis_url = None
    if request.param != "db":
        redis_url = request.getfixturevalue("redis_cache")
    settings.SESSION_ENGINE = f"accounts.sessions.{request.param}"
    request.getfixturevalue("personas")
    return {"name": request.param, "redis": redis_url}


def _csrf(html):
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


def _login(client, personas, username="ws.pendamping"):
    r = client.post(LOGIN, {"username": username, "password": personas.password})
    assert r.status_code == 302, r.content[:300]
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def _anywhere(store, key):
    """Where the session still is: the configured store, the table, any Redis key naming it."""
    places = []
    if import_module(settings.SESSION_ENGINE).SessionStore().exists(key):
        places.append("store")
    if Session.objects.filter(session_key=key).exists():
        places.append("table")
    if store["redis"]:
        client = redis.Redis.from_url(store["redis"])
        if list(client.scan_iter(match=f"*{key}*")):
            places.append("redis")
        client.close()
    return places


def _logged_in(client):
    return client.get(reverse("home")).status_code == 200


@pytest.mark.parametrize("how", ["deactivate", "password_change", "everywhere"])
def test_all_sessions_of_a_user_are_ended(store, personas, how):
    phone, laptop, colleague = Client(), Client(), Client()
    keys = [_login(phone, personas), _login(laptop, personas)]
    _login(colleague, personas, "ws.koordinator")
    user = personas["ws.pendamping"]
    assert set(SessionIndex.objects.filter(user=user).values_list("session_key", flat=True)) == set(
        keys
    )
    for key in keys:
        assert "store" in _anywhere(store, key)

    if how == "deactivate":
        user.is_active = False
        user.save()
    elif how == "password_change":
        r = phone.post(
            reverse("password_change"),
            {
                "old_password": personas.password,
                "new_password1": "a-new-long-passphrase-2026",
                "new_password2": "a-new-long-passphrase-2026",
            },
        )
        assert r.status_code == 302, r.content[:500]
    else:
        r = phone.post(reverse("logout_everywhere"))
        assert r.status_code == 302 and r["Location"] == reverse("login")

    for key in keys:
        assert _anywhere(store, key) == [], key
    assert not _logged_in(laptop)
    assert _logged_in(colleague)
    if how == "password_change":
        # The page that changed the password goes on, under a new key, indexed.
        assert _logged_in(phone)
        new_key = phone.cookies[settings.SESSION_COOKIE_NAME].value
        assert new_key not in keys
        assert list(
            SessionIndex.objects.filter(user=user).values_list("session_key", flat=True)
        ) == [new_key]
    else:
        assert not _logged_in(phone)
        assert not SessionIndex.objects.filter(user=user).exists()


def test_logout_forgets_the_key(store, personas):
    c = Client()
    key = _login(c, personas)
    c.post(reverse("logout"))
    assert _anywhere(store, key) == []
    assert not SessionIndex.objects.filter(session_key=key).exists()


def _form_fields(html):
    """The hidden inputs of the intake form (CSRF token and whatever else every form carries)."""
    block = html.split('class="intake-form', 1)[1].split("</form>", 1)[0]
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', block))


def test_kept_form_binding_does_not_read_the_session_table(store, personas):
    with time_machine.travel(START, tick=False) as t:
        c = Client()
        key = _login(c, personas, "ws.relawan")
        hidden = _form_fields(c.get(reverse("cases:create")).content.decode())
        t.shift(dt.timedelta(minutes=45))
        # The session is gone from the table and from the cache (clearsessions ran, Redis
        # evicted it): whoever typed the form must be known without them.
        Session.objects.filter(session_key=key).delete()
        if store["redis"]:
            client = redis.Redis.from_url(store["redis"])
            for k in client.scan_iter(match=f"*{key}*"):
                client.delete(k)
            client.close()
        data = {**intake_post(narrative="Diketik lama di posko"), **hidden}
        data.pop("csrfmiddlewaretoken", None)
        r = c.post(reverse("cases:create"), data)
        assert r.status_code == 302 and r["Location"].endswith(reverse("resubmit"))
        assert not Case.objects.exists()
        assert c.session[SAVED_POST_KEY]["fields"]

        # Someone else logs in at the same computer: the form is not theirs.
        _login(c, personas, "ws.koordinator")
        r = c.get(reverse("resubmit"))
        assert r.status_code == 302 and r["Location"] == reverse("home")


def test_kept_form_comes_back_to_its_author(store, personas):
    with time_machine.travel(START, tick=False) as t:
        c = Client()
        key = _login(c, personas, "ws.relawan")
        hidden = _form_fields(c.get(reverse("cases:create")).content.decode())
        t.shift(dt.timedelta(minutes=45))
        Session.objects.filter(session_key=key).delete()
        data = {**intake_post(narrative="Diketik lama di posko"), **hidden}
        data.pop("csrfmiddlewaretoken", None)
        r = c.post(reverse("cases:create"), data)
        assert r.status_code == 302 and r["Location"].endswith(reverse("resubmit"))
        _login(c, personas, "ws.relawan")
        page = c.get(reverse("resubmit"))
        assert page.status_code == 200 and "Data Anda tersimpan" in page.content.decode()


def test_idle_limit(store, personas):
    with time_machine.travel(START, tick=False) as t:
        c = Client()
        _login(c, personas)
        t.shift(dt.timedelta(minutes=29))
        assert _logged_in(c)
        t.shift(dt.timedelta(minutes=29))  # activity renews the idle window
        assert _logged_in(c)
        t.shift(dt.timedelta(minutes=31))
        r = c.get(reverse("home"))
        assert r.status_code == 302 and r["Location"].startswith(LOGIN)


def test_absolute_limit(store, personas):
    with time_machine.travel(START, tick=False) as t:
        c = Client()
        _login(c, personas)
        for _ in range(35):  # every 20 minutes: never idle
            t.shift(dt.timedelta(minutes=20))
            assert _logged_in(c)
        t.shift(dt.timedelta(minutes=20, seconds=1))  # 12 h 0 min 1 s after login
        r = c.get(reverse("home"))
        assert r.status_code == 302 and r["Location"].startswith(LOGIN)
        _login(c, personas)
        assert _logged_in(c)


def test_idle_bookkeeping_writes_at_most_once_a_minute(store, personas, monkeypatch):
    engine = import_module(settings.SESSION_ENGINE)
    saves = []
    real_save = engine.SessionStore.save

    def counting_save(self, must_create=False):
        saves.append(self.session_key)
        return real_save(self, must_create=must_create)

    monkeypatch.setattr(engine.SessionStore, "save", counting_save)
    with time_machine.travel(START, tick=False) as t:
        c = Client()
        _login(c, personas)
        saves.clear()
        for _ in range(5):
            t.shift(dt.timedelta(seconds=10))
            assert _logged_in(c)
        assert saves == []  # five pages in 50 seconds: no session write
        t.shift(dt.timedelta(seconds=15))  # 65 s after the last write
        assert _logged_in(c)
        assert len(saves) == 1
        assert _logged_in(c)
        assert len(saves) == 1
