"""Sessions: 30 minutes idle, 12 hours absolute, new key at login, ended on the server by logout
and deactivation; a form posted after expiry comes back after logging in again."""

import datetime as dt
import re

import pytest
import time_machine
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from accounts.middleware import SAVED_POST_KEY

from . import urls_probe

START = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)
LOGIN = "/accounts/login/"


def _login(client, personas, username="ws.pendamping"):
    token = _csrf(client.get(LOGIN).content.decode())
    r = client.post(
        LOGIN,
        {"username": username, "password": personas.password, "csrfmiddlewaretoken": token},
    )
    assert r.status_code == 302, r.content[:300]
    return r


def test_session_settings():
    assert settings.SESSION_IDLE_SECONDS == 30 * 60
    # The store keeps a session a minute past the idle limit that the middleware enforces, and
    # the last activity is written at most once a minute (tests/security/test_session_stores.py).
    assert settings.SESSION_COOKIE_AGE == 31 * 60
    assert not settings.SESSION_SAVE_EVERY_REQUEST
    assert settings.SESSION_ABSOLUTE_SECONDS == 12 * 60 * 60
    # Without REDIS_URL: the database store with the per-user index of session keys.
    assert settings.SESSION_ENGINE == "accounts.sessions.db"


def test_idle_session_expires_after_30_minutes(personas):
    with time_machine.travel(START, tick=False) as t:
        c = Client()
        _login(c, personas)
        t.shift(dt.timedelta(minutes=29))
        assert c.get(reverse("home")).status_code == 200
        # Activity renews the idle window.
        t.shift(dt.timedelta(minutes=29))
        assert c.get(reverse("home")).status_code == 200
        t.shift(dt.timedelta(minutes=31))
        r = c.get(reverse("home"))
        assert r.status_code == 302 and r["Location"].startswith(LOGIN)


def test_session_ends_after_12_hours_even_when_active(personas):
    with time_machine.travel(START, tick=False) as t:
        c = Client()
        _login(c, personas)
        for _ in range(35):  # every 20 minutes: never idle
            t.shift(dt.timedelta(minutes=20))
            assert c.get(reverse("home")).status_code == 200
        t.shift(dt.timedelta(minutes=20, seconds=1))  # 12 h 0 min 1 s after login
        r = c.get(reverse("home"))
        assert r.status_code == 302 and r["Location"].startswith(LOGIN)
        # Logging in again starts a new 12 hours.
        _login(c, personas)
        assert c.get(reverse("home")).status_code == 200


def test_new_session_key_at_login(personas):
    c = Client()
    s = c.session
    s["before_login"] = 1
    s.save()
    c.cookies[settings.SESSION_COOKIE_NAME] = s.session_key
    before = s.session_key
    _login(c, personas)
    after = c.cookies[settings.SESSION_COOKIE_NAME].value
    assert after != before
    assert not Session.objects.filter(session_key=before).exists()


def test_logout_deletes_the_session_on_the_server(personas):
    c = Client()
    _login(c, personas)
    key = c.cookies[settings.SESSION_COOKIE_NAME].value
    assert Session.objects.filter(session_key=key).exists()
    c.post(reverse("logout"))
    assert not Session.objects.filter(session_key=key).exists()
    # The old cookie replayed by someone else opens nothing.
    thief = Client()
    thief.cookies[settings.SESSION_COOKIE_NAME] = key
    assert thief.get(reverse("home")).status_code == 302


def test_deactivating_a_user_ends_all_their_sessions(personas):
    phone, laptop, colleague = Client(), Client(), Client()
    _login(phone, personas, "ws.pendamping")
    _login(laptop, personas, "ws.pendamping")
    _login(colleague, personas, "ws.koordinator")
    keys = [c.cookies[settings.SESSION_COOKIE_NAME].value for c in (phone, laptop)]
    user = personas["ws.pendamping"]
    user.is_active = False
    user.save()
    assert not Session.objects.filter(session_key__in=keys).exists()
    assert phone.get(reverse("home")).status_code == 302
    assert laptop.get(reverse("home")).status_code == 302
    assert colleague.get(reverse("home")).status_code == 200


# A form posted after the session expired is not lost.

FORM = {
    "victim_name": "Siti Rahmawati",
    "narrative": 'Dipukul <b>"suami"</b> & diancam.',
    "violence_types": ["fisik", "psikis"],
    "new_password1": "never-kept-123",
}


def _csrf(html):
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


def _hidden_fields(html, form_action):
    block = html.split(f'action="{form_action}"', 1)[1].split("</form>", 1)[0]
    return re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', block)


@pytest.fixture
def probe_urls(settings):
    settings.ROOT_URLCONF = "tests.security.urls_probe"
    urls_probe.RECEIVED.clear()
    return urls_probe


def _author(html):
    return re.search(r'name="_lbk_author" value="([^"]+)"', html).group(1)


def _expire_and_post(c, t, personas, extra=None):
    _login(c, personas)
    html = c.get(reverse("home")).content.decode()
    t.shift(dt.timedelta(minutes=31))
    r = c.post(
        "/probe/",
        {**FORM, **(extra or {}), "csrfmiddlewaretoken": _csrf(html), "_lbk_author": _author(html)},
    )
    return r


