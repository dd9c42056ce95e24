"""The letter PDF: its text, what consent hides, the QR code, the fetcher, storage, numbering."""

import hashlib
import io

import pypdf
import pytest
from django.utils import timezone

from lbk import pdf
from referrals import letters, services
from referrals.models import Referral
from tests.factories import REFERRAL_VICTIM, make_case, make_referral, worked

pytestmark = pytest.mark.django_db

VICTIM = "Siti Aminah Rahman"
NIK = "7372010101900001"


def pdf_text(data):
    reader = pypdf.PdfReader(io.BytesIO(data))
    return "\n".join(p.extract_text() for p in reader.pages), reader


def flat(text):
    return " ".join(text.split())


def test_letter_text_and_consent_limits(master, personas):
    # Consent allows the full name only: no address, contact, narrative, NIK.
    r = make_referral(personas, "sent", fields=["full_name"], consent_fields=["full_name"])
    text, reader = pdf_text(letters.read_letter(r))
    t = flat(text)
    assert r.letter_number in t
    assert f"Nomor : {r.letter_number}" in t
    assert "Hal : Rujukan Kasus" in t
    assert "Sifat : Rahasia" in t
    assert "Yth. Kepala UPTD PPA Kota Parepare" in t
    assert "di Tempat" in t
    assert f"Parepare, {letters.tanggal(timezone.localdate())}" in t
    assert "Kota Parepare," not in t.split("Nomor")[1][:200]  # the city without "Kota"
    assert "a.n. LURAH WATANG SOREANG" in t and "KASI KESRA," in t
    assert "Muhammad Arfah" in t and "NIP. 198504122010011007" in t
    assert "Penata (III/c)" in t
    assert "PEMERINTAH KOTA PAREPARE" in t and "KELURAHAN WATANG SOREANG" in t
    assert "1. Pendampingan psikologis" in t or "Pendampingan psikologis" in t
    assert "Andi Mappasessu" in t  # the companion as contact
    assert "Demikian surat rujukan ini kami sampaikan" in t
    assert "Tembusan" in t and "Arsip" in t
    assert "Keaslian surat ini dapat diperiksa dengan memindai kode QR" in t
    assert VICTIM in t
    # Not consented: absent.
    for secret in (NIK, "Jl. Mawar", "081234567890", "Kronologi rahasia"):
        assert secret not in t, secret
    assert "SIMULASI" not in t and "RUJUKAN DARURAT" not in t
    assert len(reader.pages) == 1


def test_letter_without_full_name_consent_shows_initials_only(master, personas):
    r = make_referral(personas, "sent", fields=[], consent_fields=["address"])
    t = flat(pdf_text(letters.read_letter(r))[0])
    assert VICTIM not in t and "Aminah" not in t
    assert "S.A.R." in t
    assert "Jl. Mawar" not in t  # consented but not chosen for this referral


def test_letter_shows_consented_and_chosen_fields(master, personas):
    fields = ["full_name", "address", "contact", "narrative"]
    r = make_referral(personas, "sent", fields=fields, consent_fields=fields)
    t = flat(pdf_text(letters.read_letter(r))[0])
    for shown in (VICTIM, "Jl. Mawar", "081234567890", "Kronologi rahasia"):
        assert shown in t
    assert NIK not in t  # the NIK is never in a letter


def test_lurah_signs_in_own_name_and_handover_subject(master, personas):
    r = make_referral(personas, "sent", signer="ws.lurah", kind="pelimpahan")
    t = flat(pdf_text(letters.read_letter(r))[0])
    assert "LURAH WATANG SOREANG," in t and "a.n." not in t
    assert "Rosmini Tahir" in t and "NIP. 197908232005022003" in t
    assert "Hal : Pelimpahan Penanganan Kasus" in t


def test_qr_code_decodes_to_verification_url(master, personas):
    import pypdfium2
    import zxingcpp

    r = make_referral(personas, "sent")
    pdf = pypdfium2.PdfDocument(letters.read_letter(r))
    image = pdf[0].render(scale=3).to_pil()
    results = zxingcpp.read_barcodes(image)
    urls = [x.text for x in results]
    assert urls == [f"https://posko.example.id/verifikasi/{r.verify_token}/"]
    assert letters.verification_url(r) == urls[0]


def test_stored_once_same_bytes_and_checked(master, personas, client):
    r = make_referral(personas, "sent")
    c = personas.client("ws.kasikesra")
    url = f"/referrals/{r.pk}/letter.pdf"
    a = c.get(url)
    b = c.get(url)
    assert a.status_code == 200 and a["Content-Type"] == "application/pdf"
    assert a.content == b.content
    assert hashlib.sha256(a.content).hexdigest() == r.pdf_sha256
    assert "attachment" in a["Content-Disposition"]
    # Stored under the private MEDIA_ROOT, not under static files.
    from django.conf import settings

    assert str(settings.MEDIA_ROOT) in Referral.objects.get(pk=r.pk).pdf.path
    # A stored file that changed is refused rather than served.
    with open(r.pdf.path, "ab") as fh:
        fh.write(b"tampered")
    with pytest.raises(Exception):  # noqa: B017
        letters.read_letter(Referral.objects.get(pk=r.pk))


