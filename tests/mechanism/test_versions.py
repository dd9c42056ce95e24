"""The mechanism as versions (issue 17, items 4 and 6): draft, trial, enacted, superseded; who
edits and who enacts; the change log; the version a case records and keeps."""

import datetime
import zoneinfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

import mechanism
from cases.clocks import recompute_running
from cases.models import ClockRun
from mechanism import services
from mechanism.models import ChangeLog, Version
from tests.factories import make_case
from tests.queries import count_get

pytestmark = pytest.mark.django_db

WITA = zoneinfo.ZoneInfo("Asia/Makassar")
T0 = datetime.datetime(2026, 10, 5, 9, 0, tzinfo=WITA)  # a Monday
H = datetime.timedelta(hours=1)


def draft_post(**over):
    """The draft editor's fields as a browser sends them (every clock left to its default)."""
    data = {
        "title": "Mekanisme Penanganan Kasus pada LBK-KK",
        "approvers": "head_and_kasi",
        "contact_points": "",
        "local_rules": "",
        "reminder_lead_hours": "",
    }
    data.update(over)
    return data


def new_draft(client, code="WS"):
    r = client.post(f"/mechanism/{code}/new/")
    assert r.status_code == 302, r.status_code
    return Version.objects.filter(kelurahan__code=code).order_by("-number").first()


def enact_post(client, version, **over):
    data = {
        "sk_number": "7 TAHUN 2026",
        "sk_date": "2026-10-01",
        "title": "Mekanisme Penanganan Kasus Kekerasan dan Perlindungan Sosial pada LBK-KK",
    }
    data.update(over)
    return client.post(f"/mechanism/WS/{version.number}/enact/", data)


def test_draft_trial_enacted_and_cases_keep_their_version(personas, master):
    coord = personas.client("ws.koordinator")
    with time_machine.travel(T0, tick=False):
        v1 = new_draft(coord)
        assert v1.state == "draft" and v1.number == 1
        r = coord.post(
            "/mechanism/WS/1/edit/",
            draft_post(
                dl_assign_amount="6",
                dl_assign_unit="hours",
                open_0="08:00",
                close_0="16:00",
                local_rules="Pengaduan malam hari diterima lewat telepon piket.",
            ),
        )
        assert r.status_code == 302, r.content.decode()[:2000]
        assert coord.post("/mechanism/WS/1/trial/").status_code == 302
        v1.refresh_from_db()
        assert v1.state == "trial"
        # Until a version is enacted, real cases run on the latest trial and record it.
        assert mechanism.current(master["ws"]) == v1
        assert mechanism.service_hours(master["ws"]) == {
            0: (datetime.time(8, 0), datetime.time(16, 0))
        }
        first = make_case(personas)
        assert first.mechanism == v1
        assert ClockRun.objects.get(case=first, key="assign").due_at == T0 + 6 * H
        # A case of the other kelurahan runs on the defaults.
        assert make_case(personas, kel="wb").mechanism is None

        # Version 2: a copy of version 1, with a longer deadline; enacted by the lurah.
        v2 = new_draft(coord)
        assert v2.number == 2 and v2.deadlines == v1.deadlines
        r = coord.post(
            "/mechanism/WS/2/edit/", draft_post(dl_assign_amount="48", dl_assign_unit="hours")
        )
        assert r.status_code == 302
        r = enact_post(personas.client("ws.lurah"), v2)
        assert r.status_code == 302, r.content.decode()[:3000]
    v1.refresh_from_db()
    v2.refresh_from_db()
    assert (v1.state, v2.state) == ("superseded", "enacted")
    assert v2.signed_by == personas["ws.lurah"] and v2.sk_number == "7 TAHUN 2026"
    assert mechanism.current(master["ws"]) == v2

    # Enacting does not move the deadlines of cases already registered, not even when the
    # running rows are recomputed; new cases run on the enacted version.
    assert recompute_running([master["ws"].pk]) == 0
    first.refresh_from_db()
    assert first.mechanism == v1
    assert ClockRun.objects.get(case=first, key="assign").due_at == T0 + 6 * H
    with time_machine.travel(T0, tick=False):
        second = make_case(personas)
    assert second.mechanism == v2
    assert ClockRun.objects.get(case=second, key="assign").due_at == T0 + 48 * H

    # Each case page shows its version.
    page = coord.get(f"/cases/{first.pk}/").content.decode()
    assert 'id="case-mechanism"' in page and "1" in page.split('id="case-mechanism"')[1][:200]
    page = coord.get(f"/cases/{second.pk}/").content.decode()
    assert "7 TAHUN 2026" in page.split('id="case-mechanism"')[1][:300]

    # The change log: who, when, field, old, new.
    rows = list(ChangeLog.objects.filter(version=v1).values_list("by__username", "field", "new"))
    assert ("ws.koordinator", "deadlines.assign", '{"amount": 6, "unit": "hours"}') in rows
    assert ("ws.koordinator", "service_hours.0", '["08:00", "16:00"]') in rows
    assert ("ws.koordinator", "state", "trial") in rows
    assert ("ws.lurah", "state", "superseded") in rows
    log = ChangeLog.objects.get(version=v2, field="deadlines.assign")
    assert (log.old, log.new) == (
        '{"amount": 6, "unit": "hours"}',
        '{"amount": 48, "unit": "hours"}',
    )
    assert ChangeLog.objects.filter(
        version=v2, field="sk_number", new="7 TAHUN 2026", by=personas["ws.lurah"]
    ).exists()
    page = coord.get("/mechanism/WS/2/").content.decode()
    assert "deadlines.assign" in page and "7 TAHUN 2026" in page


