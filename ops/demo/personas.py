"""The demo personas of ROLES.md (fictional names): the one list, used by `seed_demo` and by the
tests (tests/conftest.py). Idempotent: a rerun adds nothing."""

import datetime
from dataclasses import dataclass

from accounts.models import Agency, Kelurahan, Membership, Role, User
from places.models import Kota

# The documented password of the demo personas (demo data only; bandit B105, ruff S105).
DEMO_PASSWORD = "posko-demo-2026"  # noqa: S105  # nosec B105
MEMBER_SINCE = datetime.date(2026, 1, 1)


@dataclass(frozen=True)
class Persona:
    username: str
    first_name: str
    last_name: str
    role: str
    # a kelurahan code ("WS"), a kota region code ("73.72", a kota-level membership), or the pk
    # of an agency of fixtures/master.json
    place: str | int
    title: str = ""  # signature block of kelurahan staff: title, rank, NIP
    rank: str = ""
    nip: str = ""


PERSONAS = (
    Persona("ws.relawan", "Nurul", "Hidayah", Role.RELAWAN, "WS"),
    Persona("ws.pendamping", "Andi", "Mappasessu", Role.PENDAMPING, "WS"),
    Persona("ws.pendamping2", "Siti", "Rahmawati", Role.PENDAMPING, "WS"),
    Persona("ws.koordinator", "Hasnah", "Lamba", Role.KOORDINATOR, "WS"),
    Persona(
        "ws.kasikesra",
        "Muhammad",
        "Arfah",
        Role.KASI_KESRA,
        "WS",
        "Kasi Kesra",
        "Penata (III/c)",
        "198504122010011007",
    ),
    Persona(
        "ws.lurah",
        "Rosmini",
        "Tahir",
        Role.LURAH,
        "WS",
        "Lurah Watang Soreang",
        "Penata Tingkat I (III/d)",
        "197908232005022003",
    ),
    Persona("wb.relawan", "Yusuf", "Baso", Role.RELAWAN, "WB"),
    Persona("wb.pendamping", "Hartini", "Sulaiman", Role.PENDAMPING, "WB"),
    Persona("wb.pendamping2", "Ilham", "Nawir", Role.PENDAMPING, "WB"),
    Persona("wb.koordinator", "Marlina", "Daud", Role.KOORDINATOR, "WB"),
    Persona(
        "wb.kasikesra",
        "Abdul",
        "Rauf",
        Role.KASI_KESRA,
        "WB",
        "Kasi Kesra",
        "Penata Muda Tingkat I (III/b)",
        "198811052014031002",
    ),
    Persona(
        "wb.lurah",
        "Fatmawati",
        "Said",
        Role.LURAH,
        "WB",
        "Lurah Watang Bacukiki",
        "Penata Tingkat I (III/d)",
        "198102142006042009",
    ),
    Persona("dp3a.petugas", "Ratna", "Kadir", Role.PETUGAS, 1),
    Persona("uptdppa.petugas", "Irma", "Syamsuddin", Role.PETUGAS, 2),
    Persona("dinsos.petugas", "Bahtiar", "Lolo", Role.PETUGAS, 3),
    # DP3A's analyst at kota level: aggregates of every kelurahan of Kota Parepare, no case.
    Persona("kota.analis", "Nurhayati", "Pawelloi", Role.ANALIS_KOTA, "73.72"),
)
# The application admin: users and master data, no case content, no membership.
ADMIN = "admin"
USERNAMES = (*(p.username for p in PERSONAS), ADMIN)


def ensure_personas():
    """Create the personas and their memberships that do not exist yet; returns how many users
    were created."""
    created = 0
    for p in PERSONAS:
        user, new = User.objects.get_or_create(
            username=p.username, defaults={"first_name": p.first_name, "last_name": p.last_name}
        )
        if new:
            user.set_password(DEMO_PASSWORD)
            user.email = f"{p.username}@example.org"
            user.save()
            created += 1
        if isinstance(p.place, int):
            place = {"agency": Agency.objects.get(pk=p.place)}
        elif "." in p.place:
            place = {"kota": Kota.objects.get(code=p.place)}
        else:
            place = {"kelurahan": Kelurahan.objects.get(code=p.place)}
        Membership.objects.get_or_create(
            user=user,
            role=p.role,
            **place,
            defaults={"valid_from": MEMBER_SINCE, "title": p.title, "rank": p.rank, "nip": p.nip},
        )
    admin, new = User.objects.get_or_create(
        username=ADMIN,
        defaults={
            "first_name": "Admin",
            "last_name": "Posko",
            "is_staff": True,
            "is_lbk_admin": True,
            "admin_scope": "",
        },
    )
    if new:
        admin.set_password(DEMO_PASSWORD)
        admin.save()
        created += 1
    return created
