"""What a posko volunteer types at intake, invented at random (fictional Bugis/Makassar names).

The three search terms of the benchmark are guaranteed by the generator (generate.py): one full
name borne by exactly one victim, one first name borne by at least 1% of victims, and a 3-letter
fragment found in many names. No name of the pools contains the parts of the unique full name.
"""

import datetime

from cases import vocab

SEARCH_FULL_NAME = "Besse Tenriabeng Pallawarukka"
SEARCH_FIRST_NAME = "Nurhayati"
SEARCH_FRAGMENT = "ati"
# Share of victims given SEARCH_FIRST_NAME on top of the random draw (so >= 1% at any size).
FIRST_NAME_SHARE = 0.015

FEMALE = (
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
    "Hasnawati",
    "Jumriah",
    "Nurjannah",
    "Salmiah",
    "Rukmini",
    "Andi",
    "Masita",
    "Hariani",
    "Suriani",
    "Nurmala",
    "Darmawati",
    "Rismawati",
    "Hamsinah",
    "Sukmawati",
    "Irmawati",
    "Marlina",
    "Aisyah",
    "Fatimah",
    "Halimah",
    "Nurlela",
    "Syamsiah",
    "Wahida",
    "Asriani",
    "Rahmatia",
    "Musdalifah",
)
MALE = (
    "Baso",
    "Fadli",
    "Ilham",
    "Syamsul",
    "Haerul",
    "Rizal",
    "Alif",
    "Akbar",
    "Mansyur",
    "Amir",
    "Ahmad",
    "Muhammad",
    "Arman",
    "Darwis",
    "Hamzah",
    "Jufri",
    "Kamaruddin",
    "Lukman",
    "Nasrun",
    "Rahman",
    "Saharuddin",
    "Tamrin",
    "Usman",
    "Wahyu",
    "Yusran",
    "Zainal",
    "Anwar",
    "Burhan",
    "Idris",
    "Jamaluddin",
)
FAMILY = (
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
    "Daeng",
    "Makkulau",
    "Paturusi",
    "Baharuddin",
    "Lamba",
    "Mappasessu",
    "Tahir",
    "Sulaiman",
    "Nawir",
    "Daud",
    "Rauf",
    "Said",
    "Kadir",
    "Syamsuddin",
    "Lolo",
    "Palallo",
    "Mattola",
    "Pananrang",
    "Beddu",
    "Sennang",
    "Pallawa",
    "Massora",
    "Tajang",
    "Umar",
    "Hasan",
    "Latif",
    "Ramli",
    "Halim",
    "Salam",
    "Jafar",
    "Amin",
    "Nur",
    "Basri",
    "Sultan",
    "Arsyad",
    "Rasyid",
    "Majid",
    "Mustafa",
    "Hakim",
    "Gani",
    "Tang",
    "Sila",
    "Upe",
    "Kube",
)
STREETS = (
    "Jl. Bau Massepe",
    "Jl. Sultan Hasanuddin",
    "Jl. Andi Makkasau",
    "Jl. Jenderal Sudirman",
    "Jl. Lahalede",
    "Jl. Mattirotasi",
    "Jl. Bambu Runcing",
    "Jl. Pinggir Laut",
    "Jl. Lasinrang",
    "Jl. Abu Bakar",
)
OCCUPATIONS = ("Ibu rumah tangga", "Pelajar", "Pedagang", "Buruh", "Nelayan", "Petani", "Honorer")
NARRATIVES_CHILD = (
    "Tetangga mendengar teriakan dan tangisan anak-anak hampir setiap malam dari rumah korban.",
    "Guru melaporkan murid yang sering tidak masuk sekolah dan tampak ketakutan saat dijemput.",
    "Ketua RT melaporkan seorang anak yang ditinggal sendirian berhari-hari tanpa makanan.",
    "Keluarga melaporkan anak perempuan yang akan dinikahkan tanpa persetujuannya.",
)
NARRATIVES_ADULT = (
    "Korban datang sendiri ke posko dengan memar di lengan; mengaku dipukul setelah bertengkar.",
    "Korban menerima pesan berisi ancaman dan foto pribadi yang disebarkan tanpa izin.",
    "Korban dipaksa bekerja tanpa upah dan dilarang keluar rumah oleh majikan.",
    "Korban diusir dari rumah dan tidak diberi nafkah selama berbulan-bulan.",
)
NARRATIVES_SOCIAL = (
    "Lansia tinggal sendiri, tidak lagi menerima bantuan Program Sembako sejak awal tahun.",
    "Keluarga belum memiliki KK dan akta kelahiran anak sehingga tidak dapat mendaftar sekolah.",
    "Penyandang disabilitas membutuhkan kursi roda; belum terdaftar di DTSEN.",
    "Anak putus sekolah untuk membantu orang tua berjualan di pasar.",
    "Rumah keluarga rusak karena banjir; belum mendapat bantuan.",
)
CHANNELS = ("walk_in", "walk_in", "phone", "phone", "outreach", "community", "referral_in")
PLACES = ("household", "household", "household", "school", "public", "workplace", "other")
CHILD_RELATIONS = ("parent", "step_parent", "family", "neighbour", "teacher", "stranger")
ADULT_RELATIONS = ("spouse", "spouse", "ex_spouse", "partner", "employer", "family", "stranger")
TOGETHER = frozenset({"parent", "step_parent", "spouse", "family"})
VIOLENCE = ("physical", "psychological", "sexual", "neglect", "exploitation")
SOCIAL = ("not_in_dtsen", "aid_stopped", "no_documents", "neglected_elderly", "out_of_school")


