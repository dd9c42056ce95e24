"""The public complaint channel in a phone-sized browser with no account (issue 19): the form
with the keyboard alone at 360 px (axe clean), the quick exit (first focusable; with JavaScript
Back does not return to the form; without JavaScript a plain link), no cookie at any moment,
and the whole way: the coordinator of Watang Bacukiki verifies and registers it as a case, the
sender follows the status with the code and PIN."""

import re

import pytest

from cases.models import Case
from public_channel.models import Submission

from .conftest import PHONE, assert_no_axe_violations, login, screenshot
from .pages import no_overflow

pytestmark = pytest.mark.django_db(transaction=True)

EXIT = "https://cuaca.example.org/"
STORY = "Tetangga saya dipukul suaminya tiap malam"

FOCUS = """() => {
  const e = document.activeElement;
  const s = getComputedStyle(e);
  return {tag: e.tagName.toLowerCase(), id: e.id, name: e.name || '', type: e.type || '',
          value: e.value || '',
          outline: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0,
          shadow: s.boxShadow !== 'none', w: e.getBoundingClientRect().width};
}"""


def _stub_exit(ctx):
    ctx.route(
        EXIT + "**",
        lambda route: route.fulfill(
            status=200,
            content_type="text/html",
            body="<html><title>Cuaca</title><p>Cerah</p></html>",
        ),
    )


def _tab(page):
    page.keyboard.press("Tab")
    info = page.evaluate(FOCUS)
    assert info["outline"] or info["shadow"], f"no visible focus: {info}"
    assert info["w"] > 0, f"focus on an invisible element: {info}"
    return info


