"""No trace on the device, in one place for every public page (/layanan/...).

Whatever the views and the other middleware do, a public response leaves with no cookie at
all (no session, CSRF, language, messages or device cookie), `Cache-Control: no-store` and no
referrer. The public views are CSRF-exempt: their forms carry a signed, time-limited token
instead (public_channel/forms.py), so nothing needs a cookie.
"""

from django.utils.cache import add_never_cache_headers

PREFIX = "/layanan/"


def is_public_path(path: str) -> bool:
    return path == PREFIX.rstrip("/") or path.startswith(PREFIX)


class NoTraceMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        public = is_public_path(request.path_info)
        response = self.get_response(request)
        if public:
            response.cookies.clear()
            add_never_cache_headers(response)
            response["Cache-Control"] = "no-store, no-cache, must-revalidate, private, max-age=0"
            response["Referrer-Policy"] = "no-referrer"
            # Nothing varies on a cookie the page never reads.
            if response.has_header("Vary"):
                vary = [v.strip() for v in response["Vary"].split(",")]
                vary = [v for v in vary if v.lower() != "cookie"]
                if vary:
                    response["Vary"] = ", ".join(vary)
                else:
                    del response["Vary"]
        return response
