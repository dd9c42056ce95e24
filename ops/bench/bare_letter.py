"""A letter's HTML rendered by WeasyPrint alone: no Django, no database (the benchmark's yardstick
for the letter render, issue 12).

    python ops/bench/bare_letter.py LETTER.html STATIC_DIR RUNS

reads the HTML the app's template produced (saved once by `manage.py bench_probe`), renders it
RUNS times with the same fonts, images and QR code (read from STATIC_DIR under the same URL
prefix as referrals/letters.py, with one shared resource cache as the app keeps) and prints the
render times in milliseconds as JSON. Deliberately imports nothing from the project.
"""

import io
import json
import statistics
import sys
import time
from pathlib import Path

from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

PREFIX = "https://static.posko-lbk.invalid/"
MIME = {".ttf": "font/ttf", ".svg": "image/svg+xml", ".png": "image/png", ".css": "text/css"}


class StaticFetcher(URLFetcher):
    def __init__(self, root):
        super().__init__(allowed_protocols=("https",))
        self.root = Path(root).resolve()

    def fetch(self, url, headers=None):
        if not url.startswith(PREFIX):
            raise ValueError(f"refused {url[:80]!r}")
        path = (self.root / url[len(PREFIX) :].split("?")[0].split("#")[0]).resolve()
        if self.root not in path.parents:
            raise ValueError("refused path")
        mime = MIME.get(path.suffix.lower(), "application/octet-stream")
        return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": mime})


def render(html, fetcher, cache):
    doc = HTML(string=html, url_fetcher=fetcher, base_url=PREFIX).render(cache=cache)
    out = io.BytesIO()
    doc.write_pdf(out, cache=cache)
    return out.getvalue()


def main(html_path, static_dir, runs):
    html = Path(html_path).read_text(encoding="utf-8")
    fetcher = StaticFetcher(static_dir)
    cache = {}
    for _warm in range(2):
        pdf = render(html, fetcher, cache)
    times = []
    for _run in range(runs):
        t0 = time.perf_counter()
        render(html, fetcher, cache)
        times.append((time.perf_counter() - t0) * 1000)
    print(json.dumps({"median_ms": statistics.median(times), "times_ms": times, "bytes": len(pdf)}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
