"""The procedure's pages: case-page sections, the step endpoint, Tugas Saya, dashboard, home
panel, the Alur Penanganan page and its PDF."""

import io
import re

import pytest
from django.test import RequestFactory
from django.utils import translation

from cases import engine, workflow
from cases.access import FULL, INTAKE
from cases.models import Case, CaseEvent
from cases.procedure_print import label_of
from cases.services.procedure import case_advance
from cases.vocab import Status as S
from tests.factories import advance_case, assess_and_plan, make_case
from tests.queries import assert_queries_constant, count_get

pytestmark = pytest.mark.django_db


def page(p, name, case):
    return p.client(name).get(f"/cases/{case.pk}/")


def summaries(response):
    """The labels of the action forms (each a <details class="proc-action"> with its form)."""
    return set(
        re.findall(
            r'<details class="proc-action[^"]*" id="act-[^"]+">\s*<summary>([^<]+)</summary>',
            response.content.decode(),
        )
    )


def labels(case, user):
    with translation.override("id"):
        return {str(s.label) for s in workflow.available_steps(case, user)}


def test_section_shows_exactly_the_available_actions(personas, master):
    p = personas
    case = make_case(p)
    r = page(p, "ws.koordinator", case)
    assert r.status_code == 200
    got = summaries(r)
    assert got == labels(case, p["ws.koordinator"]) and len(got) == 2
    advance_case(case, "assessment", p)
    for name in ("ws.pendamping", "ws.koordinator", "ws.kasikesra"):
        got = summaries(page(p, name, case))
        assert got == labels(case, p[name]), name
    assert "Tetapkan pendamping" not in summaries(page(p, "ws.pendamping", case))


def test_outsiders_and_the_volunteer_get_404_and_no_section(personas, master):
    p = personas
    case = make_case(p, "assessment")
    # the volunteer who registered it sees the case page (intake level) without the procedure
    r = page(p, "ws.relawan", case)
    assert r.status_code == 200 and 'id="procedure"' not in r.content.decode()
    assert summaries(r) == set()
    for name in ("ws.relawan", "ws.pendamping2", "wb.koordinator", "dp3a.petugas", "admin"):
        c = p.client(name)
        if name != "ws.relawan":
            assert c.get(f"/cases/{case.pk}/").status_code == 404, name
        assert c.get(f"/cases/{case.pk}/act/reassign/").status_code == 404, name
        r = c.post(
            f"/cases/{case.pk}/act/decline/",
            {"decline-not_pursued_reason": "duplicate", "status": "not_pursued"},
        )
        assert r.status_code == 404, name
    case.refresh_from_db()
    assert case.status == S.ASSESSMENT
    # the section provider itself returns nothing at INTAKE level
    from cases.views.procedure import procedure_sections

    request = RequestFactory().get("/")
    request.user = p["ws.relawan"]
    case.access_level = INTAKE
    assert procedure_sections(request, case) == []
    request.user = p["ws.koordinator"]
    case.access_level = FULL
    assert [s.id for s in procedure_sections(request, case)][0] == "procedure"


def test_get_on_an_action_url_changes_nothing(personas, master):
    p = personas
    case = make_case(p)
    events = case.events.count()  # the registration
    c = p.client("ws.koordinator")
    r = c.get(f"/cases/{case.pk}/act/assign/")
    assert r.status_code == 200 and b'method="post"' in r.content
    assert c.get(f"/cases/{case.pk}/act/approve_closure/").status_code == 404
    assert c.get(f"/cases/{case.pk}/act/nonsense/").status_code == 404
    case.refresh_from_db()
    assert case.status == S.RECEIVED and case.events.count() == events


def test_assign_through_the_form(personas, master):
    p = personas
    case = make_case(p)
    c = p.client("ws.kasikesra")
    url = f"/cases/{case.pk}/act/assign/"
    r = c.post(url, {"assign-companion": p["ws.pendamping"].pk, "assign-note": "catatan saya"})
    assert r.status_code == 400
    body = r.content.decode()
    assert "konflik kepentingan" in body and "catatan saya" in body  # message; nothing lost
    assert 'href="#id_assign-no_conflict"' in body  # error summary links to the field
    r = c.post(
        url,
        {
            "assign-companion": p["wb.pendamping"].pk,
            "assign-no_conflict": "on",
            "assign-version": case.version,
        },
    )
    assert r.status_code == 400  # not a choice: another kelurahan's companion
    r = c.post(
        url,
        {
            "assign-companion": p["ws.pendamping"].pk,
            "assign-no_conflict": "on",
            "assign-version": case.version,
        },
    )
    assert r.status_code == 302
    case.refresh_from_db()
    assert case.status == S.ASSESSMENT and case.companion == p["ws.pendamping"]
    ev = case.events.get(action="assign")
    assert (ev.actor, ev.from_status, ev.to_status) == (p["ws.kasikesra"], S.RECEIVED, S.ASSESSMENT)


