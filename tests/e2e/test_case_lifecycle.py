"""The life of a case in a real browser, each step as the persona of ROLES.md who does it
in real life: the volunteer on a phone (360x640), everyone else on a desktop. Real clicks and
typing through labels and roles; axe (WCAG 2.2 AA) and a screenshot on each new page.
"""

import io
import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from cases.models import Case, PlannedAction
from referrals.models import Referral

from .conftest import DESKTOP, PHONE, SHOTS, assert_no_axe_violations, login, screenshot
from .pages import action_box, fire, no_overflow, t

pytestmark = pytest.mark.django_db(transaction=True)

CHILD = "Nur Aisyah Pawelloi"


def _check(page, shot):
    """axe, no horizontal overflow, and a screenshot of the page as it is now."""
    assert_no_axe_violations(page, shot)
    no_overflow(page)
    screenshot(page, shot)


def volunteer_registers(page):
    """Intake on a phone: first a mistake (no kind of case ticked), then the complaint saved."""
    page.get_by_role("link", name=t("New complaint")).first.click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == t("New complaint")
    _check(page, "lifecycle-01-intake-phone")

    page.get_by_label("Saluran pengaduan").select_option(label="Datang langsung")
    page.get_by_label("Kronologi kejadian").fill(
        "Ibu korban datang ke posko: anaknya (12 tahun, disabilitas intelektual) dipukul "
        "paman yang tinggal serumah."
    )
    violence = page.get_by_role("group", name="Jenis kekerasan", exact=True)
    violence.get_by_label("Fisik").check()
    violence.get_by_label("Psikis").check()
    for question, answer in [
        ("Apakah kejadian meliputi penetrasi", "Tidak"),
        ("Apakah ada kontak seksual yang tidak diinginkan", "Tidak"),
        ("Apakah ada kekerasan fisik?", "Ya"),
    ]:
        page.get_by_role("group", name=question).get_by_label(answer, exact=True).check()
    victim = page.get_by_role("group", name="Korban 1")
    victim.get_by_label("Nama lengkap").fill(CHILD)
    victim.get_by_label("Jenis kelamin").select_option(label="Perempuan")
    victim.get_by_label("Perkiraan usia (tahun)").fill("12")
    victim.get_by_role("group", name="Kelompok rentan").get_by_label("Anak", exact=True).check()
    victim.get_by_role("group", name="Kelompok rentan").get_by_label(
        "Penyandang disabilitas"
    ).check()
    victim.get_by_role("group", name="Disabilitas (UU 8/2016)").get_by_label("Intelektual").check()
    victim.get_by_role("group", name="Kebutuhan akomodasi").get_by_label(
        "Pendamping yang dipercaya"
    ).check()
    perp = page.get_by_role("group", name="Terduga pelaku 1")
    perp.get_by_label("Nama", exact=True).fill("Baso Lalang")
    perp.get_by_label("Jenis kelamin").select_option(label="Laki-laki")
    perp.get_by_label("Tinggal serumah dengan korban 1").check()
    page.get_by_role("group", name="Siapa yang melapor?").get_by_label("Orang lain").check()
    page.get_by_label("Nama pelapor").fill("Hj. Sitti Pawelloi")

    # A slip: "Kekerasan" (ticked by default) swapped for "Perlindungan sosial". The error
    # summary explains and its link lands on the checkbox group.
    kinds = page.get_by_role("group", name="Jenis kasus")
    kinds.get_by_label("Kekerasan").uncheck()
    kinds.get_by_label("Perlindungan sosial").check()
    page.get_by_role("button", name="Simpan pengaduan").click()
    page.wait_for_load_state()
    summary = page.get_by_role("alert")
    assert "Jenis kekerasan" in summary.inner_text()
    assert Case.objects.count() == 0
    assert page.get_by_label("Nama lengkap").input_value() == CHILD
    assert page.get_by_label("Nama pelapor").input_value() == "Hj. Sitti Pawelloi"
    assert page.get_by_role("group", name="Korban 1").get_by_label("Intelektual").is_checked()
    assert (
        page.get_by_role("group", name="Jenis kekerasan", exact=True)
        .get_by_label("Psikis")
        .is_checked()
    )
    _check(page, "lifecycle-02-intake-errors-phone")
    summary.get_by_role("link", name=re.compile("^Jenis kekerasan")).click()
    assert page.url.endswith("#id_violence_types_0")
    target = page.locator("#id_violence_types_0")
    assert target.is_visible() and target.evaluate("e => e.closest('fieldset') !== null")
    # the group says why it is wrong
    described = page.get_by_role("group", name="Jenis kekerasan", exact=True).get_attribute(
        "aria-describedby"
    )
    assert "kekerasan" in page.locator(f"#{described}").inner_text()

    kinds.get_by_label("Perlindungan sosial").uncheck()
    kinds.get_by_label("Kekerasan").check()
    page.get_by_role("button", name="Simpan pengaduan").click()
    page.wait_for_load_state()
    number = page.get_by_role("heading", level=1).inner_text().strip()
    assert re.fullmatch(r"WS-\d{4}-\d{4}", number), number
    assert "Pengaduan tercatat dengan nomor" in page.locator(".messages").inner_text()
    _check(page, "lifecycle-03-case-registered-phone")
    return Case.objects.get(number=number)