def test_fetcher_reads_only_our_static_files(master, personas):
    fetcher = pdf.StaticOnlyFetcher()
    for bad in (
        "file:///etc/passwd",
        "http://example.com/x.png",
        "https://static.posko-lbk.invalid/../../etc/passwd",
        "https://static.posko-lbk.invalid/fonts/../../../etc/passwd",
        "data:text/plain,hello",
    ):
        with pytest.raises(pdf.FetchRefused):
            fetcher.fetch(bad)
    ok = fetcher.fetch("https://static.posko-lbk.invalid/img/lambang-kota.svg")
    assert ok.read().lstrip().startswith(b"<")


def test_case_text_naming_urls_or_files_is_never_fetched(master, personas):
    evil = (
        '<img src="file:///etc/passwd"> <link rel="stylesheet" href="http://evil.example/x.css">'
        " url(file:///etc/passwd) http://evil.example/track.png"
    )
    fields = ["full_name", "narrative"]
    r = make_referral(personas, "sent", fields=fields, consent_fields=fields, narrative=evil)
    Referral.objects.filter(pk=r.pk).update(summary=evil)
    r = Referral.objects.select_related("case", "kelurahan", "agency", "victim").get(pk=r.pk)
    fetched = []
    data = letters.render_letter_pdf(r, fetched=fetched)
    assert fetched, "fonts and logo are fetched through our fetcher"
    assert all(u.startswith(pdf.STATIC_PREFIX) for u in fetched), fetched
    assert not any("passwd" in u or "evil" in u for u in fetched)
    t = flat(pdf_text(data)[0])
    assert "file:///etc/passwd" in t  # shown as text, escaped


def test_roleplay_letter_own_series_and_watermark(master, personas):
    real = make_referral(personas, "sent")
    sim = make_referral(personas, "sent", roleplay=True)
    assert real.letter_number.startswith("001/LBK-KK/WS/")
    month = real.letter_number.split("/")[3]
    assert sim.letter_number == f"001/LBK-KK/WS/SIM/{month}/{timezone.localdate().year}"
    assert sim.letter_number != real.letter_number
    text, reader = pdf_text(letters.read_letter(sim))
    for page in reader.pages:
        assert "SIMULASI" in page.extract_text()


def test_number_format_with_classification(master, personas):
    ws = master["ws"]
    ws.letter_number_format = "{klasifikasi}/{seq:03d}/LBK-KK/{kode}/{bulan_romawi}/{tahun}"
    ws.letter_classification = "400.9"
    ws.save()
    r = make_referral(personas, "sent")
    assert r.letter_number.startswith("400.9/001/LBK-KK/WS/")
    day = timezone.localdate()
    assert services.format_letter_number(ws, 7, day.replace(month=11), False).endswith(
        f"/XI/{day.year}"
    )


def test_numbers_are_sequential_per_kelurahan_and_year(master, personas):
    a = make_referral(personas, "sent")
    b = make_referral(personas, "sent")
    c = make_referral(personas, "sent", kel="wb", companion="wb.pendamping", signer="wb.kasikesra")
    assert (a.letter_seq, b.letter_seq, c.letter_seq) == (1, 2, 1)
    assert c.letter_number.startswith("001/LBK-KK/WB/")


def test_ratified_emergency_letter(master, personas):
    case = make_case(personas, "handling", victims=[REFERRAL_VICTIM])
    victim = case.victims.get()
    made = timezone.now()
    r = services.referral_create_emergency(
        ground="danger",
        case=case,
        actor=personas["ws.pendamping"],
        victim=victim,
        agency=master["uptd"],
        service_type="health",
        how="phone",
        made_at=made,
        summary="Korban luka, perlu visum segera.",
    )
    r = services.referral_advance(referral=r, action="ratify", actor=personas["ws.lurah"])
    r = worked(r)
    t = flat(pdf_text(letters.read_letter(r))[0])
    assert "RUJUKAN DARURAT" in t
    assert f"darurat pada tanggal {letters.tanggal(made)}" in t
    assert "Korban luka, perlu visum segera." in t
    assert VICTIM not in t and "S.A.R." in t and "Perempuan" in t and "34 tahun" in t


def test_indonesian_long_date():
    import datetime

    assert letters.tanggal(datetime.date(2026, 11, 28)) == "28 November 2026"
    assert letters.tanggal(datetime.date(2026, 2, 1)) == "1 Februari 2026"
    assert letters.kota_short("Kota Parepare") == "Parepare"


def test_long_letter_numbers_pages_and_marks_every_page(master, personas):
    r = make_referral(personas, "sent", roleplay=True)
    long = "\n".join(f"Baris ringkasan keadaan nomor {i} untuk instansi." for i in range(60))
    Referral.objects.filter(pk=r.pk).update(summary=long)
    r = Referral.objects.select_related("case", "kelurahan", "agency", "victim").get(pk=r.pk)
    reader = pypdf.PdfReader(io.BytesIO(letters.render_letter_pdf(r)))
    assert len(reader.pages) >= 2
    for i, page in enumerate(reader.pages, start=1):
        text = page.extract_text()
        assert "SIMULASI" in text
        assert f"Halaman {i} dari {len(reader.pages)}" in text
        assert "Keaslian surat ini" in text
