"""The grant table of ROLES.md, in code: who may give (and end) which membership, and so whose
password or second factor they may reset. Tested pair by pair (tests/accounts/test_grants.py).

koordinator   grants relawan, pendamping
kasi kesra    also koordinator
lurah         also kasi kesra
the lurah role itself: only an admin whose scope covers the kota (the Django admin for now)
Nobody changes their own memberships (nor resets their own password or second factor here).
"""

from __future__ import annotations

from .models import Membership, Role
from .roles import roles_of

GRANTS: dict[str, frozenset[str]] = {
    Role.KOORDINATOR: frozenset({Role.RELAWAN, Role.PENDAMPING}),
    Role.KASI_KESRA: frozenset({Role.RELAWAN, Role.PENDAMPING, Role.KOORDINATOR}),
    Role.LURAH: frozenset({Role.RELAWAN, Role.PENDAMPING, Role.KOORDINATOR, Role.KASI_KESRA}),
}


def grantable_at(actor, kelurahan_id: int) -> frozenset[str]:
    """The roles `actor` may give at a kelurahan (today)."""
    out: set[str] = set()
    for role in roles_of(actor).at(kelurahan_id):
        out |= GRANTS.get(role, frozenset())
    return frozenset(out)


def can_grant(actor, role: str, kelurahan_id: int) -> bool:
    return role in grantable_at(actor, kelurahan_id)


def could_grant_all_roles_of(actor, subject) -> bool:
    """True when every membership `subject` holds today is one `actor` could grant, and there is
    at least one, and the subject is not an application admin and not the actor."""
    if actor is None or subject is None or actor.pk == subject.pk or subject.is_lbk_admin:
        return False
    memberships = list(Membership.objects.active().filter(user=subject))
    if not memberships:
        return False
    for m in memberships:
        if m.kelurahan_id is None or not can_grant(actor, m.role, m.kelurahan_id):
            return False
    return True


def managed_kelurahan(actor) -> list[int]:
    """Kelurahan where `actor` may grant something."""
    roles = roles_of(actor)
    return [k for k, rs in roles.by_kelurahan.items() if any(r in GRANTS for r in rs)]
