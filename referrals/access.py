"""Who may see a referral: the one place every referral view, the letter download and the CSV ask.

Kelurahan users see referrals through the case's visibility at the full level (cases.access);
agency officers see only referrals addressed to their own agency once sent, never the case page.
An outsider gets 404.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Q
from django.http import Http404, HttpRequest

from accounts.models import KELURAHAN_WIDE_ROLES, STAFF_ROLES, Role
from accounts.roles import RequestUser, UserRoles, roles_of
from cases.access import acts_as_companion, log_access, sees_in_full
from cases.engine import AGENCY, COMPANION, STAFF
from roleplay.roles import agency_q, case_q

from .models import Referral

if TYPE_CHECKING:
    from cases.models import Case

    from .models import ReferralQuerySet


def _kelurahan_q(roles: UserRoles, user: RequestUser) -> Q:
    q = Q(pk__in=[])
    for kel_id, held in roles.by_kelurahan.items():
        if held & KELURAHAN_WIDE_ROLES:
            q |= Q(kelurahan_id=kel_id)
        elif Role.PENDAMPING in held:
            q |= Q(kelurahan_id=kel_id, case__companion_id=user.pk)
    # A role-play session's referrals: by session role only (never by a real membership).
    q &= Q(case__roleplay_session__isnull=True)
    sim = case_q(roles, intake=False, prefix="case__")
    return q if sim is None else q | sim


def _sim_agency_q(roles: UserRoles) -> Q:
    """The SIM referrals an officer's session role reaches, once sent (the session's list);
    nothing (pk__in=[]) when they play no agency."""
    q = agency_q(roles)
    return Q(pk__in=[]) if q is None else q


def visible_referrals(user: RequestUser, qs: ReferralQuerySet | None = None) -> ReferralQuerySet:
    qs = qs if qs is not None else Referral.objects.all()
    roles = roles_of(user)
    q = _kelurahan_q(roles, user) | _sim_agency_q(roles)
    if roles.agency_ids:
        q |= Q(
            agency_id__in=roles.agency_ids,
            sent_at__isnull=False,
            case__roleplay_session__isnull=True,
        )
    return qs.filter(q)


def agency_referrals(user: RequestUser, qs: ReferralQuerySet | None = None) -> ReferralQuerySet:
    """The real referrals of the officer's own agencies, once sent (the inbox, its counts and
    CSV): role-play referrals live in their session's simulation list only (sim_referrals)."""
    qs = qs if qs is not None else Referral.objects.all()
    ids = roles_of(user).agency_ids
    return qs.filter(agency_id__in=ids, sent_at__isnull=False, case__is_roleplay=False)


def sim_referrals(user: RequestUser, session_id: int) -> ReferralQuerySet:
    """The sent referrals of one session the user reaches as an agency officer (session role)."""
    return Referral.objects.filter(
        _sim_agency_q(roles_of(user)), case__roleplay_session_id=session_id
    )


def roles_for(user: RequestUser, referral: Referral) -> frozenset[str]:
    """The pseudo-roles of cases.engine the user holds on this referral."""
    roles = roles_of(user)
    case = referral.case
    held = roles.on(case)
    out: set[str] = set()
    if acts_as_companion(user, case, held):
        out.add(COMPANION)
    if held & STAFF_ROLES:
        out.add(STAFF)
    if _plays_agency(roles, referral):
        out.add(AGENCY)
    return frozenset(out)


def _plays_agency(roles: UserRoles, referral: Referral) -> bool:
    """An officer of the referral's agency: by membership for a real referral, by session role
    for a role-play session's."""
    case = referral.case
    if getattr(case, "roleplay_session_id", None):
        return referral.agency_id in roles.sim_agencies(case.pk)
    return referral.agency_id in roles.agency_ids


def may_make_emergency(user: RequestUser, case: Case) -> bool:
    """The companion, or the coordinator (also before anyone is assigned)."""
    return acts_as_companion(user, case)


def may_see_referral(user: RequestUser, referral: Referral) -> bool:
    """The rule of visible_referrals for one referral in hand (no query): kelurahan users who
    see its case in full; officers of its agency once it was sent."""
    if referral.sent_at and _plays_agency(roles_of(user), referral):
        return True
    return sees_in_full(user, referral.case)


def get_referral_for_user(
    request: HttpRequest,
    pk: int | str,
    *,
    action: str = "view",
    queryset: ReferralQuerySet | None = None,
    log: bool = True,
) -> Referral:
    """Fetch a referral the user may see, log the read, or raise Http404."""
    qs = queryset if queryset is not None else Referral.objects.all()
    qs = qs.select_related("case", "kelurahan", "agency", "victim", "action")
    try:
        referral = visible_referrals(request.user, qs).get(pk=pk)
    except (Referral.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    referral.user_roles = roles_for(request.user, referral)
    if log:
        log_access(request, f"referral_{action}", case=referral.case, detail=f"referral {pk}")
    return referral