def person_name(rng, sex):
    first = rng.choice(FEMALE if sex == "F" else MALE)
    if rng.random() < 0.25:
        return f"{first} {rng.choice(FAMILY)} {rng.choice(FAMILY)}"
    return f"{first} {rng.choice(FAMILY)}"


def victim_fields(rng, *, child, on, nik_seq, disability=False):
    """One victim's intake fields (Victim attnames); `on` is the registration date."""
    sex = "F" if rng.random() < 0.72 else "M"
    age = rng.randint(1, 17) if child else rng.choice((rng.randint(18, 59), rng.randint(60, 85)))
    name = person_name(rng, sex)
    if sex == "F" and rng.random() < FIRST_NAME_SHARE:
        name = f"{SEARCH_FIRST_NAME} {name.split(' ', 1)[1]}"
    v = {
        "full_name": name,
        "initials": "",
        "sex": sex,
        "birth_date": None,
        "estimated_age": None,
        "nik": "",
        "address": f"{rng.choice(STREETS)} No. {rng.randint(1, 120)}",
        "rt": f"00{rng.randint(1, 6)}",
        "rw": f"00{rng.randint(1, 4)}",
        "phone": "",
        "safe_contact": "",
        "marital_status": "" if child else rng.choice(("single", "married", "married", "divorced")),
        "education": rng.choice(("sd", "smp", "sma", "preschool")) if child else "",
        "occupation": "Pelajar"
        if child and age > 6
        else ("" if child else rng.choice(OCCUPATIONS)),
        "vulnerable_groups": [],
        "dtsen_status": rng.choice(("yes", "no", "unknown")),
        "dtsen_decile": None,
        "assistance": [],
        "disability_types": [],
        "wg_seeing": "",
        "wg_hearing": "",
        "wg_walking": "",
        "wg_cognition": "",
        "wg_selfcare": "",
        "wg_communication": "",
        "accommodations": [],
        "recovery": {},
        "version": 1,
    }
    if rng.random() < 0.5:
        v["birth_date"] = on - datetime.timedelta(days=age * 365 + rng.randint(0, 364))
    else:
        v["estimated_age"] = age
    if rng.random() < 0.4:
        # Fictional NIK of the Parepare region code, unique by the sequence.
        v["nik"] = f"7372{nik_seq:012d}"
    if rng.random() < 0.5:
        v["phone"] = f"08{rng.randint(10**9, 10**10 - 1)}"
    if v["dtsen_status"] == "yes":
        v["dtsen_decile"] = rng.randint(1, 4)
        v["assistance"] = rng.sample(("pkh", "sembako", "pbi_jk"), rng.randint(0, 2))
    if child:
        v["vulnerable_groups"].append("child")
    elif sex == "F":
        v["vulnerable_groups"].append("woman")
    if age >= 60:
        v["vulnerable_groups"].append("elderly")
    if disability:
        v["disability_types"] = [rng.choice(("physical", "intellectual", "mental", "sensory"))]
        v["vulnerable_groups"].append("disabled")
        v["accommodations"] = [rng.choice(("sign_language", "accessible_place", "easy_read"))]
        if not child:
            v["wg_walking"] = rng.choice(("3", "4"))
            v["wg_seeing"] = "1"
            v["wg_hearing"] = rng.choice(("1", "2"))
    return v


