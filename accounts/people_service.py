"""Managing people in the app (issue 16): invitations, giving and ending memberships, ending all
of a person's memberships in a place, deactivating an account, the 90-day inactive list.

The one engine of these rules: every view (and any hand-made POST) goes through here, and every
function checks its own rules again inside its transaction, whatever the form offered.

Rules:
- Who may give or end which membership where is the grant table (accounts/grants.py).
- Nobody changes their own memberships (nor deactivates their own account).
- The last coordinator of a kelurahan stays: no ending, end-all or deactivation leaves a
  kelurahan without an active coordinator (checked with the kelurahan row locked, so two
  coordinators ending each other at the same moment cannot both succeed).
- A membership is given to a person who belongs (or belonged) to the place, or by invitation;
  an application admin may give one to any person whose every place their scope covers.
- An invitation lasts INVITATION_HOURS (72), works once, and only a SHA-256 of its secret is
  stored. By e-mail the link is derived from SECRET_KEY and the row's nonce when the outbox
  sends it (kind "invitation_email"); in person the code (or the link carrying it) is shown
  once to the inviter. When accepted, the role is checked against the grant table AGAIN: an
  inviter who lost the right meanwhile has invited nobody.
- Ending all of a person's memberships in a place ends all their sessions at once.
- Deactivating an account is only for an application admin whose scope covers every place the
  person belongs to.
- Every change is a row of the account audit log (AccountAudit), which the lurah reads.
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from . import grants
from .models import (
    AGENCY_ROLES,
    KELURAHAN_ROLES,
    KOTA_ROLES,
    AccountAudit,
    Agency,
    Invitation,
    Kelurahan,
    Membership,
    Role,
    User,
)
from .passwords import _hash, derived_secret, format_code, new_code, normalize_code
from .security import end_sessions_of, log

INVITATION_HOURS = 72
INACTIVE_DAYS = 90
ROLES_BY_KIND = {"kelurahan": KELURAHAN_ROLES, "agency": AGENCY_ROLES, "kota": KOTA_ROLES}

A = AccountAudit.Action


class Refused(Exception):
    def __init__(self, reasons):
        super().__init__("; ".join(str(r) for r in reasons))
        self.reasons = list(reasons)


def link_secret(nonce: str) -> str:
    """The secret of an e-mailed invitation link: derived, never stored."""
    return derived_secret(b"lbk.invitation:", nonce)


def _place_fields(place) -> dict:
    p = grants.place_of(place)
    return {{"kelurahan": "kelurahan_id", "agency": "agency_id", "kota": "kota_id"}[p.kind]: p.pk}


def _audit(action, *, actor, subject=None, place=None, **detail) -> AccountAudit:
    kelurahan_id = None
    if place is not None:
        p = grants.place_of(place)
        if p.kind == "kelurahan":
            kelurahan_id = int(p.pk)
        detail.setdefault("place", str(place if not hasattr(place, "role") else place.place))
        detail.setdefault("place_kind", p.kind)
    return AccountAudit.objects.create(
        actor=actor, subject=subject, kelurahan_id=kelurahan_id, action=action, detail=detail
    )


def _lock_place(place) -> None:
    """Serializes membership changes of one kelurahan (the last-coordinator rule)."""
    p = grants.place_of(place)
    if p.kind == "kelurahan":
        list(Kelurahan.objects.select_for_update().filter(pk=p.pk).values_list("pk"))
    elif p.kind == "agency":
        list(Agency.objects.select_for_update().filter(pk=p.pk).values_list("pk"))


def role_refusals(actor, role: str, place) -> list[str]:
    """Why `actor` may not give `role` at `place` (the grant table), or [] (also the Django
    admin's membership form, accounts/admin.py)."""
    p = grants.place_of(place)
    if role not in {r.value for r in Role}:
        return [_("This is not a role of the app.")]
    if role not in ROLES_BY_KIND[p.kind]:
        return [_("This role cannot be held at this kind of place.")]
    if not grants.can_grant_at(actor, role, place):
        return [
            _("You may not give the role %(role)s here (see the grant table).")
            % {"role": Role(role).label}
        ]
    return []


def _leaves_no_coordinator(kelurahan_id: int, ending_ids: list[int], from_day: dt.date) -> bool:
    """True when, once the memberships `ending_ids` end before `from_day`, the kelurahan would
    have no coordinator (an active person) in force on that day."""
    others = (
        Membership.objects.active(from_day)
        .filter(kelurahan_id=kelurahan_id, role=Role.KOORDINATOR, user__is_active=True)
        .exclude(pk__in=ending_ids)
    )
    return not others.exists()


def _last_coordinator_refusals(memberships, from_day: dt.date) -> list[str]:
    by_kel: dict[int, list[int]] = {}
    for m in memberships:
        if m.role == Role.KOORDINATOR and m.kelurahan_id:
            by_kel.setdefault(m.kelurahan_id, []).append(m.pk)
    for kel_id, ids in by_kel.items():
        if _leaves_no_coordinator(kel_id, ids, from_day):
            return [
                _(
                    "This is the last coordinator of the kelurahan: give the coordinator role to "
                    "someone else first."
                )
            ]
    return []


def _belongs(subject, place) -> bool:
    return Membership.objects.filter(user=subject, **_place_fields(place)).exists()


def _admin_covers_all_places_of(actor, subject) -> bool:
    """An application admin whose scope covers every place the subject belongs to today."""
    if not (actor.is_active and actor.is_lbk_admin):
        return False
    if not actor.admin_scope:
        return True
    for m in (
        Membership.objects.active()
        .filter(user=subject)
        .select_related("kelurahan", "agency", "kota")
    ):
        if grants.place_of(m).kota_code != actor.admin_scope:
            return False
    return True


# Giving and ending memberships.


def give_refusals(actor, subject, role, place, valid_from, valid_until) -> list[str]:
    today = timezone.localdate()
    if subject.pk == actor.pk:
        return [_("Nobody changes their own memberships: ask someone else.")]
    if subject.is_lbk_admin or not subject.is_active:
        return [_("This person cannot be given a membership here.")]
    reasons = role_refusals(actor, role, place)
    if reasons:
        return reasons
    if not _belongs(subject, place) and not _admin_covers_all_places_of(actor, subject):
        reasons.append(_("Invite this person first: they do not belong to this place."))
    if valid_from < today:
        reasons.append(_("A membership cannot start in the past."))
    if valid_until is not None and valid_until < valid_from:
        reasons.append(_("The end date is before the start date."))
    overlapping = (
        Membership.objects.filter(user=subject, role=role, **_place_fields(place))
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=valid_from))
        .filter(valid_from__lte=valid_until or dt.date.max)
    )
    if overlapping.exists():
        reasons.append(_("This person already holds this role here for (part of) that period."))
    return reasons


