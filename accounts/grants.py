"""The grant table of ROLES.md, in code: who may give (and end) which membership where, and so
whose password or second factor they may reset. Tested pair by pair (tests/accounts/
test_grants.py). The service that changes memberships (accounts/people_service.py) asks here.

at a kelurahan:
  koordinator   grants relawan, pendamping
  kasi kesra    also koordinator
  lurah         also kasi kesra
  the lurah role itself: only an application admin whose scope covers the kelurahan's kota
at an agency:
  admin instansi  grants the officers (petugas) of their own agency
  the agency admin role: only an application admin whose scope covers the agency's kota
at a kota:
  kota analysts and kota-level role-play facilitators: only an application admin whose scope
  covers the kota
An admin "covers" a kota when their scope is empty (every kota) or is that kota's region code.
Nobody changes their own memberships (nor resets their own password or second factor here):
the callers check that, since it is about the subject, not the role.
"""

from __future__ import annotations

from dataclasses import dataclass

from .models import Agency, Kelurahan, Membership, Role
from .roles import roles_of

# Kelurahan roles -> the kelurahan roles they grant at the same kelurahan.
GRANTS: dict[str, frozenset[str]] = {
    Role.KOORDINATOR: frozenset({Role.RELAWAN, Role.PENDAMPING}),
    Role.KASI_KESRA: frozenset({Role.RELAWAN, Role.PENDAMPING, Role.KOORDINATOR}),
    Role.LURAH: frozenset({Role.RELAWAN, Role.PENDAMPING, Role.KOORDINATOR, Role.KASI_KESRA}),
}
# Agency roles -> the agency roles they grant at the same agency.
AGENCY_GRANTS: dict[str, frozenset[str]] = {
    Role.ADMIN_INSTANSI: frozenset({Role.PETUGAS}),
}
# What an application admin grants at a place of a kota their scope covers, by kind of place.
ADMIN_GRANTS: dict[str, frozenset[str]] = {
    "kelurahan": frozenset({Role.LURAH}),
    "agency": frozenset({Role.ADMIN_INSTANSI}),
    "kota": frozenset({Role.ANALIS_KOTA, Role.FASILITATOR}),
}


@dataclass(frozen=True)
class Place:
    """A kelurahan, an agency or a kota, as the grant table sees it."""

    kind: str  # "kelurahan", "agency" or "kota"
    pk: int | str
    kota_code: str
    is_active: bool = True


def place_of(obj) -> Place:
    """The Place of a Kelurahan, an Agency, a places.Kota, or of a Membership or Invitation."""
    if isinstance(obj, Place):
        return obj
    if hasattr(obj, "kelurahan_id") and hasattr(obj, "role"):
        obj = obj.place
    if isinstance(obj, Kelurahan):
        return Place("kelurahan", obj.pk, obj.kota_code, obj.is_active)
    if isinstance(obj, Agency):
        return Place("agency", obj.pk, obj.kota_code, obj.is_active)
    from places.models import Kota

    if isinstance(obj, Kota):
        return Place("kota", obj.pk, obj.pk)
    raise TypeError(f"not a place: {obj!r}")


def admin_covers(actor, kota_code: str) -> bool:
    """An application admin whose scope is every kota, or this one."""
    return bool(
        actor is not None
        and getattr(actor, "is_authenticated", False)
        and actor.is_active
        and actor.is_lbk_admin
        and (not actor.admin_scope or actor.admin_scope == kota_code)
    )


def grantable(actor, place) -> frozenset[str]:
    """The roles `actor` may give (and end) at `place` today."""
    place = place_of(place)
    if not place.is_active:
        return frozenset()
    roles = roles_of(actor)
    out: set[str] = set()
    if place.kind == "kelurahan":
        for role in roles.at(int(place.pk)):
            out |= GRANTS.get(role, frozenset())
    elif place.kind == "agency":
        for role in roles.by_agency.get(int(place.pk), set()):
            out |= AGENCY_GRANTS.get(role, frozenset())
    if admin_covers(actor, place.kota_code):
        out |= ADMIN_GRANTS[place.kind]
    return frozenset(out)


def can_grant_at(actor, role: str, place) -> bool:
    return role in grantable(actor, place)


def grantable_at(actor, kelurahan_id: int) -> frozenset[str]:
    """The roles `actor` may give at a kelurahan (today)."""
    kel = Kelurahan.objects.filter(pk=kelurahan_id).first()
    return grantable(actor, kel) if kel is not None else frozenset()


def can_grant(actor, role: str, kelurahan_id: int) -> bool:
    return role in grantable_at(actor, kelurahan_id)


def could_grant_all(actor, subject, memberships) -> bool:
    """True when every one of `memberships` (the subject's active ones, places loaded) is one
    `actor` could grant, and there is at least one, and the subject is not an application admin
    and not the actor. No query of its own beyond roles_of(actor) (cached per request)."""
    if actor is None or subject is None or actor.pk == subject.pk or subject.is_lbk_admin:
        return False
    memberships = list(memberships)
    if not memberships:
        return False
    return all(can_grant_at(actor, m.role, m) for m in memberships)


def could_grant_all_roles_of(actor, subject) -> bool:
    """could_grant_all over the subject's memberships in force today."""
    if actor is None or subject is None or actor.pk == subject.pk or subject.is_lbk_admin:
        return False
    memberships = Membership.objects.active().filter(user=subject)
    return could_grant_all(
        actor, subject, memberships.select_related("kelurahan", "agency", "kota")
    )


@dataclass
class Managed:
    """The places where someone may grant something: kelurahan ids, agency ids, kota codes."""

    kelurahan: list[int]
    agencies: list[int]
    kota: list[str]

    def __bool__(self):
        return bool(self.kelurahan or self.agencies or self.kota)


def managed_places(actor) -> Managed:
    roles = roles_of(actor)
    kel = {k for k, rs in roles.by_kelurahan.items() if any(r in GRANTS for r in rs)}
    ag = {a for a, rs in roles.by_agency.items() if any(r in AGENCY_GRANTS for r in rs)}
    kota: set[str] = set()
    if roles.is_admin and actor.is_active:
        from places.models import Kota

        scope = actor.admin_scope
        kels = Kelurahan.objects.filter(is_active=True)
        ags = Agency.objects.filter(is_active=True)
        kotas = Kota.objects.all()
        if scope:
            kels, ags, kotas = (
                kels.filter(kota_code=scope),
                ags.filter(kota_code=scope),
                kotas.filter(pk=scope),
            )
        kel |= set(kels.values_list("pk", flat=True))
        ag |= set(ags.values_list("pk", flat=True))
        kota |= set(kotas.values_list("pk", flat=True))
    return Managed(sorted(kel), sorted(ag), sorted(kota))


def managed_kelurahan(actor) -> list[int]:
    """Kelurahan where `actor` may grant something."""
    return managed_places(actor).kelurahan