def test_form_posted_after_expiry_is_sent_again_after_login(personas, probe_urls):
    with time_machine.travel(START, tick=False) as t:
        c = Client(enforce_csrf_checks=True)
        r = _expire_and_post(c, t, personas)
        assert r.status_code == 302
        assert r["Location"] == f"{LOGIN}?next={reverse('resubmit')}"
        assert probe_urls.RECEIVED == []  # the view never ran
        saved = c.session[SAVED_POST_KEY]
        assert saved["path"] == "/probe/"
        assert ("victim_name", "Siti Rahmawati") in [tuple(f) for f in saved["fields"]]
        assert not any(
            "password" in k or k in ("csrfmiddlewaretoken", "_lbk_author")
            for k, _ in saved["fields"]
        )

        login_page = c.get(r["Location"]).content.decode()
        assert "Sesi Anda telah berakhir" in login_page
        r = c.post(
            LOGIN,
            {
                "username": "ws.pendamping",
                "password": personas.password,
                "next": reverse("resubmit"),
                "csrfmiddlewaretoken": _csrf(login_page),
            },
        )
        assert r.status_code == 302 and r["Location"] == reverse("resubmit")
        page = c.get(reverse("resubmit"))
        html = page.content.decode()
        assert page.status_code == 200
        assert "Data Anda tersimpan" in html
        assert "Kirim ulang" in html
        assert "<script" not in html
        assert "never-kept-123" not in html
        # Typed text comes back escaped, as hidden inputs of a form posting to the original URL.
        assert "&lt;b&gt;&quot;suami&quot;&lt;/b&gt; &amp; diancam." in html
        fields = _hidden_fields(html, "/probe/")
        data = {}
        for k, v in fields:
            data.setdefault(k, []).append(
                v.replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", '"')
                .replace("&#x27;", "'")
                .replace("&amp;", "&")
            )
        # A fresh CSRF token (the one from before login was rotated).
        assert data["csrfmiddlewaretoken"][0] != ""
        r = c.post("/probe/", data)
        assert r.status_code == 200
        got = probe_urls.RECEIVED[-1]
        assert got["victim_name"] == ["Siti Rahmawati"]
        assert got["narrative"] == [FORM["narrative"]]
        assert got["violence_types"] == ["fisik", "psikis"]
        assert "new_password1" not in got
        # Sent once: the saved copy is gone.
        assert SAVED_POST_KEY not in c.session
        assert c.get(reverse("resubmit"))["Location"] == reverse("home")


def test_saved_form_can_be_discarded(personas, probe_urls):
    with time_machine.travel(START, tick=False) as t:
        c = Client()
        _expire_and_post(c, t, personas)
        _login(c, personas)
        assert c.get(reverse("resubmit")).status_code == 200
        r = c.post(reverse("resubmit"), {"action": "discard"})
        assert r.status_code == 302
        assert SAVED_POST_KEY not in c.session
        assert probe_urls.RECEIVED == []


def test_saved_form_is_not_shown_to_another_account(personas, probe_urls):
    with time_machine.travel(START, tick=False) as t:
        c = Client()
        _expire_and_post(c, t, personas)  # typed as ws.pendamping
        _login(c, personas, "ws.koordinator")  # someone else at the same computer
        r = c.get(reverse("resubmit"))
        assert r.status_code == 302 and r["Location"] == reverse("home")
        assert SAVED_POST_KEY not in c.session


def test_post_after_absolute_limit_is_kept_too(personas, probe_urls):
    with time_machine.travel(START, tick=False) as t:
        c = Client()
        _login(c, personas)
        for _ in range(36):  # 12 h of activity
            t.shift(dt.timedelta(minutes=20))
            assert c.get("/probe/").status_code == 200
        author = _author(c.get(reverse("home")).content.decode())
        t.shift(dt.timedelta(minutes=20))
        r = c.post("/probe/", {**FORM, "_lbk_author": author})
        assert r.status_code == 302 and r["Location"].endswith(reverse("resubmit"))
        assert c.session[SAVED_POST_KEY]["user_id"] == personas["ws.pendamping"].pk


def test_login_post_is_never_kept(db):
    c = Client()
    c.post(LOGIN, {"username": "x", "password": "y"})
    assert SAVED_POST_KEY not in c.session


def test_intake_form_sent_after_expiry_registers_the_case_after_login(personas):
    """The real intake form (with its formsets) comes back whole and registers the complaint."""
    from cases.models import Case
    from tests.form_posts import intake_post

    with time_machine.travel(START, tick=False) as t:
        c = Client()
        _login(c, personas, "ws.relawan")
        author = _author(c.get(reverse("cases:create")).content.decode())
        t.shift(dt.timedelta(minutes=45))
        data = intake_post(
            victims=[{"full_name": "Rahmi Sentosa", "estimated_age": "12"}],
            narrative="Diketik lama di posko",
        )
        data["_lbk_author"] = author
        r = c.post(reverse("cases:create"), data)
        assert r.status_code == 302 and r["Location"].endswith(reverse("resubmit"))
        assert not Case.objects.exists()
        _login(c, personas, "ws.relawan")
        html = c.get(reverse("resubmit")).content.decode()
        fields = _hidden_fields(html, reverse("cases:create"))
        posted = {}
        for k, v in fields:
            posted.setdefault(k, []).append(v)
        r = c.post(reverse("cases:create"), posted)
        assert r.status_code == 302, r.content.decode()[:2000]
        case = Case.objects.get()
        assert case.narrative == "Diketik lama di posko"
        assert case.victims.get().full_name == "Rahmi Sentosa"
        assert case.registered_by == personas["ws.relawan"]
