"""The session roles of a user: the one query accounts.roles.UserRoles reads them with."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from accounts.models import KELURAHAN_WIDE_ROLES, Role
from lbk.sql import Prepared


@dataclass(frozen=True)
class Involvement:
    """What a user takes part in: {running session id: session roles}, {running session id:
    agencies played}, and the sessions they lead (running or ended). Read once per request
    (accounts.roles.UserRoles.involvement): the lists below and the visibility rules are built
    from these ids, so a user in no session pays no subquery in any list (issue 12)."""

    roles: dict[int, frozenset[str]]
    agencies: dict[int, frozenset[int]]
    led: frozenset[int]

    def __bool__(self) -> bool:
        return bool(self.roles or self.led)

    def sessions_with(self, wanted) -> list[int]:
        return sorted(s for s, held in self.roles.items() if held & set(wanted))


NOTHING = Involvement({}, {}, frozenset())
_LED = "__led__"


def _involvement_query(ids):
    from django.db.models import CharField, IntegerField, Value

    from .models import Participant, Session

    user_id = ids[0]
    return (
        Participant.objects.filter(user_id=user_id, session__state=Session.State.RUNNING)
        .values("session_id", "role", "agency_id")
        .order_by()
        .union(
            Session.objects.filter(facilitator_id=user_id)
            .exclude(state=Session.State.PLANNED)
            .annotate(r=Value(_LED, output_field=CharField()))
            .annotate(a=Value(None, output_field=IntegerField()))
            .values("pk", "r", "a")
            .order_by(),
            all=True,
        )
    )


_INVOLVEMENT = Prepared(_involvement_query)


def involvement(user_id: int | None) -> Involvement:
    """The user's running participations and led sessions, in one query (compiled once)."""
    if not user_id:
        return NOTHING
    roles: dict[int, set[str]] = {}
    agencies: dict[int, set[int]] = {}
    led: set[int] = set()
    for row in _INVOLVEMENT.rows([user_id]):
        session_id, role, agency_id = row["session_id"], row["role"], row["agency_id"]
        if role == _LED:
            led.add(session_id)
            continue
        roles.setdefault(session_id, set()).add(role)
        if agency_id:
            agencies.setdefault(session_id, set()).add(agency_id)
    if not roles and not led:
        return NOTHING
    return Involvement(
        {k: frozenset(v) for k, v in roles.items()},
        {k: frozenset(v) for k, v in agencies.items()},
        frozenset(led),
    )


def session_roles(inv: Involvement) -> tuple[dict[int, set[str]], dict[int, set[int]]]:
    """({case id: roles}, {case id: agency ids}) over the SIM cases of the running sessions the
    user takes part in; the facilitator of a running or ended session reads its cases (role
    FASILITATOR). A session that ended gives its participants nothing any more."""
    from cases.models import Case

    roles: dict[int, set[str]] = {}
    agencies: dict[int, set[int]] = {}
    wanted = set(inv.roles) | inv.led
    if not wanted:
        return roles, agencies
    for case_id, session_id in Case.objects.filter(roleplay_session_id__in=wanted).values_list(
        "pk", "roleplay_session_id"
    ):
        held = roles.setdefault(case_id, set())
        if session_id in inv.led:
            held.add(Role.FASILITATOR)
        held |= inv.roles.get(session_id, frozenset())
        if session_id in inv.agencies:
            agencies.setdefault(case_id, set()).update(inv.agencies[session_id])
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


def case_q(roles, *, intake: bool, prefix: str = "") -> Q | None:
    """The cases of role-play sessions the user reaches by session role, by the same rule as a
    membership (the facilitator reads them all), from the ids of their involvement: None when
    they take part in no session (no condition at all to add)."""
    inv = roles.involvement
    if not inv:
        return None
    p = prefix
    q = Q(pk__in=[])
    wide = sorted(set(inv.sessions_with(KELURAHAN_WIDE_ROLES)) | inv.led)
    if wide:
        q |= Q(**{f"{p}roleplay_session__in": wide})
    companion = inv.sessions_with([Role.PENDAMPING])
    if companion:
        q |= Q(**{f"{p}roleplay_session__in": companion, f"{p}companion_id": roles.user_id})
    if intake:
        registered = inv.sessions_with([Role.RELAWAN, Role.PENDAMPING])
        if registered:
            q |= Q(
                **{f"{p}roleplay_session__in": registered, f"{p}registered_by_id": roles.user_id}
            )
    return q


def agency_q(roles) -> Q | None:
    """The sent referrals of running sessions to the agencies the user plays (None: none)."""
    inv = roles.involvement
    played = [
        (session_id, sorted(inv.agencies.get(session_id, ())))
        for session_id in inv.sessions_with([Role.PETUGAS])
    ]
    played = [(s, a) for s, a in played if a]
    if not played:
        return None
    q = Q(pk__in=[])
    for session_id, agency_ids in played:
        q |= Q(case__roleplay_session=session_id, agency_id__in=agency_ids)
    return q & Q(sent_at__isnull=False, case__roleplay_session__isnull=False)
