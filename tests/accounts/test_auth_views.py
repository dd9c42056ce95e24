import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from accounts.models import Membership, Role, User

ROOT = Path(__file__).resolve().parents[2]


def test_root_sends_anonymous_visitor_to_login(client, db):
    r = client.get("/")
    assert r.status_code == 302
    assert r["Location"].startswith(reverse("login"))


def test_home_is_closed_to_anonymous(client, db):
    r = client.get(reverse("home"))
    assert r.status_code == 302
    assert reverse("login") in r["Location"]


def test_login_page_is_indonesian_by_default(client, db):
    r = client.get(reverse("login"))
    assert r.status_code == 200
    html = r.content.decode()
    assert 'lang="id"' in html
    assert "Masuk" in html
    assert "Kata sandi" in html


def test_indonesian_even_when_the_browser_asks_for_english(client, db):
    html = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert 'lang="id"' in html
    assert "Masuk" in html


def test_login_page_in_english_when_chosen(client, db):
    r = client.post(reverse("set_language"), {"language": "en", "next": "/accounts/login/"})
    assert r.status_code == 302
    html = client.get(reverse("login")).content.decode()
    assert 'lang="en"' in html
    assert "Log in" in html


def test_login_with_persona_lands_on_home(client, personas):
    r = client.post(
        reverse("login"), {"username": "ws.relawan", "password": personas.password}, follow=True
    )
    assert r.status_code == 200
    assert r.request["PATH_INFO"] == reverse("home")
    assert "Nurul" in r.content.decode()


def test_unknown_and_known_usernames_get_the_same_answer(client, personas):
    a = client.post(reverse("login"), {"username": "ws.relawan", "password": "wrong-pass-123"})
    b = client.post(reverse("login"), {"username": "nobody.here", "password": "wrong-pass-123"})
    assert a.status_code == b.status_code == 200
    strip = lambda r: r.content.decode().split('name="csrfmiddlewaretoken"')[0]  # noqa: E731
    msg = "Nama pengguna atau kata sandi salah"
    assert msg in a.content.decode() and msg in b.content.decode()
    assert strip(a).replace("ws.relawan", "X") == strip(b).replace("nobody.here", "X")


def test_logout_is_post_and_ends_session(personas):
    c = personas.client("ws.relawan")
    assert c.get(reverse("home")).status_code == 200
    assert c.post(reverse("logout")).status_code == 302
    assert c.get(reverse("home")).status_code == 302


def test_authenticated_pages_are_not_stored(personas):
    r = personas.client("ws.relawan").get(reverse("home"))
    assert "no-store" in r["Cache-Control"]


