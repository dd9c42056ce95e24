"""Helpers for the browser tests: Indonesian labels straight from the catalogue, procedure
boxes on the case page found by their visible summary, overflow checks."""

from django.utils import translation


def t(msgid):
    """The Indonesian text the page shows for an English msgid."""
    with translation.override("id"):
        return translation.gettext(msgid)


def action_box(page, label):
    """The <details> box of a procedure step on the case page, opened; found by its summary."""
    box = page.locator("details", has=page.locator("summary", has_text=label)).first
    if not box.evaluate("d => d.open"):
        box.locator("summary").click()
    return box


def fire(page, label, fill=None, expect_ok=True):
    """Open the step's box, fill it, press its button (named like the step), check the outcome."""
    box = action_box(page, label)
    if fill:
        fill(box)
    box.get_by_role("button", name=label).click()
    page.wait_for_load_state()
    if expect_ok:
        alert = page.locator(".alert-success")
        assert alert.count() == 1, page.locator("main").inner_text()[:2000]
    return page


def no_overflow(page, width=None):
    width = width or page.viewport_size["width"]
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"horizontal overflow on {page.url}: {scroll}px > {width}px"
