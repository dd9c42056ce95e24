"""Security events and log hygiene: what is logged about logins, and what never is.

Logins, failures, lockouts and logouts go to the logger `lbk.security`. A username is logged as a
short keyed hash (`user#3f9a1c20b4e1`): an operator can match repeated failures for one name
without the log holding the name, which a person may mistype (or type a victim's name into).
Passwords are never logged.
"""

import hashlib
import hmac
import logging
import re

from django.conf import settings
from django.core import signing
from django.views.debug import SafeExceptionReporterFilter

log = logging.getLogger("lbk.security")


def username_tag(username):
    """A stable, non-reversible tag for a username (keyed by SECRET_KEY)."""
    if not username:
        return "user#-"
    digest = hmac.new(
        settings.SECRET_KEY.encode(), str(username).strip().lower().encode(), hashlib.sha256
    ).hexdigest()
    return f"user#{digest[:12]}"


def client_ip(request):
    """The visitor's address: the one place that reads it (access log, lockout, rate limits).

    Behind a reverse proxy accounts.middleware.TrustedProxyMiddleware has already put the
    visitor's address (from X-Forwarded-For, TRUSTED_PROXY_COUNT) into REMOTE_ADDR; a client can
    set no other header that this trusts.
    None when unknown.
    """
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


# Who typed a form: every POST form carries `_lbk_author` ({% form_guard %}), the user's id
# signed with SECRET_KEY and timestamped when the form was rendered. A form posted after the
# session ended is kept for its author only by this signature, never by the expired session.
AUTHOR_FIELD = "_lbk_author"
# A fresh random token per rendered form: the procedure engine answers a form sent twice once.
ONCE_FIELD = "_lbk_once"
_AUTHOR_SALT = "lbk.form-author"


def sign_author(user_id):
    return signing.TimestampSigner(salt=_AUTHOR_SALT).sign_object({"u": int(user_id)})


def verify_author(value, max_age=None):
    """The user id a form's `_lbk_author` names, or None when missing, forged or too old."""
    if not value or len(value) > 500:
        return None
    if max_age is None:
        max_age = settings.SESSION_ABSOLUTE_SECONDS
    try:
        data = signing.TimestampSigner(salt=_AUTHOR_SALT).unsign_object(value, max_age=max_age)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    user_id = data.get("u") if isinstance(data, dict) else None
    return user_id if isinstance(user_id, int) and not isinstance(user_id, bool) else None


# Signal receivers (connected in accounts.apps.AccountsConfig.ready).


def on_login_failed(sender, credentials, request=None, **kwargs):
    from . import lockout

    username = credentials.get("username")
    ip = client_ip(request) or "-"
    if request is not None and getattr(request, "lbk_wait", None) is not None:
        # Refused while waiting (accounts.lockout.LockoutBackend): not counted again.
        log.warning("login refused while locked out %s ip=%s", username_tag(username), ip)
        return
    log.warning("login failed %s ip=%s", username_tag(username), ip)
    if request is None or username is None:
        return
    wait = lockout.record_failure(request, username)
    if wait is not None:
        request.lbk_wait = wait
        log.warning(
            "login locked out %s ip=%s reason=%s seconds=%s",
            username_tag(username),
            ip,
            wait.reason,
            wait.seconds,
        )


def on_logged_in(sender, request, user, **kwargs):
    # The 12-hour absolute limit counts from here (accounts.middleware.SessionLimitsMiddleware).
    from . import sessions
    from .middleware import SessionLimitsMiddleware, kept_form_for

    now = SessionLimitsMiddleware.now()
    request.session[SessionLimitsMiddleware.KEY] = now
    request.session[SessionLimitsMiddleware.SEEN_KEY] = now
    # The per-user index of session keys (accounts.sessions): the key is final by now (login
    # cycled it before this signal).
    sessions.record(request.session.session_key, user.pk)
    sessions.purge_dead()
    # A form kept after a session ended is for its author only: anyone else logging in on this
    # browser has it discarded before any page can show it.
    kept_form_for(request, user)
    from . import lockout

    lockout.record_success(request, user.get_username())
    _tell_resets(request, user)
    from .second_factor import remember_at_login

    remember_at_login(request, user)
    log.info("login ok user_id=%s ip=%s", user.pk, client_ip(request) or "-")


