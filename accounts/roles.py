"""What roles a user holds today, computed once per request and cached on the user object.

Every permission check of the app starts from here (cases/access.py, referrals/access.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeAlias

from .models import STAFF_ROLES, Role

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from .models import User

# Whoever a request carries: a logged-in user or the anonymous visitor.
RequestUser: TypeAlias = "User | AnonymousUser"


@dataclass
class UserRoles:
    # kelurahan id -> set of roles held there today
    by_kelurahan: dict[int, set[str]] = field(default_factory=dict)
    # agency id -> set of roles held there today
    by_agency: dict[int, set[str]] = field(default_factory=dict)
    kelurahan_names: dict[int, str] = field(default_factory=dict)
    agency_names: dict[int, str] = field(default_factory=dict)
    # kota region code -> set of roles held there today (the kota analyst: aggregates only)
    by_kota: dict[str, set[str]] = field(default_factory=dict)
    kota_names: dict[str, str] = field(default_factory=dict)
    # The time zones (IANA names) of the places held: a kelurahan's own, an agency's or a kota's
    # by its province (places.loader.zone_of).
    zones: set[str] = field(default_factory=set)
    is_admin: bool = False
    user_id: int | None = None
    # Any membership in force today, whether or not its place is active (the second factor is
    # asked of everyone who holds one).
    has_memberships: bool = False
    # Session roles (roleplay app), read on first use: the sessions the user takes part in or
    # leads (one query), then {case id: roles} and {case id: agency ids played} for the SIM
    # cases of those sessions.
    _involvement: Any = None
    _sim: tuple[dict[int, set[str]], dict[int, set[int]]] | None = None

    @property
    def time_zone(self) -> str | None:
        """The one zone of every place held, or None (none held, or places in several zones)."""
        return next(iter(self.zones)) if len(self.zones) == 1 else None

    def at(self, kelurahan_id: int) -> set[str]:
        return self.by_kelurahan.get(kelurahan_id, set())

    @property
    def involvement(self) -> Any:
        """roleplay.roles.Involvement: the running sessions the user plays in, and the ones
        they lead (read once per request)."""
        if self._involvement is None:
            from roleplay.roles import involvement

            self._involvement = involvement(self.user_id)
        return self._involvement

    def _sim_rows(self) -> tuple[dict[int, set[str]], dict[int, set[int]]]:
        if self._sim is None:
            from roleplay.roles import session_roles

            self._sim = session_roles(self.involvement)
        return self._sim

    @property
    def sim_cases(self) -> dict[int, set[str]]:
        """{SIM case id: the session roles held on it} (running sessions only)."""
        return self._sim_rows()[0]

    def sim_agencies(self, case_id: int) -> set[int]:
        """The agencies the user plays (as an agency officer) on a SIM case."""
        return self._sim_rows()[1].get(case_id, set())

    def on(self, case: Any) -> set[str]:
        """The roles held on one case: the kelurahan roles for a real case (or a SIM case made
        outside any session), the session roles for a case of a role-play session."""
        if getattr(case, "roleplay_session_id", None):
            return self.sim_cases.get(case.pk, set())
        return self.at(case.kelurahan_id)

    def kelurahan_with(self, *roles: str) -> list[int]:
        wanted = set(roles)
        return [k for k, rs in self.by_kelurahan.items() if rs & wanted]

    @property
    def all_roles(self) -> set[str]:
        out: set[str] = set()
        for rs in self.by_kelurahan.values():
            out |= rs
        for rs in self.by_agency.values():
            out |= rs
        for rs in self.by_kota.values():
            out |= rs
        return out

    def is_staff_at(self, kelurahan_id: int) -> bool:
        return bool(self.at(kelurahan_id) & STAFF_ROLES)

    @property
    def kota_codes(self) -> list[str]:
        """The kota whose aggregates the user reads as a kota analyst."""
        return [k for k, rs in self.by_kota.items() if Role.ANALIS_KOTA in rs]

    @property
    def agency_ids(self) -> list[int]:
        return [a for a, rs in self.by_agency.items() if Role.PETUGAS in rs]


def roles_of(user: RequestUser | None) -> UserRoles:
    if user is None or not user.is_authenticated or not user.is_active:
        return UserRoles()
    cached: UserRoles | None = getattr(user, "_lbk_roles", None)
    if cached is not None:
        return cached
    from places.loader import PROVINCE_ZONES

    roles = UserRoles(is_admin=user.is_lbk_admin, user_id=user.pk)
    for m in user.active_memberships():
        roles.has_memberships = True
        if m.kelurahan_id and m.kelurahan.is_active:
            roles.by_kelurahan.setdefault(m.kelurahan_id, set()).add(m.role)
            roles.kelurahan_names[m.kelurahan_id] = m.kelurahan.name
            roles.zones.add(m.kelurahan.time_zone)
        elif m.agency_id and m.agency.is_active:
            roles.by_agency.setdefault(m.agency_id, set()).add(m.role)
            roles.agency_names[m.agency_id] = m.agency.name
            if m.agency.kota_code[:2] in PROVINCE_ZONES:
                roles.zones.add(PROVINCE_ZONES[m.agency.kota_code[:2]])
        elif m.kota_id:
            roles.by_kota.setdefault(m.kota_id, set()).add(m.role)
            roles.kota_names[m.kota_id] = str(m.kota)
            if m.kota_id[:2] in PROVINCE_ZONES:
                roles.zones.add(PROVINCE_ZONES[m.kota_id[:2]])
    user._lbk_roles = roles
    return roles
