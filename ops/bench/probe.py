"""What the benchmark measures inside the app's process, against one data set
(`manage.py bench_probe`, run by runner.py with that data set's DATABASE_URL):

- query count, status and size of each page, through the test Client with
  CaptureQueriesContext (gunicorn cannot count queries), after two warm-up requests;
- a session per persona for the HTTP measurements (the cookie values);
- the letter render: referrals.letters.render_letter_pdf on an issued referral, against the same
  letter's HTML saved once and rendered by WeasyPrint alone in a separate process without Django
  (bare_letter.py).
"""

import json
import os
import statistics
import subprocess  # nosec B404: runs our own script with our own interpreter
import sys
import time
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import User

from . import pages as bench_pages


def sessions():
    """{persona: session cookie value}, fresh sessions in the data set's database."""
    out = {}
    for name in bench_pages.PERSONAS:
        client = Client()
        client.force_login(User.objects.get(username=name))
        out[name] = client.cookies[settings.SESSION_COOKIE_NAME].value
    return out


def query_counts(page_list):
    clients = {}
    out = {}
    for page in page_list:
        client = clients.get(page.persona)
        if client is None:
            client = clients[page.persona] = Client()
            client.force_login(User.objects.get(username=page.persona))
        for _warm in range(2):
            client.get(page.path)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(page.path)
        out[page.key] = {
            "queries": len(queries),
            "status": response.status_code,
            "bytes": len(response.content),
        }
    return out


def letter_timing(runs, workdir):
    from django.template.loader import render_to_string
    from django.utils import translation

    from lbk import pdf
    from referrals import letters
    from referrals.models import Referral

    r = (
        Referral.objects.exclude(letter_number="")
        .filter(kelurahan__code="WS", letter_roleplay=False)
        .order_by("-issued_at", "-pk")
        .first()
    )
    if r is None:
        return None

    def load():
        return Referral.objects.select_related(
            "case", "agency", "victim", "action", "kelurahan"
        ).get(pk=r.pk)

    first = letters.render_letter_pdf(load())
    letters.render_letter_pdf(load())
    app = []
    for _run in range(runs):
        t0 = time.perf_counter()
        letters.render_letter_pdf(load())
        app.append((time.perf_counter() - t0) * 1000)

    # The same letter's HTML, saved once, as the app's template renders it (numbered when it runs
    # over one page, as render_letter_pdf does then).
    from weasyprint import HTML

    ctx = letters.letter_context(load())
    with translation.override("id"):
        html = render_to_string("referrals/letter_pdf.html", ctx)
        doc = HTML(
            string=html, url_fetcher=pdf.StaticOnlyFetcher(), base_url=pdf.STATIC_PREFIX
        ).render()
        if len(doc.pages) > 1:
            html = render_to_string("referrals/letter_pdf.html", {**ctx, "numbered": True})
    html_path = Path(workdir) / "letter.html"
    html_path.write_text(html, encoding="utf-8")
    script = Path(__file__).with_name("bare_letter.py")
    static_dir = settings.BASE_DIR / "static"
    done = subprocess.run(  # noqa: S603  # nosec B603: our interpreter, our script, our files
        [sys.executable, str(script), str(html_path), str(static_dir), str(runs)],
        check=True,
        capture_output=True,
        text=True,
        # Nothing of Django's: the script imports WeasyPrint only.
        env={k: v for k, v in os.environ.items() if not k.startswith("DJANGO")},
    )
    bare = json.loads(done.stdout)
    return {
        "referral": r.pk,
        "app_ms": statistics.median(app),
        "bare_ms": bare["median_ms"],
        "ratio": statistics.median(app) / bare["median_ms"],
        "runs": runs,
        "pdf_bytes": len(first),
    }


def probe(*, letter_runs=0, workdir="."):
    case_pk = bench_pages.showcase_case()
    page_list = bench_pages.pages(case_pk)
    return {
        "case_pk": case_pk,
        "pages": [page.__dict__ for page in page_list],
        "queries": query_counts(page_list),
        "sessions": sessions(),
        "letter": letter_timing(letter_runs, workdir) if letter_runs else None,
    }
