"""The one way this project renders a PDF (referral letters, the printed procedure; later the
monthly report and the poster): WeasyPrint, through a URL fetcher that reads only our own
static files and the kota emblems uploaded by a place's setup (places.KotaEmblem, read from the
default storage by the row's id, never from a URL), so text in a case (a narrative naming a URL
or a local file) can never make the renderer fetch anything. Security-sensitive: there must be
no second fetcher.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import TYPE_CHECKING

from django.contrib.staticfiles import finders
from weasyprint.urls import URLFetcher, URLFetcherResponse

if TYPE_CHECKING:
    from weasyprint.document import Document

# The only URLs the renderer may load: our static files under this prefix. Templates name them
# as `{{ static }}fonts/...` (the context gives STATIC_PREFIX as `static`).
STATIC_PREFIX = "https://static.posko-lbk.invalid/"
# A kota's uploaded emblem: `{EMBLEM_PREFIX}<KotaEmblem id>` (emblem_url), read from storage.
EMBLEM_PREFIX = "https://emblem.posko-lbk.invalid/"
MIME = {
    ".ttf": "font/ttf",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".css": "text/css",
}

# WeasyPrint's cache of loaded resources, shared by renders: it can only ever hold our own static
# files (the fetcher refuses everything else), which do not change while the process runs.
_RESOURCE_CACHE: dict[str, object] = {}


class FetchRefused(ValueError):
    pass


def static_bytes(url: str) -> tuple[bytes, str]:
    """The bytes and MIME type of one of our static files named by URL; refuse anything else
    (URLs or local files named in a case's text must never be fetched)."""
    if not url.startswith(STATIC_PREFIX):
        raise FetchRefused(f"refused to fetch {url[:80]!r}")
    rel = url[len(STATIC_PREFIX) :].split("?")[0].split("#")[0]
    if ".." in rel.split("/") or rel.startswith("/") or "\\" in rel:
        raise FetchRefused("refused path")
    path = finders.find(rel)
    if not path:
        raise FetchRefused("no such static file")
    suffix = "." + rel.rsplit(".", 1)[-1].lower()
    with open(path, "rb") as fh:
        return fh.read(), MIME.get(suffix, "application/octet-stream")


def emblem_url(emblem_id: int, sha256: str = "") -> str:
    """The id names the row; the content's hash only makes a replaced emblem a new URL for the
    renderer's resource cache."""
    return f"{EMBLEM_PREFIX}{int(emblem_id)}-{sha256[:16]}"


def emblem_bytes(url: str) -> tuple[bytes, str]:
    """The bytes of an uploaded kota emblem named by its id: the row says which stored file, and
    only the default storage is read (a stored PNG or JPEG, checked when uploaded)."""
    from django.core.files.storage import default_storage

    from places.models import KotaEmblem

    rest = url[len(EMBLEM_PREFIX) :].split("-", 1)[0]
    if not rest.isdigit():
        raise FetchRefused("refused emblem")
    emblem = KotaEmblem.objects.filter(pk=int(rest)).first()
    if emblem is None or emblem.content_type not in ("image/png", "image/jpeg"):
        raise FetchRefused("no such emblem")
    with default_storage.open(emblem.file.name, "rb") as fh:
        return fh.read(), emblem.content_type


class StaticOnlyFetcher(URLFetcher):
    """WeasyPrint's fetcher restricted to our own static files. `log`, if a list, collects
    every URL the renderer asked for."""

    def __init__(self, log: list[str] | None = None) -> None:
        super().__init__(allowed_protocols=("https",))
        self.log = log

    def fetch(self, url: str, headers: Mapping[str, str] | None = None) -> URLFetcherResponse:
        if self.log is not None:
            self.log.append(url)
        if url.startswith(EMBLEM_PREFIX):
            data, mime = emblem_bytes(url)
        else:
            data, mime = static_bytes(url)
        return URLFetcherResponse(url, data, {"Content-Type": mime})


def render_document(html: str, *, fetched: list[str] | None = None) -> Document:
    """The laid-out document (pages known: a caller may render again with page numbers)."""
    from weasyprint import HTML

    fetcher = StaticOnlyFetcher(log=fetched)
    return HTML(string=html, url_fetcher=fetcher, base_url=STATIC_PREFIX).render(
        cache=_RESOURCE_CACHE
    )


def write_pdf(document: Document) -> bytes:
    out = io.BytesIO()
    document.write_pdf(out, cache=_RESOURCE_CACHE)
    return out.getvalue()


def render_pdf(html: str, *, fetched: list[str] | None = None) -> bytes:
    return write_pdf(render_document(html, fetched=fetched))
