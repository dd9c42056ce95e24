"""A form posted after the session ended is kept for the person who typed it, and for nobody else.

The author is known from the signed `_lbk_author` field of the posted form ({% form_guard %}),
never from the expired session. Raw POSTs through the test client, with the real intake form.
"""

import datetime as dt
import re

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.urls import reverse

from accounts.middleware import SAVED_POST_KEY
from accounts.security import sign_author
from cases.models import Case
from tests.form_posts import intake_post
from tests.queries import queries

START = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)
LOGIN = "/accounts/login/"
NAME = "Rahmi Sentosa Kept"
NIK = "7372011203150004"
NOT_KEPT_MSG = "Isian yang Anda ketik tidak dapat disimpan"


def _csrf(html):
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


def _hidden(html, name):
    return re.findall(rf'name="{name}" value="([^"]*)"', html)


def _login(c, personas, username):
    html = c.get(LOGIN).content.decode()
    r = c.post(
        LOGIN,
        {
            "username": username,
            "password": personas.password,
            "next": reverse("resubmit"),
            "csrfmiddlewaretoken": _csrf(html),
        },
    )
    assert r.status_code == 302, r.content[:300]
    return r


def _intake(author=None, once="f" * 32):
    data = intake_post(victims=[{"full_name": NAME, "estimated_age": "12", "nik": NIK}])
    if author is not None:
        data["_lbk_author"] = author
    data["_lbk_once"] = once
    return data


def _typed_by_relawan(c, personas, t, *, end="idle"):
    """ws.relawan opens the intake form, then the session ends (idle, or logout in another tab),
    then the form is posted."""
    _login(c, personas, "ws.relawan")
    html = c.get(reverse("cases:create")).content.decode()
    [author] = _hidden(html.split('class="intake-form"', 1)[1], "_lbk_author")[:1]
    if end == "idle":
        t.shift(dt.timedelta(minutes=31))
    else:
        c.post(reverse("logout"))
    r = c.post(reverse("cases:create"), _intake(author))
    assert r.status_code == 302 and r["Location"].endswith(reverse("resubmit"))
    assert c.session[SAVED_POST_KEY]["user_id"] == personas["ws.relawan"].pk
    return r


def _resent_data(html):
    block = html.split(f'action="{reverse("cases:create")}"', 1)[1].split("</form>", 1)[0]
    data = {}
    for k, v in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', block):
        data.setdefault(k, []).append(v)
    return data


@pytest.mark.parametrize("end", ["idle", "logout"])
def test_another_user_on_the_same_browser_never_sees_or_registers_the_kept_form(personas, end):
    with time_machine.travel(START, tick=False) as t:
        c = Client()
        _typed_by_relawan(c, personas, t, end=end)
        # Someone else logs in on that browser (the posko's shared phone).
        _login(c, personas, "ws.koordinator")
        assert SAVED_POST_KEY not in c.session
        for url in (reverse("resubmit"), reverse("home"), reverse("cases:create")):
            html = c.get(url, follow=True).content.decode()
            assert NAME not in html and NIK not in html
        # Posting to the resubmit page or the kept path brings nothing back.
        r = c.post(reverse("resubmit"), {"action": "send"})
        assert r.status_code == 302 and r["Location"] == reverse("home")
        c.post(reverse("cases:create"), {"_lbk_resubmit": "1"})
        assert not Case.objects.exists()
        # And the author, logging in afterwards, does not get it back either: it is gone.
        c.post(reverse("logout"))
        _login(c, personas, "ws.relawan")
        assert c.get(reverse("resubmit"))["Location"] == reverse("home")
    assert not Case.objects.exists()


@pytest.mark.parametrize("end", ["idle", "logout"])
def test_the_author_logs_in_again_sees_the_form_and_sends_it_once(personas, end):
    with time_machine.travel(START, tick=False) as t:
        c = Client()
        _typed_by_relawan(c, personas, t, end=end)
        _login(c, personas, "ws.relawan")
        html = c.get(reverse("resubmit")).content.decode()
        assert "Data Anda tersimpan" in html and NAME in html
        data = _resent_data(html)
        # A fresh author field, the kept one-time token (once), no old CSRF token.
        assert data["_lbk_once"] == ["f" * 32]
        assert len(data["_lbk_author"]) == 1
        r = c.post(reverse("cases:create"), data)
        assert r.status_code == 302, r.content.decode()[:2000]
        case = Case.objects.get()
        assert case.victims.get().full_name == NAME
        assert case.registered_by == personas["ws.relawan"]
        assert SAVED_POST_KEY not in c.session


