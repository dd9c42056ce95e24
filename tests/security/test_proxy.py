"""Headers a client can write are believed only behind a configured proxy (TRUSTED_PROXY_COUNT):
X-Forwarded-Proto for "this is HTTPS", X-Forwarded-For for the visitor's address; and the app
reads the visitor's address through one helper (accounts.security.client_ip)."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client, RequestFactory
from django.urls import reverse

from accounts.security import client_ip

ROOT = Path(settings.BASE_DIR)


def _settings_with(**env):
    """The settings module as a fresh process reads it from the environment."""
    code = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps([s.SECURE_PROXY_SSL_HEADER, s.TRUSTED_PROXY_COUNT]))"
    )
    environ = {
        k: v
        for k, v in os.environ.items()
        if k not in ("TRUSTED_PROXY_COUNT", "DATABASE_URL") and not k.startswith("PYTEST")
    }
    environ.update(
        DJANGO_SETTINGS_MODULE="lbk.settings",
        SECRET_KEY="subprocess-only-secret-key-0123456789abcdefghijklmnop",
        **env,
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environ, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_forwarded_proto_is_not_trusted_without_a_proxy():
    header, count = _settings_with()
    assert count == 0 and header is None
    header, count = _settings_with(TRUSTED_PROXY_COUNT="0")
    assert header is None


def test_forwarded_proto_is_trusted_behind_a_proxy():
    header, count = _settings_with(TRUSTED_PROXY_COUNT="1")
    assert count == 1 and header == ["HTTP_X_FORWARDED_PROTO", "https"]


def test_is_secure_both_ways(settings):
    claim = RequestFactory().get("/", HTTP_X_FORWARDED_PROTO="https")
    settings.SECURE_PROXY_SSL_HEADER = None  # what TRUSTED_PROXY_COUNT=0 gives
    assert not claim.is_secure()
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")  # behind nginx
    assert claim.is_secure()
    assert not RequestFactory().get("/", HTTP_X_FORWARDED_PROTO="http").is_secure()


def test_a_direct_client_claiming_https_is_still_redirected(settings, db):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = None
    r = Client().get("/accounts/login/", HTTP_X_FORWARDED_PROTO="https")
    assert r.status_code == 301 and r["Location"].startswith("https://")


# One helper for the client address.


def test_client_ip_reads_the_address_the_proxy_middleware_settled():
    rf = RequestFactory()
    assert client_ip(rf.get("/", REMOTE_ADDR="10.1.2.3")) == "10.1.2.3"
    # A header the client writes is not an address on its own.
    assert client_ip(rf.get("/", REMOTE_ADDR="10.1.2.3", HTTP_X_FORWARDED_FOR="6.6.6.6")) == (
        "10.1.2.3"
    )
    r = rf.get("/")
    r.META.pop("REMOTE_ADDR", None)
    assert client_ip(r) is None
    assert client_ip(None) is None


def test_nobody_else_reads_remote_addr():
    allowed = {
        ROOT / "accounts" / "security.py",  # the helper
        ROOT / "accounts" / "middleware.py",  # TrustedProxyMiddleware sets it
        ROOT / "lbk" / "settings.py",  # TRUSTED_PROXY_COUNT (a comment)
    }
    readers = []
    for app in ("accounts", "cases", "referrals", "attachments", "notifications", "ops", "lbk"):
        for path in (ROOT / app).rglob("*.py"):
            if path in allowed or "migrations" in path.parts:
                continue
            if re.search(r"REMOTE_ADDR|HTTP_X_FORWARDED_FOR|X-Forwarded-For", path.read_text()):
                readers.append(str(path.relative_to(ROOT)))
    assert readers == []


@pytest.fixture
def behind_proxy(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    return settings


def test_access_log_and_verify_rate_limit_use_the_visitor_address(behind_proxy, personas, master):
    from cases.models import AccessLog
    from tests.factories import make_case

    case = make_case(personas)
    c = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.7")
    c.force_login(personas["ws.koordinator"])
    assert c.get(reverse("cases:detail", args=[case.pk])).status_code == 200
    assert AccessLog.objects.filter(case=case).latest("pk").ip == "198.51.100.7"

    call_command("createcachetable", verbosity=0)
    cache.clear()
    anon = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.8")
    anon.get("/verifikasi/tidak-ada/")
    assert cache.get("verify-rate:198.51.100.8") == 1
    assert cache.get("verify-rate:127.0.0.1") is None
