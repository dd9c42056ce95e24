import logging
import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.middleware import (
    LoginRequiredMiddleware as DjangoLoginRequiredMiddleware,
)
from django.contrib.auth.views import redirect_to_login
from django.middleware.locale import LocaleMiddleware
from django.urls import Resolver404, resolve, reverse
from django.utils import translation
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _

log = logging.getLogger("lbk.security")

# Where a form posted after the session ended waits for the user to log in again.
SAVED_POST_KEY = "_lbk_saved_post"
# Hidden field of the "send again" form: the saved copy is dropped once it is sent.
RESUBMIT_FIELD = "_lbk_resubmit"
# Never kept: the CSRF token (a fresh one is used) and anything that looks like a password.
_NOT_KEPT = {"csrfmiddlewaretoken", RESUBMIT_FIELD}
# A saved form is at most this many characters (it is kept in the session).
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
    """Ends a session after SESSION_IDLE_SECONDS without activity (30 minutes) and
    SESSION_ABSOLUTE_SECONDS after login (12 hours), whatever the session store.

    The last activity is written into the session at most once every SESSION_TOUCH_SECONDS (a
    minute), so most requests write nothing (no session-table or Redis write per page view). A
    session thus ends between 29 and 30 minutes after its last request, never later. The store's
    own expiry (SESSION_COOKIE_AGE) is the idle limit plus that minute: a backstop that never
    drops a session the middleware still counts as alive.

    The request then goes on as anonymous, so LoginRequiredMiddleware below sends the user to
    the login page and keeps a posted form, as for any ended session.
    """

    KEY = "_lbk_login_at"
    SEEN_KEY = "_lbk_seen_at"

    def __init__(self, get_response):
        self.get_response = get_response

    @staticmethod
    def now():
        return int(time.time())

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            session = request.session
            now = self.now()
            started = session.get(self.KEY)
            seen = session.get(self.SEEN_KEY, started)
            if started is None:
                session[self.KEY] = now
                session[self.SEEN_KEY] = now
            elif now - int(started) > settings.SESSION_ABSOLUTE_SECONDS:
                self._end(request, user, "absolute")
            elif now - int(seen) > settings.SESSION_IDLE_SECONDS:
                self._end(request, user, "idle")
            elif now - int(seen) >= settings.SESSION_TOUCH_SECONDS:
                session[self.SEEN_KEY] = now
        return self.get_response(request)

    @staticmethod
    def _end(request, user, limit):
        user_id = user.pk
        logout(request)
        request._lbk_ended_user_id = user_id
        log.info("session ended at the %s limit user_id=%s", limit, user_id)


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
    # The per-user index of session keys knows whose key the cookie holds, whatever the store
    # (the session itself may be gone from Redis or the table): no session-table read.
    from . import sessions

    key = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
    user_id = sessions.owner_of(key)
    # The session is over (or the request would be authenticated): forget its key now.
    sessions.forget(key)
    return user_id


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


class DefaultLanguageMiddleware(LocaleMiddleware):
    """Bahasa Indonesia unless the user chose English with the language switch.

    Django's LocaleMiddleware would follow the browser's Accept-Language, and many phones in
    Indonesia are set to English; the posko's users expect the app in Indonesian.
    """

    def process_request(self, request):
        lang = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if lang not in dict(settings.LANGUAGES):
            lang = settings.LANGUAGE_CODE
        translation.activate(lang)
        request.LANGUAGE_CODE = translation.get_language()
