"""Logging in and out, the home page and its navigation per role, changing the password."""

import pytest
from django.urls import reverse


def test_root_sends_anonymous_visitor_to_login(client, db):
    r = client.get("/")
    assert r.status_code == 302
    assert r["Location"].startswith(reverse("login"))


def test_home_is_closed_to_anonymous(client, db):
    r = client.get(reverse("home"))
    assert r.status_code == 302
    assert reverse("login") in r["Location"]


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
