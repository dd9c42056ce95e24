"""Correcting a case record: versions refuse a lost update, the change history shows who changed
what (old -> new), and the role-play flag stays fixed."""

import html as htmllib

import pytest
from django.urls import reverse

from cases.models import Case, CaseEvent, Victim
from tests.factories import make_case
from tests.form_posts import form_data


@pytest.fixture
def case(personas, master):
    return make_case(
        personas,
        victims=[{"full_name": "Nur Aisyah", "estimated_age": 9}],
        perpetrators=[{"name": "Baso", "sex": "M"}],
        links=[(0, 0, "step_parent", True)],
        narrative="Kronologi awal",
    )


def _edit(client, case):
    url = reverse("cases:edit", args=[case.pk])
    r = client.get(url)
    assert r.status_code == 200
    return url, form_data(htmllib.unescape(r.content.decode()))


def test_edit_form_is_prefilled_and_saves_through_the_service(personas, case):
    c = personas.client("ws.koordinator")
    url, data = _edit(c, case)
    assert data["narrative"].strip() == "Kronologi awal"
    assert data["victims-0-full_name"] == "Nur Aisyah"
    assert data["perps-0-rel_0"] == "step_parent" and data["perps-0-together_0"] == "on"
    assert data["version"] == "1"
    data["narrative"] = "Kronologi lengkap"
    data["victims-0-nik"] = "7372015002170001"
    data["incident_place"] = "school"
    r = c.post(url, data)
    assert r.status_code == 302, r.content.decode()[:3000]
    case.refresh_from_db()
    assert case.narrative == "Kronologi lengkap" and case.version == 2
    assert case.incident_place == "school"
    v = Victim.objects.get(case=case)
    assert v.nik == "7372015002170001" and v.version == 2
    ev = CaseEvent.objects.filter(case=case, kind="edit").get()
    assert "narrative" in ev.data["fields"] and ev.actor == personas["ws.koordinator"]
    # Nothing personal in the timeline entry.
    assert "7372015002170001" not in str(ev.data)


def test_change_history_shows_who_when_and_old_new_values(personas, case):
    c = personas.client("ws.koordinator")
    url, data = _edit(c, case)
    data["narrative"] = "Kronologi lengkap"
    data["victims-0-full_name"] = "Nur Aisyah Binti Baso"
    data["perps-0-rel_0"] = "parent"
    c.post(url, data)
    rec = Case.history.filter(id=case.pk).first()
    assert rec.history_user == personas["ws.koordinator"]  # from the request
    html = c.get(reverse("cases:history", args=[case.pk])).content.decode()
    hist = html.split('id="history"')[1]
    assert "Hasnah Lamba" in hist
    assert "Kronologi awal" in hist and "Kronologi lengkap" in hist
    assert "Nur Aisyah Binti Baso" in hist
    assert "Orang tua tiri" in hist and "Orang tua" in hist
    # The volunteer does not see the history.
    vol = personas.client("ws.relawan")
    assert vol.get(reverse("cases:history", args=[case.pk])).status_code == 404
    page = vol.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert reverse("cases:history", args=[case.pk]) not in page


def test_saving_over_a_newer_change_is_refused_keeping_what_was_typed(personas, case):
    a = personas.client("ws.koordinator")
    b = personas.client("ws.kasikesra")
    url, data_a = _edit(a, case)
    _url, data_b = _edit(b, case)
    data_b["narrative"] = "Perubahan kasi kesra"
    assert b.post(url, data_b).status_code == 302
    data_a["narrative"] = "Perubahan koordinator yang panjang"
    data_a["victims-0-occupation"] = "Pelajar SD"
    r = a.post(url, data_a)
    assert r.status_code == 200
    html = r.content.decode()
    assert "Orang lain telah menyimpan kasus ini" in html
    assert "error-summary" in html
    assert "Perubahan koordinator yang panjang" in html and 'value="Pelajar SD"' in html
    case.refresh_from_db()
    assert case.narrative == "Perubahan kasi kesra" and case.version == 2
    # Saving again after reading the message is a deliberate decision: it goes through.
    data_again = form_data(htmllib.unescape(html))
    assert data_again["version"] == "2"
    assert a.post(url, data_again).status_code == 302
    case.refresh_from_db()
    assert case.narrative == "Perubahan koordinator yang panjang" and case.version == 3


def test_validation_on_edit_keeps_typed_data(personas, case):
    c = personas.client("ws.relawan")
    url, data = _edit(c, case)
    data["victims-0-nik"] = "12345"
    data["narrative"] = "Diketik ulang"
    r = c.post(url, data)
    html = r.content.decode()
    assert r.status_code == 200 and "NIK harus tepat 16 angka." in html
    assert "Diketik ulang" in html and 'value="12345"' in html
    case.refresh_from_db()
    assert case.version == 1


def test_edit_adds_a_victim_without_javascript_and_never_deletes(personas, case):
    c = personas.client("ws.relawan")
    url, data = _edit(c, case)
    data["add_victim"] = "1"
    r = c.post(url, data)
    html = htmllib.unescape(r.content.decode())
    assert 'name="victims-1-full_name"' in html
    data = form_data(html)
    data["victims-1-full_name"] = "Adik Rahmat"
    data["victims-1-estimated_age"] = "6"
    data["perps-0-rel_1"] = "step_parent"
    assert c.post(url, data).status_code == 302
    names = list(case.victims.order_by("position").values_list("full_name", flat=True))
    assert names == ["Nur Aisyah", "Adik Rahmat"]
    assert case.perpetrators.get().links.count() == 2


def test_role_play_flag_cannot_be_changed_later(personas, master):
    sim = make_case(personas, roleplay=True)
    c = personas.client("ws.koordinator")
    url, data = _edit(c, sim)
    assert "is_roleplay" not in data
    data["is_roleplay"] = ""
    assert c.post(url, data).status_code == 302
    sim.refresh_from_db()
    assert sim.is_roleplay and sim.number.startswith("WS-SIM-")


def test_mass_assigned_status_is_ignored(personas, case):
    c = personas.client("ws.koordinator")
    url, data = _edit(c, case)
    data.update(status="closed", number="HACK-1", kelurahan="2", registered_by="9")
    assert c.post(url, data).status_code == 302
    case.refresh_from_db()
    assert (case.status, case.kelurahan.code) == ("received", "WS")
    assert not case.number.startswith("HACK")
