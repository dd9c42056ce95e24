"""The procedure walked in a browser by the personas on the case page, assignment to closure,
on a phone, with axe on each new page."""

import pytest

from cases.models import Case
from tests.factories import make_case

from .conftest import PHONE, assert_no_axe_violations, login, screenshot

pytestmark = pytest.mark.django_db(transaction=True)


def open_all(page):
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")


def fire(page, action, fill=None):
    box = page.locator(f"#act-{action}")
    if not box.evaluate("d => d.open"):
        box.locator("summary").click()
    if fill:
        fill(box)
    box.locator("button[type=submit]").click()
    page.wait_for_load_state()
    alert = page.locator(".alert-success")
    assert alert.count() == 1, page.locator("main").inner_text()[:2000]


def no_overflow(page):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"horizontal overflow: {width}px"


def test_walk_assignment_to_closure(new_page, personas, master):
    pw = personas.password
    case = make_case(personas, child=False)
    url = f"/cases/{case.pk}/"

    koor = new_page(PHONE)
    login(koor, "ws.koordinator", pw)
    koor.goto("/cases/tasks/")
    assert case.number in koor.locator("main").inner_text()
    assert_no_axe_violations(koor, "tasks")
    koor.get_by_role("link", name=case.number).click()
    open_all(koor)
    assert_no_axe_violations(koor, "case received")
    no_overflow(koor)
    screenshot(koor, "procedure-10-received-phone")
    # a refused form keeps the input and explains, with an error summary
    koor.goto(f"/cases/{case.pk}/act/assign/")
    koor.locator("textarea[name='assign-note']").fill("catatan penugasan")
    koor.locator("main button[type=submit]").click()
    assert koor.locator("#error-summary").is_visible()
    assert koor.locator("textarea[name='assign-note']").input_value() == "catatan penugasan"
    assert_no_axe_violations(koor, "assign with errors")
    screenshot(koor, "procedure-11-assign-error-phone")
    koor.goto(url)
    fire(
        koor,
        "assign",
        lambda b: (
            b.locator("select[name='assign-companion']").select_option(label="Andi Mappasessu"),
            b.locator("input[name='assign-no_conflict']").check(),
        ),
    )

    pend = new_page(PHONE)
    login(pend, "ws.pendamping", pw)
    pend.goto(url)
    fire(pend, "first_contact")
    fire(
        pend,
        "assess",
        lambda b: (
            b.locator("select[name='assess-victim']").select_option(index=1),
            b.get_by_label("Korban terluka").check(),
            b.get_by_label("Kesehatan").check(),
        ),
    )
    fire(
        pend, "consent", lambda b: b.locator("select[name='consent-victim']").select_option(index=1)
    )
    fire(
        pend,
        "plan_action",
        lambda b: (
            b.locator("select[name='plan_action-victim']").select_option(index=1),
            b.locator("select[name='plan_action-service_type']").select_option("health"),
        ),
    )
    open_all(pend)
    assert_no_axe_violations(pend, "case assessment")
    screenshot(pend, "procedure-20-assessment-phone")
    fire(pend, "complete_assessment")
    fire(pend, "start_monitoring")
    fire(
        pend,
        "visit",
        lambda b: (
            b.locator("textarea[name='visit-text']").fill("Kunjungan rumah, korban aman."),
            b.locator("input[name='visit-confidential']").check(),
        ),
    )
    fire(
        pend,
        "propose_closure",
        lambda b: b.locator("select[name='propose_closure-closure_reason']").select_option(
            "needs_met"
        ),
    )
    open_all(pend)
    assert_no_axe_violations(pend, "case closure requested")
    no_overflow(pend)
    screenshot(pend, "procedure-30-closure-requested-phone")

    kasi = new_page(PHONE)
    login(kasi, "ws.kasikesra", pw)
    kasi.goto(url)
    assert "Kunjungan rumah, korban aman." not in kasi.locator("main").inner_text()
    fire(kasi, "approve_closure")
    assert Case.objects.get(pk=case.pk).status == "closed"
    kasi.goto("/cases/dashboard/")
    assert_no_axe_violations(kasi, "dashboard")
    no_overflow(kasi)
    screenshot(kasi, "procedure-40-dashboard-phone")
    kasi.goto("/cases/procedure/")
    assert_no_axe_violations(kasi, "procedure")
    screenshot(kasi, "procedure-50-alur-phone")