def case_fields(rng, *, received_at, child):
    """The intake fields of the case (Case attnames) and the number of perpetrators."""
    roll = rng.random()
    violence, social = (
        (True, False) if roll < 0.72 else ((False, True) if roll < 0.92 else (True, True))
    )
    data = {
        "is_violence": violence,
        "is_social_protection": social,
        "channel": rng.choice(CHANNELS),
        "received_at": received_at,
        "incident_date": None,
        "incident_date_approximate": False,
        "incident_place": "",
        "incident_online": False,
        "incident_rt": f"00{rng.randint(1, 6)}",
        "incident_rw": f"00{rng.randint(1, 4)}",
        "narrative": "",
        "danger_now": False,
        "injured_needs_care": False,
        "violence_types": [],
        "tpks_types": [],
        "gbv_answers": {},
        "gbv_type": "",
        "social_problems": [],
        "reporter_is_victim": False,
        "reporter_anonymous": False,
        "reporter_name": "",
        "reporter_relation": "",
        "reporter_contact": "",
        "reporter_wants_feedback": rng.random() < 0.5,
    }
    if rng.random() < 0.7:
        data["incident_date"] = (received_at - datetime.timedelta(days=rng.randint(0, 30))).date()
        data["incident_date_approximate"] = rng.random() < 0.3
    n_perps = 0
    if violence:
        kinds = rng.sample(VIOLENCE, rng.choice((1, 2, 2)))
        data.update(
            violence_types=kinds,
            incident_place=rng.choice(PLACES),
            narrative=rng.choice(NARRATIVES_CHILD if child else NARRATIVES_ADULT),
            danger_now=rng.random() < 0.07,
            injured_needs_care=rng.random() < 0.05,
            incident_online=rng.random() < 0.08,
        )
        if "sexual" in kinds:
            data["tpks_types"] = ["child_sexual"] if child else ["physical_harassment"]
            data["gbv_answers"] = {"rape": "no", "sexual_assault": "yes"}
            data["gbv_type"] = "sexual_assault"
        elif "physical" in kinds:
            data["gbv_answers"] = {"rape": "no", "sexual_assault": "no", "physical_assault": "yes"}
            data["gbv_type"] = "physical_assault"
        n_perps = 0 if rng.random() < 0.1 else (2 if rng.random() < 0.1 else 1)
    if social:
        data["social_problems"] = rng.sample(SOCIAL, 2)
        if not violence:
            data["narrative"] = rng.choice(NARRATIVES_SOCIAL)
    if not child and rng.random() < 0.45:
        data["reporter_is_victim"] = True
        data["reporter_relation"] = "self"
    else:
        anonymous = rng.random() < 0.25
        data.update(
            reporter_anonymous=anonymous,
            reporter_name="" if anonymous else person_name(rng, rng.choice("FM")),
            reporter_relation=rng.choice(("family", "neighbour", "rt_rw", "teacher", "health")),
            reporter_contact="" if anonymous else f"08{rng.randint(10**9, 10**10 - 1)}",
        )
    return data, n_perps


def perpetrator_fields(rng, *, child_victim):
    relation = rng.choice(CHILD_RELATIONS if child_victim else ADULT_RELATIONS)
    sex = "M" if rng.random() < 0.85 else "F"
    is_child = rng.random() < 0.05
    age = rng.randint(13, 17) if is_child else rng.randint(19, 65)
    return (
        {
            "name": "" if relation == "stranger" else person_name(rng, sex),
            "sex": sex,
            "age": age,
            "age_band": vocab.age_band(age),
            "is_child": is_child,
            "version": 1,
        },
        relation,
        relation in TOGETHER and rng.random() < 0.8,
    )