@transaction.atomic
def give(
    *, actor, subject, role: str, place, valid_from=None, valid_until=None, **signature
) -> Membership:
    """A membership of `subject` at `place`: by the grant table, never to oneself."""
    _lock_place(place)
    subject = User.objects.select_for_update().get(pk=subject.pk)
    valid_from = valid_from or timezone.localdate()
    reasons = give_refusals(actor, subject, role, place, valid_from, valid_until)
    if reasons:
        raise Refused(reasons)
    m = Membership.objects.create(
        user=subject,
        role=role,
        valid_from=valid_from,
        valid_until=valid_until,
        **_place_fields(place),
        **{k: v for k, v in signature.items() if k in ("title", "rank", "nip")},
    )
    subject._lbk_roles = None  # type: ignore[assignment]
    _audit(
        A.MEMBERSHIP_GIVEN,
        actor=actor,
        subject=subject,
        place=place,
        role=role,
        valid_from=valid_from.isoformat(),
        valid_until=valid_until.isoformat() if valid_until else None,
    )
    log.info("membership given user_id=%s role=%s actor_id=%s", subject.pk, role, actor.pk)
    return m


def _end_day(last_day: dt.date | None) -> dt.date:
    """The last day a membership ending "now" is in force: yesterday (so that it no longer
    counts today, the one definition of active being valid_from <= day <= valid_until)."""
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    if last_day is None or last_day < yesterday:
        return yesterday
    return last_day


def _apply_end(m: Membership, last: dt.date) -> dict:
    before = {"valid_from": m.valid_from.isoformat(), "valid_until": None}
    if m.valid_until:
        before["valid_until"] = m.valid_until.isoformat()
    if m.valid_from > last:
        # It had not started (or started today): it ends before it ever counted. The period
        # collapses to its last day; the audit row keeps what it was.
        m.valid_from = last
    m.valid_until = last
    m.save(update_fields=["valid_from", "valid_until"])
    return before


