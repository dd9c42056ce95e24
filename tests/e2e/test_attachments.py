"""In the browser: attachments on the case page (phone): a file refused by its content, a photo
attached and listed. axe-core on each page, screenshots under screenshots/."""

import pytest

from attachments.models import Attachment
from tests.factories import make_case
from tests.uploads import gps_exif, jpeg_bytes

from .conftest import PHONE, assert_no_axe_violations, login, screenshot

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def case(personas, master, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return make_case(personas, "assessment")


def test_attach_photo_on_phone(new_page, personas, case, tmp_path):
    photo = tmp_path / "IMG_2041.jpg"
    photo.write_bytes(jpeg_bytes(exif=gps_exif(), size=(320, 240)))
    fake = tmp_path / "foto.jpg"
    fake.write_text("<html><script>alert(1)</script></html>")
    page = new_page(PHONE)
    login(page, "ws.pendamping", personas.password)
    page.goto(f"/cases/{case.pk}/")
    section = page.locator("#lampiran")
    assert section.is_visible()
    section.locator("summary").click()
    # Refused by content: the error summary links to the field, the description stays.
    section.locator("#id_file").set_input_files(str(fake))
    section.get_by_label("Keterangan").fill("Foto luka di lengan")
    section.get_by_role("button", name="Lampirkan berkas").click()
    page.wait_for_load_state()
    assert page.locator("#error-summary").is_visible()
    assert "Jenis berkas ini tidak diterima" in page.locator("#error-summary").inner_text()
    assert page.get_by_label("Keterangan").input_value() == "Foto luka di lengan"
    assert_no_axe_violations(page, "attachments with error")
    screenshot(page, "attachments-refused-phone")
    # A real photo.
    page.locator("#id_file").set_input_files(str(photo))
    page.get_by_role("button", name="Lampirkan berkas").click()
    page.wait_for_load_state()
    assert "Berkas sudah dilampirkan" in page.content()
    assert page.get_by_role("link", name="IMG_2041.jpg").is_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"horizontal overflow: {width}px"
    assert_no_axe_violations(page, "attachments page")
    screenshot(page, "attachments-phone")
    assert Attachment.objects.count() == 1
    # The case page shows it in its section.
    page.goto(f"/cases/{case.pk}/")
    assert page.locator("#lampiran").get_by_role("link", name="IMG_2041.jpg").is_visible()
    assert_no_axe_violations(page, "case page with attachments")
    screenshot(page, "attachments-case-page-phone")
