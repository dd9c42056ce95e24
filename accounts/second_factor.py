"""Two-factor sign-in (issue 16, item 3): TOTP (an authenticator app) through django-otp, with
single-use recovery codes.

Rules:
- Required for every account that sees case data or can give access to it: every active
  membership (volunteers, companions, coordinators, kelurahan staff, agency officers) and every
  application admin. Not required of an account with no role at all (it sees nothing).
- Required once the grace period is over: SecondFactorPolicy.grace_days (at most 30) from the
  policy's `since` or from the day the account was made, whichever is later. Until then the
  person is reminded at each sign-in; after it, every page but the set-up page (and logging
  out) sends them there.
- A coordinator may exempt a volunteer (a person whose only roles are relawan at the
  coordinator's kelurahan) for at most 90 days, with a reason; written to the audit log.
- After the password, a person with a confirmed device must give a code (or a recovery code)
  before any other page. A TOTP code is accepted once (django-otp keeps the last time step) and
  django-otp slows repeated wrong codes; a recovery code works once, only its hash is stored.
- A coordinator, kasi kesra or lurah may reset the second factor of people whose roles they
  could grant (never their own; four eyes with a password reset, accounts/passwords.py).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.db import transaction
from django.shortcuts import redirect
from django.urls import Resolver404, resolve
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import (
    AccountAudit,
    Membership,
    RecoveryCode,
    Role,
    SecondFactorExemption,
    SecondFactorPolicy,
    User,
)
from .roles import roles_of
from .security import end_sessions_of, log

A = AccountAudit.Action
RECOVERY_CODES = 10
MAX_EXEMPTION_DAYS = 90
_CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def _hash(code: str) -> str:
    return hashlib.sha256(normalize(code).encode()).hexdigest()


def normalize(code: str) -> str:
    return "".join(c for c in str(code or "").lower() if c.isalnum())


def policy() -> SecondFactorPolicy:
    row = SecondFactorPolicy.objects.order_by("pk").first()
    return row or SecondFactorPolicy(since=timezone.localdate(), grace_days=30)


def needs_second_factor(user) -> bool:
    if not user.is_authenticated:
        return False
    if user.is_lbk_admin or user.is_superuser:
        return True
    # The memberships in force today, as roles_of read them for this request.
    return roles_of(user).has_memberships


def due_date(user) -> dt.date:
    # The policy row read once per request (the user object lives for one request), as
    # roles_of keeps the roles: state() and the home page's notice both need it.
    p = getattr(user, "_lbk_sf_policy", None)
    if p is None:
        p = user._lbk_sf_policy = policy()
    joined = timezone.localdate(user.date_joined) if user.date_joined else p.since
    return max(p.since, joined) + dt.timedelta(days=min(p.grace_days, 30))


def device_of(user, *, confirmed=True):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return TOTPDevice.objects.filter(user=user, confirmed=confirmed).order_by("pk").first()


def exempt_until(user) -> dt.date | None:
    today = timezone.localdate()
    row = (
        SecondFactorExemption.objects.filter(user=user, until__gte=today).order_by("-until").first()
    )
    return row.until if row else None


def state(user) -> str:
    """ "verify" (a device: give the code), "enrol" (must set one up now), "grace" (should set
    one up before due_date), or "ok"."""
    if getattr(user, "is_verified", lambda: False)():
        return "ok"
    if device_of(user) is not None:
        return "verify"
    if not needs_second_factor(user):
        return "ok"
    if exempt_until(user):
        return "ok"
    if timezone.localdate() > due_date(user):
        return "enrol"
    return "grace"


# Pages reachable before the second factor is given or set up.
_OPEN = {"two_factor_verify", "two_factor_setup", "logout", "set_language", "login"}


class SecondFactorMiddleware:
    """After the password: the code before any page, and the set-up once the grace is over."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            try:
                name = resolve(request.path_info).view_name
            except Resolver404:
                name = None
            if name not in _OPEN and not _known_fine(request):
                st = state(user)
                if st == "verify":
                    return _to("two_factor_verify", request)
                if st == "enrol":
                    return _to("two_factor_setup", request)
                _remember_fine(request, user, st)
        return self.get_response(request)


# A session found not to need the code now remembers it (until the grace or the exemption ends),
# so most pages ask nothing of the database for it. A reset of the second factor ends every
# session of the person, so nothing stale survives it.
_SESSION_KEY = "_lbk_2fa"


def _known_fine(request) -> bool:
    if getattr(request.user, "is_verified", lambda: False)():
        return True
    cached = request.session.get(_SESSION_KEY)
    if not isinstance(cached, dict):
        return False
    until = cached.get("until")
    return until is None or timezone.localdate().isoformat() <= until


def remember_at_login(request, user) -> None:
    """At login (accounts.security.on_logged_in): a session that needs no code now knows it from
    its first page on, so every page of it asks the same of the database."""
    st = state(user)
    if st in ("ok", "grace"):
        _remember_fine(request, user, st)


def _remember_fine(request, user, st: str) -> None:
    if st == "grace":
        until: str | None = due_date(user).isoformat()
    else:
        exempt = exempt_until(user)
        until = exempt.isoformat() if exempt else None
    request.session[_SESSION_KEY] = {"until": until}


