import pytest

from .conftest import DESKTOP, PHONE, assert_no_axe_violations, login, screenshot

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("viewport,tag", [(PHONE, "phone"), (DESKTOP, "desktop")])
def test_login_and_home_as_persona(new_page, personas, viewport, tag):
    page = new_page(viewport)
    page.goto("/")
    assert "/accounts/login/" in page.url
    assert page.locator("html").get_attribute("lang") == "id"
    assert_no_axe_violations(page, "login")
    screenshot(page, f"00-login-{tag}")
    login(page, "ws.koordinator", personas.password)
    assert page.url.endswith("/home/")
    assert page.get_by_role("heading", level=1).inner_text().startswith("Selamat datang")
    assert page.get_by_role("navigation", name="Navigasi utama").is_visible()
    assert_no_axe_violations(page, "home")
    # Nothing overflows the phone's width.
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= viewport["width"], f"horizontal overflow: {width}px"
    screenshot(page, f"01-home-koordinator-{tag}")


def test_skip_link_is_first_and_focusable(new_page, personas):
    page = new_page(DESKTOP)
    page.goto("/accounts/login/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.outerHTML")
    assert "Lewati ke konten utama" in focused, focused
