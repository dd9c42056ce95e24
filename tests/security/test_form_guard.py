"""{% form_guard %}: every POST form carries the CSRF token, its author (signed) and a one-time
token; no template uses a bare {% csrf_token %}."""

import datetime as dt
import re
from pathlib import Path

import time_machine
from django.conf import settings
from django.core import signing
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse

from accounts.security import AUTHOR_FIELD, ONCE_FIELD, sign_author, verify_author

TEMPLATES = Path(settings.BASE_DIR) / "templates"
_POST_FORM = re.compile(r"<form\b[^>]*\bmethod\s*=\s*[\"']?post\b", re.IGNORECASE)


def _hidden(html, name):
    return re.findall(rf'<input type="hidden" name="{name}" value="([^"]*)"', html)


def test_no_template_uses_a_bare_csrf_token_and_every_post_form_has_the_guard():
    bare, unguarded = [], []
    files = sorted(TEMPLATES.rglob("*.html")) + sorted(TEMPLATES.rglob("*.txt"))
    assert files
    for path in files:
        text = path.read_text()
        name = str(path.relative_to(TEMPLATES))
        if re.search(r"{%\s*csrf_token\s*%}", text):
            bare.append(name)
        for m in _POST_FORM.finditer(text):
            block = text[m.start() :].split("</form>", 1)[0]
            if not re.search(r"{%\s*form_guard\b", block):
                unguarded.append(f"{name}:{text[: m.start()].count(chr(10)) + 1}")
            elif not re.search(r"{%\s*load\b[^%]*\blbk\b", text):
                unguarded.append(f"{name}: form_guard without {{% load lbk %}}")
    assert bare == [], f"use {{% form_guard %}} instead of {{% csrf_token %}} in {bare}"
    assert unguarded == [], f"POST forms without {{% form_guard %}}: {unguarded}"


def _render(user=None, **kw):
    request = RequestFactory().get("/")
    if user is not None:
        request.user = user
    tpl = Template("{% load lbk %}{% form_guard " + " ".join(f"{k}={k}" for k in kw) + " %}")
    return tpl.render(Context({"request": request, "csrf_token": "tok123", **kw}))


def test_form_guard_for_a_logged_in_user(personas):
    user = personas["ws.relawan"]
    html = _render(user)
    assert _hidden(html, "csrfmiddlewaretoken") == ["tok123"]
    [author] = _hidden(html, AUTHOR_FIELD)
    assert verify_author(author) == user.pk
    [once] = _hidden(html, ONCE_FIELD)
    assert re.fullmatch(r"[0-9a-f]{32}", once)
    # A fresh one-time token on every rendering.
    assert _hidden(_render(user), ONCE_FIELD) != [once]


def test_form_guard_for_an_anonymous_visitor_has_no_author(db):
    from django.contrib.auth.models import AnonymousUser

    html = _render(AnonymousUser())
    assert _hidden(html, AUTHOR_FIELD) == []
    assert len(_hidden(html, ONCE_FIELD)) == 1


def test_form_guard_can_pass_a_kept_once_token_on(personas):
    html = _render(personas["ws.relawan"], once="a" * 32)
    assert _hidden(html, ONCE_FIELD) == ["a" * 32]


def test_author_signature_refuses_forgery_other_salt_and_age():
    good = sign_author(7)
    assert verify_author(good) == 7
    assert verify_author("") is None
    assert verify_author(None) is None
    assert verify_author(good[:-2] + "xx") is None
    # Signed with the same key for another purpose: not an author.
    assert verify_author(signing.TimestampSigner(salt="other").sign_object({"u": 7})) is None
    assert verify_author(signing.dumps({"u": 7})) is None
    with time_machine.travel(dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC), tick=False) as t:
        old = sign_author(7)
        t.shift(dt.timedelta(seconds=settings.SESSION_ABSOLUTE_SECONDS - 1))
        assert verify_author(old) == 7
        t.shift(dt.timedelta(seconds=2))
        assert verify_author(old) is None


def test_real_pages_render_the_guard(personas):
    c = personas.client("ws.relawan")
    html = c.get(reverse("cases:create")).content.decode()
    assert len(_hidden(html, AUTHOR_FIELD)) >= 2  # the intake form and the logout button
    assert all(verify_author(v) == personas["ws.relawan"].pk for v in _hidden(html, AUTHOR_FIELD))
    onces = _hidden(html, ONCE_FIELD)
    assert len(onces) == len(set(onces))
