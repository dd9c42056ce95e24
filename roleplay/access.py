"""Who may run and read role-play sessions: the one place every session view asks.

ROLES.md: the coordinator (and the kelurahan staff) or a facilitator of the kelurahan creates
and runs sessions of that kelurahan; participants see their running session's page and its
simulation lists. Anyone else gets 404.
"""

from __future__ import annotations

from django.http import Http404

from accounts.models import KELURAHAN_WIDE_ROLES, Role
from accounts.roles import roles_of

from .models import Participant, Session

RUNNERS = KELURAHAN_WIDE_ROLES | {Role.FASILITATOR}


def places(user) -> list[int]:
    return roles_of(user).kelurahan_with(*RUNNERS)


def can_run(user, kelurahan_id: int) -> bool:
    return bool(roles_of(user).at(kelurahan_id) & RUNNERS)


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
    if runs(user, session) or (not run and takes_part(user, session)):
        session.may_run = runs(user, session)
        return session
    raise Http404