def test_refused_step_explains_in_indonesian(personas, master):
    p = personas
    case = make_case(p, "assessment")
    r = p.client("ws.pendamping").post(
        f"/cases/{case.pk}/act/complete_assessment/", {"complete_assessment-note": ""}
    )
    assert r.status_code == 400
    assert "Belum ada tindakan dalam rencana penanganan" in r.content.decode()
    case.refresh_from_db()
    assert case.status == S.ASSESSMENT


def test_no_posted_field_can_change_the_state(personas, master):
    p = personas
    case = make_case(p, "handling")
    c = p.client("ws.pendamping")
    evil = {
        "status": "closed",
        "visit-status": "closed",
        "companion": p["ws.pendamping2"].pk,
        "ever_assigned": "",
        "closure_requested_by": p["ws.pendamping"].pk,
    }
    r = c.post(
        f"/cases/{case.pk}/act/visit/",
        {**evil, "visit-kind": "home", "visit-visited_on": "2020-01-01", "visit-text": "ok"},
    )
    assert r.status_code == 302
    r = c.post(f"/cases/{case.pk}/act/start_monitoring/", {**evil, "start_monitoring-note": ""})
    assert r.status_code == 302
    for action in ("approve_closure", "reopen", "reassign", "assign"):
        r = c.post(f"/cases/{case.pk}/act/{action}/", {**evil, f"{action}-reason": "x"})
        assert r.status_code == 400
    case.refresh_from_db()
    assert case.status == S.MONITORING and case.companion == p["ws.pendamping"]
    assert case.closure_requested_by is None


def test_confidential_notes_only_for_companion_and_coordinator(personas, master):
    p = personas
    case = make_case(p, "monitoring")
    r = p.client("ws.pendamping").post(
        f"/cases/{case.pk}/act/visit/",
        {
            "visit-kind": "home",
            "visit-visited_on": "2026-01-05",
            "visit-text": "RAHASIA-123 korban cerita",
            "visit-confidential": "on",
        },
    )
    assert r.status_code == 302
    case_advance(
        case=case,
        action="visit",
        actor=p["ws.pendamping"],
        data={"kind": "phone", "text": "TERBUKA-456"},
    )
    for name in ("ws.pendamping", "ws.koordinator"):
        body = page(p, name, case).content.decode()
        assert "RAHASIA-123" in body and "TERBUKA-456" in body, name
    for name in ("ws.kasikesra", "ws.lurah"):
        body = page(p, name, case).content.decode()
        assert "RAHASIA-123" not in body and "TERBUKA-456" in body, name
        assert "Rahasia" not in body  # not even the marker of the hidden entry
    ev = CaseEvent.objects.get(case=case, confidential=True)
    assert ev.note == ""  # the text never enters the timeline
    history = " ".join(str(h.__dict__) for h in Case.history.filter(id=case.pk))
    assert "RAHASIA-123" not in history


