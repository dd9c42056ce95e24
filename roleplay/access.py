"""Who may run and read role-play sessions: the one place every session view asks.

ROLES.md: the coordinator (and the kelurahan staff) or a facilitator of the kelurahan creates
and runs sessions of that kelurahan, and a facilitator at kota level (a trainer of several
kelurahan) those of every kelurahan of the kota; participants see their running session's page
and its simulation lists. Anyone else gets 404.
"""

from __future__ import annotations

from django.http import Http404

from accounts.models import KELURAHAN_WIDE_ROLES, Kelurahan, Role
from accounts.roles import roles_of

from .models import Participant, Session

RUNNERS = KELURAHAN_WIDE_ROLES | {Role.FASILITATOR}


def _kota_codes(user) -> list[str]:
    """The kota where the user is a facilitator at kota level."""
    return [k for k, rs in roles_of(user).by_kota.items() if Role.FASILITATOR in rs]


def places(user) -> list[int]:
    own = set(roles_of(user).kelurahan_with(*RUNNERS))
    kotas = _kota_codes(user)
    if kotas:
        own |= set(
            Kelurahan.objects.filter(kota_code__in=kotas, is_active=True).values_list(
                "pk", flat=True
            )
        )
    return sorted(own)


def can_run(user, kelurahan_id: int) -> bool:
    if roles_of(user).at(kelurahan_id) & RUNNERS:
        return True
    kotas = _kota_codes(user)
    return bool(kotas) and Kelurahan.objects.filter(pk=kelurahan_id, kota_code__in=kotas).exists()


def runs(user, session: Session) -> bool:
    """The facilitator of the session, or who runs sessions at its kelurahan."""
    return session.facilitator_id == user.pk or can_run(user, session.kelurahan_id)


def takes_part(user, session: Session) -> bool:
    return (
        session.state == Session.State.RUNNING
        and Participant.objects.filter(session=session, user_id=user.pk).exists()
    )


def session_or_404(user, pk, *, run: bool = False) -> Session:
    session = (
        Session.objects.filter(pk=pk).select_related("kelurahan", "version", "facilitator").first()
    )
    if session is None:
        raise Http404
    may_run = runs(user, session)
    if may_run or (not run and takes_part(user, session)):
        session.may_run = may_run
        return session
    raise Http404
