"""Login: the lockout (shared store), password rules, security log."""

import logging

import pytest
from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from accounts.lockout import ACCOUNT_FREE_FAILURES, ADDRESS_USERNAMES
from accounts.security import username_tag

LOGIN = "/accounts/login/"


def _post(client, username, password):
    return client.post(LOGIN, {"username": username, "password": password})


def test_lockout_counted_in_the_shared_cache():
    assert settings.LOCKOUT_ENABLED
    assert settings.AUTHENTICATION_BACKENDS[0] == "accounts.lockout.LockoutBackend"
    assert settings.CACHES["default"]["BACKEND"].endswith("DatabaseCache")


def test_lockout_after_five_failures_logged_without_the_name(personas, caplog):
    caplog.set_level(logging.INFO)
    attacker = Client(REMOTE_ADDR="10.9.9.9")
    for _ in range(ACCOUNT_FREE_FAILURES - 1):
        assert _post(attacker, "ws.relawan", "wrong-password-1").status_code == 200
    locked = _post(attacker, "ws.relawan", "wrong-password-1")
    assert locked.status_code == 429
    # Even the right password is refused while the account waits.
    again = _post(attacker, "ws.relawan", personas.password)
    assert again.status_code == 429
    assert "_auth_user_id" not in attacker.session
    # Another user from the attacker's address is not slowed.
    r = _post(attacker, "ws.koordinator", personas.password)
    assert r.status_code == 302

    security = [r for r in caplog.records if r.name == "lbk.security"]
    failures = [r for r in security if "login failed" in r.getMessage()]
    lockouts = [r for r in security if "locked out" in r.getMessage()]
    assert len(failures) >= ACCOUNT_FREE_FAILURES
    assert lockouts
    tag = username_tag("ws.relawan")
    assert all(tag in r.getMessage() for r in failures + lockouts)
    # Neither the typed username nor any password appears in any log line.
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "ws.relawan" not in text
    assert "wrong-password-1" not in text
    assert personas.password not in text


def test_failed_login_of_unknown_user_is_logged_without_the_name(db, caplog):
    caplog.set_level(logging.INFO)
    _post(Client(), "Siti Aminah binti Sentinel", "whatever-pass-99")
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "login failed user#" in text
    assert "Siti" not in text and "whatever-pass-99" not in text


def test_successful_login_and_logout_are_logged_by_id(personas, caplog):
    caplog.set_level(logging.INFO, logger="lbk.security")
    c = Client()
    _post(c, "ws.lurah", personas.password)
    c.post(reverse("logout"))
    uid = personas["ws.lurah"].pk
    msgs = [r.getMessage() for r in caplog.records if r.name == "lbk.security"]
    assert any(m.startswith(f"login ok user_id={uid}") for m in msgs)
    assert any(m == f"logout user_id={uid}" for m in msgs)


@pytest.mark.parametrize(
    "password",
    [
        "short-pw1",  # 9 characters
        "password123",  # common
        "qwertyuiop",  # common
        "1234567890",  # common
    ],
)
def test_weak_passwords_refused(personas, password):
    with pytest.raises(ValidationError):
        password_validation.validate_password(password, personas["ws.relawan"])


@pytest.mark.parametrize(
    "password",
    [
        "lumbalumba",  # ten lowercase letters: no composition rules
        "kucing hitam makan ikan asin di pasar lakessi parepare pada sore hari yang cerah",
        "8402917356",  # only digits is fine when not common
        "Ω≈ç√∫ ñandú piñata",  # any characters
    ],
)
def test_long_or_plain_passwords_allowed(personas, password):
    password_validation.validate_password(password, personas["ws.relawan"])


def test_password_change_form_shows_the_rule_in_indonesian(personas):
    c = personas.client("ws.relawan")
    r = c.post(
        reverse("password_change"),
        {
            "old_password": personas.password,
            "new_password1": "pendek",
            "new_password2": "pendek",
        },
    )
    assert r.status_code == 200
    html = r.content.decode()
    assert "terlalu pendek" in html
    assert "10 karakter" in html


def test_address_lockout_counts_the_visitor_address_behind_the_proxy(personas, settings):
    """Behind nginx every request comes from 127.0.0.1: the address rule must use the visitor's
    address from X-Forwarded-For, or one attacker would slow everyone behind the proxy."""
    from django.test import override_settings

    with override_settings(TRUSTED_PROXY_COUNT=1):
        attacker = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.9")
        for i in range(ADDRESS_USERNAMES):
            _post(attacker, f"guess{i}", "wrong-password-1")
        assert _post(attacker, "ws.relawan", personas.password).status_code == 429
        # A forged left-most entry does not let the attacker change address.
        forged = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="9.9.9.9, 203.0.113.9")
        assert _post(forged, "ws.relawan", personas.password).status_code == 429
        # The volunteer at the posko, through the same proxy, still logs in.
        volunteer = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.20")
        assert _post(volunteer, "ws.relawan", personas.password).status_code == 302


def test_lockout_of_unknown_username_looks_the_same(personas):
    """Locking tells nothing either: an unknown name is locked out exactly like a known one."""
    pages = []
    for name in ("ws.lurah", "no.such.user"):
        c = Client(REMOTE_ADDR="10.7.7.7")
        for _ in range(ACCOUNT_FREE_FAILURES - 1):
            _post(c, name, "wrong-password-1")
        r = _post(c, name, "wrong-password-1")
        assert r.status_code == 429
        pages.append(r.content.decode().replace(name, "X").split("csrfmiddlewaretoken")[0])
    assert pages[0] == pages[1]
