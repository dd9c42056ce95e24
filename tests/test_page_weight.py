"""Page weight as a phone on a weak connection pays for it: gzip bytes through whitenoise after
collectstatic (the test server would send files uncompressed and uncached).

Targets (issue 7): the first load of the login page, HTML and every asset, at most 100 KB; a next
page with a warm cache (assets cached far-future by whitenoise's hashed names) at most 15 KB.
"""

import gzip
import re

import pytest
from django.core.management import call_command
from django.test import Client, override_settings

FIRST_LOAD_BUDGET = 100 * 1024
NEXT_PAGE_BUDGET = 15 * 1024

ASSET_RE = re.compile(r'(?:href|src)="(/static/[^"]+)"')


def _static_settings(root):
    from django.conf import settings

    storages = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    return override_settings(STATIC_ROOT=root, STORAGES=storages, DEBUG=False)


@pytest.fixture(scope="module")
def collected_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("static")
    with _static_settings(root):
        # The Django admin's own files are not part of any page measured here.
        call_command("collectstatic", "--noinput", "--ignore", "admin", verbosity=0)
    return root


@pytest.fixture
def collected(collected_root):
    with _static_settings(collected_root):
        yield collected_root


def gz_len(body: bytes) -> int:
    return len(gzip.compress(body, compresslevel=6))


def fetch_assets(client, html):
    total = 0
    seen = {}
    for url in sorted(set(ASSET_RE.findall(html))):
        r = client.get(url, HTTP_ACCEPT_ENCODING="gzip")
        assert r.status_code == 200, url
        body = b"".join(r.streaming_content) if r.streaming else r.content
        # whitenoise serves the pre-compressed .gz when the client accepts it
        size = len(body) if r.get("Content-Encoding") == "gzip" else gz_len(body)
        assert "immutable" in r.get("Cache-Control", "") or "max-age" in r.get(
            "Cache-Control", ""
        ), url
        seen[url] = size
        total += size
    return total, seen


def page_weight_report(name, html_bytes, assets):
    lines = [f"{name}: html {html_bytes} B gzip"]
    lines += [f"  {u}: {s} B gzip" for u, s in assets.items()]
    return "\n".join(lines)


@pytest.mark.django_db
def test_login_first_load_within_budget(collected, capsys):
    client = Client()
    r = client.get("/accounts/login/")
    html = r.content.decode()
    html_gz = gz_len(r.content)
    assets_total, assets = fetch_assets(client, html)
    total = html_gz + assets_total
    with capsys.disabled():
        print(
            "\n" + page_weight_report("login first load", html_gz, assets), f"\n  total {total} B"
        )
    assert assets, "no asset found: the page must link its CSS"
    assert total <= FIRST_LOAD_BUDGET


@pytest.mark.django_db
def test_home_next_page_within_budget(collected, personas, capsys):
    client = personas.client("ws.koordinator")
    r = client.get("/home/")
    assert r.status_code == 200
    html_gz = gz_len(r.content)
    with capsys.disabled():
        print(f"\nhome (warm cache): html {html_gz} B gzip")
    assert html_gz <= NEXT_PAGE_BUDGET


@pytest.mark.django_db
def test_case_page_warm_cache_within_budget(collected, personas, master, capsys):
    """A real case (two victims, a perpetrator, a walked procedure with its timeline) as the
    coordinator, assets cached: the HTML alone is what the phone downloads."""
    from tests.factories import make_case

    case = make_case(
        personas,
        "monitoring",
        victims=[
            {"full_name": "Besse Pawelloi", "estimated_age": 11, "sex": "F"},
            {"full_name": "Akbar Pawelloi", "estimated_age": 8, "sex": "M"},
        ],
        perpetrators=[{"name": "Baso Tammu", "sex": "M", "age": 42}],
        links=[(0, 0, "step_parent", True), (0, 1, "step_parent", True)],
        narrative="Tetangga mendengar dua anak menangis setiap malam; ayah tiri memukul. " * 4,
    )
    other = make_case(
        personas,
        "handling",
        victims=[{"full_name": "Rahmat", "estimated_age": 9}, {"full_name": "Ina"}],
    )
    client = personas.client("ws.koordinator")
    sizes = {}
    for name, url in [
        ("case page", f"/cases/{case.pk}/"),
        ("case page, two victims", f"/cases/{other.pk}/"),
        ("intake form", "/cases/new/"),
        ("case list", "/cases/"),
    ]:
        r = client.get(url)
        assert r.status_code == 200, url
        sizes[name] = (gz_len(r.content), len(r.content))
    with capsys.disabled():
        for name, (gz, raw) in sizes.items():
            print(f"\n{name} (warm cache): html {gz} B gzip ({raw} B raw)", end="")
        print()
    assert case.events.count() >= 5
    for name, (gz, _raw) in sizes.items():
        assert gz <= NEXT_PAGE_BUDGET, name
