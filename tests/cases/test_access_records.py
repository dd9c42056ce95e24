"""Who may see a case record (ROLES.md): each forbidden attempt gets 404; every read is logged."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import AccessLog, Case, CaseEvent
from tests.factories import advance_case, make_case

WB = ["wb.relawan", "wb.pendamping", "wb.pendamping2", "wb.koordinator", "wb.kasikesra", "wb.lurah"]
AGENCIES = ["dp3a.petugas", "uptdppa.petugas", "dinsos.petugas"]


@pytest.fixture
def ws_case(personas, master):
    return make_case(
        personas,
        victims=[{"full_name": "Siti Sangkala", "estimated_age": 12, "nik": "7372014107140002"}],
        narrative="Rahasia kronologi",
    )


def _urls(case):
    return [reverse("cases:detail", args=[case.pk]), reverse("cases:edit", args=[case.pk])]


# One test per rule, looping over the personas (a fixture setup per persona is slow).
def test_outsiders_get_404_on_case_page_and_edit(personas, ws_case):
    for who in WB + AGENCIES + ["admin", "ws.pendamping2"]:
        c = personas.client(who)
        for url in _urls(ws_case):
            assert c.get(url).status_code == 404, (who, url)
        assert c.post(_urls(ws_case)[1], {"narrative": "x"}).status_code == 404, who
        assert not AccessLog.objects.filter(user=personas[who]).exists(), who


def test_outsiders_do_not_find_the_case_in_list_or_search(personas, ws_case):
    for who in WB + ["ws.pendamping2"]:
        c = personas.client(who)
        for q in ("", ws_case.number, "Siti Sangkala"):
            r = c.get(reverse("cases:list"), {"q": q})
            assert r.status_code == 200
            html = r.content.decode()
            assert reverse("cases:detail", args=[ws_case.pk]) not in html, (who, q)
            assert "0 kasus ditemukan" in html


def test_agency_officers_and_admin_have_no_case_list(personas, ws_case):
    for who in AGENCIES + ["admin"]:
        assert personas.client(who).get(reverse("cases:list")).status_code == 404, who
        assert personas.client(who).get(reverse("cases:access_log")).status_code == 404, who


def test_volunteer_sees_only_cases_they_registered(personas, master, ws_case):
    other = make_case(personas, by="ws.pendamping")
    c = personas.client("ws.relawan")
    assert c.get(reverse("cases:detail", args=[other.pk])).status_code == 404
    html = c.get(reverse("cases:list")).content.decode()
    assert ws_case.number in html and other.number not in html


def test_admin_finds_no_case_model_in_django_admin(personas, ws_case):
    c = personas.client("admin")
    assert c.get("/admin/").status_code == 200
    for url in (
        "/admin/cases/case/",
        f"/admin/cases/case/{ws_case.pk}/change/",
        "/admin/cases/victim/",
        "/admin/cases/accesslog/",
        "/admin/cases/caseevent/",
    ):
        assert c.get(url).status_code == 404, url
    assert "Siti Sangkala" not in c.get("/admin/").content.decode()


def test_volunteer_sees_intake_and_status_but_no_history_or_others_timeline(personas, ws_case):
    CaseEvent.objects.create(
        case=ws_case,
        kelurahan=ws_case.kelurahan,
        kind=CaseEvent.Kind.VISIT,
        actor=personas["ws.koordinator"],
        note="Catatan pendampingan 42",
    )
    html = personas.client("ws.relawan").get(reverse("cases:detail", args=[ws_case.pk]))
    html = html.content.decode()
    assert "Rahasia kronologi" in html and "Siti Sangkala" in html
    assert "Diterima" in html
    assert "Catatan pendampingan 42" not in html
    assert 'id="history"' not in html
    # The NIK is masked for the intake level.
    assert "7372014107140002" not in html and "0002" in html


def test_coordinator_sees_everything_of_the_kelurahan(personas, ws_case):
    CaseEvent.objects.create(
        case=ws_case,
        kelurahan=ws_case.kelurahan,
        kind=CaseEvent.Kind.VISIT,
        actor=personas["ws.pendamping"],
        note="Catatan pendampingan 42",
    )
    CaseEvent.objects.create(
        case=ws_case,
        kelurahan=ws_case.kelurahan,
        kind=CaseEvent.Kind.VISIT,
        actor=personas["ws.pendamping"],
        note="Rahasia sekali 99",
        confidential=True,
    )
    for who in ("ws.koordinator", "ws.kasikesra", "ws.lurah"):
        r = personas.client(who).get(reverse("cases:detail", args=[ws_case.pk]))
        assert r.status_code == 200
        html = r.content.decode()
        assert "Catatan pendampingan 42" in html
        assert reverse("cases:history", args=[ws_case.pk]) in html
        history = personas.client(who).get(reverse("cases:history", args=[ws_case.pk]))
        assert history.status_code == 200 and 'id="history"' in history.content.decode()
        assert "7372014107140002" in html
        assert "Nurul Hidayah" in html  # who registered it
        # Confidential notes: the coordinator only (not kasi kesra / lurah).
        assert ("Rahasia sekali 99" in html) == (who == "ws.koordinator")


def test_every_case_page_read_is_logged(personas, ws_case):
    c = personas.client("ws.koordinator")
    c.get(reverse("cases:detail", args=[ws_case.pk]), REMOTE_ADDR="10.1.2.3")
    c.get(reverse("cases:edit", args=[ws_case.pk]))
    log = AccessLog.objects.filter(user=personas["ws.koordinator"]).order_by("pk")
    assert [(x.action, x.case_id) for x in log] == [
        ("view", ws_case.pk),
        ("edit_view", ws_case.pk),
    ]
    first = log[0]
    assert first.ip == "10.1.2.3" and first.kelurahan_id == ws_case.kelurahan_id
    assert abs(first.at - timezone.now()) < datetime.timedelta(minutes=1)


def test_searches_are_logged_plain_lists_are_not(personas, ws_case):
    c = personas.client("ws.koordinator")
    c.get(reverse("cases:list"))
    c.get(reverse("cases:list"), {"status": "received"})
    assert not AccessLog.objects.filter(action="search").exists()
    c.get(reverse("cases:list"), {"q": "Siti"})
    log = AccessLog.objects.get(action="search")
    assert log.user == personas["ws.koordinator"] and log.kelurahan_id == ws_case.kelurahan_id


def test_access_log_page_for_kelurahan_staff_with_filters(personas, master, ws_case):
    wb_case = make_case(personas, kel="wb")
    personas.client("ws.relawan").get(reverse("cases:detail", args=[ws_case.pk]))
    personas.client("ws.koordinator").get(reverse("cases:detail", args=[ws_case.pk]))
    personas.client("wb.koordinator").get(reverse("cases:detail", args=[wb_case.pk]))
    c = personas.client("ws.kasikesra")
    url = reverse("cases:access_log")
    html = c.get(url).content.decode()
    assert ws_case.number in html and wb_case.number not in html
    assert "Membuka halaman kasus" in html
    # "When" as a column heading is "Waktu" (on forms it asks "Kapan").
    assert '<th scope="col">Waktu</th>' in html and 'data-label="Waktu"' in html
    rel = personas["ws.relawan"]
    body = c.get(url, {"user": rel.pk}).content.decode().split("<tbody>")[1]
    assert "(ws.relawan)" in body and "(ws.koordinator)" not in body
    html = c.get(url, {"case_number": "XX-NONE"}).content.decode()
    assert "Tidak ada catatan." in html
    today = timezone.localdate()
    html = c.get(url, {"date_from": (today + datetime.timedelta(days=1)).isoformat()})
    assert "Tidak ada catatan." in html.content.decode()
    html = c.get(url, {"date_from": today.isoformat(), "date_to": today.isoformat()})
    assert ws_case.number in html.content.decode()


def test_access_log_is_paginated(personas, ws_case):
    from cases.models import AccessLog as Log

    for _ in range(55):
        Log.objects.create(
            user=personas["ws.relawan"], case=ws_case, kelurahan=ws_case.kelurahan, action="view"
        )
    c = personas.client("ws.koordinator")
    html = c.get(reverse("cases:access_log")).content.decode()
    n = Log.objects.filter(kelurahan=ws_case.kelurahan).count()
    assert "Halaman 1" in html and "page=2" in html and f"{n} catatan" in html
    second = c.get(reverse("cases:access_log"), {"page": 2}).content.decode()
    assert "Halaman 2" in second and "page=1" in second and "page=3" not in second


def test_access_log_closed_to_volunteers_and_companions(personas):
    for who in ("ws.relawan", "ws.pendamping"):
        assert personas.client(who).get(reverse("cases:access_log")).status_code == 404, who


def test_access_log_has_no_write_path(personas, ws_case):
    personas.client("ws.koordinator").get(reverse("cases:detail", args=[ws_case.pk]))
    c = personas.client("ws.koordinator")
    assert c.post(reverse("cases:access_log"), {}).status_code == 405
    entry = AccessLog.objects.filter(action="view").first()
    from django.core.exceptions import ValidationError

    entry.action = "tampered"
    with pytest.raises(ValidationError):
        entry.save()
    with pytest.raises(ValidationError):
        entry.delete()
    assert AccessLog.objects.filter(action="tampered").count() == 0


def test_volunteer_may_correct_intake_until_a_companion_is_assigned(personas, ws_case):
    c = personas.client("ws.relawan")
    url = reverse("cases:edit", args=[ws_case.pk])
    assert c.get(url).status_code == 200
    advance_case(ws_case, "assessment", personas)
    assert c.get(url).status_code == 404
    # Still sees the intake data and status.
    r = c.get(reverse("cases:detail", args=[ws_case.pk]))
    assert r.status_code == 200 and "Asesmen" in r.content.decode()
    assert personas.client("ws.pendamping").get(url).status_code == 200
    assert personas.client("ws.koordinator").get(url).status_code == 200


def test_get_pages_change_nothing(personas, ws_case):
    before = (Case.objects.get(pk=ws_case.pk).version, Case.history.count())
    c = personas.client("ws.koordinator")
    c.get(reverse("cases:edit", args=[ws_case.pk]))
    c.get(reverse("cases:detail", args=[ws_case.pk]))
    assert (Case.objects.get(pk=ws_case.pk).version, Case.history.count()) == before