def _to(name, request):
    from django.urls import reverse
    from django.utils.http import urlencode

    url = reverse(name)
    if request.method == "GET":
        url += "?" + urlencode({"next": request.get_full_path()})
    return redirect(url)


# Services.


def new_device(user):
    """An unconfirmed TOTP device for set-up (the previous unconfirmed one is replaced)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)


def pending_device(user):
    return device_of(user, confirmed=False)


@transaction.atomic
def confirm(request, device, token: str) -> list[str] | None:
    """Confirms the device with a first code; returns the recovery codes (shown once)."""
    from django_otp import login as otp_login

    if not device.verify_token(normalize(token)):
        return None
    device.confirmed = True
    device.save()
    otp_login(request, device)
    codes = new_recovery_codes(request.user)
    AccountAudit.objects.create(
        actor=request.user,
        subject=request.user,
        kelurahan_id=_kelurahan_of(request.user),
        action=A.SECOND_FACTOR_ENROLLED,
    )
    log.info("second factor set up user_id=%s", request.user.pk)
    return codes


def new_recovery_codes(user) -> list[str]:
    RecoveryCode.objects.filter(user=user).delete()
    codes = []
    for _i in range(RECOVERY_CODES):
        code = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(10))
        RecoveryCode.objects.create(user=user, code_hash=_hash(code))
        codes.append(f"{code[:5]}-{code[5:]}")
    return codes


@transaction.atomic
def verify(request, code: str) -> bool:
    """A TOTP code of the person's device, or one of their unused recovery codes."""
    from django_otp import login as otp_login

    user = request.user
    device = device_of(user)
    if device is None:
        return False
    digits = normalize(code)
    if digits.isdigit() and len(digits) == device.digits:
        if device.verify_token(digits):
            otp_login(request, device)
            return True
        return False
    if len(digits) != 10:
        return False
    used = RecoveryCode.objects.filter(
        user=user, code_hash=_hash(digits), used_at__isnull=True
    ).update(used_at=timezone.now())
    if not used:
        return False
    otp_login(request, device)
    AccountAudit.objects.create(
        actor=user, subject=user, kelurahan_id=_kelurahan_of(user), action=A.RECOVERY_CODE_USED
    )
    log.info("signed in with a recovery code user_id=%s", user.pk)
    return True


def _kelurahan_of(user) -> int | None:
    m = Membership.objects.active().filter(user=user, kelurahan__isnull=False).first()
    return m.kelurahan_id if m else None


class Refused(Exception):
    def __init__(self, reasons):
        super().__init__("; ".join(str(r) for r in reasons))
        self.reasons = list(reasons)


@transaction.atomic
def reset_by_staff(*, actor, subject) -> None:
    """The device and recovery codes go; the person sets up a new one at their next sign-in."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from .passwords import reset_refusals, tell

    subject = User.objects.select_for_update().get(pk=subject.pk)
    reasons = reset_refusals(actor, subject, "second_factor")
    if reasons:
        raise Refused(reasons)
    TOTPDevice.objects.filter(user=subject).delete()
    RecoveryCode.objects.filter(user=subject).delete()
    end_sessions_of(subject.pk)
    row = AccountAudit.objects.create(
        actor=actor,
        subject=subject,
        kelurahan_id=_kelurahan_of(subject),
        action=A.SECOND_FACTOR_RESET,
    )
    tell(row)
    log.info("second factor reset by staff user_id=%s actor_id=%s", subject.pk, actor.pk)


def exemption_refusals(actor, subject, kelurahan_id: int, days: int) -> list[str]:
    from .roles import roles_of

    reasons = []
    if actor.pk == subject.pk:
        reasons.append(_("You cannot exempt yourself."))
    if Role.KOORDINATOR not in roles_of(actor).at(kelurahan_id):
        reasons.append(_("Only the coordinator of the kelurahan may exempt a volunteer."))
    held = set(Membership.objects.active().filter(user=subject).values_list("kelurahan_id", "role"))
    if not held or held != {(kelurahan_id, Role.RELAWAN.value)}:
        reasons.append(_("Only a volunteer (and nothing else) may be exempted."))
    if not 1 <= days <= MAX_EXEMPTION_DAYS:
        reasons.append(_("An exemption lasts at most 90 days."))
    return reasons


@transaction.atomic
def exempt(*, actor, subject, kelurahan_id: int, days: int, reason: str) -> SecondFactorExemption:
    reasons = exemption_refusals(actor, subject, kelurahan_id, days)
    if reasons:
        raise Refused(reasons)
    until = timezone.localdate() + dt.timedelta(days=days)
    row = SecondFactorExemption.objects.create(
        user=subject, kelurahan_id=kelurahan_id, granted_by=actor, until=until, reason=reason
    )
    AccountAudit.objects.create(
        actor=actor,
        subject=subject,
        kelurahan_id=kelurahan_id,
        action=A.SECOND_FACTOR_EXEMPTED,
        detail={"until": until.isoformat(), "days": days},
    )
    return row


def qr_svg(device) -> str:
    import segno

    return segno.make(device.config_url, error="m").svg_inline(scale=4, title="QR")


def secret_text(device) -> str:
    from base64 import b32encode

    key = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


def issuer() -> str:
    return getattr(settings, "OTP_TOTP_ISSUER", "Posko LBK")
