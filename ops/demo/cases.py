"""Demo cases: about 40 fictional complaints over both pilot kelurahan (`manage.py seed_demo`),
some of them moved along the procedure so that the demo shows cases in every state, tasks and a
dashboard.

Every name is invented (Bugis/Makassar style); no real person or official. Registered through the
intake service and moved through the engine (story.py), so numbers, timeline and duplicate checks
are as in real use. Idempotent: each demo case has a fixed intake token, so a second run finds
them and adds nothing; only cases still in "received" that were never assigned are moved.
"""

import datetime
import random
import uuid

from django.db import transaction
from django.utils import timezone

from accounts.models import Kelurahan, User
from cases import vocab
from cases.models import Case
from cases.services.intake import case_register
from cases.workflow import TransitionRefused

from .story import Crew, Work, walk_case

NAMESPACE = uuid.UUID("6f1f3c1e-2b7a-4c61-9a55-0d3c5e7a2026")
N_CASES = 40

FEMALE = [
    "Besse",
    "Sitti",
    "Nurhayati",
    "Rahmawati",
    "Hasriani",
    "Fitriani",
    "Ayu",
    "Zaskia",
    "Nurul",
    "Kasmawati",
    "Indo",
    "Hadijah",
    "Mardiana",
    "Sumarni",
    "Rosdiana",
]
MALE = ["Baso", "Fadli", "Ilham", "Syamsul", "Haerul", "Rizal", "Alif", "Akbar", "Mansyur", "Amir"]
FAMILY = [
    "Pawelloi",
    "Tammu",
    "Sangkala",
    "Lallo",
    "Massalle",
    "Tenriola",
    "Rahim",
    "Lawa",
    "Bakri",
    "Sompa",
    "Mappile",
    "Pabeta",
    "Kanna",
    "Rapi",
    "Tobo",
]
NARRATIVES_CHILD = [
    "Tetangga mendengar teriakan dan tangisan anak-anak hampir setiap malam dari rumah korban.",
    "Guru melaporkan murid yang sering tidak masuk sekolah dan tampak ketakutan saat dijemput.",
    "Ketua RT melaporkan seorang anak yang ditinggal sendirian berhari-hari tanpa makanan.",
    "Keluarga melaporkan anak perempuan yang akan dinikahkan tanpa persetujuannya.",
]
NARRATIVES_ADULT = [
    "Korban datang sendiri ke posko dengan memar di lengan; mengaku dipukul setelah bertengkar.",
    "Korban menerima pesan berisi ancaman dan foto pribadi yang disebarkan tanpa izin.",
    "Korban dipaksa bekerja tanpa upah dan dilarang keluar rumah oleh majikan.",
    "Korban diusir dari rumah dan tidak diberi nafkah selama berbulan-bulan.",
]
NARRATIVES_SOCIAL = [
    "Lansia tinggal sendiri, tidak lagi menerima bantuan Program Sembako sejak awal tahun.",
    "Keluarga belum memiliki KK dan akta kelahiran anak sehingga tidak dapat mendaftar sekolah.",
    "Penyandang disabilitas membutuhkan kursi roda; belum terdaftar di DTSEN.",
    "Anak putus sekolah untuk membantu orang tua berjualan di pasar.",
    "Rumah keluarga rusak karena banjir; belum mendapat bantuan.",
]


def _name(rng, sex):
    first = rng.choice(FEMALE if sex == "F" else MALE)
    return f"{first} {rng.choice(FAMILY)}"


def _victim(rng, *, child, disability=False):
    sex = rng.choice(["F", "F", "M"])
    age = rng.randint(3, 17) if child else rng.choice([rng.randint(19, 45), rng.randint(60, 82)])
    v = {
        "full_name": _name(rng, sex),
        "sex": sex,
        "estimated_age": age,
        "rt": f"00{rng.randint(1, 6)}",
        "rw": f"00{rng.randint(1, 4)}",
        "vulnerable_groups": [],
        "dtsen_status": rng.choice(["yes", "no", "unknown"]),
    }
    if rng.random() < 0.4:
        # Fictional NIK of the Parepare region code, made unique by the sequence.
        v["nik"] = f"737201{rng.randint(10**9, 10**10 - 1)}"
    if v["dtsen_status"] == "yes":
        v["dtsen_decile"] = rng.randint(1, 4)
        v["assistance"] = rng.sample(["pkh", "sembako", "pbi_jk"], rng.randint(0, 2))
    if child:
        v["vulnerable_groups"].append("child")
    elif sex == "F":
        v["vulnerable_groups"].append("woman")
    if age >= 60:
        v["vulnerable_groups"].append("elderly")
    if disability:
        v["disability_types"] = rng.sample(["physical", "intellectual", "mental", "sensory"], 1)
        v["vulnerable_groups"].append("disabled")
        v["accommodations"] = rng.sample(
            ["sign_language", "accessible_place", "easy_read", "trusted_companion"], 1
        )
        if not child:
            v["wg_walking"] = rng.choice(["3", "4"])
            v["wg_seeing"] = "1"
            v["wg_hearing"] = rng.choice(["1", "2"])
    return v