def assert_in_order(entries, expected):
    """Each (what, who) is found in an entry after the previous one's entry."""
    i = 0
    for what, who in expected:
        while i < len(entries) and not (what in entries[i] and f"· {who}" in entries[i]):
            i += 1
        assert i < len(entries), f"{what} by {who} missing (in order) from: {entries}"
        i += 1


def test_a_case_from_complaint_to_closure(new_page, personas):
    pw = personas.password

    # 1. The volunteer at the posko, on a phone.
    relawan = new_page(PHONE)
    login(relawan, "ws.relawan", pw)
    case = volunteer_registers(relawan)
    url = f"/cases/{case.pk}/"
    victim = case.victims.get()
    assert victim.is_child and case.status == "received"

    # 2. The coordinator finds it in Tugas Saya and assigns a companion.
    koor = new_page(DESKTOP)
    login(koor, "ws.koordinator", pw)
    koor.get_by_role("link", name="Tugas Saya").first.click()
    koor.wait_for_load_state()
    _check(koor, "lifecycle-04-tasks-koordinator")
    koor.get_by_role("link", name=case.number).first.click()
    koor.wait_for_load_state()
    assert "Darurat" not in koor.locator("h1").inner_text()
    action_box(koor, t("Assign a companion"))
    _check(koor, "lifecycle-05-case-koordinator")
    fire(
        koor,
        t("Assign a companion"),
        lambda b: (
            b.get_by_label("Pendamping", exact=True).select_option(label="Andi Mappasessu"),
            b.get_by_label(re.compile("tidak memiliki konflik kepentingan")).check(),
        ),
    )
    case.refresh_from_db()
    assert case.status == "assessment" and case.companion.username == "ws.pendamping"

    # 3. The companion: first contact, assessment, consent to services, plan with UPTD PPA.
    pend = new_page(DESKTOP)
    login(pend, "ws.pendamping", pw)
    pend.goto(url)
    fire(
        pend,
        t("Record the first contact"),
        lambda b: b.get_by_label(t("Note")).fill("Ditemui di rumah nenek."),
    )
    fire(
        pend,
        t("Record an assessment"),
        lambda b: (
            b.get_by_label(t("Victim / person served")).select_option(index=1),
            b.get_by_label("Korban terluka").check(),
            b.get_by_label("Kesehatan").check(),
        ),
    )
    fire(
        pend,
        t("Record consent"),
        lambda b: (
            b.get_by_label(t("Victim / person served")).select_option(index=1),
            b.get_by_label(t("Purpose")).select_option(label=t("Receive services")),
            b.get_by_label(t("Given by")).select_option(
                label=t("Parent or guardian (with the child's own view)")
            ),
            b.get_by_label(t("Name of the guardian or supporter")).fill("Hj. Sitti Pawelloi"),
            b.get_by_label(t("The child's own view (for a child)")).fill(
                "Mau ditemani ibu saat konseling."
            ),
        ),
    )
    fire(
        pend,
        t("Add an action to the case plan"),
        lambda b: (
            b.get_by_label(t("Victim / person served")).select_option(index=1),
            b.get_by_label(t("Service"), exact=True).select_option(
                label=t("Psychological support")
            ),
            b.get_by_label(t("Provider")).select_option(label="UPTD PPA Kota Parepare"),
        ),
    )
    _check(pend, "lifecycle-06-case-plan-pendamping")
    case.refresh_from_db()
    action = PlannedAction.objects.get(case=case)
    assert action.agency.kind == "uptd_ppa"
    fire(pend, t("Complete assessment and plan"))
    case.refresh_from_db()
    assert case.status == "handling"

    # 4. The referral to UPTD PPA. Without consent to share with UPTD PPA, the request is
    # refused with the reason; the companion records that consent and requests again.
    rujukan = pend.get_by_role("region", name="Rujukan")
    rujukan.get_by_role("button", name=re.compile("^Buat rujukan")).click()
    pend.wait_for_url(re.compile(r"/referrals/\d+/edit/$"))
    referral = Referral.objects.get(action=action)
    _check(pend, "lifecycle-07-referral-draft-pendamping")
    pend.get_by_label("Ringkasan untuk instansi").fill(
        "Anak 12 tahun dengan disabilitas intelektual, korban kekerasan fisik oleh paman; "
        "perlu konseling psikologis."
    )
    pend.get_by_role("button", name="Simpan dan ajukan persetujuan").click()
    pend.wait_for_load_state()
    refusal = pend.get_by_role("alert").inner_text()
    assert "UPTD PPA Kota Parepare" in refusal and "membagikan data" in refusal, refusal
    referral.refresh_from_db()
    assert referral.state == "draft"
    _check(pend, "lifecycle-08-referral-refused-pendamping")

    pend.goto(url)
    fire(
        pend,
        t("Record consent"),
        lambda b: (
            b.get_by_label(t("Victim / person served")).select_option(index=1),
            b.get_by_label(t("Purpose")).select_option(label=t("Share data with an agency")),
            b.get_by_label(t("Agency (for sharing data)")).select_option(
                label="UPTD PPA Kota Parepare"
            ),
            b.get_by_role("group", name=t("What may be shared"))
            .get_by_label(t("Full name (otherwise initials only)"))
            .check(),
            b.get_by_label(t("Given by")).select_option(
                label=t("Parent or guardian (with the child's own view)")
            ),
            b.get_by_label(t("Name of the guardian or supporter")).fill("Hj. Sitti Pawelloi"),
            b.get_by_label(t("The child's own view (for a child)")).fill("Setuju jika ibu ikut."),
        ),
    )
    pend.get_by_role("region", name="Rujukan").get_by_role(
        "link", name=re.compile("UPTD PPA")
    ).click()
    pend.wait_for_load_state()
    pend.get_by_role("link", name="Ubah rujukan").click()
    pend.wait_for_load_state()
    pend.get_by_label("Nama lengkap").check()
    pend.get_by_role("button", name="Simpan dan ajukan persetujuan").click()
    pend.wait_for_load_state()
    referral.refresh_from_db()
    assert referral.state == "requested", pend.locator("main").inner_text()[:1500]
    _check(pend, "lifecycle-09-referral-requested-pendamping")

    # The kasi kesra approves from the queue; the letter is issued and sent to UPTD PPA.
    kasi = new_page(DESKTOP)
    login(kasi, "ws.kasikesra", pw)
    kasi.get_by_role("navigation", name="Navigasi utama").get_by_role(
        "link", name="Antrean Persetujuan"
    ).click()
    kasi.wait_for_load_state()
    _check(kasi, "lifecycle-10-queue-kasikesra")
    kasi.get_by_role("link", name="Tinjau").first.click()
    kasi.wait_for_load_state()
    _check(kasi, "lifecycle-11-referral-kasikesra")
    kasi.get_by_role("button", name="Setujui dan terbitkan surat").click()
    kasi.wait_for_load_state()
    referral.refresh_from_db()
    assert referral.state == "sent" and referral.letter_number
    _check(kasi, "lifecycle-12-referral-approved-kasikesra")

    # The letter PDF, downloaded through the page, read back: number and addressee.
    with kasi.expect_download() as dl:
        kasi.get_by_role("link", name="Unduh surat (PDF)").first.click()
    pdf = Path(dl.value.path()).read_bytes()
    SHOTS.mkdir(exist_ok=True)
    (SHOTS / "lifecycle-13-letter.pdf").write_bytes(pdf)
    text = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(pdf)).pages)
    assert referral.letter_number in text
    assert "Yth. Kepala UPTD PPA Kota Parepare" in text
    assert CHILD in text  # the consent allows the full name

    # The UPTD PPA officer confirms receipt and records the service.
    uptd = new_page(DESKTOP)
    login(uptd, "uptdppa.petugas", pw)
    uptd.get_by_role("navigation", name="Navigasi utama").get_by_role(
        "link", name="Kotak Masuk Rujukan"
    ).click()
    uptd.wait_for_load_state()
    _check(uptd, "lifecycle-14-inbox-uptdppa")
    uptd.get_by_role("link", name="Buka").first.click()
    uptd.wait_for_load_state()
    assert case.number not in uptd.content()
    _check(uptd, "lifecycle-15-referral-uptdppa")
    uptd.get_by_role("button", name="Konfirmasi penerimaan").click()
    uptd.wait_for_load_state()
    served = uptd.get_by_role("group", name="Catat layanan yang diberikan")
    served.get_by_label(t("Service given")).select_option(label=t("Psychological support"))
    served.get_by_label(t("Note")).fill("Konseling psikologis dua sesi bersama ibu.")
    uptd.get_by_role("button", name="Catat layanan yang diberikan").click()
    uptd.wait_for_load_state()
    referral.refresh_from_db()
    assert referral.state == "completed"
    _check(uptd, "lifecycle-16-referral-completed-uptdppa")
    pend.goto(url)

    # 5. Monitoring: a home visit, then the companion proposes closure.
    fire(pend, t("Start monitoring"))
    fire(
        pend,
        t("Record a visit or note"),
        lambda b: b.get_by_label(t("Notes"), exact=True).fill(
            "Kunjungan rumah: anak sudah kembali sekolah, ibu mendampingi."
        ),
    )
    fire(
        pend,
        t("Propose closure"),
        lambda b: b.get_by_label(t("Closure reason")).select_option(index=1),
    )
    _check(pend, "lifecycle-20-closure-proposed-pendamping")

    # 6. The coordinator approves the closure.
    koor.goto(url)
    fire(koor, t("Approve closure"))
    case.refresh_from_db()
    assert case.status == "closed"

    # The timeline shows every step with the right people.
    koor.reload()
    timeline = koor.locator("#timeline li").all_inner_texts()
    expected = [
        ("Didaftarkan (Diterima)", "Nurul Hidayah"),
        ("Diterima → Asesmen", "Hasnah Lamba"),
        ("Kontak pertama", "Andi Mappasessu"),
        ("Asesmen", "Andi Mappasessu"),
        ("Persetujuan", "Andi Mappasessu"),
        ("Rencana penanganan", "Andi Mappasessu"),
        ("Asesmen → Penanganan", "Andi Mappasessu"),
        ("UPTD PPA Kota Parepare: Draf disiapkan", "Andi Mappasessu"),
        ("Persetujuan", "Andi Mappasessu"),
        ("UPTD PPA Kota Parepare: Ajukan persetujuan (Diajukan)", "Andi Mappasessu"),
        ("Setujui dan terbitkan surat (Disetujui)", "Muhammad Arfah"),
        ("Catat pengiriman (Dikirim)", "Muhammad Arfah"),
        ("Konfirmasi penerimaan (Diterima Instansi)", "Irma Syamsuddin"),
        ("Catat layanan yang diberikan (Selesai)", "Irma Syamsuddin"),
        ("Penanganan → Pemantauan", "Andi Mappasessu"),
        ("Kunjungan atau catatan", "Andi Mappasessu"),
        ("Pemantauan → Menunggu Penutupan", "Andi Mappasessu"),
        ("Menunggu Penutupan → Ditutup", "Hasnah Lamba"),
    ]
    assert_in_order(timeline, expected)
    _check(koor, "lifecycle-21-closed-timeline-koordinator")

    # The public verification page of the letter (from its QR code): no personal data.
    anon = new_page(PHONE)
    anon.goto(f"/verifikasi/{referral.verify_token}/")
    assert referral.letter_number in anon.content()
    assert CHILD not in anon.content() and case.number not in anon.content()
    _check(anon, "lifecycle-22-verify-public-phone")

    # Outsiders who open the case's URL get the not-found page, the Dinas Sosial officer the
    # referral's URL too. The UPTD PPA officer keeps the referral, not the case.
    def not_found(page, path):
        response = page.goto(path)
        assert response.status == 404, (path, response.status)
        assert page.get_by_role("heading", level=1).inner_text() == "Halaman tidak ditemukan"
        assert case.number not in page.content() and CHILD not in page.content()

    wb = new_page(PHONE)
    login(wb, "wb.relawan", pw)
    not_found(wb, url)
    _check(wb, "lifecycle-30-not-found-wb-relawan-phone")
    not_found(uptd, url)
    assert uptd.goto(f"/referrals/{referral.pk}/").status == 200
    dinsos = new_page(DESKTOP)
    login(dinsos, "dinsos.petugas", pw)
    not_found(dinsos, url)
    not_found(dinsos, f"/referrals/{referral.pk}/")
    not_found(dinsos, f"/referrals/{referral.pk}/letter.pdf")
    _check(dinsos, "lifecycle-31-not-found-dinsos")
