"""Browser harness: Debian's Chromium driven by Playwright, axe-core injected from a vendored copy.

Never `playwright install`: it downloads a browser from the internet.
"""

import json
import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
AXE_JS = (Path(__file__).parent / "vendor" / "axe.min.js").read_text()
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
SHOTS = Path(__file__).resolve().parents[2] / "screenshots"
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 360, "height": 640}
DESKTOP = {"width": 1280, "height": 900}

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield b
        b.close()


@pytest.fixture
def new_page(browser, live_server):
    """new_page(viewport=PHONE) -> a page in a fresh context (own cookies)."""
    contexts = []

    def make(viewport=DESKTOP):
        ctx = browser.new_context(viewport=viewport, locale="id-ID", base_url=live_server.url)
        ctx.set_default_timeout(15000)
        contexts.append(ctx)
        return ctx.new_page()

    yield make
    for ctx in contexts:
        ctx.close()


def login(page, username, password):
    page.goto("/accounts/login/")
    page.get_by_label("Nama pengguna").fill(username)
    page.get_by_label("Kata sandi").fill(password)
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_load_state()


def axe_violations(page, context=None):
    """Run axe-core with the WCAG 2.2 AA tags; returns the list of violations (empty is good).

    axe is evaluated through the devtools protocol, so the page's strict CSP stays on.
    """
    page.evaluate(AXE_JS)
    return page.evaluate(
        "async ([ctx, tags]) => (await axe.run(ctx || document,"
        " {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})).violations",
        [context, AXE_TAGS],
    )


def assert_no_axe_violations(page, label=""):
    violations = axe_violations(page)
    summary = [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"][:5]]}
        for v in violations
    ]
    assert not violations, f"axe violations on {label or page.url}: {json.dumps(summary)}"


def screenshot(page, name):
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