def test_whole_walk_through_the_endpoints(personas, master):
    p = personas
    case = make_case(p)
    victim = case.victims.get()
    koor, pend, kasi = (p.client(n) for n in ("ws.koordinator", "ws.pendamping", "ws.kasikesra"))

    def post(c, action, data):
        r = c.post(f"/cases/{case.pk}/act/{action}/", {f"{action}-{k}": v for k, v in data.items()})
        assert r.status_code == 302, (action, r.content.decode()[:3000])

    post(koor, "assign", {"companion": p["ws.pendamping"].pk, "no_conflict": "on"})
    post(pend, "first_contact", {"contacted_at": "2026-01-02T10:00", "how": "phone"})
    post(pend, "assess", {"victim": victim.pk, "risk_injury": "on", "needs": ["health", "legal"]})
    post(
        pend,
        "consent",
        {
            "victim": victim.pk,
            "purpose": "services",
            "given_by": "victim",
            "how": "written",
            "given_at": "2026-01-02T10:30",
        },
    )
    post(pend, "plan_action", {"victim": victim.pk, "service_type": "health"})
    post(pend, "complete_assessment", {})
    post(pend, "start_monitoring", {})
    post(pend, "visit", {"kind": "home", "visited_on": "2026-01-05", "text": "baik"})
    post(pend, "recovery", {"victim": victim.pk, "items": ["safe_home"]})
    post(pend, "propose_closure", {"closure_reason": "needs_met"})
    post(kasi, "approve_closure", {})
    case.refresh_from_db()
    victim.refresh_from_db()
    assert case.status == S.CLOSED
    assert victim.recovery["safe_home"] is True and victim.recovery["documents"] is False
    assert case.assessments.get().risk_level == "medium"
    assert [e.action for e in case.events.exclude(kind="registered")] == [
        "assign",
        "first_contact",
        "assess",
        "consent",
        "plan_action",
        "complete_assessment",
        "start_monitoring",
        "visit",
        "recovery",
        "propose_closure",
        "approve_closure",
    ]


