"""The session roles of a user: the one query accounts.roles.UserRoles reads them with."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q

from accounts.models import KELURAHAN_WIDE_ROLES, Role


def session_roles(user_id: int) -> tuple[dict[int, set[str]], dict[int, set[int]]]:
    """({case id: roles}, {case id: agency ids}) over the SIM cases of the running sessions the
    user takes part in; the facilitator of a running or ended session reads its cases (role
    FASILITATOR). A session that ended gives its participants nothing any more."""
    from cases.models import Case

    from .models import Participant, Session

    roles: dict[int, set[str]] = {}
    agencies: dict[int, set[int]] = {}
    rows = Participant.objects.filter(
        user_id=user_id, session__state=Session.State.RUNNING
    ).values_list("session_id", "role", "agency_id")
    by_session: dict[int, list[tuple[str, int | None]]] = {}
    for session_id, role, agency_id in rows:
        by_session.setdefault(session_id, []).append((role, agency_id))
    led = set(
        Session.objects.filter(facilitator_id=user_id)
        .exclude(state=Session.State.PLANNED)
        .values_list("pk", flat=True)
    )
    wanted = set(by_session) | led
    if not wanted:
        return roles, agencies
    for case_id, session_id in Case.objects.filter(roleplay_session_id__in=wanted).values_list(
        "pk", "roleplay_session_id"
    ):
        held = roles.setdefault(case_id, set())
        if session_id in led:
            held.add(Role.FASILITATOR)
        for role, agency_id in by_session.get(session_id, ()):
            held.add(role)
            if agency_id:
                agencies.setdefault(case_id, set()).add(agency_id)
    return roles, agencies


def members(roles, *, case, agency_id: int | None = None):
    """Who holds one of `roles` for a case: the kelurahan's (or agency's) active members for a
    real case, the session's participants in those session roles for a case of a session (the
    people told about a step and reminded of a deadline)."""
    from accounts.models import User, active_members

    from .models import Participant

    session_id = getattr(case, "roleplay_session_id", None)
    if not session_id:
        if agency_id is not None:
            return active_members(roles, agency_id=agency_id)
        return active_members(roles, kelurahan_id=case.kelurahan_id)
    rows = Participant.objects.filter(
        session_id=session_id, session__state="running", role__in=list(roles)
    )
    if agency_id is not None:
        rows = rows.filter(agency_id=agency_id)
    return User.objects.filter(pk__in=rows.values("user_id"), is_active=True)


def _sessions(user_id: int, roles) -> Any:
    from .models import Participant

    return Participant.objects.filter(
        user_id=user_id, session__state="running", role__in=list(roles)
    ).values("session_id")


def _led(user_id: int) -> Any:
    from .models import Session

    return (
        Session.objects.filter(facilitator_id=user_id)
        .exclude(state=Session.State.PLANNED)
        .values("pk")
    )


def case_q(user_id: int | None, *, intake: bool, prefix: str = "") -> Q:
    """The cases of role-play sessions the user reaches by session role, by the same rule as a
    membership (the facilitator reads them all), as SQL subqueries: no query of its own."""
    if not user_id:
        return Q(pk__in=[])
    p = prefix
    wide = KELURAHAN_WIDE_ROLES
    q = Q(**{f"{p}roleplay_session__in": _sessions(user_id, wide)})
    q |= Q(**{f"{p}roleplay_session__in": _led(user_id)})
    q |= Q(
        **{
            f"{p}roleplay_session__in": _sessions(user_id, [Role.PENDAMPING]),
            f"{p}companion_id": user_id,
        }
    )
    if intake:
        q |= Q(
            **{
                f"{p}roleplay_session__in": _sessions(user_id, [Role.RELAWAN, Role.PENDAMPING]),
                f"{p}registered_by_id": user_id,
            }
        )
    return q


def agency_q(user_id: int | None) -> Q:
    """The sent referrals of running sessions to the agencies the user plays."""
    from .models import Participant

    if not user_id:
        return Q(pk__in=[])
    played = Participant.objects.filter(
        user_id=user_id,
        session__state="running",
        role=Role.PETUGAS,
        session_id=OuterRef("case__roleplay_session_id"),
        agency_id=OuterRef("agency_id"),
    )
    return Q(Exists(played), sent_at__isnull=False, case__roleplay_session__isnull=False)