def test_trial_and_enacted_versions_refuse_edits_at_every_door(personas, master):
    coord = personas.client("ws.koordinator")
    v = new_draft(coord)
    assert coord.post("/mechanism/WS/1/trial/").status_code == 302
    # A hand-made POST to the editor of a version on trial: refused, nothing written.
    before = ChangeLog.objects.count()
    r = coord.post("/mechanism/WS/1/edit/", draft_post(dl_assign_amount="2"))
    assert r.status_code == 400
    assert "tidak dapat diubah lagi" in r.content.decode() or "can no longer be changed" in (
        r.content.decode()
    )
    v.refresh_from_db()
    assert v.deadlines == {} and ChangeLog.objects.count() == before
    # The editor page itself is not offered.
    assert coord.get("/mechanism/WS/1/edit/").status_code == 302
    # Starting the trial twice is refused too.
    coord.post("/mechanism/WS/1/trial/")
    assert Version.objects.get(pk=v.pk).state == "trial"

    assert enact_post(personas.client("ws.lurah"), v).status_code == 302
    with pytest.raises(services.Refused):
        services.update_draft(
            version_id=v.pk, actor=personas["ws.lurah"], data={"local_rules": "x"}
        )
    r = coord.post("/mechanism/WS/1/edit/", draft_post(local_rules="diubah"))
    assert r.status_code == 400
    v.refresh_from_db()
    assert v.local_rules == "" and v.state == "enacted"
    # Enacting it again (a second SK number on the same version) is refused.
    r = enact_post(personas.client("ws.lurah"), v, sk_number="8 TAHUN 2026")
    assert r.status_code == 400
    assert Version.objects.get(pk=v.pk).sk_number == "7 TAHUN 2026"
    # One draft at a time.
    new_draft(coord)
    r = coord.post("/mechanism/WS/new/")
    assert Version.objects.filter(kelurahan=master["ws"], state="draft").count() == 1