def end_refusals(actor, membership: Membership, last: dt.date) -> list[str]:
    if membership.user_id == actor.pk:
        return [_("Nobody changes their own memberships: ask someone else.")]
    if not grants.can_grant_at(actor, membership.role, membership):
        return [
            _("You may not end the role %(role)s here (see the grant table).")
            % {"role": membership.get_role_display()}
        ]
    today = timezone.localdate()
    if membership.valid_until is not None and membership.valid_until < today:
        return [_("This membership has already ended.")]
    return _last_coordinator_refusals([membership], last + dt.timedelta(days=1))


@transaction.atomic
def end(*, actor, membership: Membership, last_day: dt.date | None = None) -> Membership:
    """Ends a membership: at once (its last day yesterday) or on a later last day."""
    _lock_place(membership)
    m = Membership.objects.select_for_update(of=("self",)).select_related(
        "kelurahan", "agency", "kota"
    )
    membership = m.get(pk=membership.pk)
    last = _end_day(last_day)
    reasons = end_refusals(actor, membership, last)
    if reasons:
        raise Refused(reasons)
    before = _apply_end(membership, last)
    _audit(
        A.MEMBERSHIP_ENDED,
        actor=actor,
        subject=membership.user,
        place=membership,
        role=membership.role,
        last_day=last.isoformat(),
        was=before,
    )
    if last < timezone.localdate():
        # Pages already open carry the old roles in their session: the person signs in again.
        end_sessions_of(membership.user_id)
    return membership


@transaction.atomic
def end_all(*, actor, subject, place) -> int:
    """Ends every membership `subject` holds (today or later) at `place`, at once, and all their
    sessions. All or nothing: each must be one the actor could end."""
    _lock_place(place)
    subject = User.objects.select_for_update().get(pk=subject.pk)
    today = timezone.localdate()
    last = _end_day(None)
    if subject.pk == actor.pk:
        raise Refused([_("Nobody changes their own memberships: ask someone else.")])
    memberships = list(
        Membership.objects.select_for_update(of=("self",))
        .filter(user=subject, **_place_fields(place))
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=today))
        .select_related("kelurahan", "agency", "kota")
    )
    if not memberships:
        raise Refused([_("This person holds no membership here.")])
    reasons: list[str] = []
    for m in memberships:
        if not grants.can_grant_at(actor, m.role, m):
            reasons.append(
                _("You may not end the role %(role)s here (see the grant table).")
                % {"role": m.get_role_display()}
            )
    reasons += _last_coordinator_refusals(memberships, today)
    if reasons:
        raise Refused(reasons)
    for m in memberships:
        _apply_end(m, last)
    _audit(
        A.ALL_MEMBERSHIPS_ENDED,
        actor=actor,
        subject=subject,
        place=place,
        roles=sorted(m.role for m in memberships),
    )
    end_sessions_of(subject.pk)
    log.info("memberships ended user_id=%s actor_id=%s", subject.pk, actor.pk)
    return len(memberships)


def deactivate_refusals(actor, subject) -> list[str]:
    if subject.pk == actor.pk:
        return [_("You cannot deactivate your own account.")]
    if not (actor.is_active and actor.is_lbk_admin):
        return [
            _(
                "Only an application admin deactivates an account; end the person's memberships "
                "in your place instead."
            )
        ]
    if subject.is_lbk_admin:
        return [_("An application admin's account is changed in the Django admin only.")]
    if not _admin_covers_all_places_of(actor, subject):
        return [_("This person also belongs to places outside your scope.")]
    memberships = Membership.objects.active().filter(user=subject)
    return _last_coordinator_refusals(memberships, timezone.localdate())


