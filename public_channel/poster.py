"""The A4 poster of a kelurahan's public page: the posko's address, hours, phone and a QR code to
the page, in Indonesian (for the kelurahan office, schools and notice boards)."""

from __future__ import annotations

import segno
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.safestring import mark_safe

from lbk.pdf import render_pdf

from . import hours


def public_url(kel) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("public:form", args=[kel.code.lower()])


def render_poster(kel) -> bytes:
    url = public_url(kel)
    with translation.override("id"):
        # segno's own SVG of a URL we built from the site's setting and the place's code.
        qr = mark_safe(segno.make(url, error="m").svg_inline(scale=6, border=4))  # noqa: S308  # nosec B308 B703
        html = render_to_string(
            "public/poster.html",
            {"kel": kel, "url": url, "qr": qr, "hours": hours.describe(kel)},
        )
    return render_pdf(html)
