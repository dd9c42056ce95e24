import logging
import time
from urllib.parse import unquote_to_bytes

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
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from .security import AUTHOR_FIELD, verify_author

log = logging.getLogger("lbk.security")

# Where a form posted after the session ended waits for the user to log in again.
SAVED_POST_KEY = "_lbk_saved_post"
# Set in the session when "this is a shared computer" was ticked at login: a shorter idle limit.
SHARED_SESSION_KEY = "_lbk_shared"
# Hidden field of the "send again" form: the saved copy is dropped once it is sent.
RESUBMIT_FIELD = "_lbk_resubmit"
# Never kept: the CSRF token and the author field (the "send again" form renders fresh ones)
# and anything that looks like a password. The one-time token `_lbk_once` is kept: sending the
# form again must not make a second record.
_NOT_KEPT = {"csrfmiddlewaretoken", RESUBMIT_FIELD, AUTHOR_FIELD}
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


class BadInputMiddleware:
    """A NUL byte or bytes that are not UTF-8 in the path, the query string (raw or
    percent-encoded, in any parameter name or value) or a cookie get a plain 400 page here,
    before any view, form or query sees them.

    PostgreSQL refuses NUL in text: without this one check, every lookup by a URL part or a
    GET parameter (the verification token, ?kelurahan=, ?q=) would answer such input with a 500.
    Form fields answer NUL with their own error message instead (lbk.forms.NoNullCharacters).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        reason = bad_input(request)
        if reason:
            log.warning("bad input refused (%s) path_len=%s", reason, len(request.path_info))
            from lbk.errors import bad_request

            return bad_request(request)
        return self.get_response(request)


def _not_utf8(raw):
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


def bad_input(request):
    """Why the request's path, query string or cookies cannot be taken, or "" when they can."""
    # Django has already re-percent-encoded path bytes that are not UTF-8 (%FF): decoding the
    # path once more finds them, and a NUL however it was encoded.
    path = unquote_to_bytes(request.path_info)
    if b"\x00" in path:
        return "nul in path"
    if _not_utf8(path):
        return "path not utf-8"
    # The raw query string: a WSGI server passes its bytes as latin-1 text (PEP 3333).
    raw = request.META.get("QUERY_STRING", "")
    try:
        raw = raw.encode("latin-1")
    except UnicodeEncodeError:
        raw = raw.encode("utf-8")
    query = unquote_to_bytes(raw.replace(b"+", b" "))
    if b"\x00" in query:
        return "nul in query"
    if _not_utf8(query):
        return "query not utf-8"
    for key, values in request.GET.lists():
        if "\x00" in key or any("\x00" in v for v in values):
            return "nul in query"
    if any("\x00" in k or "\x00" in v for k, v in request.COOKIES.items()):
        return "nul in cookie"
    return ""


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
            elif now - int(seen) > self.idle_limit(session):
                self._end(request, user, "idle")
            elif now - int(seen) >= settings.SESSION_TOUCH_SECONDS:
                session[self.SEEN_KEY] = now
        return self.get_response(request)

    @staticmethod
    def idle_limit(session):
        if session.get(SHARED_SESSION_KEY):
            return min(settings.SHARED_SESSION_IDLE_SECONDS, settings.SESSION_IDLE_SECONDS)
        return settings.SESSION_IDLE_SECONDS

    @staticmethod
    def _end(request, user, limit):
        user_id = user.pk
        logout(request)
        log.info("session ended at the %s limit user_id=%s", limit, user_id)