def _case(rng, i):
    social = i % 5 == 4
    both = i % 10 == 9
    child = rng.random() < 0.55
    n_victims = 2 if i % 6 == 0 else 1
    victims = [
        _victim(rng, child=child, disability=(i % 4 == 1 and k == 0)) for k in range(n_victims)
    ]
    received = timezone.now() - datetime.timedelta(
        days=rng.randint(0, 120), hours=rng.randint(0, 9)
    )
    data = {
        "is_violence": not social or both,
        "is_social_protection": social or both,
        "channel": rng.choice(["walk_in", "phone", "outreach", "community", "referral_in"]),
        "received_at": received,
        "incident_date": (received - datetime.timedelta(days=rng.randint(0, 30))).date(),
        "incident_date_approximate": rng.random() < 0.3,
        "incident_rt": victims[0]["rt"],
        "incident_rw": victims[0]["rw"],
        "reporter_is_victim": not child and rng.random() < 0.5,
        "reporter_anonymous": False,
        "reporter_wants_feedback": rng.random() < 0.5,
    }
    perps, links = [], []
    if data["is_violence"]:
        kinds = rng.sample(["physical", "psychological", "sexual", "neglect", "exploitation"], 2)
        data.update(
            violence_types=kinds,
            incident_place=rng.choice(["household", "household", "school", "public", "workplace"]),
            narrative=rng.choice(NARRATIVES_CHILD if child else NARRATIVES_ADULT),
            danger_now=rng.random() < 0.15,
            injured_needs_care=rng.random() < 0.1,
            incident_online=rng.random() < 0.1,
        )
        if "sexual" in kinds:
            data["tpks_types"] = ["child_sexual"] if child else ["physical_harassment"]
            data["gbv_answers"] = {"rape": "no", "sexual_assault": "yes"}
            data["gbv_type"] = "sexual_assault"
        elif "physical" in kinds:
            data["gbv_answers"] = {"rape": "no", "sexual_assault": "no", "physical_assault": "yes"}
            data["gbv_type"] = "physical_assault"
        if rng.random() < 0.8:
            relation = rng.choice(
                ["step_parent", "parent", "family", "neighbour", "teacher"]
                if child
                else ["spouse", "ex_spouse", "partner", "employer", "stranger"]
            )
            perp_sex = "M" if rng.random() < 0.85 else "F"
            perps.append(
                {
                    "name": _name(rng, perp_sex) if relation != "stranger" else "",
                    "sex": perp_sex,
                    "age": rng.randint(25, 60),
                    "age_band": "",
                    "is_child": False,
                }
            )
            perps[0]["age_band"] = "25-44" if perps[0]["age"] <= 44 else "45-59"
            together = relation in ("step_parent", "parent", "spouse", "family")
            links = [(0, k, relation, together) for k in range(n_victims)]
    if data["is_social_protection"]:
        data["social_problems"] = rng.sample(
            ["not_in_dtsen", "aid_stopped", "no_documents", "neglected_elderly", "out_of_school"], 2
        )
        if not data["is_violence"]:
            data["narrative"] = rng.choice(NARRATIVES_SOCIAL[1:4:2] if child else NARRATIVES_SOCIAL)
    if not data["reporter_is_victim"]:
        anonymous = rng.random() < 0.3
        data.update(
            reporter_anonymous=anonymous,
            reporter_name="" if anonymous else _name(rng, rng.choice(["F", "M"])),
            reporter_relation=rng.choice(["family", "neighbour", "rt_rw", "teacher"]),
            reporter_contact="" if anonymous else f"08{rng.randint(10**9, 10**10 - 1)}",
        )
    return data, victims, perps, links


