"""Accessibility beyond axe: the intake with the keyboard alone (visible focus, no trap, focus
moving top to bottom, Enter in a text field saves), and the main pages at 200% zoom."""

import re

import pytest

from cases.models import Case
from tests.factories import make_case

from .conftest import DESKTOP, assert_no_axe_violations, login, screenshot
from .pages import no_overflow, t

pytestmark = pytest.mark.django_db(transaction=True)

FOCUS_INFO = """() => {
  const e = document.activeElement;
  const s = getComputedStyle(e);
  const r = e.getBoundingClientRect();
  return {
    id: e.id, tag: e.tagName.toLowerCase(), type: e.type || '', name: e.name || '',
    text: (e.innerText || '').trim().slice(0, 40),
    inForm: !!e.closest('form.intake-form'), inFooter: !!e.closest('footer'),
    top: r.top + window.scrollY, left: r.left + window.scrollX,
    width: r.width, height: r.height,
    outline: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0,
    shadow: s.boxShadow !== 'none',
  };
}"""


def _tab(page, shift=False):
    page.keyboard.press("Shift+Tab" if shift else "Tab")
    return page.evaluate(FOCUS_INFO)


def _assert_focus_visible(info):
    assert info["outline"] or info["shadow"], f"no visible focus on {info}"
    assert info["width"] > 0 and info["height"] > 0, f"focus on an invisible element: {info}"


def test_keyboard_only_registers_a_complaint(new_page, personas):
    page = new_page(DESKTOP)
    login(page, "ws.relawan", personas.password)
    # From the home page to the form, with Tab and Enter.
    page.evaluate("document.activeElement && document.activeElement.blur()")
    for _ in range(30):
        info = _tab(page)
        if info["tag"] == "a" and info["text"] == "Pengaduan Baru":
            break
    else:
        raise AssertionError("the 'Pengaduan Baru' link is not reachable with Tab")
    _assert_focus_visible(info)
    page.keyboard.press("Enter")
    page.wait_for_url("**/cases/new/")
    assert page.get_by_role("heading", level=1).inner_text() == "Pengaduan Baru"

    # Tab through the whole form to the footer, acting on the fields on the way.
    visited = []
    for _ in range(400):
        info = _tab(page)
        if info["inFooter"]:
            break
        if not info["inForm"]:
            continue
        _assert_focus_visible(info)
        visited.append(info)
        fid = info["id"]
        if fid == "id_channel":
            page.keyboard.type("Telepon")
        elif fid == "id_narrative":
            page.keyboard.type("Anak tetangga sering dipukul; dilaporkan lewat telepon.")
        elif fid in ("id_violence_types_0", "id_victims-0-vulnerable_groups_0"):
            page.keyboard.press("Space")  # Fisik; Anak
        elif fid == "id_victims-0-full_name":
            page.keyboard.type("Rahmat Hidayat")
        elif fid == "id_victims-0-estimated_age":
            page.keyboard.type("9")
        elif fid == "id_victims-0-disability_types_3":
            page.keyboard.press("Space")  # Sensorik
        elif fid == "id_reporter_kind_0":
            page.keyboard.press("Space")  # the first radio of "Siapa yang melapor?"
    else:
        raise AssertionError("focus never left the form: keyboard trap?")

    # Everything in the form was reachable, in the document's order, top to bottom.
    dom = page.evaluate(
        "() => [...document.querySelector('form.intake-form').querySelectorAll("
        "'input:not([type=hidden]), select, textarea, button')]"
        ".map(e => ({id: e.id, name: e.name, type: e.type || ''}))"
    )
    # (a date field takes one tab stop per part: day, month, year...)
    reached_ids = [
        v["id"] for i, v in enumerate(visited) if i == 0 or visited[i - 1]["id"] != v["id"]
    ]
    reached_names = {v["name"] for v in visited}
    # Only the other radios of a group whose one radio took the focus were skipped (one tab stop
    # per radio group), and the rest came in the document's order.
    skipped = [e for e in dom if e["id"] not in reached_ids]
    assert all(e["type"] == "radio" and e["name"] in reached_names for e in skipped), skipped
    assert [e["id"] for e in dom if e["id"] in reached_ids] == reached_ids, reached_ids
    for prev, cur in zip(visited, visited[1:], strict=False):
        same_row = abs(cur["top"] - prev["top"]) < 40 and cur["left"] > prev["left"]
        assert cur["top"] >= prev["top"] - 2 or same_row, f"focus went up: {prev} -> {cur}"
    assert page.locator("#id_channel").input_value() == "phone"
    assert page.locator("#id_violence_types_0").is_checked()
    assert page.locator("#id_victims-0-disability_types_3").is_checked()

    # Back with Shift+Tab to the victim's name, then Enter saves (it does not add a victim).
    for _ in range(400):
        info = _tab(page, shift=True)
        if info["id"] == "id_victims-0-full_name":
            break
    _assert_focus_visible(info)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/cases/\d+/$"))
    number = page.get_by_role("heading", level=1).inner_text().strip()
    assert re.fullmatch(r"WS-\d{4}-\d{4}", number), page.locator("main").inner_text()[:500]
    case = Case.objects.get(number=number)
    victim = case.victims.get()
    assert victim.full_name == "Rahmat Hidayat" and victim.estimated_age == 9
    assert "sensory" in victim.disability_types
    assert case.channel == "phone" and "dipukul" in case.narrative
    screenshot(page, "a11y-keyboard-saved-desktop")


