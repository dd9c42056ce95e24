"""Error pages in Indonesian (by the active language) that leak nothing about the request."""

from django.shortcuts import render
from django.utils import translation


def bad_request(request, exception=None):
    """400: also answers a NUL byte or undecodable bytes in a URL
    (accounts.middleware.BadInputMiddleware), before the language middleware has run, so the
    language is read from the cookie here. A plain page: nothing of the request is shown."""
    from accounts.middleware import preferred_language

    with translation.override(preferred_language(request)):
        response = render(request, "errors/400.html", status=400)
    # Answered before the middleware that adds these to every other page.
    response.setdefault("X-Frame-Options", "DENY")
    response.setdefault(
        "Content-Security-Policy",
        "default-src 'none'; style-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
        "form-action 'none'",
    )
    return response


def not_found(request, exception=None):
    return render(request, "errors/404.html", status=404)


def forbidden(request, exception=None):
    return render(request, "errors/403.html", status=403)


def server_error(request):
    return render(request, "errors/500.html", status=500)
