"""In the browser: a form sent after the session ended on the server comes back, with what was
typed, after logging in again. axe-core on each page, screenshots under screenshots/."""

import pytest
from django.contrib.sessions.models import Session

from tests.factories import make_case

from .conftest import DESKTOP, assert_no_axe_violations, login, screenshot

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def case(personas, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return make_case(personas, "assessment")


def test_form_after_session_end_comes_back(new_page, personas, case):
    page = new_page(DESKTOP)
    login(page, "ws.koordinator", personas.password)
    page.goto(f"/cases/{case.pk}/attachments/")
    page.get_by_label("Keterangan").fill("Surat visum dari RSUD")
    Session.objects.all().delete()  # the session ends on the server while the user types
    page.get_by_role("button", name="Lampirkan berkas").click()
    page.wait_for_load_state()
    assert "/accounts/login/" in page.url
    assert "Sesi Anda telah berakhir" in page.content()
    # Log in on the page we were sent to (it carries ?next=).
    page.get_by_label("Nama pengguna").fill("ws.koordinator")
    page.get_by_label("Kata sandi").fill(personas.password)
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_load_state()
    assert page.url.endswith("/accounts/resubmit/")
    assert page.get_by_role("heading", level=1).inner_text() == "Data Anda tersimpan"
    assert_no_axe_violations(page, "resubmit")
    screenshot(page, "session-expired-resubmit-desktop")
    page.get_by_role("button", name="Kirim ulang").click()
    page.wait_for_load_state()
    # Back on the form with what was typed (the file must be chosen again).
    assert page.url.endswith(f"/cases/{case.pk}/attachments/")
    assert page.get_by_label("Keterangan").input_value() == "Surat visum dari RSUD"
    screenshot(page, "session-expired-resubmitted-desktop")
