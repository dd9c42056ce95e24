"""The report pages in a browser: the coordinator's, the lurah's monthly PDF and the kota
analyst's view; axe-core with the WCAG 2.2 AA tags on each, no horizontal scroll at 360 px,
screenshots (screenshots/reports-*.png) and the monthly PDF (screenshots/reports-monthly.pdf)."""

import pytest

from tests.factories import make_case

from .conftest import DESKTOP, PHONE, SHOTS, assert_no_axe_violations, login, screenshot
from .pages import no_overflow

pytestmark = pytest.mark.django_db(transaction=True)

SECTIONS = ["victims", "violence", "social", "services", "quality", "outreach"]


def _data(personas):
    for i in range(6):
        make_case(
            personas,
            "handling",
            victims=[{"full_name": f"Korban {i}", "sex": "F", "estimated_age": 20 + 7 * i}],
        )
    make_case(personas, "received", child=True, violence_types=["sexual"], tpks_types=["rape"])
    make_case(personas, "received", kel="wb")


def test_report_pages_accessible(new_page, personas):
    _data(personas)
    for who, place in (("ws.koordinator", ""), ("kota.analis", "&place=kota:73.72")):
        page = new_page(DESKTOP)
        login(page, who, personas.password)
        for s in SECTIONS:
            page.goto(f"/reports/{s}/?period=year&year=2026{place}")
            assert page.locator("h1").first.is_visible()
            charts = page.locator("svg.chart")
            if charts.count():
                assert charts.first.locator("title").count() == 1
                assert page.locator("table").count() >= 1
            assert_no_axe_violations(page, f"{who} {s}")
        screenshot(page, f"reports-{who.split('.')[0]}-outreach")
        page.goto(f"/reports/victims/?period=year&year=2026{place}")
        screenshot(page, f"reports-{who.split('.')[0]}-victims")
    phone = new_page(PHONE)
    login(phone, "kota.analis", personas.password)
    phone.goto("/reports/victims/?period=year&year=2026&place=kota:73.72")
    no_overflow(phone, PHONE["width"])
    assert_no_axe_violations(phone, "kota victims at 360 px")
    screenshot(phone, "reports-kota-victims-phone")


def test_monthly_report_form_and_pdf(new_page, personas):
    _data(personas)
    page = new_page(DESKTOP)
    login(page, "ws.lurah", personas.password)
    page.goto("/reports/monthly/")
    assert_no_axe_violations(page, "monthly form")
    screenshot(page, "reports-monthly-form")
    with page.expect_download() as dl:
        page.get_by_role("button", name="Unduh PDF").click()
    SHOTS.mkdir(exist_ok=True)
    dl.value.save_as(str(SHOTS / "reports-monthly.pdf"))
