"""In the browser: the coordinator of Watang Soreang invites a new companion with an in-person
code; the companion accepts it, chooses a password, signs in, sets up two-factor sign-in (the
code computed here from the key the page shows) and, once the coordinator has assigned them a
case, sees it. axe-core (WCAG 2.2 AA) on each new page, at 360 px."""

import base64
import re
import time

import pytest
from django_otp.oath import TOTP

from cases.models import Case
from tests.factories import make_case

from .conftest import PHONE, assert_no_axe_violations, login, screenshot
from .pages import fire, no_overflow, t

pytestmark = pytest.mark.django_db(transaction=True)
NEW_PASSWORD = "perahu di pelabuhan parepare"


def _code(secret_text: str) -> str:
    key = secret_text.replace(" ", "")
    key += "=" * (-len(key) % 8)
    totp = TOTP(base64.b32decode(key))
    totp.time = time.time()
    return f"{totp.token():06d}"


def _check(page, name):
    assert_no_axe_violations(page, name)
    no_overflow(page)


def test_coordinator_invites_a_companion_who_signs_in_and_sees_their_case(new_page, personas):
    case = make_case(personas)  # a complaint waiting for a companion

    # 1. The coordinator invites, on a phone.
    koor = new_page(PHONE)
    login(koor, "ws.koordinator", personas.password)
    koor.goto("/accounts/people/")
    _check(koor, "people")
    koor.get_by_role("link", name="Undang seseorang").click()
    koor.wait_for_load_state()
    _check(koor, "invite")
    koor.get_by_label("Peran dan tempat").select_option(
        label="Pendamping LBK-KK, Kelurahan Watang Soreang"
    )
    koor.get_by_label("Nama depan").fill("Wahyuni")
    koor.get_by_label("Nama belakang").fill("Hamzah")
    koor.get_by_role("button", name="Undang", exact=True).click()
    koor.wait_for_load_state()
    assert koor.get_by_role("heading", level=1).inner_text() == "Kode undangan"
    code = koor.locator("code.invitation-code").inner_text()
    _check(koor, "invitation code")
    screenshot(koor, "people-invitation-code-phone")

    # 2. The newcomer, on their own phone: the code, then their account.
    new = new_page(PHONE)
    new.goto("/accounts/login/")
    new.get_by_role("link", name="Punya kode undangan?").click()
    new.wait_for_load_state()
    _check(new, "invitation code form")
    new.get_by_label("Kode undangan").fill(code)
    new.get_by_role("button", name="Lanjutkan").click()
    new.wait_for_load_state()
    assert new.get_by_role("heading", level=1).inner_text() == "Terima undangan"
    _check(new, "accept invitation")
    new.get_by_label("Nama pengguna").fill("ws.wahyuni")
    assert new.get_by_label("Nama depan").input_value() == "Wahyuni"
    new.get_by_label("Sandi baru", exact=True).fill(NEW_PASSWORD)
    new.get_by_label("Konfirmasi sandi baru").fill(NEW_PASSWORD)
    new.get_by_role("button", name="Buat akun saya").click()
    new.wait_for_load_state()
    assert "/accounts/login/" in new.url
    login(new, "ws.wahyuni", NEW_PASSWORD)
    assert new.url.rstrip("/").endswith("/home")

    # 3. Two-factor sign-in.
    new.goto("/accounts/two-factor/setup/")
    secret = new.locator("code.totp-secret").inner_text()
    new.get_by_label("Kode").fill(_code(secret))
    new.get_by_role("button", name="Konfirmasi").click()
    new.wait_for_load_state()
    assert new.get_by_role("heading", level=1).inner_text() == "Kode pemulihan Anda"

    # 4. The coordinator assigns the complaint to the newcomer (the procedure's step).
    koor.goto(f"/cases/{case.pk}/")
    fire(
        koor,
        t("Assign a companion"),
        lambda b: (
            b.get_by_label("Pendamping", exact=True).select_option(label="Wahyuni Hamzah"),
            b.get_by_label(re.compile("tidak memiliki konflik kepentingan")).check(),
        ),
    )
    assert Case.objects.get(pk=case.pk).companion.username == "ws.wahyuni"
    # The coordinator's page of the newcomer: the membership, what may be done, the changes.
    koor.goto("/accounts/people/")
    koor.get_by_role("link", name="Wahyuni Hamzah").click()
    koor.wait_for_load_state()
    assert "Pendamping LBK-KK" in koor.locator("main").inner_text()
    _check(koor, "person page")

    # 5. The newcomer sees their first case.
    new.goto("/cases/")
    _check(new, "case list of the newcomer")
    new.get_by_role("link", name=case.number).first.click()
    new.wait_for_load_state()
    assert case.number in new.locator("h1").inner_text()
    _check(new, "the newcomer's first case")
    screenshot(new, "people-newcomer-first-case-phone")
