"""Demo personas of ROLES.md (fictional names) and demo cases. Idempotent: a rerun adds nothing.

Only this command creates them; fixtures hold master data only.
"""

import datetime

from django.core.management import BaseCommand, call_command
from django.db import transaction
from django.test.utils import override_settings

from accounts.models import Agency, Kelurahan, Membership, Role, User

# The documented password of the demo personas (demo data only; bandit B105, ruff S105).
DEMO_PASSWORD = "posko-demo-2026"  # noqa: S105  # nosec B105

# username, first name, last name, role, place code (kelurahan code or agency pk), title, rank, NIP
PERSONAS = [
    ("ws.relawan", "Nurul", "Hidayah", Role.RELAWAN, "WS", "", "", ""),
    ("ws.pendamping", "Andi", "Mappasessu", Role.PENDAMPING, "WS", "", "", ""),
    ("ws.pendamping2", "Siti", "Rahmawati", Role.PENDAMPING, "WS", "", "", ""),
    ("ws.koordinator", "Hasnah", "Lamba", Role.KOORDINATOR, "WS", "", "", ""),
    (
        "ws.kasikesra",
        "Muhammad",
        "Arfah",
        Role.KASI_KESRA,
        "WS",
        "Kasi Kesra",
        "Penata (III/c)",
        "198504122010011007",
    ),
    (
        "ws.lurah",
        "Rosmini",
        "Tahir",
        Role.LURAH,
        "WS",
        "Lurah Watang Soreang",
        "Penata Tingkat I (III/d)",
        "197908232005022003",
    ),
    ("wb.relawan", "Yusuf", "Baso", Role.RELAWAN, "WB", "", "", ""),
    ("wb.pendamping", "Hartini", "Sulaiman", Role.PENDAMPING, "WB", "", "", ""),
    ("wb.pendamping2", "Ilham", "Nawir", Role.PENDAMPING, "WB", "", "", ""),
    ("wb.koordinator", "Marlina", "Daud", Role.KOORDINATOR, "WB", "", "", ""),
    (
        "wb.kasikesra",
        "Abdul",
        "Rauf",
        Role.KASI_KESRA,
        "WB",
        "Kasi Kesra",
        "Penata Muda Tingkat I (III/b)",
        "198811052014031002",
    ),
    (
        "wb.lurah",
        "Fatmawati",
        "Said",
        Role.LURAH,
        "WB",
        "Lurah Watang Bacukiki",
        "Penata Tingkat I (III/d)",
        "198102142006042009",
    ),
    ("dp3a.petugas", "Ratna", "Kadir", Role.PETUGAS, 1, "", "", ""),
    ("uptdppa.petugas", "Irma", "Syamsuddin", Role.PETUGAS, 2, "", "", ""),
    ("dinsos.petugas", "Bahtiar", "Lolo", Role.PETUGAS, 3, "", "", ""),
]


class Command(BaseCommand):
    help = "Create the demo personas (and demo cases when the cases app provides them)."

    def add_arguments(self, parser):
        parser.add_argument("--no-cases", action="store_true", help="Personas only.")

    def handle(self, *args, **opts):
        # Demo work notifies people by e-mail; nobody needs those messages on the console.
        dummy = "django.core.mail.backends.dummy.EmailBackend"
        with override_settings(EMAIL_BACKEND=dummy), transaction.atomic():
            self.seed(**opts)

    def seed(self, **opts):
        if not Kelurahan.objects.filter(code="WS").exists():
            call_command("loaddata", "fixtures/master.json", verbosity=0)
        created = ensure_personas()
        self.stdout.write(f"personas: {created} created, {len(PERSONAS) + 1 - created} existing")
        if not opts["no_cases"]:
            try:
                from ops.demo.cases import seed_cases
            except ImportError:
                return
            n = seed_cases()
            self.stdout.write(f"demo cases: {n} created")
            from ops.demo.referrals import seed_referrals

            self.stdout.write(f"demo referrals: {seed_referrals()} created")


def ensure_personas():
    created = 0
    start = datetime.date(2026, 1, 1)
    for username, first, last, role, place, title, rank, nip in PERSONAS:
        user, new = User.objects.get_or_create(
            username=username, defaults={"first_name": first, "last_name": last}
        )
        if new:
            user.set_password(DEMO_PASSWORD)
            user.email = f"{username}@example.org"
            user.save()
            created += 1
        place_kw = (
            {"kelurahan": Kelurahan.objects.get(code=place)}
            if isinstance(place, str)
            else {"agency": Agency.objects.get(pk=place)}
        )
        Membership.objects.get_or_create(
            user=user,
            role=role,
            **place_kw,
            defaults={"valid_from": start, "title": title, "rank": rank, "nip": nip},
        )
    admin, new = User.objects.get_or_create(
        username="admin",
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
