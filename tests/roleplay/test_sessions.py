"""Role-play sessions (issue 18): a session on a mechanism version with participants in session
roles, scenario cards opened as SIM cases on compressed time, refusals, deadlines met and missed,
the debrief (page and PDF), applying a note to a new draft, session roles ending with the
session, SIM kept out of real inboxes, counts, e-mails, registers and lists, the outreach log,
and a participant signing in with a one-time code."""

import datetime
import io

import pypdf
import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.utils import timezone

from cases import engine, workflow
from cases.models import Case, ClockRun
from mechanism.models import ChangeLog, Version
from notifications.models import Notification
from ops.demo.story import Desk, assign, record, refer, walk_referral, worked
from outreach.models import Activity
from referrals.models import Referral
from roleplay import scenarios
from roleplay.models import Note, Participant, Refusal, Session
from tests.factories import get_agency, mechanism_version

pytestmark = pytest.mark.django_db

T0 = datetime.datetime(2026, 10, 5, 9, 0, tzinfo=datetime.UTC)


def client_for(user):
    c = Client()
    c.force_login(user)
    return c


def pdf_text(data):
    reader = pypdf.PdfReader(io.BytesIO(data))
    return " ".join(" ".join(p.extract_text().split()) for p in reader.pages)


def make_session(personas):
    """The coordinator of WS makes a session on the draft through the pages and adds the
    personas in their session roles (a WB coordinator plays the coordinator)."""
    draft = mechanism_version("ws", "draft", deadlines={"assign": 24})
    fac = client_for(personas["ws.koordinator"])
    r = fac.post(
        "/simulasi/new/",
        {
            "kelurahan": "WS",
            "title": "Simulasi mekanisme",
            "version": draft.pk,
            "held_on": "2026-10-05",
            "place": "Aula kelurahan",
            "minutes_per_day": "10",
        },
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    s = Session.objects.get()
    cast = [
        ("ws.relawan", "relawan", None, "f"),
        ("ws.pendamping", "pendamping", None, "f"),
        ("wb.koordinator", "koordinator", None, "m"),
        ("ws.kasikesra", "kasi_kesra", None, "m"),
        ("dp3a.petugas", "petugas", get_agency("uptd"), "f"),
    ]
    for who, role, agency, sex in cast:
        r = fac.post(
            f"/simulasi/{s.pk}/participants/",
            {
                "user": personas[who].pk,
                "role": role,
                "agency": agency.pk if agency else "",
                "sex": sex,
                "age_group": "adult",
            },
        )
        assert r.status_code == 302, r.content.decode()[:3000]
    return s, fac, draft


def test_session_played_through_debrief_and_apply(personas):
    s, fac, draft = make_session(personas)
    relawan, pendamping = personas["ws.relawan"], personas["ws.pendamping"]
    koord, kasi = personas["wb.koordinator"], personas["ws.kasikesra"]
    officer = personas["dp3a.petugas"]
    uptd = get_agency("uptd")
    with time_machine.travel(T0, tick=False):
        assert fac.post(f"/simulasi/{s.pk}/start/").status_code == 302
        for key in ("kdrt-dewasa", "lansia-terlantar"):
            assert fac.post(f"/simulasi/{s.pk}/open/", {"card": key}).status_code == 302
        # The same card twice is refused.
        r = fac.post(f"/simulasi/{s.pk}/open/", {"card": "kdrt-dewasa"}, follow=True)
        assert "Kartu ini sudah dimainkan dalam sesi." in r.content.decode()
    kdrt, lansia = Case.objects.filter(roleplay_session=s).order_by("pk")
    assert kdrt.is_roleplay and "-SIM-" in kdrt.number and kdrt.mechanism_id == draft.pk
    assert kdrt.registered_by == relawan
    # Compressed time: the draft's 24-hour assign clock falls due after 10 minutes.
    run = ClockRun.objects.get(case=kdrt, key="assign")
    assert run.due_at - run.started_at == datetime.timedelta(minutes=10)

    with time_machine.travel(T0 + datetime.timedelta(minutes=3), tick=False):
        # Refusals the personas meet: the volunteer may not assign; the coordinator forgets
        # the conflict-of-interest declaration.
        with pytest.raises(engine.TransitionRefused):
            engine.fire(workflow.CASE, kdrt, "assign", relawan, {"companion": pendamping})
        with pytest.raises(engine.TransitionRefused):
            engine.fire(workflow.CASE, kdrt, "assign", koord, {"companion": pendamping})
        assign(kdrt, koord, pendamping)  # in time
    with time_machine.travel(T0 + datetime.timedelta(minutes=12), tick=False):
        # The second card's assignment is missed on purpose (due at 10 minutes), then done.
        reminders = fac.get(f"/simulasi/{s.pk}/").content.decode()
        assert lansia.number in reminders
        assign(lansia, koord, pendamping)
        victim = kdrt.victims.get()
        record(kdrt, "first_contact", pendamping, how="in_person")
        record(kdrt, "assess", pendamping, victim=victim, answers={}, needs=[])
        r = refer(kdrt, victim, uptd, pendamping, share=["full_name"], fields=["full_name"])
        r = walk_referral(r, "sent", Desk(companion=pendamping, signer=kasi, officer=officer))
        assert r.letter_roleplay
    # Notes: a deadline to change, and one outside the mechanism.
    with time_machine.travel(T0 + datetime.timedelta(minutes=15), tick=False):
        r = fac.post(
            f"/simulasi/{s.pk}/notes/",
            {
                "case": lansia.pk,
                "step": "Penugasan pendamping",
                "target": "deadline",
                "clock_key": "assign",
                "amount": "2",
                "unit": "working_days",
                "text": "Penugasan dalam 24 jam terlalu singkat untuk kelurahan ini.",
            },
        )
        assert r.status_code == 302, r.content.decode()[:3000]
        # A note without its proposed value is refused, and what was typed stays.
        bad = fac.post(
            f"/simulasi/{s.pk}/notes/",
            {"step": "x", "target": "approvers", "text": "Hanya lurah menyetujui"},
        )
        assert bad.status_code == 400 and "Hanya lurah menyetujui" in bad.content.decode()
        client_for(pendamping).post(
            f"/simulasi/{s.pk}/notes/",
            {"step": "Rujukan", "target": "outside", "text": "Formulir rujukan terlalu panjang."},
        )
    # Roles, not names, on the debrief; paths, refusals, deadlines and notes in the PDF.
    page = fac.get(f"/simulasi/{s.pk}/debrief/").content.decode()
    assert "Pendamping LBK-KK" in page or "LBK-KK companion" in page
    assert personas["ws.pendamping"].last_name not in page
    pdf = fac.get(f"/simulasi/{s.pk}/debrief.pdf")
    assert pdf["Content-Type"] == "application/pdf"
    text = pdf_text(pdf.content)
    assert kdrt.number in text and lansia.number in text
    assert scenarios.card("kdrt-dewasa").title in text
    assert "referral.send" not in text  # steps by their labels
    assert "conflict of interest" in text or "konflik kepentingan" in text  # a refusal
    assert Refusal.objects.filter(session=s, case=kdrt).count() == 2
    assert "SIMULASI" in text
    refusal = Refusal.objects.filter(session=s).first()
    assert refusal.roles == "relawan"
    assert "Penugasan dalam 24 jam terlalu singkat" in text
    assert "Formulir rujukan terlalu panjang" in text
    # One deadline missed (the second card's assignment), the first met.
    assert (
        ClockRun.objects.get(case=lansia, key="assign").stopped_at
        > ClockRun.objects.get(case=lansia, key="assign").due_at
    )
    # Apply: a new draft version when none is open, the change logged with the note.
    draft.state = Version.State.TRIAL
    draft.save()
    note = Note.objects.get(target="deadline")
    r = fac.post(f"/simulasi/notes/{note.pk}/apply/")
    assert r.status_code == 302
    new = Version.objects.get(kelurahan=s.kelurahan, state="draft")
    assert new.number == draft.number + 1
    assert new.deadlines["assign"] == {"amount": 2, "unit": "working_days"}
    log = ChangeLog.objects.filter(version=new)
    assert log.filter(field="deadlines.assign").exists()
    assert log.filter(field="roleplay_note", new__contains="terlalu singkat").exists()
    # Twice: refused, nothing more written; a note outside the mechanism never applies.
    n_log = log.count()
    fac.post(f"/simulasi/notes/{note.pk}/apply/")
    outside = Note.objects.get(target="outside")
    fac.post(f"/simulasi/notes/{outside.pk}/apply/")
    assert ChangeLog.objects.filter(version=new).count() == n_log
    # A participant may not apply (only who runs the session).
    assert client_for(pendamping).post(f"/simulasi/notes/{note.pk}/apply/").status_code == 404


def test_sim_isolated_and_roles_end_with_the_session(personas):
    from cases.models import StateCount
    from reports.models import MonthlyCount

    s, fac, _draft = make_session(personas)
    pendamping, koord = personas["ws.pendamping"], personas["wb.koordinator"]
    kasi, officer = personas["ws.kasikesra"], personas["dp3a.petugas"]
    fac.post(f"/simulasi/{s.pk}/start/")
    real_figures = list(MonthlyCount.objects.filter(is_roleplay=False).values_list("n"))
    real_states = list(StateCount.objects.filter(is_roleplay=False).values_list("status", "n"))
    fac.post(f"/simulasi/{s.pk}/open/", {"card": "kdrt-dewasa"})
    case = Case.objects.get(roleplay_session=s)
    # Statistics and the dashboard's counts: the real series does not move.
    assert list(MonthlyCount.objects.filter(is_roleplay=False).values_list("n")) == real_figures
    assert (
        list(StateCount.objects.filter(is_roleplay=False).values_list("status", "n")) == real_states
    )
    assert StateCount.objects.filter(is_roleplay=True, status="received", n=1).exists()
    # Session roles: the WB coordinator reaches the WS case only by the session role; the
    # lurah of WS (no session role) does not, though it is a case of their kelurahan.
    assert client_for(koord).get(f"/cases/{case.pk}/").status_code == 200
    lurah = client_for(personas["ws.lurah"])
    assert lurah.get(f"/cases/{case.pk}/").status_code == 404
    assert case.number not in lurah.get("/cases/").content.decode()
    assign(case, koord, pendamping)
    victim = case.victims.get()
    record(case, "first_contact", pendamping, how="in_person")
    r = refer(case, victim, get_agency("uptd"), pendamping, share=["full_name"])
    r = walk_referral(r, "sent", Desk(companion=pendamping, signer=kasi, officer=officer))
    worked()
    # The officer's real inbox, its count and the register know nothing of it; the session's
    # simulation list shows it; no e-mail about role play.
    off = client_for(officer)
    assert 'href="/simulasi/"' in off.get("/home/").content.decode()  # the nav leads there
    inbox = off.get("/referrals/inbox/").content.decode()
    assert r.letter_number not in inbox and case.number not in inbox
    assert r.letter_number in off.get(f"/simulasi/{s.pk}/").content.decode()
    assert off.get(f"/referrals/{r.pk}/").status_code == 200
    real_officer = personas["uptdppa.petugas"]  # a real UPTD PPA officer, not in the session
    assert client_for(real_officer).get(f"/referrals/{r.pk}/").status_code == 404
    assert r.letter_number not in client_for(real_officer).get("/referrals/inbox/").content.decode()
    register = client_for(personas["ws.lurah"]).get("/referrals/register/").content.decode()
    assert r.letter_number not in register
    told = set(
        Notification.objects.filter(subject_type="referrals.referral", subject_id=r.pk).values_list(
            "user_id", flat=True
        )
    )
    assert told and told <= set(s.participants.values_list("user_id", flat=True))
    assert Notification.objects.filter(user=officer, kind="referral_sent").exists()
    assert all(n.email_state == "" for n in Notification.objects.filter(user=officer))
    assert not [m for m in mail.outbox if "SIM" in m.body or r.letter_number in m.body]
    assert Referral.objects.filter(pk=r.pk, case__is_roleplay=True).exists()
    # The session ends: every session role ends with it; it counts once in the outreach log.
    assert fac.post(f"/simulasi/{s.pk}/end/").status_code == 302
    assert client_for(koord).get(f"/cases/{case.pk}/").status_code == 404
    assert off.get(f"/referrals/{r.pk}/").status_code == 404
    assert client_for(pendamping).get(f"/simulasi/{s.pk}/").status_code == 404
    fresh = type(pendamping).objects.get(pk=pendamping.pk)  # a new request's user
    with pytest.raises(engine.TransitionRefused):
        engine.fire(workflow.CASE, case, "assess", fresh, {"victim": victim})
    s.refresh_from_db()
    a = Activity.objects.get(pk=s.activity_id)
    assert (a.kind, a.women, a.men, a.with_disability) == ("simulasi", 3, 2, 0)
    # Ending twice is refused; the facilitator still reads the debrief.
    fac.post(f"/simulasi/{s.pk}/end/")
    assert Activity.objects.count() == 1
    assert fac.get(f"/simulasi/{s.pk}/debrief/").status_code == 200


def test_cards_and_the_one_time_code(personas):
    assert len(scenarios.CARDS) >= 9
    s, fac, _draft = make_session(personas)
    r = fac.post(
        f"/simulasi/{s.pk}/participants/",
        {"full_name": "Pak RT Simulasi", "role": "relawan", "sex": "m", "age_group": "elderly"},
        follow=True,
    )
    p = Participant.objects.get(session=s, user__first_name="Pak")
    from accounts.models import AccountAudit

    row = AccountAudit.objects.get(subject=p.user, action=AccountAudit.Action.INVITED)
    assert row.actor == s.facilitator and row.kelurahan_id == s.kelurahan_id
    assert row.detail["session"] == s.pk and row.detail["kind"] == "roleplay_code"
    page = r.content.decode()
    import re

    code = re.search(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}", page).group(0)
    anon = Client()
    r = anon.post(
        "/accounts/password/reset/code/",
        {
            "username": p.user.username,
            "code": code,
            "new_password1": "Simulasi-Sesi-2026!",
            "new_password2": "Simulasi-Sesi-2026!",
        },
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    assert anon.login(username=p.user.username, password="Simulasi-Sesi-2026!")
    # The code works once.
    again = Client().post(
        "/accounts/password/reset/code/",
        {
            "username": p.user.username,
            "code": code,
            "new_password1": "Lain-Sandi-2026!",
            "new_password2": "Lain-Sandi-2026!",
        },
    )
    assert again.status_code != 302
    # An outsider (another kelurahan's coordinator, not a participant) gets 404 everywhere.
    other = client_for(personas["wb.lurah"])
    for url in (f"/simulasi/{s.pk}/", f"/simulasi/{s.pk}/debrief/", f"/simulasi/{s.pk}/start/"):
        assert other.get(url).status_code in (404, 405)
    assert other.post(f"/simulasi/{s.pk}/start/").status_code == 404
    s.refresh_from_db()
    assert s.state == Session.State.PLANNED
    # The scenario cards show on the session page.
    page = fac.get(f"/simulasi/{s.pk}/").content.decode()
    for card in scenarios.CARDS:
        assert card.title in page
    assert timezone.now()


def test_session_pages_queries_constant(personas):
    from tests.queries import assert_queries_constant, count_get

    s, fac, _draft = make_session(personas)
    fac.post(f"/simulasi/{s.pk}/start/")
    fac.post(f"/simulasi/{s.pk}/open/", {"card": "kdrt-dewasa"})
    urls = ("/simulasi/", f"/simulasi/{s.pk}/", f"/simulasi/{s.pk}/debrief/")

    def measure():
        return tuple(count_get(fac, url) for url in urls)

    def grow():
        for key in ("lansia-terlantar", "pengaduan-ganda"):
            fac.post(f"/simulasi/{s.pk}/open/", {"card": key})
        for case in s.cases.all():
            fac.post(
                f"/simulasi/{s.pk}/notes/",
                {"case": case.pk, "step": "x", "target": "outside", "text": "Catatan"},
            )

    assert_queries_constant(measure, grow)


def test_a_kota_facilitator_runs_sessions_of_the_kotas_kelurahan(personas):
    """ROLES.md: a facilitator at kota level (a trainer of several kelurahan) runs sessions of
    every kelurahan of the kota; the kota analyst (aggregates only) runs none."""
    from accounts.models import Membership, Role, User
    from places.models import Kota

    draft = mechanism_version("ws", "draft", deadlines={"assign": 24})
    trainer = User.objects.create_user("kota.fasilitator", password="x" * 12)
    Membership.objects.create(
        user=trainer, kota=Kota.objects.get(code="73.72"), role=Role.FASILITATOR
    )
    form = {
        "kelurahan": "WS",
        "title": "Simulasi pelatih kota",
        "version": draft.pk,
        "held_on": "2026-10-05",
        "place": "Aula kecamatan",
        "minutes_per_day": "10",
    }
    refused = client_for(personas["kota.analis"]).post("/simulasi/new/", form)
    assert refused.status_code in (400, 404) and not Session.objects.exists()
    r = client_for(trainer).post("/simulasi/new/", form)
    assert r.status_code == 302, r.content.decode()[:2000]
    s = Session.objects.get()
    assert s.kelurahan.code == "WS" and s.facilitator == trainer
    assert client_for(trainer).get(f"/simulasi/{s.pk}/").status_code == 200
    assert client_for(personas["kota.analis"]).get(f"/simulasi/{s.pk}/").status_code == 404
