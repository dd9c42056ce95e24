import logging
import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.middleware import (
    LoginRequiredMiddleware as DjangoLoginRequiredMiddleware,
)
from django.contrib.auth.views import redirect_to_login
from django.urls import Resolver404, resolve, reverse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _

log = logging.getLogger("lbk.security")

# Where a form posted after the session ended waits for the user to log in again.
SAVED_POST_KEY = "_lbk_saved_post"
# Hidden field of the "send again" form: the saved copy is dropped once it is sent.
RESUBMIT_FIELD = "_lbk_resubmit"
# Never kept: the CSRF token (a fresh one is used) and anything that looks like a password.
_NOT_KEPT = {"csrfmiddlewaretoken", RESUBMIT_FIELD}
# A saved form is at most this many characters (the session lives in the database).
SAVED_POST_MAX_CHARS = 200_000
# Pages whose POST is not kept: logging in/out, the resubmit page itself, the Django admin.
_NOT_SAVED_NAMES = {"login", "logout", "resubmit", "set_language"}


class TrustedProxyMiddleware:
    """Behind a reverse proxy, REMOTE_ADDR is the proxy's address; the login lockout (per
    username and address) and the access log need the visitor's. With TRUSTED_PROXY_COUNT = N
    (nginx alone: 1), the address is taken from X-Forwarded-For as the N-th entry from the right:
    the one the outermost trusted proxy saw. Entries further left are written by the client and
    ignored. With 0 (the default: no proxy), nothing changes."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.count = int(getattr(settings, "TRUSTED_PROXY_COUNT", 0) or 0)

    def __call__(self, request):
        if self.count:
            hops = [
                h.strip()
                for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
                if h.strip()
            ]
            if len(hops) >= self.count:
                request.META["REMOTE_ADDR"] = hops[-self.count]
        return self.get_response(request)


class NoStoreMiddleware:
    """Pages shown to a logged-in user hold case data: no browser or proxy may keep them."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            add_never_cache_headers(response)
            response["Cache-Control"] = "no-store, no-cache, must-revalidate, private, max-age=0"
        return response


class SessionLimitsMiddleware:
    """Ends a session 12 hours after login, whatever the activity (idle expiry is Django's:
    SESSION_COOKIE_AGE with SESSION_SAVE_EVERY_REQUEST).

    The request then goes on as anonymous, so LoginRequiredMiddleware below sends the user to
    the login page and keeps a posted form, as for an idle expiry.
    """

    KEY = "_lbk_login_at"

    def __init__(self, get_response):
        self.get_response = get_response

    @staticmethod
    def now():
        return int(time.time())

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            started = request.session.get(self.KEY)
            now = self.now()
            if started is None:
                request.session[self.KEY] = now
            elif now - int(started) > settings.SESSION_ABSOLUTE_SECONDS:
                user_id = user.pk
                logout(request)
                request._lbk_ended_user_id = user_id
                log.info("session ended at the absolute limit user_id=%s", user_id)
        return self.get_response(request)


class LoginRequiredMiddleware(DjangoLoginRequiredMiddleware):
    """Django's LoginRequiredMiddleware, plus: a form posted after the session ended is kept.

    The posted fields (without the CSRF token and password fields) are stored server-side in the
    new anonymous session with the path they were sent to; after logging in, the user lands on
    the "your data is saved" page (accounts.views.resubmit) that sends them again, without
    JavaScript. The copy is bound to the account whose session ended, when that is known.
    """

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.user.is_authenticated:
            if (
                request.method == "POST"
                and SAVED_POST_KEY in request.session
                and request.POST.get(RESUBMIT_FIELD)
            ):
                request.session.pop(SAVED_POST_KEY, None)
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)

    def handle_no_permission(self, request, view_func):
        if request.method == "POST" and save_posted_form(request):
            messages.info(
                request,
                _(
                    "Your session has ended. Log in again: what you typed has been kept and "
                    "you can send it again."
                ),
            )
            return redirect_to_login(
                reverse("resubmit"), self.get_login_url(view_func), self.redirect_field_name
            )
        return super().handle_no_permission(request, view_func)


def _kept(name):
    return name not in _NOT_KEPT and "password" not in name.lower()


def _previous_user_id(request):
    """The account of the session that just ended, if the server still knows it."""
    ended = getattr(request, "_lbk_ended_user_id", None)
    if ended is not None:
        return ended
    from django.contrib.sessions.models import Session

    key = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
    if not key:
        return None
    row = Session.objects.filter(session_key=key).first()
    if row is None:
        return None
    try:
        user_id = row.get_decoded().get("_auth_user_id")
    # An unreadable session names nobody.
    except Exception:  # noqa: BLE001
        user_id = None
    # The row has expired (or the request would be authenticated): remove it now.
    row.delete()
    return int(user_id) if user_id is not None and str(user_id).isdigit() else None


def save_posted_form(request):
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return False
    if match.url_name in _NOT_SAVED_NAMES or "admin" in match.namespaces:
        return False
    fields = [(k, v) for k, values in request.POST.lists() if _kept(k) for v in values]
    if sum(len(k) + len(v) for k, v in fields) > SAVED_POST_MAX_CHARS:
        return False
    user_id = _previous_user_id(request)
    request.session[SAVED_POST_KEY] = {
        "path": request.get_full_path(),
        "fields": fields,
        "had_files": bool(request.FILES),
        "user_id": user_id,
        "at": SessionLimitsMiddleware.now(),
    }
    log.info("form kept after session end path=%s fields=%s", request.path, len(fields))
    return True
