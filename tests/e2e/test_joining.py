"""The guided setup of a place that just joined, in a browser: a desa of Papua Barat (WIT) added
by the admin by its region code, then its coordinator walks every step at 360 px; axe-core with
the WCAG 2.2 AA tags on each page, no horizontal scroll, screenshots (screenshots/setup-*.png)."""

import pytest

from accounts.models import Kelurahan, Membership, Role, User
from joining.models import SetupStep
from places import loader

from .conftest import DESKTOP, PHONE, assert_no_axe_violations, login, screenshot
from .pages import no_overflow, t

pytestmark = pytest.mark.django_db(transaction=True)


def test_admin_adds_a_desa_and_its_coordinator_walks_the_setup(new_page, personas):
    loader.load("92")
    coord = User.objects.create_user("dd.koordinator", password=personas.password)
    admin = new_page(DESKTOP)
    login(admin, "admin", personas.password)
    admin.goto("/places/join/")
    assert_no_axe_violations(admin, "join page")
    admin.get_by_label(t("Region code (kode wilayah)")).fill("92.02.03.2001")
    admin.get_by_label(t("Short code")).fill("DD")
    admin.get_by_label(t("First coordinator (username)")).fill("dd.koordinator")
    admin.get_by_role("button", name=t("Add the place")).click()
    admin.wait_for_load_state()
    assert admin.locator(".alert-success").count() == 1
    assert "Dindey" in admin.locator("table").inner_text()
    kel = Kelurahan.objects.get(region_id="92.02.03.2001")
    kasi = User.objects.create_user("dd.kasikesra", password="x", first_name="Yusuf")
    Membership.objects.create(user=kasi, kelurahan=kel, role=Role.KASI_KESRA)
    assert coord.pk

    page = new_page(PHONE)
    login(page, "dd.koordinator", personas.password)
    page.goto(f"/places/setup/{kel.pk}/")
    assert_no_axe_violations(page, "setup overview")
    no_overflow(page, PHONE["width"])
    screenshot(page, "setup-overview-phone")
    page.get_by_role("link", name=t("Letterhead")).click()

    def save():
        page.get_by_role("button", name=t("Save and continue")).click()
        page.wait_for_load_state()

    # Letterhead: an empty address is refused first (the error summary is checked by axe).
    page.get_by_label(t("phone")).first.fill("0986 123")
    save()
    assert page.locator("#id_phone").input_value() == "0986 123"
    assert_no_axe_violations(page, "letterhead with an error")
    page.get_by_label(t("office address")).fill("Jl. Trans Warmare")
    save()
    # Signers: the kasi kesra's title, no NIP.
    assert "/signers/" in page.url
    assert_no_axe_violations(page, "signers")
    no_overflow(page, PHONE["width"])
    screenshot(page, "setup-signers-phone")
    page.get_by_label(t("official title")).fill("Kasi Kesejahteraan")
    save()
    # Acting head: skipped (nobody away now).
    assert "/acting/" in page.url
    assert_no_axe_violations(page, "acting head")
    page.get_by_role("link", name=t("Skip to the next step")).click()
    page.wait_for_load_state()
    # Agencies: add the kabupaten's UPTD PPA.
    assert "/agencies/" in page.url
    assert_no_axe_violations(page, "agencies")
    no_overflow(page, PHONE["width"])
    page.locator("#id_new-name").fill("UPTD PPA Kabupaten Manokwari")
    page.locator("#id_new-kind").select_option("uptd_ppa")
    page.get_by_role("button", name=t("Add the agency")).click()
    page.wait_for_load_state()
    assert_no_axe_violations(page, "agencies with one")
    page.get_by_label(
        t("Contact person at %(agency)s") % {"agency": "UPTD PPA Kabupaten Manokwari"}, exact=True
    ).fill("Ibu Ruth")
    save()
    # Letter numbers: the default kept.
    assert "/numbering/" in page.url
    assert_no_axe_violations(page, "numbering")
    save()
    # People: a pointer to the People page, then done.
    assert "/people/" in page.url
    assert_no_axe_violations(page, "people step")
    page.get_by_role("button", name=t("Mark the setup as done")).click()
    page.wait_for_load_state()
    screenshot(page, "setup-done-phone")
    assert set(SetupStep.objects.filter(kelurahan=kel).values_list("step", flat=True)) == {
        "letterhead",
        "signers",
        "agencies",
        "numbering",
        "people",
    }
    kel.refresh_from_db()
    assert kel.address == "Jl. Trans Warmare" and kel.time_zone == "Asia/Jayapura"
