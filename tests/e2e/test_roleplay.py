"""A short role-play session in a browser (issue 18): the facilitator's session page with its
scenario cards, a correction note typed in, the debrief page (axe, 360 px) and "apply" to the
draft. Screenshots: screenshots/roleplay-*.png."""

import pytest

from mechanism.models import Version
from ops.demo.story import assign
from roleplay import services
from roleplay.models import Session
from tests.factories import mechanism_version

from .conftest import DESKTOP, PHONE, assert_no_axe_violations, login, screenshot
from .pages import no_overflow

pytestmark = pytest.mark.django_db(transaction=True)


def test_short_session_and_debrief(new_page, personas):
    fac = personas["ws.koordinator"]
    draft = mechanism_version("ws", "trial")
    s = services.create_session(
        actor=fac,
        kelurahan=draft.kelurahan,
        version=draft,
        title="Simulasi singkat",
        held_on=draft.created_at.date(),
        place="Aula kelurahan",
        minutes_per_day=10,
    )
    for who, role in (("ws.relawan", "relawan"), ("ws.pendamping", "pendamping")):
        services.add_participant(actor=fac, session_id=s.pk, user=personas[who], role=role, sex="f")
    services.add_participant(
        actor=fac, session_id=s.pk, user=personas["wb.koordinator"], role="koordinator", sex="m"
    )
    services.start(actor=fac, session_id=s.pk)
    case = services.open_card(actor=fac, session_id=s.pk, key="kdrt-dewasa")
    assign(case, personas["wb.koordinator"], personas["ws.pendamping"])

    page = new_page(DESKTOP)
    login(page, "ws.koordinator", personas.password)
    page.goto(f"/simulasi/{s.pk}/")
    assert case.number in page.content()
    assert_no_axe_violations(page, "session page")
    page.locator("#id_step").fill("Penugasan pendamping")
    page.locator("#id_target").select_option("deadline")
    page.locator("#id_clock_key").select_option("assign")
    page.locator("#id_amount").fill("48")
    page.locator("#id_unit").select_option("hours")
    page.locator("#id_text").fill("Batas penugasan terlalu singkat.")
    page.locator("form[action$='/notes/'] button[type=submit]").click()
    page.wait_for_load_state()
    screenshot(page, "roleplay-session")
    page.goto(f"/simulasi/{s.pk}/debrief/")
    assert "Batas penugasan terlalu singkat." in page.content()
    assert_no_axe_violations(page, "debrief")
    screenshot(page, "roleplay-debrief")
    page.locator("form[action*='/apply/'] button[type=submit]").click()
    page.wait_for_load_state()
    new = Version.objects.get(kelurahan=draft.kelurahan, state="draft")
    assert new.deadlines["assign"] == {"amount": 48, "unit": "hours"}
    assert f"{new.number}" in page.content()

    phone = new_page(PHONE)
    login(phone, "ws.koordinator", personas.password)
    phone.goto(f"/simulasi/{s.pk}/debrief/")
    no_overflow(phone, PHONE["width"])
    assert_no_axe_violations(phone, "debrief at 360 px")
    phone.goto(f"/simulasi/{s.pk}/")
    no_overflow(phone, PHONE["width"])
    assert Session.objects.get(pk=s.pk).state == "running"