ZOOM = {"width": 640, "height": 450}  # 1280x900 at 200%


def test_main_pages_at_200_percent_zoom(browser, live_server, personas, master):
    case = make_case(personas, child=True)
    ctx = browser.new_context(
        viewport=ZOOM, device_scale_factor=2, locale="id-ID", base_url=live_server.url
    )
    try:
        page = ctx.new_page()
        page.emulate_media(media="screen")
        page.goto("/accounts/login/")
        no_overflow(page)
        assert page.get_by_role("button", name="Masuk").is_visible()
        screenshot(page, "zoom200-login")
        login(page, "ws.koordinator", personas.password)
        pages = [
            ("/home/", None),
            ("/cases/", "Cari"),
            ("/cases/new/", "Simpan pengaduan"),
            (f"/cases/{case.pk}/", None),
            (f"/cases/{case.pk}/act/assign/", t("Assign a companion")),
            ("/cases/tasks/", None),
            ("/cases/dashboard/", None),
            ("/cases/procedure/", None),
            ("/cases/access-log/", None),
            ("/referrals/register/", None),
            (f"/cases/{case.pk}/attachments/", t("Attach file")),
            ("/accounts/password/", None),
            ("/notifications/", None),
        ]
        for url, button in pages:
            page.goto(url)
            assert page.get_by_role("navigation", name="Navigasi utama").is_visible(), url
            no_overflow(page, ZOOM["width"])
            if button:
                b = page.get_by_role("button", name=button).last
                b.scroll_into_view_if_needed()
                box = b.bounding_box()
                assert b.is_visible() and box["x"] >= 0, url
                assert box["x"] + box["width"] <= ZOOM["width"], (url, box)
            assert_no_axe_violations(page, f"{url} at 200%")
            name = url.strip("/").replace("/", "-") or "root"
            screenshot(page, f"zoom200-{re.sub(r'[0-9]+', 'n', name)}")
    finally:
        ctx.close()


def test_keyboard_only_assigns_a_companion(new_page, personas, master):
    """A procedure step with the keyboard alone: open the step (summary), pick the companion,
    tick the conflict-of-interest declaration, submit; focus stays visible all the way."""
    case = make_case(personas)
    page = new_page(DESKTOP)
    login(page, "ws.koordinator", personas.password)
    page.goto(f"/cases/{case.pk}/")
    page.evaluate("document.activeElement && document.activeElement.blur()")
    for _ in range(200):
        info = _tab(page)
        if info["tag"] == "summary" and info["text"].startswith("Tetapkan pendamping"):
            break
    else:
        raise AssertionError("the 'Tetapkan pendamping' step is not reachable with Tab")
    _assert_focus_visible(info)
    page.keyboard.press("Enter")  # opens the <details>
    seen = set()
    for _ in range(15):
        info = _tab(page)
        _assert_focus_visible(info)
        seen.add(info["tag"])
        if info["tag"] == "select":
            page.keyboard.press("ArrowDown")  # the first companion of the list
        elif info["type"] == "checkbox":
            page.keyboard.press("Space")
        elif info["tag"] == "button" and info["text"].startswith("Tetapkan pendamping"):
            break
    else:
        raise AssertionError(f"the submit button was not reached; focus went through {seen}")
    page.keyboard.press("Enter")
    page.get_by_text("Selesai: Tetapkan pendamping").wait_for()
    case.refresh_from_db()
    assert case.status == "assessment"
    assert case.companion is not None
    screenshot(page, "a11y-keyboard-assigned-desktop")