@transaction.atomic
def deactivate(*, actor, subject) -> User:
    for kel_id in (
        Membership.objects.active()
        .filter(user=subject, role=Role.KOORDINATOR, kelurahan__isnull=False)
        .values_list("kelurahan_id", flat=True)
    ):
        _lock_place(Kelurahan(pk=kel_id))
    subject = User.objects.select_for_update().get(pk=subject.pk)
    reasons = deactivate_refusals(actor, subject)
    if reasons:
        raise Refused(reasons)
    subject.is_active = False
    subject.save(update_fields=["is_active"])
    end_sessions_of(subject.pk)
    kel = (
        Membership.objects.active()
        .filter(user=subject, kelurahan__isnull=False)
        .values_list("kelurahan_id", flat=True)
        .first()
    )
    AccountAudit.objects.create(
        actor=actor, subject=subject, kelurahan_id=kel, action=A.ACCOUNT_DEACTIVATED
    )
    log.info("account deactivated user_id=%s actor_id=%s", subject.pk, actor.pk)
    return subject


# Invitations.


def invite_refusals(actor, role, place, email, valid_until) -> list[str]:
    reasons = role_refusals(actor, role, place)
    if valid_until is not None and valid_until < timezone.localdate():
        reasons.append(_("The end date is in the past."))
    if email and User.objects.filter(email__iexact=email, is_active=True).exists():
        # Said only to someone who may invite to this place (a person of the app, not the
        # public): they give the role to the existing account instead.
        reasons.append(
            _("Someone already has an account with this e-mail address: give them the role.")
        )
    return reasons


@transaction.atomic
def invite(
    *, actor, role: str, place, email: str = "", first_name="", last_name="", valid_until=None
) -> tuple[Invitation, str]:
    """An invitation to `place` as `role`. With an e-mail address the link goes through the
    outbox and "" is returned; without one, the code is returned once, to hand over in person."""
    email = (email or "").strip()
    reasons = invite_refusals(actor, role, place, email, valid_until)
    if reasons:
        raise Refused(reasons)
    now = timezone.now()
    if email:
        nonce = secrets.token_hex(16)
        secret, shown = link_secret(nonce), ""
        kind = Invitation.Kind.EMAIL
    else:
        nonce = ""
        secret = new_code()
        shown = format_code(secret)
        kind = Invitation.Kind.CODE
    inv = Invitation.objects.create(
        kind=kind,
        email=email,
        first_name=first_name,
        last_name=last_name,
        role=role,
        valid_until=valid_until,
        nonce=nonce,
        token_hash=_hash(secret),
        created_by=actor,
        created_at=now,
        expires_at=now + dt.timedelta(hours=INVITATION_HOURS),
        **_place_fields(place),
    )
    _audit(A.INVITED, actor=actor, place=place, role=role, kind=kind, invitation=inv.pk)
    if email:
        from outbox import services as outbox

        p = grants.place_of(place)
        outbox.add(
            "invitation_email",
            inv.pk,
            kelurahan_id=int(p.pk) if p.kind == "kelurahan" else None,
            message_id=_msgid(),
        )
    log.info("invitation made id=%s kind=%s actor_id=%s", inv.pk, kind, actor.pk)
    return inv, shown


def _usable(inv: Invitation | None) -> bool:
    return inv is not None and inv.used_at is None and inv.expires_at > timezone.now()


def invitation_for(secret: str) -> Invitation | None:
    """The open invitation of a link's secret or of a typed code, or None."""
    secret = (secret or "").strip()
    if not secret or len(secret) > 100:
        return None
    candidates = {secret, normalize_code(secret)}
    inv = (
        Invitation.objects.select_related("kelurahan", "agency", "kota", "created_by")
        .filter(token_hash__in=[_hash(s) for s in candidates if s])
        .first()
    )
    return inv if _usable(inv) else None