@transaction.atomic
def seed_cases():
    """Register the demo cases that do not exist yet; returns how many were created."""
    # Seeded for reproducible demo data; not used for anything secret (bandit B311).
    rng = random.Random(2026)  # noqa: S311  # nosec B311
    places = {k.code: k for k in Kelurahan.objects.filter(code__in=["WS", "WB"])}
    users = {u.username: u for u in User.objects.filter(username__endswith=".relawan")} | {
        u.username: u for u in User.objects.filter(username__endswith=".koordinator")
    }
    if len(places) < 2 or not users:
        return 0
    created = 0
    for i in range(N_CASES):
        code = "WS" if i % 2 == 0 else "WB"
        actor = users.get(f"{code.lower()}.{'koordinator' if i % 7 == 3 else 'relawan'}")
        data, victims, perps, links = _case(rng, i)
        result = case_register(
            kelurahan=places[code],
            actor=actor,
            case_data=data,
            victims=victims,
            perpetrators=perps,
            links=links,
            token=uuid.uuid5(NAMESPACE, f"demo-{i}"),
            is_roleplay=i in (5, 18, 33),
        )
        created += result.created
    advance_demo_cases()
    make_one_clock_due_soon()
    return created


# Position of a case among its kelurahan's real demo cases (by number) -> state to reach.
PLAN = {
    1: vocab.Status.ASSESSMENT,
    2: vocab.Status.HANDLING,
    3: vocab.Status.MONITORING,
    4: vocab.Status.CLOSURE_REQUESTED,
    5: vocab.Status.CLOSED,
    6: vocab.Status.ASSESSMENT,
    7: vocab.Status.NOT_PURSUED,
}
# What the demo companions record on the way.
DEMO_WORK = Work(
    first_contact="home_visit",
    answers={"perpetrator_access": True},
    needs=("psychosocial",),
    service_type=vocab.ServiceType.ACCOMPANIMENT,
    target_days=None,
    guardian="Orang tua/wali (demo)",
    child_view="Anak setuju didampingi.",
    supporter="Pendukung (demo)",
    visit="Kunjungan rumah (demo).",
)


def demo_crew(code, users):
    """The coordinator, first companion and kasi kesra of the kelurahan (None when missing)."""
    koor, pend, kasi = (
        users.get(f"{code}.{n}") for n in ("koordinator", "pendamping", "kasikesra")
    )
    if None in (koor, pend, kasi):
        return None
    return Crew(coordinator=koor, companion=pend, closer=kasi)


# The demo case whose assignment is due soon (4 hours after seeding), so that `make run` shows
# a deadline reminder (in the app, and by e-mail on the console) without anyone opening a page.
DUE_SOON_POSITION = 8
DUE_SOON_HOURS = 20  # its assignment clock started this long ago (24-hour deadline)


def make_one_clock_due_soon():
    """Move the assignment clock of one waiting demo case back, as if the complaint had been
    registered DUE_SOON_HOURS ago: the case's state change and its clock row together (the rule
    and the row agree). Only a case just registered and not reminded yet; returns it or None."""
    from cases.models import ClockRun

    now = timezone.now()
    cases = Case.objects.filter(kelurahan__code="WS", is_roleplay=False).order_by("seq")
    case = cases[DUE_SOON_POSITION - 1 : DUE_SOON_POSITION].first()
    if case is None or case.status != vocab.Status.RECEIVED:
        return None
    run = ClockRun.objects.running().filter(case=case, key="assign").first()
    if run is None or run.reminded_at or run.started_at < now - datetime.timedelta(hours=1):
        return None
    start = now - datetime.timedelta(hours=DUE_SOON_HOURS)
    Case.objects.filter(pk=case.pk).update(status_changed_at=start)
    ClockRun.objects.filter(pk=run.pk).update(
        started_at=start, due_at=start + datetime.timedelta(hours=run.hours)
    )
    return case


@transaction.atomic
def advance_demo_cases():
    """Move the planned demo cases along the procedure; returns how many were moved."""
    users = {u.username: u for u in User.objects.filter(username__regex=r"^w[sb]\.")}
    moved = 0
    for code in ("ws", "wb"):
        crew = demo_crew(code, users)
        if crew is None:
            continue
        cases = list(
            Case.objects.filter(kelurahan__code=code.upper(), is_roleplay=False).order_by("seq")
        )
        for pos, case in enumerate(cases, 1):
            target = PLAN.get(pos)
            if target is None or case.status != vocab.Status.RECEIVED or case.ever_assigned:
                continue
            try:
                with transaction.atomic():
                    walk_case(case, target, crew, DEMO_WORK)
                moved += 1
            except TransitionRefused:
                continue  # a demo case the procedure does not let through stays where it is
    return moved
