"""The referral round trip in a real browser, as the personas, with axe on each new page:
companion requests -> kasi kesra approves -> letter downloaded and read -> UPTD PPA officer
confirms receipt and records the service -> companion sees the answer; then the public
verification page. The emergency form and the register are audited too."""

import io
from pathlib import Path

import pypdf
import pytest
from django.core.management import call_command

from referrals.models import Referral, State
from tests.factories import REFERRAL_VICTIM, give_consent, make_case, make_referral, plan_action

from .conftest import DESKTOP, PHONE, assert_no_axe_violations, login, screenshot

pytestmark = pytest.mark.django_db(transaction=True)


def nav(page, name):
    page.get_by_role("navigation", name="Navigasi utama").get_by_role("link", name=name).click()


def logout(page):
    page.context.clear_cookies()


def test_referral_round_trip(new_page, personas, master):
    call_command("createcachetable", verbosity=0)
    pw = personas.password
    case = make_case(personas, "handling", victims=[REFERRAL_VICTIM])
    victim = case.victims.get()
    give_consent(victim, "share", agency="uptd", fields=["full_name"])
    action = plan_action(victim, agency="uptd")

    # 1. On the case page the companion makes the referral from the planned action, completes
    # it and requests approval (phone viewport).
    page = new_page(PHONE)
    login(page, "ws.pendamping", pw)
    page.goto(f"/cases/{case.pk}/")
    section = page.locator("#rujukan")
    assert section.get_by_text("Belum ada rujukan.").is_visible()
    assert_no_axe_violations(page, "case page with the referral section")
    screenshot(page, "referral-00-case-page-phone")
    section.get_by_role("button", name="Buat rujukan").click()
    page.wait_for_load_state()
    draft = Referral.objects.get(action=action)
    assert page.url.endswith(f"/referrals/{draft.pk}/edit/")
    assert_no_axe_violations(page, "referral edit")
    page.get_by_label("Ringkasan untuk instansi").fill("Korban perlu penguatan psikologis.")
    page.get_by_label("Nama lengkap", exact=False).check()
    screenshot(page, "referral-01-edit-phone")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"horizontal overflow: {width}px"
    page.get_by_role("button", name="Simpan dan ajukan persetujuan").click()
    page.wait_for_load_state()
    assert f"/referrals/{draft.pk}/" in page.url
    assert page.get_by_text("Diajukan").first.is_visible()
    assert_no_axe_violations(page, "referral detail (companion)")
    # The case now shows "Dirujuk" and the referral with its state.
    page.goto(f"/cases/{case.pk}/")
    assert page.locator(".case-head").get_by_text("Dirujuk").is_visible()
    assert page.locator("#rujukan").get_by_text("Diajukan").is_visible()
    logout(page)

    # 2. The kasi kesra approves from the queue.
    page = new_page(DESKTOP)
    login(page, "ws.kasikesra", pw)
    nav(page, "Antrean Persetujuan")
    page.wait_for_load_state()
    assert_no_axe_violations(page, "approval queue")
    screenshot(page, "referral-02-queue")
    page.get_by_role("link", name="Tinjau").first.click()
    page.wait_for_load_state()
    assert_no_axe_violations(page, "referral detail (staff)")
    page.get_by_role("button", name="Setujui dan terbitkan surat").click()
    page.wait_for_load_state()
    r = Referral.objects.get(pk=draft.pk)
    assert r.state == State.SENT and r.letter_number
    assert page.get_by_text(r.letter_number).first.is_visible()
    screenshot(page, "referral-03-approved")

    # 3. The letter is downloaded and read.
    with page.expect_download() as dl:
        page.get_by_role("link", name="Unduh surat (PDF)").click()
    data = Path(dl.value.path()).read_bytes()
    text = " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(data)).pages)
    text = " ".join(text.split())
    assert r.letter_number in text and "Yth. Kepala UPTD PPA Kota Parepare" in text
    assert victim.full_name in text and victim.nik not in text
    logout(page)

    # 4. The UPTD PPA officer confirms receipt and records the service.
    page = new_page(DESKTOP)
    login(page, "uptdppa.petugas", pw)
    nav(page, "Kotak Masuk Rujukan")
    page.wait_for_load_state()
    assert_no_axe_violations(page, "agency inbox")
    screenshot(page, "referral-04-inbox")
    page.get_by_role("link", name="Buka").first.click()
    page.wait_for_load_state()
    assert_no_axe_violations(page, "referral detail (agency)")
    assert case.number not in page.content()
    page.get_by_role("button", name="Konfirmasi penerimaan").click()
    page.wait_for_load_state()
    page.locator("#id_complete-service_given").select_option("psychological")
    page.locator("#id_complete-note").fill("Konseling psikologis dua sesi.")
    page.get_by_role("button", name="Catat layanan yang diberikan").click()
    page.wait_for_load_state()
    assert Referral.objects.get(pk=r.pk).state == State.COMPLETED
    screenshot(page, "referral-05-completed")
    # The case page stays closed to the officer.
    resp = page.goto(f"/cases/{case.pk}/")
    assert resp.status == 404
    logout(page)

    # 5. The companion sees the answer in the notifications.
    page = new_page(PHONE)
    login(page, "ws.pendamping", pw)
    nav(page, "Notifikasi")
    page.wait_for_load_state()
    assert_no_axe_violations(page, "notifications")
    assert page.get_by_text("menjawab rujukan kasus").first.is_visible()
    screenshot(page, "referral-06-notifications-phone")
    page.get_by_role("button", name="Buka").first.click()
    page.wait_for_load_state()
    assert page.get_by_text("Selesai").first.is_visible()
    action.refresh_from_db()
    assert action.status == "done"
    # ... and on the case timeline.
    page.goto(f"/cases/{case.pk}/")
    assert page.locator("#timeline").get_by_text("Catat layanan yang diberikan").is_visible()
    assert not page.locator(".case-head").get_by_text("Dirujuk").is_visible()
    logout(page)

    # 6. The public verification page from the QR code.
    page = new_page(PHONE)
    page.goto(f"/verifikasi/{r.verify_token}/")
    assert_no_axe_violations(page, "verification")
    assert page.get_by_text("SAH").first.is_visible()
    assert victim.full_name not in page.content()
    screenshot(page, "referral-07-verify-phone")


