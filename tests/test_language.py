"""The language of the interface: Indonesian whatever the browser asks for, English only when
chosen; error pages in Indonesian too."""

from django.urls import reverse


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


def test_404_page_is_indonesian_and_leaks_nothing(personas):
    r = personas.client("ws.relawan").get("/no/such/page/?nik=7372011234567890")
    assert r.status_code == 404
    html = r.content.decode()
    assert "Halaman tidak ditemukan" in html
    assert "7372011234567890" not in html