def test_queries_constant_at_two_sizes(personas, master, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    p = personas
    small = make_case(p, "handling")
    big = make_case(p, "handling", victims=3)
    assess_and_plan(big, p["ws.pendamping"])
    for i in range(3):
        case_advance(
            case=big,
            action="visit",
            actor=p["ws.pendamping"],
            data={"kind": "home", "text": f"v{i}"},
        )
    # Referrals (one sent, one draft), a file: every section of the case page has content.
    from tests.factories import make_referral
    from tests.uploads import PDF_BYTES, upload

    for victim in big.victims.all()[:2]:
        make_referral(p, "sent", case=big, victim=victim)
    make_referral(p, "draft", case=big, victim=big.victims.last(), with_consent=False)
    p.client("ws.pendamping").post(
        f"/cases/{big.pk}/attachments/", {"file": upload("a.pdf", PDF_BYTES), "description": "x"}
    )
    c = p.client("ws.koordinator")
    n_small, n_big = count_get(c, f"/cases/{small.pk}/"), count_get(c, f"/cases/{big.pk}/")
    assert n_small == n_big
    assert n_big <= 20, n_big  # the case page's bound, whatever the case holds

    def more_cases():
        for _i in range(4):
            make_case(p)
            make_case(p, "closure_requested")

    assert_queries_constant(
        lambda: (count_get(c, "/cases/tasks/"), count_get(c, "/cases/dashboard/")), more_cases
    )


def test_tasks_dashboard_and_home_panel(personas, master):
    p = personas
    case = make_case(p)
    r = p.client("ws.koordinator").get("/cases/tasks/")
    assert r.status_code == 200 and case.number in r.content.decode()
    assert case.number not in p.client("wb.koordinator").get("/cases/tasks/").content.decode()
    r = p.client("ws.lurah").get("/cases/dashboard/")
    assert r.status_code == 200 and "Watang Soreang" in r.content.decode()
    assert "Watang Bacukiki" not in r.content.decode()
    assert p.client("ws.pendamping").get("/cases/dashboard/").status_code == 404
    assert p.client("dp3a.petugas").get("/cases/dashboard/").status_code == 404
    home = p.client("ws.koordinator").get("/home/").content.decode()
    assert "Tugas Saya" in home and "1 tugas" in home
    assert (
        "Tugas Saya"
        not in p.client("ws.relawan").get("/home/").content.decode().split("<main", 1)[1]
    )


def printed_texts():
    with translation.override("id"):
        steps = [label_of(s.label) for t in engine.tables() for s in t.steps]
        clocks = [label_of(c.label) for t in engine.tables() for c in t.clocks]
    return steps, clocks


def squash(text):
    return re.sub(r"\s+", " ", text)


def test_procedure_page_lists_every_step_and_clock(personas, master):
    r = personas.client("ws.pendamping").get("/cases/procedure/")
    assert r.status_code == 200
    body = squash(r.content.decode().replace("&#x27;", "'"))
    steps, clocks = printed_texts()
    for text in steps + clocks:
        assert text in body, text
    assert "<script" not in body.split("<main", 1)[1] and 'style="' not in body
    assert "<svg" in body and 'stroke="' in body
    # an outsider to a kelurahan cannot pick it; the other kelurahan's own staff can
    assert personas.client("ws.lurah").get("/cases/procedure/?kelurahan=WB").status_code == 404
    assert personas.client("wb.lurah").get("/cases/procedure/?kelurahan=WB").status_code == 200
    assert personas.client("dp3a.petugas").get("/cases/procedure/").status_code == 404


def test_procedure_pdf_lists_every_step_and_clock(personas, master):
    from pypdf import PdfReader

    ws = master["ws"]
    from tests.factories import mechanism_version

    version = mechanism_version(ws, deadlines={"plan": 10 * 24})
    with translation.override("en"):
        r = personas.client("ws.lurah").get("/cases/procedure/pdf/")
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    text = squash(" ".join(pg.extract_text() for pg in PdfReader(io.BytesIO(r.content)).pages))
    steps, clocks = printed_texts()
    for t in steps + clocks:
        assert t in text, t
    assert "LAMPIRAN" in text and "KEPUTUSAN LURAH WATANG SOREANG" in text
    assert "TENTANG MEKANISME PENANGANAN KASUS KEKERASAN DAN PERLINDUNGAN SOSIAL PADA" in text
    assert "NOMOR ......" in text  # not signed yet
    assert "10 hari" in text  # this kelurahan's own deadline
    assert "ROSMINI TAHIR" in text and "197908232005022003" in text
    version.state, version.sk_number = "enacted", "12 TAHUN 2026"
    version.save()
    from cases.procedure_print import render_procedure_pdf

    text = squash(
        " ".join(pg.extract_text() for pg in PdfReader(io.BytesIO(render_procedure_pdf(ws))).pages)
    )
    assert "NOMOR 12 TAHUN 2026" in text


def test_the_printed_procedure_uses_the_one_pdf_fetcher(personas, master, monkeypatch):
    """Security: one WeasyPrint fetcher for every PDF (lbk/pdf.py, tested with the letters)."""
    from cases.procedure_print import render_procedure_pdf
    from lbk import pdf

    fetched = []
    real = pdf.StaticOnlyFetcher

    def logging_fetcher(log=None):
        return real(log=fetched)

    monkeypatch.setattr(pdf, "StaticOnlyFetcher", logging_fetcher)
    monkeypatch.setattr(pdf, "_RESOURCE_CACHE", {})  # fetch again what other renders cached
    render_procedure_pdf(master["ws"])
    assert fetched and all(u.startswith(pdf.STATIC_PREFIX) for u in fetched), fetched


def test_case_list_overdue_mark_and_risk_filter(personas, master):
    import datetime

    import time_machine

    p = personas
    with time_machine.travel(datetime.datetime(2026, 1, 5, 8, 0), tick=False):
        late = make_case(p)
    risky = make_case(p, "assessment")
    case_advance(
        case=risky,
        action="assess",
        actor=p["ws.pendamping"],
        data={"victim": risky.victims.get(), "answers": {"weapon": True}, "needs": ["safety"]},
    )
    c = p.client("ws.koordinator")
    body = c.get("/cases/").content.decode()
    row = body.split(late.number, 2)[-1].split("</tr>", 1)[0]
    assert "TERLAMBAT" in row and "Tetapkan pendamping" in row
    filtered = c.get("/cases/?risk=high").content.decode()
    assert risky.number in filtered and late.number not in filtered
    assert late.number not in c.get("/cases/?risk=low").content.decode()


def test_the_intake_edit_cannot_change_the_state(personas, master):
    import html as htmllib

    from tests.form_posts import form_data

    p = personas
    case = make_case(p, "handling")
    c = p.client("ws.koordinator")
    url = f"/cases/{case.pk}/edit/"
    data = form_data(htmllib.unescape(c.get(url).content.decode()))
    data.update(
        {
            "status": "closed",
            "status_before_closure": "assessment",
            "companion": p["ws.pendamping2"].pk,
            "ever_assigned": "",
            "closure_requested_by": p["ws.koordinator"].pk,
            "closed_at": "2026-01-01 10:00",
            "narrative": "Kronologi lengkap",
        }
    )
    r = c.post(url, data)
    assert r.status_code == 302, r.content.decode()[:2000]
    case.refresh_from_db()
    assert case.narrative == "Kronologi lengkap"  # the edit went through ...
    assert case.status == S.HANDLING and case.companion == p["ws.pendamping"]  # ... the state not
    assert case.ever_assigned and case.closed_at is None and case.closure_requested_by is None