def test_public_submission_to_case_on_a_phone(browser, live_server, personas, settings):
    settings.PUBLIC_EXIT_URL = EXIT
    settings.PUBLIC_FORM_MIN_SECONDS = 1
    ctx = browser.new_context(viewport=PHONE, locale="id-ID", base_url=live_server.url)
    ctx.set_default_timeout(15000)
    _stub_exit(ctx)
    visited = []
    page = ctx.new_page()
    page.on("framenavigated", lambda f: visited.append(f.url) if f == page.main_frame else None)

    # The chooser, then the kelurahan's page, axe clean and no overflow at 360 px.
    page.goto("/layanan/")
    assert page.title() == "Layanan Kelurahan"
    page.get_by_role("link", name="Kelurahan Watang Bacukiki").click()
    page.wait_for_url("**/layanan/wb/")
    assert page.title() == "Layanan Kelurahan Watang Bacukiki"
    assert_no_axe_violations(page, "public form")
    no_overflow(page)
    screenshot(page, "public-01-form-360")

    # Keyboard only: the quick exit first, then every field in order, then Send.
    page.evaluate("document.activeElement && document.activeElement.blur()")
    first = _tab(page)
    assert first["id"] == "quick-exit"
    seen = []
    for _ in range(60):
        info = _tab(page)
        name = info["name"]
        seen.append(name or info["tag"])
        if name == "kind":
            page.keyboard.press("Space")  # the first choice: violence
        elif name == "text":
            page.keyboard.type(STORY)
        elif name == "place":
            page.keyboard.type("RT 02/RW 03 dekat masjid")
        elif name == "affected":
            page.keyboard.press("ArrowDown")  # "a child" (arrows move and select)
            page.keyboard.press("ArrowDown")  # "someone else"
        elif name == "contact_how":
            page.keyboard.press("ArrowDown")  # from "anonymous" to "phone call"
            page.keyboard.press("ArrowDown")  # WhatsApp
        elif name == "contact_value":
            page.keyboard.type("081234567890")
        elif name == "contact_when":
            page.keyboard.type("Siang hari")
        elif info["tag"] == "button":
            break
    else:
        raise AssertionError(f"the Send button is not reachable with Tab: {seen}")
    assert "website" not in seen  # the honeypot is never focused
    assert seen.index("kind") < seen.index("text") < seen.index("contact_value")
    page.wait_for_timeout(1100)  # the form's time check (PUBLIC_FORM_MIN_SECONDS = 1)
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == "Terkirim. Terima kasih."
    codes = page.locator("dd.code").all_inner_texts()
    code, pin = codes[0].strip(), codes[1].strip()
    assert re.fullmatch(r"[2-9A-HJKMNP-Z]{8}", code) and re.fullmatch(r"\d{6}", pin)
    assert_no_axe_violations(page, "sent")
    no_overflow(page)
    screenshot(page, "public-02-sent-360")
    sub = Submission.objects.get()
    assert sub.kelurahan.code == "WB" and sub.text == STORY and sub.contact_how == "whatsapp"
    assert sub.affected == "other"

    # The coordinator of Watang Bacukiki: the queue, mark as read, register through the intake.
    staff_ctx = browser.new_context(viewport=PHONE, locale="id-ID", base_url=live_server.url)
    staff_ctx.set_default_timeout(15000)
    staff = staff_ctx.new_page()
    login(staff, "wb.koordinator", personas.password)
    staff.get_by_role("link", name="Masuk dari publik").first.click()
    staff.wait_for_url("**/publik/")
    staff.locator("table a").first.click()
    assert STORY in staff.locator("main").inner_text()
    assert "081234567890" in staff.locator("main").inner_text()
    staff.get_by_role("button", name="Tandai sudah dibaca (sedang saya verifikasi)").click()
    staff.wait_for_load_state()
    assert_no_axe_violations(staff, "submission page")
    no_overflow(staff)
    screenshot(staff, "public-03-coordinator-submission-360")
    staff.get_by_role("button", name="Daftarkan sebagai kasus").click()
    staff.wait_for_url("**/cases/new/?publik=*")
    assert STORY in staff.locator("textarea[name=narrative]").input_value()
    staff.locator("[name='victims-0-full_name']").fill("Rahmawati")
    staff.locator("[name='victims-0-estimated_age']").fill("35")
    staff.locator("form.intake-form button[type=submit][name=save]").first.click()
    staff.wait_for_load_state()
    case = Case.objects.get()
    sub.refresh_from_db()
    assert sub.case_id == case.pk and sub.state == "registered"
    assert case.channel == "public_form" and case.kelurahan.code == "WB"
    staff_ctx.close()

    # The sender follows the status with code and PIN (a POST: nothing in the URL).
    page.goto("/layanan/cek/")
    page.get_by_label("Kode (8 karakter)").fill(code)
    page.get_by_label("PIN (6 angka)").fill(pin)
    page.get_by_role("button", name="Cek").click()
    page.wait_for_load_state()
    assert page.locator("[aria-current=step]").inner_text() == "Ditindaklanjuti"
    assert case.number not in page.content() and STORY not in page.content()
    assert_no_axe_violations(page, "status")
    screenshot(page, "public-04-status-360")

    # No cookie at any moment, nothing of the complaint in the history's URLs.
    assert ctx.cookies() == []
    assert page.evaluate("document.cookie") == ""
    for url in visited:
        assert code not in url and pin not in url and "dipukul" not in url, url

    # Quick exit with JavaScript (Escape): Back does not show the form.
    page.goto("/layanan/")
    page.get_by_role("link", name="Kelurahan Watang Bacukiki").click()
    page.wait_for_url("**/layanan/wb/")
    page.locator("[name=text]").fill("rahasia")
    page.keyboard.press("Escape")
    page.wait_for_url(EXIT)
    page.go_back()
    page.wait_for_load_state()
    assert not page.url.endswith("/layanan/wb/"), page.url
    assert page.locator("[name=text]").count() == 0
    # ... and by the link.
    page.goto("/layanan/")
    page.get_by_role("link", name="Kelurahan Watang Bacukiki").click()
    page.wait_for_url("**/layanan/wb/")
    page.get_by_role("link", name="Keluar cepat").click()
    page.wait_for_url(EXIT)
    page.go_back()
    page.wait_for_load_state()
    assert page.locator("[name=text]").count() == 0
    ctx.close()

    # Without JavaScript the quick exit is a plain link that works.
    nojs = browser.new_context(viewport=PHONE, java_script_enabled=False, base_url=live_server.url)
    _stub_exit(nojs)
    p2 = nojs.new_page()
    p2.goto("/layanan/wb/")
    p2.get_by_role("link", name="Keluar cepat").click()
    p2.wait_for_url(EXIT)
    assert nojs.cookies() == []
    nojs.close()