def test_security_headers_and_csp(client, db):
    r = client.get(reverse("login"))
    csp = r["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert r["X-Frame-Options"] == "DENY"
    assert r["X-Content-Type-Options"] == "nosniff"
    assert r["Referrer-Policy"] == "same-origin"


def test_no_inline_script_or_style_in_shell(personas):
    html = personas.client("ws.koordinator").get(reverse("home")).content.decode()
    assert "<script" not in html
    assert "style=" not in html


@pytest.mark.parametrize(
    "username,expected,absent",
    [
        ("ws.relawan", ["Beranda"], ["Administrasi", "Kotak Masuk Rujukan"]),
        ("uptdppa.petugas", [], ["Pengaduan Baru", "Administrasi"]),
        ("admin", ["Administrasi"], ["Pengaduan Baru"]),
    ],
)
def test_navigation_fits_role(personas, username, expected, absent):
    html = personas.client(username).get(reverse("home")).content.decode()
    for label in expected:
        assert label in html
    for label in absent:
        assert label not in html


def test_membership_needs_exactly_one_place(personas, master):
    u = personas["ws.relawan"]
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(
            user=u, role=Role.RELAWAN, kelurahan=master["ws"], agency=master["uptd"]
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(user=u, role=Role.RELAWAN)


def test_membership_role_must_fit_place(personas, master):
    u = personas["ws.relawan"]
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(user=u, role=Role.PETUGAS, kelurahan=master["ws"])
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(user=u, role=Role.LURAH, agency=master["uptd"])


def test_expired_membership_gives_no_role(personas, master):
    import datetime

    from accounts.roles import roles_of

    u = personas["ws.relawan"]
    u.memberships.update(valid_until=datetime.date(2026, 1, 31))
    u = User.objects.get(pk=u.pk)
    assert roles_of(u).by_kelurahan == {}


def test_users_are_never_deleted(personas):
    with pytest.raises(ValidationError):
        personas["ws.relawan"].delete()


def test_admin_cannot_give_membership_to_themselves(personas, master):
    c = personas.client("admin")
    admin_user = personas["admin"]
    r = c.post(
        reverse("admin:accounts_membership_add"),
        {
            "user": admin_user.pk,
            "kelurahan": master["ws"].pk,
            "role": Role.KOORDINATOR,
            "valid_from": "2026-01-01",
        },
    )
    assert r.status_code == 200
    assert "tidak dapat memberi keanggotaan kepada dirinya sendiri" in r.content.decode()
    assert not Membership.objects.filter(user=admin_user).exists()
    # ...while giving one to someone else works.
    other = User.objects.create(username="new.relawan")
    r = c.post(
        reverse("admin:accounts_membership_add"),
        {
            "user": other.pk,
            "kelurahan": master["ws"].pk,
            "role": Role.RELAWAN,
            "valid_from": "2026-01-01",
        },
    )
    assert r.status_code == 302
    assert Membership.objects.filter(user=other).count() == 1


def test_admin_cannot_delete_users(personas):
    c = personas.client("admin")
    u = personas["ws.relawan"]
    r = c.post(reverse("admin:accounts_user_delete", args=[u.pk]), {"post": "yes"})
    assert r.status_code in (403, 302)
    assert User.objects.filter(pk=u.pk).exists()


def test_demo_seed_is_idempotent(personas):
    from django.core.management import call_command

    before = (User.objects.count(), Membership.objects.count())
    call_command("seed_demo", "--no-cases", verbosity=0)
    call_command("seed_demo", "--no-cases", verbosity=0)
    assert (User.objects.count(), Membership.objects.count()) == before
    assert len(before) and before[0] >= 16


def _run_manage(*args, env_extra):
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/")}
    if "DATABASE_URL" in os.environ:
        env["DATABASE_URL"] = os.environ["DATABASE_URL"]
    env.update(env_extra)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_refuses_to_start_without_secret_key_when_debug_off():
    r = _run_manage("check", env_extra={"DEBUG": "false"})
    assert r.returncode != 0
    assert "SECRET_KEY" in r.stderr


def test_refuses_default_secret_key_when_debug_off():
    r = _run_manage(
        "check",
        env_extra={"DEBUG": "false", "SECRET_KEY": "insecure-default-secret-key-change-me"},
    )
    assert r.returncode != 0


def test_check_deploy_passes_with_production_settings():
    r = _run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env_extra={
            "DEBUG": "false",
            "SECRET_KEY": "k" * 20 + "-production-like-secret-" + "x9Q!" * 10,
            "ALLOWED_HOSTS": "posko.example.go.id",
            "SECURE_SSL_REDIRECT": "true",
            "STATIC_MANIFEST": "true",
        },
    )
    assert r.returncode == 0, r.stdout + r.stderr


def test_settings_time_zone_and_language(settings):
    assert settings.TIME_ZONE == "Asia/Makassar"
    assert settings.LANGUAGE_CODE == "id"
    assert [c for c, _ in settings.LANGUAGES] == ["id", "en"]


def test_sqlite_uses_immediate_transactions():
    from lbk import settings as s

    db = s.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        assert db["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    else:
        assert db["CONN_MAX_AGE"] > 0 and db["CONN_HEALTH_CHECKS"] is True


def test_password_change_page(personas):
    c = personas.client("ws.relawan")
    r = c.get(reverse("password_change"))
    assert r.status_code == 200
    r = c.post(
        reverse("password_change"),
        {"old_password": personas.password, "new_password1": "short", "new_password2": "short"},
    )
    assert r.status_code == 200
    assert "terlalu pendek" in r.content.decode()
    r = c.post(
        reverse("password_change"),
        {
            "old_password": personas.password,
            "new_password1": "kuda lari di pantai lumpue",
            "new_password2": "kuda lari di pantai lumpue",
        },
    )
    assert r.status_code == 302


def test_404_page_is_indonesian_and_leaks_nothing(personas):
    r = personas.client("ws.relawan").get("/no/such/page/?nik=7372011234567890")
    assert r.status_code == 404
    html = r.content.decode()
    assert "Halaman tidak ditemukan" in html
    assert "7372011234567890" not in html
