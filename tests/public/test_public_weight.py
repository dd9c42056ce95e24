"""The public pages on a cheap phone and a slow connection: HTML and every asset (cold cache)
under 15 kB gzip, every asset from this host (whitenoise after collectstatic)."""

import pytest
from django.test import Client

from tests.test_page_weight import (  # noqa: F401  (fixtures)
    collected,
    collected_root,
    fetch_assets,
    gz_len,
)

PUBLIC_BUDGET = 15 * 1024


@pytest.mark.django_db
def test_public_pages_first_load_under_15_kb(collected, master, capsys):  # noqa: F811
    client = Client()
    sizes = {}
    for url in ("/layanan/", "/layanan/wb/", "/layanan/wb/darurat/", "/layanan/cek/"):
        r = client.get(url)
        assert r.status_code == 200, url
        html = r.content.decode()
        assets_total, assets = fetch_assets(client, html)
        assert any(u.endswith(".css") for u in assets) and any(u.endswith(".js") for u in assets)
        assert not any("bootstrap" in u for u in assets), assets
        sizes[url] = (gz_len(r.content), assets_total, assets)
    with capsys.disabled():
        for url, (html_gz, assets_total, _assets) in sizes.items():
            print(f"\n{url}: html {html_gz} B + assets {assets_total} B gzip", end="")
        print()
    for url, (html_gz, assets_total, _a) in sizes.items():
        assert html_gz + assets_total <= PUBLIC_BUDGET, url
