"""The people of the data set: the demo personas (ops/demo/personas.py) plus bench users, so that
the number of companions and volunteers grows with the number of cases as it would in a real
kelurahan.

Bench users are ordinary users with memberships, written through the ORM (a few dozen rows, with
their change history) and an unusable password: nobody logs in as them.
"""

import datetime
import math
from dataclasses import dataclass, field

from django.db.models import Q

from accounts.models import Agency, Kelurahan, Membership, Role, User
from ops.demo.personas import ensure_personas

# Cases per person of each role in one kelurahan (at least the demo's two companions).
CASES_PER_PENDAMPING = 5000
CASES_PER_RELAWAN = 8000
BENCH_START = datetime.date(2020, 1, 1)


@dataclass
class Signer:
    user_id: int
    name: str
    title: str
    rank: str
    nip: str
    is_lurah: bool


@dataclass
class Place:
    kelurahan: Kelurahan
    relawan: list = field(default_factory=list)
    pendamping: list = field(default_factory=list)
    koordinator: list = field(default_factory=list)
    staff: list = field(default_factory=list)  # Signer: kasi kesra and lurah

    @property
    def pk(self):
        return self.kelurahan.pk


def _active(role, **place):
    today = datetime.date.today()
    return (
        Membership.objects.filter(role=role, valid_from__lte=today, user__is_active=True, **place)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=today))
        .select_related("user")
        .order_by("user__username")
    )


def _bench_user(username, first, last, role, **place):
    user, new = User.objects.get_or_create(
        username=username, defaults={"first_name": first, "last_name": last}
    )
    if new:
        user.set_unusable_password()
        user.save()
    m, _created = Membership.objects.get_or_create(
        user=user, role=role, **place, defaults={"valid_from": BENCH_START}
    )
    return m


def _ensure(role, want, prefix, **place):
    members = list(_active(role, **place))
    n = len(members)
    while n < want:
        n += 1
        members.append(_bench_user(f"{prefix}{n:02d}", "Bench", f"{role} {n:02d}", role, **place))
    return members


def places_for(cases_per_kelurahan):
    """{kelurahan pk: Place} with enough people for the number of cases of each kelurahan."""
    ensure_personas()
    out = {}
    for kel in Kelurahan.objects.filter(is_active=True).order_by("pk"):
        n = cases_per_kelurahan.get(kel.pk, 0)
        code = kel.code.lower()
        place = {"kelurahan": kel}
        p = Place(kel)
        p.relawan = [
            m.user_id
            for m in _ensure(
                Role.RELAWAN,
                max(1, math.ceil(n / CASES_PER_RELAWAN)),
                f"bench.{code}.relawan",
                **place,
            )
        ]
        p.pendamping = [
            m.user_id
            for m in _ensure(
                Role.PENDAMPING,
                max(2, math.ceil(n / CASES_PER_PENDAMPING)),
                f"bench.{code}.pendamping",
                **place,
            )
        ]
        p.koordinator = [
            m.user_id for m in _ensure(Role.KOORDINATOR, 1, f"bench.{code}.koordinator", **place)
        ]
        for role in (Role.KASI_KESRA, Role.LURAH):
            for m in _ensure(role, 1, f"bench.{code}.{role}", **place):
                p.staff.append(
                    Signer(
                        m.user_id,
                        m.user.get_full_name() or m.user.username,
                        m.title,
                        m.rank,
                        m.nip,
                        role == Role.LURAH,
                    )
                )
        out[kel.pk] = p
    return out


def officers_by_agency():
    """{agency pk: [officer user ids]} for the agencies with users (one bench officer at least)."""
    out = {}
    for agency in Agency.objects.filter(is_active=True, has_users=True).order_by("pk"):
        members = _ensure(Role.PETUGAS, 1, f"bench.agency{agency.pk}.petugas", agency=agency)
        out[agency.pk] = [m.user_id for m in members]
    return out
