"""Browser: the volunteer of Watang Soreang registers a complaint on a phone (360x640) without
JavaScript-dependent widgets, and finds it again; axe on the intake form, list and case page.
"""

import re

import pytest

from cases.models import Case

from .conftest import PHONE, assert_no_axe_violations, login, screenshot

pytestmark = pytest.mark.django_db(transaction=True)


def _no_overflow(page):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"horizontal overflow: {width}px"


def test_volunteer_registers_two_siblings_on_a_phone(new_page, personas):
    page = new_page(PHONE)
    login(page, "ws.relawan", personas.password)
    page.get_by_role("link", name="Pengaduan Baru").first.click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == "Pengaduan Baru"
    assert_no_axe_violations(page, "intake form")
    _no_overflow(page)
    screenshot(page, "10-intake-form-phone")

    page.select_option('[name="channel"]', "phone")
    page.fill('[name="narrative"]', "Tetangga mendengar dua anak menangis; ayah tiri memukul.")
    page.check('[name="violence_types"][value="physical"]')
    page.check('[name="violence_types"][value="psychological"]')
    page.check('[name="gbv_rape"][value="no"]')
    page.check('[name="gbv_sexual_assault"][value="no"]')
    page.check('[name="gbv_physical_assault"][value="yes"]')
    page.fill('[name="victims-0-full_name"]', "Besse Pawelloi")
    page.select_option('[name="victims-0-sex"]', "F")
    page.fill('[name="victims-0-estimated_age"]', "11")
    page.fill('[name="victims-0-nik"]', "737201510315000")  # 15 digits: refused
    page.fill('[name="perps-0-name"]', "Baso Tammu")
    page.select_option('[name="perps-0-sex"]', "M")
    page.fill('[name="perps-0-age"]', "42")
    page.select_option('[name="perps-0-rel_0"]', "step_parent")
    page.check('[name="perps-0-together_0"]')
    page.check('[name="reporter_anonymous"]')
    page.select_option('[name="reporter_relation"]', "neighbour")
    page.get_by_role("button", name="Simpan pengaduan").click()
    page.wait_for_load_state()

    summary = page.locator("#error-summary")
    assert summary.is_visible()
    assert "NIK harus tepat 16 angka." in summary.inner_text()
    assert page.locator("#id_victims-0-nik_error").inner_text().strip() == (
        "NIK harus tepat 16 angka."
    )
    # Everything typed is still there.
    assert page.input_value('[name="victims-0-full_name"]') == "Besse Pawelloi"
    assert page.input_value('[name="victims-0-nik"]') == "737201510315000"
    assert "ayah tiri" in page.input_value('[name="narrative"]')
    assert page.is_checked('[name="perps-0-together_0"]')
    assert page.input_value('[name="perps-0-rel_0"]') == "step_parent"
    assert Case.objects.count() == 0
    assert_no_axe_violations(page, "intake form with errors")
    screenshot(page, "11-intake-error-phone")

    page.fill('[name="victims-0-nik"]', "7372015103150001")
    page.get_by_role("button", name="Tambah korban").click()
    page.wait_for_load_state()
    assert page.input_value('[name="victims-0-nik"]') == "7372015103150001"
    page.fill('[name="victims-1-full_name"]', "Akbar Pawelloi")
    page.select_option('[name="victims-1-sex"]', "M")
    page.fill('[name="victims-1-estimated_age"]', "8")
    page.check('[name="victims-1-disability_types"][value="intellectual"]')
    page.check('[name="victims-1-accommodations"][value="trusted_companion"]')
    page.select_option('[name="perps-0-rel_1"]', "step_parent")
    page.check('[name="perps-0-together_1"]')
    _no_overflow(page)
    screenshot(page, "12-intake-second-victim-phone")
    page.get_by_role("button", name="Simpan pengaduan").click()
    page.wait_for_load_state()

    number = page.get_by_role("heading", level=1).inner_text().strip()
    assert re.fullmatch(r"WS-\d{4}-\d{4}", number), number
    case = Case.objects.get(number=number)
    assert case.victims.count() == 2 and case.reporter_anonymous
    assert "Pengaduan tercatat dengan nomor" in page.locator(".messages").inner_text()
    assert "Akbar Pawelloi" in page.content() and "Anonim" in page.content()
    assert_no_axe_violations(page, "case page")
    _no_overflow(page)
    screenshot(page, "13-case-page-phone")

    page.get_by_role("link", name="Kasus", exact=True).first.click()
    page.wait_for_load_state()
    page.fill('[name="q"]', number)
    page.get_by_role("button", name="Cari").click()
    page.wait_for_load_state()
    assert page.get_by_role("link", name=number).is_visible()
    page.fill('[name="q"]', "Akbar Pawel")
    page.get_by_role("button", name="Cari").click()
    page.wait_for_load_state()
    assert page.get_by_role("link", name=number).is_visible()
    assert "7372015103150001" not in page.content()
    assert_no_axe_violations(page, "case list")
    _no_overflow(page)
    screenshot(page, "14-case-list-phone")


def test_coordinator_reads_case_page_and_access_log(new_page, personas, master):
    from tests.factories import make_case

    case = make_case(personas, danger_now=True)
    page = new_page(PHONE)
    login(page, "ws.koordinator", personas.password)
    page.goto(f"/cases/{case.pk}/")
    assert "Darurat" in page.content()
    assert_no_axe_violations(page, "case page koordinator")
    page.goto(f"/cases/{case.pk}/edit/")
    assert_no_axe_violations(page, "edit form")
    page.goto("/cases/access-log/")
    assert case.number in page.content()
    assert_no_axe_violations(page, "access log")
    _no_overflow(page)
    screenshot(page, "15-access-log-phone")