def test_emergency_form_and_register_pages(new_page, personas, master):
    pw = personas.password
    case = make_case(personas, victims=[REFERRAL_VICTIM])
    make_referral(personas, "sent")
    police = make_referral(personas, "approved", agency="police")
    page = new_page(DESKTOP)
    login(page, "ws.koordinator", pw)
    # An agency without users: the coordinator (as companion) records sending and receipt.
    page.goto(f"/referrals/{police.pk}/")
    assert_no_axe_violations(page, "referral detail, agency without users")
    page.locator("#id_send-how").select_option("hand")
    page.get_by_role("button", name="Catat pengiriman").click()
    page.wait_for_load_state()
    page.locator("#id_acknowledge-proof").fill("Tanda terima dari Unit PPA")
    page.get_by_role("button", name="Konfirmasi penerimaan").click()
    page.wait_for_load_state()
    assert_no_axe_violations(page, "referral detail, answer for an agency without users")
    police.refresh_from_db()
    assert police.state == State.ACKNOWLEDGED
    assert police.acknowledged_proof == "Tanda terima dari Unit PPA"
    screenshot(page, "referral-10-police-acknowledged")
    page.goto(f"/referrals/emergency/{case.pk}/")
    assert_no_axe_violations(page, "emergency form")
    page.get_by_role("button", name="Catat rujukan darurat").click()
    page.wait_for_load_state()
    assert page.locator("#error-summary").is_visible()
    assert_no_axe_violations(page, "emergency form with errors")
    page.locator("#id_agency").select_option(label="UPTD PPA Kota Parepare")
    page.get_by_label("Melalui telepon").check()
    page.get_by_label("Korban terluka dan perlu perawatan segera").check()
    page.locator("#id_summary").fill("Korban luka.")
    page.locator("#id_victim").select_option(index=1)
    page.get_by_role("button", name="Catat rujukan darurat").click()
    page.wait_for_load_state()
    assert Referral.objects.filter(case=case, is_emergency=True).exists()
    screenshot(page, "referral-08-emergency")
    page.goto("/referrals/register/")
    assert_no_axe_violations(page, "register")
    screenshot(page, "referral-09-register")