@pytest.mark.parametrize(
    "author",
    [
        None,  # missing
        "",
        "forged-value",
        "eyJ1Ijo1fQ:1vTf0A:0000000000000000000000000000000000000000000",
        "tampered",  # a real signature for someone, altered below
    ],
)
def test_a_form_whose_author_cannot_be_verified_is_not_kept(personas, author):
    with time_machine.travel(START, tick=False) as t:
        c = Client()
        _login(c, personas, "ws.relawan")
        if author == "tampered":
            # Another user's id in place of the signed one, the signature left as it was.
            good = sign_author(personas["ws.relawan"].pk)
            other = sign_author(personas["ws.koordinator"].pk).split(":")[0]
            assert other != good.split(":")[0]
            author = ":".join([other, *good.split(":")[1:]])
        t.shift(dt.timedelta(minutes=31))
        r = c.post(reverse("cases:create"), _intake(author), follow=True)
        assert SAVED_POST_KEY not in c.session
        html = r.content.decode()
        assert r.redirect_chain[-1][0].startswith(LOGIN)
        assert NOT_KEPT_MSG in html
        assert NAME not in html
        _login(c, personas, "ws.relawan")
        assert c.get(reverse("resubmit"))["Location"] == reverse("home")
    assert not Case.objects.exists()


def test_an_author_signature_older_than_a_session_is_not_kept(personas):
    with time_machine.travel(START, tick=False) as t:
        old = sign_author(personas["ws.relawan"].pk)
        t.shift(dt.timedelta(seconds=settings.SESSION_ABSOLUTE_SECONDS + 1))
        c = Client()
        r = c.post(reverse("cases:create"), _intake(old), follow=True)
        assert SAVED_POST_KEY not in c.session
        assert NOT_KEPT_MSG in r.content.decode()


def test_a_kept_form_is_discarded_after_its_time_limit(personas, settings):
    settings.KEPT_FORM_SECONDS = 30 * 60
    with time_machine.travel(START, tick=False) as t:
        c = Client()
        _typed_by_relawan(c, personas, t)
        t.shift(dt.timedelta(minutes=31))
        _login(c, personas, "ws.relawan")
        assert SAVED_POST_KEY not in c.session
        r = c.get(reverse("resubmit"))
        assert r["Location"] == reverse("home")
    assert not Case.objects.exists()


def test_a_kept_form_within_its_time_limit_is_shown(personas, settings):
    settings.KEPT_FORM_SECONDS = 30 * 60
    with time_machine.travel(START, tick=False) as t:
        c = Client()
        _typed_by_relawan(c, personas, t)
        t.shift(dt.timedelta(minutes=29))
        _login(c, personas, "ws.relawan")
        assert NAME in c.get(reverse("resubmit")).content.decode()


def test_logout_discards_the_kept_form(personas):
    with time_machine.travel(START, tick=False) as t:
        c = Client()
        _typed_by_relawan(c, personas, t)
        # Logged out from the login page (anonymous) ...
        c.post(reverse("logout"))
        assert SAVED_POST_KEY not in c.session
        _typed_by_relawan(c, personas, t)
        # ... or after logging in again without sending it.
        _login(c, personas, "ws.relawan")
        c.post(reverse("logout"))
        assert SAVED_POST_KEY not in c.session
        _login(c, personas, "ws.relawan")
        assert c.get(reverse("resubmit"))["Location"] == reverse("home")
    assert not Case.objects.exists()


def test_the_expired_session_row_is_not_consulted(personas):
    """Sessions will move to a cache: keeping a form reads no session table to find its author."""
    with time_machine.travel(START, tick=False) as t:
        c = Client()
        _login(c, personas, "ws.relawan")
        html = c.get(reverse("cases:create")).content.decode()
        author = _hidden(html, "_lbk_author")[0]
        t.shift(dt.timedelta(minutes=31))
        with queries() as q:
            c.post(reverse("cases:create"), _intake(author))
        # The expired row is looked up once by the session engine itself, never decoded for
        # its user; nothing deletes it on our behalf.
        assert not any("DELETE" in x["sql"] and "django_session" in x["sql"] for x in q)
        assert c.session[SAVED_POST_KEY]["user_id"] == personas["ws.relawan"].pk
