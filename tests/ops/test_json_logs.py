"""Structured logs: JSON lines with the request id, the redaction filter kept, paths logged
without their query string (a search term there can be a victim's name)."""

import io
import json
import logging

from django.conf import settings
from django.test import Client

from accounts.security import RedactFilter
from lbk.logs import JsonFormatter, RequestIdFilter


def _handler():
    stream = io.StringIO()
    h = logging.StreamHandler(stream)
    h.setFormatter(JsonFormatter())
    h.addFilter(RequestIdFilter())
    h.addFilter(RedactFilter())
    return h, stream


def test_console_handler_is_json_with_request_id_and_redaction():
    console = settings.LOGGING["handlers"]["console"]
    assert console["formatter"] == "json"  # DEBUG is off in tests, as in production
    assert console["filters"] == ["request_id", "redact"]


def test_request_lines_carry_the_request_id_and_no_query_string(personas):
    handler, stream = _handler()
    root = logging.getLogger()
    root.addHandler(handler)
    old_level = root.level
    root.setLevel(logging.INFO)
    try:
        c = personas.client("ws.koordinator")
        r = c.get("/cases/?q=Siti+Rahmawati&nik=7372015512990004")
        assert r.status_code == 200
        rid = r["X-Request-ID"]
        # An id sent by nginx ($request_id) is kept; a malformed one is replaced.
        r2 = c.get("/cases/", HTTP_X_REQUEST_ID="0123456789abcdef0123456789abcdef")
        assert r2["X-Request-ID"] == "0123456789abcdef0123456789abcdef"
        r3 = c.get("/cases/", HTTP_X_REQUEST_ID="<script>")
        assert r3["X-Request-ID"] != "<script>" and len(r3["X-Request-ID"]) == 32
        logging.getLogger("lbk.security").warning("NIK 7372015512990004 seen")
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert all({"ts", "level", "logger", "request_id", "msg"} <= set(x) for x in lines)
    mine = [x for x in lines if x["request_id"] == rid]
    assert any(
        x["logger"] == "lbk.request" and x["msg"].startswith("GET /cases/ 200") for x in mine
    )
    text = stream.getvalue()
    assert "Rahmawati" not in text and "q=" not in text and "7372015512990004" not in text
    assert "NIK [number] seen" in text


def test_request_id_differs_per_request(db):
    c = Client()
    a = c.get("/accounts/login/")["X-Request-ID"]
    b = c.get("/accounts/login/")["X-Request-ID"]
    assert a != b