class LoginRequiredMiddleware(DjangoLoginRequiredMiddleware):
    """Django's LoginRequiredMiddleware, plus: a form posted after the session ended is kept
    for the person who typed it.

    Who typed it is known only from the form itself: the `_lbk_author` field that
    {% form_guard %} renders (the user's id and the time, signed with SECRET_KEY), never from the
    expired session. The posted fields (without the CSRF token, the author field and password
    fields) are stored server-side in the new anonymous session with the path they were sent to;
    after that same user logs in again, they land on the "your data is saved" page
    (accounts.views.resubmit) that sends them again, without JavaScript. Anyone else who logs in
    on that browser never sees them. A form whose author cannot be verified is not kept, and the
    login page says so.
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
        if request.method == "POST" and _url_name(request) == "logout":
            # "Log out" pressed after the session had ended: nothing typed stays behind.
            request.session.pop(SAVED_POST_KEY, None)
        elif request.method == "POST":
            outcome = save_posted_form(request)
            if outcome is KEPT:
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
            if outcome is NOT_KEPT:
                messages.warning(
                    request,
                    _(
                        "Your session has ended. What you typed could not be kept; log in and "
                        "type it again."
                    ),
                )
        return super().handle_no_permission(request, view_func)


KEPT = "kept"
NOT_KEPT = "not kept"


def _kept(name):
    return name not in _NOT_KEPT and "password" not in name.lower()


def _url_name(request):
    try:
        return resolve(request.path_info).url_name
    except Resolver404:
        return None


def save_posted_form(request):
    """Keeps a form posted without a live session for its author. Returns KEPT, NOT_KEPT (the
    author could not be verified, or the form is too big), or None (a page whose POST is never
    kept: logging in and out, the resubmit page, the Django admin)."""
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return None
    if match.url_name in _NOT_SAVED_NAMES or "admin" in match.namespaces:
        return None
    # Signed no longer ago than a session can last: an older form cannot come from a session
    # that only just ended.
    user_id = verify_author(
        request.POST.get(AUTHOR_FIELD), max_age=settings.SESSION_ABSOLUTE_SECONDS
    )
    if user_id is None:
        log.info("form not kept after session end: author not verified path=%s", request.path)
        return NOT_KEPT
    fields = [(k, v) for k, values in request.POST.lists() if _kept(k) for v in values]
    if sum(len(k) + len(v) for k, v in fields) > SAVED_POST_MAX_CHARS:
        log.info("form not kept after session end: too big path=%s", request.path)
        return NOT_KEPT
    request.session[SAVED_POST_KEY] = {
        "path": request.get_full_path(),
        "fields": fields,
        "had_files": bool(request.FILES),
        "user_id": user_id,
        "at": SessionLimitsMiddleware.now(),
    }
    log.info(
        "form kept after session end path=%s fields=%s user_id=%s",
        request.path,
        len(fields),
        user_id,
    )
    return KEPT


def kept_form_for(request, user):
    """The form kept for `user` in this browser's session, or None. A copy typed by someone
    else, older than KEPT_FORM_SECONDS or aimed at another site is discarded here, unseen."""
    saved = request.session.get(SAVED_POST_KEY)
    if not saved:
        return None
    fresh = SessionLimitsMiddleware.now() - int(saved.get("at") or 0) <= settings.KEPT_FORM_SECONDS
    path = saved.get("path") or ""
    if (
        user is None
        or not user.is_authenticated
        or saved.get("user_id") != user.pk
        or not fresh
        # Only a path of this site (no host at all) is ever sent back to.
        or not path.startswith("/")
        or not url_has_allowed_host_and_scheme(path, allowed_hosts=None)
    ):
        request.session.pop(SAVED_POST_KEY, None)
        log.info("kept form discarded (another user, too old or foreign path)")
        return None
    return saved


class DefaultLanguageMiddleware(LocaleMiddleware):
    """Bahasa Indonesia unless the user chose English with the language switch.

    Django's LocaleMiddleware would follow the browser's Accept-Language, and many phones in
    Indonesia are set to English; the posko's users expect the app in Indonesian.
    """

    def process_request(self, request):
        translation.activate(preferred_language(request))
        request.LANGUAGE_CODE = translation.get_language()


def preferred_language(request):
    lang = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    return lang if lang in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


class PlaceTimeZoneMiddleware:
    """Pages show times and dates (due dates, overdue marks, "today") in the zone of the user's
    place (WIB, WITA or WIT: Kelurahan.time_zone; an agency's or a kota's by its province), when
    every place they hold is in one zone; otherwise, and for the anonymous, the application's
    default (TIME_ZONE, Asia/Makassar). Storage stays UTC."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.utils import timezone

        from .roles import roles_of

        zone = None
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            zone = roles_of(user).time_zone
        if zone:
            timezone.activate(zone)
        try:
            return self.get_response(request)
        finally:
            if zone:
                timezone.deactivate()
