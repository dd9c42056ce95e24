"""In the browser: a companion sets up two-factor sign-in (QR code and the key as text), then
signs in again with a code from the app. axe-core (WCAG 2.2 AA) on each page, at 360 px too."""

import base64
import time

import pytest
from django_otp.oath import TOTP

from .conftest import PHONE, assert_no_axe_violations, login, screenshot
from .pages import no_overflow

pytestmark = pytest.mark.django_db(transaction=True)


def _code(secret_text: str) -> str:
    key = secret_text.replace(" ", "")
    key += "=" * (-len(key) % 8)
    totp = TOTP(base64.b32decode(key))
    totp.time = time.time()
    return f"{totp.token():06d}"


def test_totp_enrolment_and_sign_in(new_page, personas):
    page = new_page(PHONE)
    login(page, "ws.pendamping", personas.password)
    page.goto("/accounts/two-factor/setup/")
    assert page.get_by_role("heading", level=1).inner_text() == "Pasang masuk dua langkah"
    assert page.locator(".qr-code svg").count() == 1
    secret = page.locator("code.totp-secret").inner_text()
    assert_no_axe_violations(page, "two-factor setup")
    no_overflow(page)
    screenshot(page, "two-factor-setup-phone")
    page.get_by_label("Kode").fill(_code(secret))
    page.get_by_role("button", name="Konfirmasi").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == "Kode pemulihan Anda"
    assert page.locator(".recovery-codes li").count() == 10
    assert_no_axe_violations(page, "recovery codes")
    no_overflow(page)

    # Signing in again: the password, then the code.
    page.get_by_role("button", name="Keluar").first.click()
    page.wait_for_load_state()
    login(page, "ws.pendamping", personas.password)
    assert "/accounts/two-factor/verify/" in page.url
    assert_no_axe_violations(page, "two-factor verify")
    no_overflow(page)
    # A new 30-second step, so that the code differs from the one used at set-up.
    time.sleep(max(0, 30 - time.time() % 30) + 1)
    page.get_by_label("Kode").fill(_code(secret))
    page.get_by_role("button", name="Lanjutkan").click()
    page.wait_for_load_state()
    assert page.url.rstrip("/").endswith("/home")
