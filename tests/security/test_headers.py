"""Response headers: pages behind login are not stored, CSP without inline code, no framing."""

from django.urls import reverse


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