def test_only_the_head_enacts(personas, master, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    coord = personas.client("ws.koordinator")
    v = new_draft(coord)
    for who in ("ws.koordinator", "ws.kasikesra"):
        r = enact_post(personas.client(who), v)
        assert r.status_code == 400
        assert "Hanya Lurah yang menetapkan mekanisme" in r.content.decode()
        assert Version.objects.get(pk=v.pk).state == "draft"
        # The enactment page is not offered to them.
        assert personas.client(who).get("/mechanism/WS/1/enact/").status_code == 302
    # The lurah of another kelurahan does not even find it.
    assert enact_post(personas.client("wb.lurah"), v).status_code == 404
    assert personas.client("ws.relawan").get("/mechanism/WS/").status_code == 404
    assert personas.client("wb.koordinator").get("/mechanism/WS/1/").status_code == 404
    # Bad input: a clear message, nothing enacted, what was typed kept.
    r = enact_post(personas.client("ws.lurah"), v, sk_number="", sk_date="2099-01-01")
    assert r.status_code == 400 and 'value="2099-01-01"' in r.content.decode()
    assert Version.objects.get(pk=v.pk).state == "draft"
    # A scan goes through the upload checks of attachments/: a script is refused.
    bad = SimpleUploadedFile("sk.pdf", b"<script>alert(1)</script>", content_type="application/pdf")
    r = enact_post(personas.client("ws.lurah"), v, scan=bad)
    assert r.status_code == 400 and Version.objects.get(pk=v.pk).state == "draft"
    scan = SimpleUploadedFile("sk.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")
    r = enact_post(personas.client("ws.lurah"), v, scan=scan)
    assert r.status_code == 302
    v.refresh_from_db()
    assert v.state == "enacted" and v.signed_by == personas["ws.lurah"] and v.scan_sha256
    r = coord.get("/mechanism/WS/1/scan/")
    assert r.status_code == 200 and b"".join(r.streaming_content).startswith(b"%PDF")


def test_units_a_clock_may_not_count_in_are_refused(personas, master):
    v = new_draft(personas.client("ws.koordinator"))
    for key in ("ratify", "first_contact.emergency", "first_contact"):
        with pytest.raises(services.Refused):
            services.update_draft(
                version_id=v.pk,
                actor=personas["ws.koordinator"],
                data={"deadlines": {key: {"amount": 1, "unit": "working_days"}}},
            )
    # The form offers hours only for the emergency clocks; a hand-made POST is refused.
    r = personas.client("ws.koordinator").post(
        "/mechanism/WS/1/edit/", draft_post(dl_ratify_amount="1", dl_ratify_unit="working_days")
    )
    assert r.status_code == 400
    v.refresh_from_db()
    assert v.deadlines == {}


def test_role_play_runs_on_the_trial_once_a_version_is_enacted(personas, master):
    coord = personas.client("ws.koordinator")
    v1 = new_draft(coord)
    assert enact_post(personas.client("ws.lurah"), v1).status_code == 302
    v2 = new_draft(coord)
    coord.post("/mechanism/WS/2/trial/")
    assert mechanism.current(master["ws"]) == v1
    assert mechanism.current(master["ws"], for_sim=True) == Version.objects.get(pk=v2.pk)
    assert make_case(personas, roleplay=True).mechanism_id == v2.pk
    assert make_case(personas).mechanism_id == v1.pk


def test_versions_page_queries_do_not_grow(personas, master):
    coord = personas.client("ws.koordinator")
    new_draft(coord)
    small = count_get(coord, "/mechanism/WS/")
    for n in range(2, 7):
        Version.objects.create(kelurahan=master["ws"], number=n, state="superseded")
    assert count_get(coord, "/mechanism/WS/") == small
    page = coord.get("/mechanism/WS/").content.decode()
    assert "/mechanism/WS/6/" in page


def test_the_mechanism_names_who_approves_and_where_handovers_go(personas, master):
    from referrals import services as referral_services
    from referrals.workflow import TransitionRefused
    from tests.factories import make_referral, mechanism_version, worked

    def advance(r, action, user):
        return worked(
            referral_services.referral_advance(referral=r, action=action, actor=user, data={})
        )

    v = mechanism_version("ws", approvers="head")
    v.handover_agencies.set([master["dinsos"]])
    r = make_referral(personas, "requested")
    assert r.case.mechanism_id == v.pk
    with pytest.raises(TransitionRefused) as e:
        advance(r, "approve", personas["ws.kasikesra"])
    assert "Lurah" in str(e.value)
    r = advance(r, "approve", personas["ws.lurah"])
    assert r.state == "sent"
    # A handover to UPTD PPA is refused: this mechanism lists Dinas Sosial only.
    with pytest.raises(TransitionRefused):
        make_referral(personas, "requested", kind="pelimpahan", agency="uptd")
