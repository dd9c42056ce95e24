"""Password reset (issue 16, item 2): by e-mail without account enumeration, by a one-time code
handed over in person, and by a coordinator within the grant table.

Rules:
- An e-mail request does the same work whether or not the address has an account: one lookup,
  one ResetToken row (user empty when there is none), one outbox row of kind "reset_email"
  (outbox/kinds.py), one task; the page answers the same. The worker sends nothing for a row
  without a user.
- The link's secret is never stored: it is derived from SECRET_KEY and the row's nonce when the
  e-mail is sent; the row keeps its SHA-256 only. A link lasts RESET_LINK_HOURS (1 hour), a code
  RESET_CODE_HOURS (72 hours); each works once, and a newer one voids the older ones.
- A coordinator, kasi kesra or lurah resets only the password of someone whose every role they
  could grant (accounts/grants.py), never their own; the old password stops working at once,
  and the person sets a new one with the code (never a password chosen by someone else).
- Resetting both the password and the second factor of one person within 7 days takes two
  different people (four eyes).
- Every reset ends all the person's sessions and is written to the audit log; a reset made by
  someone else is told to the person by e-mail (when they have one) and at their next sign-in.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import grants, lockout
from .models import AccountAudit, Membership, ResetToken, User
from .security import end_sessions_of, log

RESET_LINK_HOURS = 1
RESET_CODE_HOURS = 72
FOUR_EYES_DAYS = 7
# A code is typed by hand: no 0/O, 1/I/L.
_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
_CODE_LENGTH = 12

A = AccountAudit.Action


class ResetRefused(Exception):
    def __init__(self, reasons):
        super().__init__("; ".join(str(r) for r in reasons))
        self.reasons = list(reasons)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def derived_secret(purpose: bytes, nonce: str) -> str:
    """The secret of an e-mailed link (reset, invitation): derived from the key, never stored."""
    return hmac.new(
        settings.SECRET_KEY.encode(), purpose + nonce.encode(), hashlib.sha256
    ).hexdigest()


def link_secret(nonce: str) -> str:
    """The secret of an e-mailed reset link."""
    return derived_secret(b"lbk.reset-link:", nonce)


def new_code() -> str:
    """A one-time code to type by hand (12 characters, no 0/O, 1/I/L)."""
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(_CODE_LENGTH))


def issue_code(user, *, actor) -> str:
    """A one-time code with which `user` sets a password on the "I have a code" form (handed
    over in person); stored only as a hash; returned once, formatted."""
    code = new_code()
    now = timezone.now()
    ResetToken.objects.create(
        user=user,
        kind=ResetToken.Kind.CODE,
        token_hash=_hash(code),
        created_at=now,
        expires_at=now + dt.timedelta(hours=RESET_CODE_HOURS),
        created_by=actor,
    )
    return format_code(code)


def normalize_code(code: str) -> str:
    return "".join(c for c in str(code or "").upper() if c.isalnum())


def format_code(code: str) -> str:
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def _kelurahan_of(user) -> int | None:
    if user is None:
        return None
    m = Membership.objects.active().filter(user=user, kelurahan__isnull=False).first()
    return m.kelurahan_id if m else None


def _void_open_tokens(user) -> None:
    ResetToken.objects.filter(user=user, used_at__isnull=True).update(used_at=timezone.now())


# Rate limit of e-mail reset requests, per hour: per client address and per target (the account
# the address belongs to, or the typed address when none does). Counted in the shared cache with
# atomic increments (lockout.count). Over the limit the request does nothing, and the answer is
# the same page as always: nobody learns from it whether an address has an account.
RESET_LIMIT_SECONDS = 60 * 60
RESET_PER_ADDRESS = 10
RESET_PER_TARGET = 3


def _over_reset_limit(user, email: str, ip: str | None) -> bool:
    target = f"u{user.pk}" if user is not None else "e" + _hash(email.lower())[:32]
    by_ip = lockout.count(f"reset:ip:{_hash(ip or '-')[:24]}", RESET_LIMIT_SECONDS)
    by_target = lockout.count(f"reset:to:{target}", RESET_LIMIT_SECONDS)
    return by_ip > RESET_PER_ADDRESS or by_target > RESET_PER_TARGET


@transaction.atomic
def request_by_email(email: str, *, ip: str | None = None) -> ResetToken | None:
    """The same work whatever the address: a token row, an outbox row, a task; nothing at all
    (None) over the rate limit, whatever the address."""
    from outbox import services as outbox

    email = (email or "").strip()
    user = (
        User.objects.filter(email__iexact=email, is_active=True).order_by("pk").first()
        if email
        else None
    )
    if _over_reset_limit(user, email, ip):
        log.warning("password reset request over the rate limit")
        return None
    nonce = secrets.token_hex(16)
    now = timezone.now()
    token = ResetToken.objects.create(
        user=user,
        kind=ResetToken.Kind.EMAIL,
        nonce=nonce,
        token_hash=_hash(link_secret(nonce)),
        created_at=now,
        expires_at=now + dt.timedelta(hours=RESET_LINK_HOURS),
    )
    outbox.add("reset_email", token.pk, message_id=_msgid())
    return token


def _usable(token: ResetToken | None) -> bool:
    return (
        token is not None
        and token.user_id is not None
        and token.used_at is None
        and token.expires_at > timezone.now()
        and token.user.is_active
    )


def token_for_link(secret: str) -> ResetToken | None:
    if not secret or len(secret) > 100:
        return None
    token = (
        ResetToken.objects.select_related("user")
        .filter(token_hash=_hash(secret), kind=ResetToken.Kind.EMAIL)
        .first()
    )
    return token if _usable(token) else None


def token_for_code(username: str, code: str) -> ResetToken | None:
    code = normalize_code(code)
    if len(code) != _CODE_LENGTH:
        return None
    token = (
        ResetToken.objects.select_related("user")
        .filter(token_hash=_hash(code), kind=ResetToken.Kind.CODE)
        .first()
    )
    if not _usable(token) or token.user.get_username() != (username or "").strip():
        return None
    return token


@transaction.atomic
def set_password_with(token: ResetToken, password: str, *, ip: str | None = None) -> User:
    """Uses the token once: the new password, every session ended, the audit row."""
    # of=self: PostgreSQL locks no row of the nullable side of the join (the user).
    token = (
        ResetToken.objects.select_for_update(of=("self",)).select_related("user").get(pk=token.pk)
    )
    if not _usable(token):
        raise ResetRefused([_("This reset link or code has expired or was already used.")])
    user = token.user
    user.set_password(password)
    user.save()
    token.used_at = timezone.now()
    token.save(update_fields=["used_at"])
    _void_open_tokens(user)
    end_sessions_of(user.pk)
    lockout.reset(user.get_username())
    AccountAudit.objects.create(
        actor=user,
        subject=user,
        kelurahan_id=_kelurahan_of(user),
        action=A.PASSWORD_RESET_DONE,
        detail={"with": token.kind},
    )
    log.info("password reset done user_id=%s with=%s", user.pk, token.kind)
    return user


def reset_refusals(actor, subject, what: str) -> list[str]:
    """Why `actor` may not reset `subject`'s password ("password") or second factor
    ("second_factor"); empty when they may."""
    if actor.pk == subject.pk:
        return [_("You cannot reset your own password or second factor here.")]
    if not grants.could_grant_all_roles_of(actor, subject):
        return [_("You may reset this only for people whose roles you could grant.")]
    other = A.SECOND_FACTOR_RESET if what == "password" else A.PASSWORD_RESET_BY_STAFF
    since = timezone.now() - dt.timedelta(days=FOUR_EYES_DAYS)
    if AccountAudit.objects.filter(
        subject=subject, action=other, actor=actor, at__gte=since
    ).exists():
        return [
            _(
                "You reset this person's other sign-in factor in the last 7 days: resetting both "
                "needs a second person (four eyes)."
            )
        ]
    return []


@transaction.atomic
def reset_by_staff(*, actor, subject) -> str:
    """The old password stops working, every session ends, a one-time code (returned once, to be
    handed over in person) lets the person choose a new one. Audited; the person is told."""
    subject = User.objects.select_for_update().get(pk=subject.pk)
    reasons = reset_refusals(actor, subject, "password")
    if reasons:
        raise ResetRefused(reasons)
    _void_open_tokens(subject)
    subject.set_unusable_password()
    subject.save()
    end_sessions_of(subject.pk)
    code = issue_code(subject, actor=actor)
    lockout.reset(subject.get_username())
    row = AccountAudit.objects.create(
        actor=actor,
        subject=subject,
        kelurahan_id=_kelurahan_of(subject),
        action=A.PASSWORD_RESET_BY_STAFF,
    )
    tell(row)
    log.info("password reset by staff user_id=%s actor_id=%s", subject.pk, actor.pk)
    return code


def tell(row: AccountAudit) -> None:
    """A reset made by someone else: an e-mail notice (no secret in it) when the person has an
    address; the notice at their next sign-in comes from the row itself (seen_at)."""
    from outbox import services as outbox

    if row.subject is not None and row.subject.email:
        outbox.add("account_notice", row.pk, kelurahan_id=row.kelurahan_id, message_id=_msgid())


def notices_at_sign_in(user) -> list[AccountAudit]:
    """Resets made by someone else that the person has not been told of yet (marked seen)."""
    rows = list(
        AccountAudit.objects.filter(
            subject=user,
            seen_at__isnull=True,
            action__in=[A.PASSWORD_RESET_BY_STAFF, A.SECOND_FACTOR_RESET],
        ).select_related("actor")
    )
    if rows:
        AccountAudit.objects.filter(pk__in=[r.pk for r in rows]).update(seen_at=timezone.now())
    return rows


# Outbox handlers (outbox/kinds.py): rendered when sent, in Indonesian.


def send_reset_email(token_id: int, *, message_id: str = "") -> str:
    from django.template.loader import render_to_string
    from django.urls import reverse
    from django.utils import translation

    token = ResetToken.objects.select_related("user").filter(pk=token_id).first()
    if token is None or token.user is None or not token.user.email:
        return "no account"
    if not _usable(token):
        return "expired"
    url = settings.SITE_URL.rstrip("/") + reverse(
        "password_reset_confirm", args=[link_secret(token.nonce)]
    )
    with translation.override("id"):
        body = render_to_string(
            "registration/email/password_reset.txt",
            {"user": token.user, "url": url, "hours": RESET_LINK_HOURS},
        )
        subject = _("Reset your Posko LBK password")
    _send(subject, body, token.user.email, message_id)
    return "sent"


def send_account_notice(row_id: int, *, message_id: str = "") -> str:
    from django.template.loader import render_to_string
    from django.utils import translation

    row = AccountAudit.objects.select_related("subject").filter(pk=row_id).first()
    if row is None or row.subject is None or not row.subject.email:
        return "no address"
    with translation.override("id"):
        body = render_to_string(
            "registration/email/account_notice.txt", {"row": row, "user": row.subject}
        )
        subject = _("A change to your Posko LBK account")
    _send(subject, body, row.subject.email, message_id)
    return "sent"


def _send(subject: str, body: str, to: str, message_id: str) -> None:
    from django.core.mail import EmailMessage

    headers = {"Message-ID": message_id} if message_id else {}
    EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [to], headers=headers).send(
        fail_silently=False
    )


def _msgid() -> str:
    from django.core.mail import make_msgid

    return make_msgid(domain="posko-lbk")