def _tell_resets(request, user):
    """A reset someone else made of this person's password or second factor, told once."""
    from django.contrib import messages
    from django.utils import timezone
    from django.utils.translation import gettext as _

    from .passwords import notices_at_sign_in

    if not hasattr(request, "_messages"):
        return
    for row in notices_at_sign_in(user):
        by = row.actor.display_name if row.actor else "-"
        messages.warning(
            request,
            _("%(what)s on %(when)s by %(by)s. If you did not expect this, tell your coordinator.")
            % {
                "what": row.get_action_display(),
                "when": timezone.localtime(row.at).strftime("%d-%m-%Y %H:%M"),
                "by": by,
            },
        )


def on_logged_out(sender, request, user, **kwargs):
    log.info("logout user_id=%s", getattr(user, "pk", "-"))


def end_sessions_of(user_id, *, keep=None):
    """Delete every server-side session of a user, wherever the store keeps it (the per-user
    index of accounts.sessions names them; nothing is scanned or decoded)."""
    from .sessions import end_sessions_of as end

    return end(user_id, keep=keep)


def on_user_pre_save(sender, instance, **kwargs):
    # AbstractBaseUser.set_password keeps the new raw password in _password until save().
    instance._lbk_password_changed = (
        instance.pk is not None and getattr(instance, "_password", None) is not None
    )


def on_user_saved(sender, instance, created, **kwargs):
    if created:
        return
    if not instance.is_active:
        n = end_sessions_of(instance.pk)
        if n:
            log.info("sessions ended for deactivated user_id=%s count=%s", instance.pk, n)
    elif getattr(instance, "_lbk_password_changed", False):
        # Every session, the one that changed the password included: Django's
        # update_session_auth_hash (the password change page) then gives that one a new key.
        n = end_sessions_of(instance.pk)
        instance._lbk_password_changed = False
        if n:
            log.info("sessions ended after password change user_id=%s count=%s", instance.pk, n)


# Log hygiene.

# Runs of 11 or more digits: a NIK (16), a KK number (16), a phone number (08..., 10-13 digits).
# Ten digits are left alone (Unix timestamps), so are ids and counts.
_LONG_NUMBER = re.compile(r"(?<![\d#])(\+?\d[\d ]{9,}\d)(?!\d)")
# PostgreSQL repeats the offending values in "DETAIL:  Key (nik)=(3201...) already exists."
_PG_DETAIL = re.compile(r"DETAIL:.*", re.MULTILINE)


def redact(text):
    text = _PG_DETAIL.sub("DETAIL: [redacted]", text)
    return _LONG_NUMBER.sub(
        lambda m: "[number]" if sum(c.isdigit() for c in m.group(1)) >= 11 else m.group(1), text
    )


class RedactFilter(logging.Filter):
    """Masks long digit runs (NIK, phone numbers) and database error details in log records."""

    def filter(self, record):
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken record is still logged, unredacted args dropped
            message = str(record.msg)
        record.msg = redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


class NoPersonalDataReporterFilter(SafeExceptionReporterFilter):
    """Error reports (e-mails to ADMINS, the debug page when DEBUG is off) carry no form data
    and no local variables: a case form's fields are a victim's data."""

    # Active whenever DEBUG is off (the parent's rule); a developer's debug page keeps them.

    def get_post_parameters(self, request):
        if request is None:
            return {}
        if not self.is_active(request):
            return request.POST
        return {k: self.cleansed_substitute for k in request.POST}

    def get_traceback_frame_variables(self, request, tb_frame):
        if not self.is_active(request):
            return super().get_traceback_frame_variables(request, tb_frame)
        return [(name, self.cleansed_substitute) for name in tb_frame.f_locals]


def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: the Indonesian 403 page (an expired or missing form token), no details."""
    from django.shortcuts import render

    log.warning("csrf refused path=%s", request.path)
    return render(request, "errors/403.html", status=403)
