"""Structured logs: one JSON object per line, each with the id of the request it belongs to.

- `RequestIdMiddleware` (first in MIDDLEWARE) gives each request an id: the one nginx sent in
  X-Request-ID when it looks like one, else a new one. It is echoed in the response's
  X-Request-ID header, so an operator finds a user's "kode galat" in the logs of every node.
  It also writes one line per request (logger `lbk.request`): method, path WITHOUT its query
  string (search terms there can be names), status and duration.
- `RequestIdFilter` adds `request_id` to every record of that request; `JsonFormatter` writes
  the record as JSON. accounts.security.RedactFilter still runs on every record first.
"""

import contextvars
import datetime as dt
import json
import logging
import re
import time
import uuid

_request_id = contextvars.ContextVar("lbk_request_id", default="-")
_INCOMING = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
request_log = logging.getLogger("lbk.request")


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        rid = incoming if _INCOMING.match(incoming) else uuid.uuid4().hex
        request.request_id = rid
        token = _request_id.set(rid)
        started = time.monotonic()
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = rid
            request_log.info(
                "%s %s %s %dms",
                request.method,
                request.path,
                response.status_code,
                (time.monotonic() - started) * 1000,
            )
            return response
        finally:
            _request_id.reset(token)


class RequestIdFilter(logging.Filter):
    def filter(self, record):
        record.request_id = _request_id.get()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record):
        out = {
            "ts": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", "-"),
            "msg": record.getMessage(),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            out["exc"] = record.exc_text
        return json.dumps(out, ensure_ascii=False)
