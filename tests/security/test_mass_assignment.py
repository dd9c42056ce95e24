"""Mass assignment: fields a form does not offer (status, companion, kelurahan, registrar...) are
ignored when posted to the intake and edit forms and to the attachment upload."""

import html as htmllib

from django.urls import reverse

from cases.models import Case
from tests.form_posts import form_data, intake_post


def _extra(personas, master):
    return {
        "status": "closed",
        "companion": personas["wb.pendamping"].pk,
        "kelurahan": master["wb"].pk,
        "registered_by": personas["admin"].pk,
        "number": "WB-2026-9999",
        "seq": "9999",
        "ever_assigned": "on",
        "closed_at": "2026-01-01 00:00",
        "closure_reason": "needs_met",
        "version": "77",
    }


def test_intake_ignores_status_companion_kelurahan_and_registrar(personas, master):
    c = personas.client("ws.relawan")
    r = c.post(reverse("cases:create"), {**intake_post(), **_extra(personas, master)})
    assert r.status_code == 302, r.content.decode()[:2000]
    case = Case.objects.get()
    assert case.status == "received"
    assert case.companion_id is None and not case.ever_assigned
    assert case.kelurahan_id == master["ws"].pk
    assert case.registered_by_id == personas["ws.relawan"].pk
    assert case.number.startswith("WS-") and case.number != "WB-2026-9999"
    assert case.closed_at is None and case.closure_reason == ""
    assert case.version == 1


def test_edit_ignores_status_companion_kelurahan_and_registrar(personas, master):
    c = personas.client("ws.relawan")
    assert c.post(reverse("cases:create"), intake_post()).status_code == 302
    case = Case.objects.get()
    k = personas.client("ws.koordinator")
    url = reverse("cases:edit", args=[case.pk])
    data = form_data(htmllib.unescape(k.get(url).content.decode()))
    data["narrative"] = "Kronologi diperbaiki"
    extra = _extra(personas, master)
    extra.pop("version")  # the real version must match (lost-update check)
    r = k.post(url, {**data, **extra})
    assert r.status_code == 302, r.content.decode()[:2000]
    case.refresh_from_db()
    assert case.narrative == "Kronologi diperbaiki"
    assert case.status == "received"
    assert case.companion_id is None and not case.ever_assigned
    assert case.kelurahan_id == master["ws"].pk
    assert case.registered_by_id == personas["ws.relawan"].pk
    assert not case.number.startswith("WB")
    assert case.closed_at is None and case.closure_reason == ""