@transaction.atomic
def accept(
    invitation: Invitation,
    *,
    username: str,
    password: str,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
) -> User:
    """Uses the invitation once: a new account with the invited role at the place, if the
    inviter may still give it."""
    inv = (
        Invitation.objects.select_for_update(of=("self",))
        .select_related("kelurahan", "agency", "kota", "created_by")
        .get(pk=invitation.pk)
    )
    if not _usable(inv):
        raise Refused([_("This invitation has expired or was already used.")])
    inviter = User.objects.get(pk=inv.created_by_id)  # fresh: today's roles
    if not inviter.is_active or not grants.can_grant_at(inviter, inv.role, inv.place):
        raise Refused(
            [
                _(
                    "The person who invited you may no longer give this role: ask your "
                    "coordinator for a new invitation."
                )
            ]
        )
    username = (username or "").strip()
    if User.objects.filter(username__iexact=username).exists():
        raise Refused([_("This username is taken: choose another one.")])
    user = User(
        username=username,
        first_name=first_name or inv.first_name,
        last_name=last_name or inv.last_name,
        email=inv.email or email,
    )
    try:
        validate_password(password, user)
    except ValidationError as e:
        raise Refused(e.messages) from None
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        raise Refused([_("This username is taken: choose another one.")]) from None
    today = timezone.localdate()
    Membership.objects.create(
        user=user,
        role=inv.role,
        valid_from=today,
        valid_until=inv.valid_until,
        **_place_fields(inv.place),
    )
    inv.used_at = timezone.now()
    inv.accepted_by = user
    inv.save(update_fields=["used_at", "accepted_by"])
    _audit(A.INVITATION_ACCEPTED, actor=user, subject=user, place=inv.place, invitation=inv.pk)
    _audit(
        A.MEMBERSHIP_GIVEN,
        actor=inviter,
        subject=user,
        place=inv.place,
        role=inv.role,
        valid_from=today.isoformat(),
        valid_until=inv.valid_until.isoformat() if inv.valid_until else None,
        invitation=inv.pk,
    )
    log.info("invitation accepted id=%s user_id=%s", inv.pk, user.pk)
    return user


@transaction.atomic
def withdraw(*, actor, invitation: Invitation) -> Invitation:
    """An open invitation stops working (a code handed to the wrong person, a change of plan):
    by whoever could give its role at its place now."""
    inv = Invitation.objects.select_for_update(of=("self",)).select_related(
        "kelurahan", "agency", "kota"
    )
    inv = inv.get(pk=invitation.pk)
    if not _usable(inv):
        raise Refused([_("This invitation has expired or was already used.")])
    if not grants.can_grant_at(actor, inv.role, inv.place):
        raise Refused(
            [
                _("You may not give the role %(role)s here (see the grant table).")
                % {"role": inv.get_role_display()}
            ]
        )
    inv.used_at = timezone.now()
    inv.save(update_fields=["used_at"])
    _audit(A.INVITATION_REVOKED, actor=actor, place=inv.place, role=inv.role, invitation=inv.pk)
    return inv


def open_invitations(managed):
    """Invitations not yet used nor expired at the places of `managed` (grants.Managed)."""
    return (
        Invitation.objects.filter(used_at__isnull=True, expires_at__gt=timezone.now())
        .filter(
            Q(kelurahan_id__in=managed.kelurahan)
            | Q(agency_id__in=managed.agencies)
            | Q(kota_id__in=managed.kota)
        )
        .select_related("kelurahan", "agency", "kota", "created_by")
        .order_by("expires_at", "pk")
    )


def send_invitation_email(invitation_id: int, *, message_id: str = "") -> str:
    """Outbox handler (accounts/outbox_kinds.py): rendered when sent, in Indonesian."""
    from django.template.loader import render_to_string
    from django.urls import reverse
    from django.utils import translation

    from .passwords import _send

    inv = (
        Invitation.objects.select_related("kelurahan", "agency", "kota", "created_by")
        .filter(pk=invitation_id)
        .first()
    )
    if inv is None or not inv.email or not inv.nonce:
        return "no address"
    if not _usable(inv):
        return "expired"
    url = settings.SITE_URL.rstrip("/") + reverse(
        "invitation_accept", args=[link_secret(inv.nonce)]
    )
    with translation.override("id"):
        body = render_to_string(
            "registration/email/invitation.txt",
            {"inv": inv, "url": url, "hours": INVITATION_HOURS, "role": inv.get_role_display()},
        )
        subject = _("You are invited to Posko LBK")
    _send(subject, body, inv.email, message_id)
    return "sent"


def _msgid() -> str:
    from django.core.mail import make_msgid

    return make_msgid(domain="posko-lbk")


# Lists.


def inactive_since() -> dt.datetime:
    return timezone.now() - dt.timedelta(days=INACTIVE_DAYS)


def inactive_q() -> Q:
    """People who have not signed in for INACTIVE_DAYS (never, for an account at least that
    old)."""
    since = inactive_since()
    return Q(user__last_login__lt=since) | Q(
        user__last_login__isnull=True, user__date_joined__lt=since
    )
