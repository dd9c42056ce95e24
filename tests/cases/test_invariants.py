"""The invariants of cases/invariants.py, held by the one engine whatever the door.

First, one test per defect found by sending raw POSTs to the running app (each now refused, with
no change in the database); then a table-driven walk over every step of both procedure tables
that, for each invariant that applies, builds a state that violates it and checks that the
engine refuses with the invariant's message. (Defects 7-9 of the issue, the kept form, NUL bytes
and letter-number formats, are pinned in tests/security/test_kept_form.py,
tests/security/test_bad_input.py and tests/accounts/test_letter_number_format.py.)
"""

import uuid

import pytest
from django.core import mail
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import User
from attachments.models import Attachment
from cases import engine, invariants, numbering, vocab
from cases.models import Case, CaseEvent, Consent, PlannedAction, SubmittedForm, Visit
from cases.services.procedure import case_advance
from notifications.models import Notification
from referrals import services
from referrals.models import Referral, State
from tests.factories import (
    REFERRAL_VICTIM,
    give_consent,
    make_case,
    make_referral,
    plan_action,
    worked,
)
from tests.uploads import PDF_BYTES, upload

pytestmark = pytest.mark.django_db


def once():
    return uuid.uuid4().hex


def withdraw(case, consent, actor):
    case_advance(
        case=case,
        action="withdraw_consent",
        actor=actor,
        data={"consent": consent, "note": "Korban menarik persetujuan"},
    )


# ---------------------------------------------------------------------------------------------
# 1. Consent withdrawn while the referral waited for approval


def test_approval_after_consent_withdrawn_is_refused(master, personas):
    r = make_referral(personas, "requested")
    share = Consent.objects.get(victim=r.victim, purpose="share")
    withdraw(r.case, share, personas["ws.pendamping"])
    counters = numbering.all_series(numbering.LETTER)
    c = personas.client("ws.kasikesra")
    resp = c.post(
        reverse("referrals:step", args=[r.pk, "approve"]), {"_lbk_once": once()}, follow=False
    )
    assert resp.status_code == 400
    assert "persetujuan korban untuk membagikan data" in resp.content.decode().lower()
    r.refresh_from_db()
    assert r.state == State.REQUESTED and not r.letter_number and not r.pdf_sha256
    assert numbering.all_series(numbering.LETTER) == counters


def test_withdrawal_after_the_letter_shrinks_the_agency_view_and_stops_the_download(
    master, personas
):
    r = make_referral(personas, "sent", fields=["full_name", "address"])
    assert r.state == State.SENT and r.letter_with_consent
    officer = personas.client("uptdppa.petugas")
    detail = reverse("referrals:detail", args=[r.pk])
    letter = reverse("referrals:letter", args=[r.pk])
    page = officer.get(detail).content.decode()
    assert r.victim.full_name in page and r.victim.address in page
    assert officer.get(letter).status_code == 200
    sha = r.pdf_sha256

    share = Consent.objects.get(victim=r.victim, purpose="share")
    withdraw(r.case, share, personas["ws.pendamping"])

    page = officer.get(detail).content.decode()
    assert r.victim.full_name not in page and r.victim.address not in page
    assert r.victim.display_initials in page
    assert r.summary not in page
    assert officer.get(letter).status_code == 404
    # The stored letter stays unchanged in the archive, for the kelurahan.
    r.refresh_from_db()
    assert r.pdf_sha256 == sha
    assert personas.client("ws.koordinator").get(letter).status_code == 200
    # The timeline records it and the companion is told to inform the agency.
    ev = CaseEvent.objects.get(case=r.case, action="consent_withdrawn_referral")
    assert ev.data["referral"] == r.pk
    told = Notification.objects.filter(kind="consent_withdrawn").values_list(
        "user__username", flat=True
    )
    assert "ws.pendamping" in set(told)


def test_emergency_without_consent_needs_a_ground_and_shows_only_the_minimum(master, personas):
    case = make_case(personas, victims=[REFERRAL_VICTIM])
    victim = case.victims.get()
    data = dict(
        case=case,
        actor=personas["ws.koordinator"],
        victim=victim,
        agency=master["uptd"],
        service_type="health",
        how="phone",
        made_at=timezone.now(),
        summary="Korban terluka.",
        shared_fields=["full_name", "address"],
    )
    with translation.override("en"):
        with pytest.raises(engine.TransitionRefused) as exc:
            services.referral_create_emergency(**data)
        assert str(invariants.GROUND_MISSING) in exc.value.reasons
    assert not Referral.objects.filter(case=case).exists()
    r = services.referral_create_emergency(**data, ground="injury")
    case.refresh_from_db()
    assert case.injured_needs_care  # the form recorded which ground
    r = services.referral_advance(referral=r, action="ratify", actor=personas["ws.kasikesra"])
    r = worked(r)
    assert r.letter_number and not r.letter_with_consent and r.letter_shared_fields == []
    page = personas.client("uptdppa.petugas").get(reverse("referrals:detail", args=[r.pk]))
    text = page.content.decode()
    assert victim.full_name not in text and victim.address not in text
    assert "Korban terluka." in text  # the emergency summary
    letter = reverse("referrals:letter", args=[r.pk])
    assert personas.client("uptdppa.petugas").get(letter).status_code == 200


def test_best_interest_consent_counts_only_for_uptd_police_or_health(master, personas):
    r = make_referral(personas, "draft", agency="dp3a", with_consent=False)
    pend = personas["ws.pendamping"]
    # Only best-interest decisions: the victim's own consent to services is withdrawn first.
    withdraw(r.case, r.victim.consents.get(purpose="services"), pend)
    # Best-interest decisions the consent step refuses (DP3A is not one of the agencies they
    # may name): written directly, to show the request still refuses to rely on them.
    for purpose, agency in (("services", None), ("share", master["dp3a"])):
        Consent.objects.create(
            case=r.case,
            kelurahan=r.kelurahan,
            victim=r.victim,
            purpose=purpose,
            agency=agency,
            given_by="best_interest",
            how="written",
            recorded_by=pend,
            confirmed_at=timezone.now(),
            confirmed_by=personas["ws.koordinator"],
        )
    with pytest.raises(engine.TransitionRefused):
        services.referral_advance(referral=r, action="request", actor=pend)
    assert invariants.consents_for(r.victim, master["uptd"])[0] is True
    assert invariants.consents_for(r.victim, master["dp3a"])[0] is False


# ---------------------------------------------------------------------------------------------
# 2. and 3. No live mediation on a case of sexual violence


@pytest.fixture
def sv_case(master, personas):
    return make_case(personas, "handling", violence_types=["sexual"])


def test_mediation_through_the_emergency_form_is_refused(master, personas, sv_case):
    victim = sv_case.victims.get()
    resp = personas.client("ws.pendamping").post(
        reverse("referrals:emergency", args=[sv_case.pk]),
        {
            "victim": victim.pk,
            "agency": master["uptd"].pk,
            "service_type": "mediation",
            "ground": "danger",
            "how": "phone",
            "made_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "summary": "Mediasi keluarga",
            "_lbk_once": once(),
        },
    )
    assert resp.status_code == 400
    assert "UU 12/2022" in resp.content.decode()
    assert not Referral.objects.filter(case=sv_case).exists()
    assert not PlannedAction.objects.filter(case=sv_case, service_type="mediation").exists()


def test_edit_adding_sexual_violence_stops_live_mediation(master, personas):
    p = personas
    case = make_case(p, "handling")
    victim = case.victims.get()
    pend = p["ws.pendamping"]
    give_consent(victim, "share", agency="uptd")
    mediation = plan_action(victim, agency="uptd", service="mediation")
    r = services.referral_create(action=mediation, actor=pend)
    r = services.referral_advance(referral=r, action="request", actor=pend)
    from tests.form_posts import form_data

    c = p.client("ws.koordinator")
    url = reverse("cases:edit", args=[case.pk])
    import html

    body = form_data(html.unescape(c.get(url).content.decode()))
    body["violence_types"] = ["physical", "sexual"]
    body["_lbk_once"] = once()
    resp = c.post(url, body)
    assert resp.status_code == 302, resp.content.decode()[:2000]
    case.refresh_from_db()
    assert case.is_sexual_violence  # the facts are never refused
    mediation.refresh_from_db()
    assert mediation.status == vocab.ActionStatus.NOT_NEEDED
    assert "UU 12/2022" in mediation.note and "23" in mediation.note
    assert CaseEvent.objects.filter(case=case, action="mediation_stopped").count() == 1
    told = set(
        Notification.objects.filter(kind="mediation_stopped").values_list(
            "user__username", flat=True
        )
    )
    assert {"ws.pendamping", "ws.koordinator"} <= told
    r.refresh_from_db()
    assert r.state == State.CANCELLED and "UU 12/2022" in r.cancel_reason


def test_a_stopped_mediation_cannot_be_switched_back_on(master, personas, sv_case):
    pend = personas["ws.pendamping"]
    # Written directly: the engine never lets a mediation be planned on a sexual-violence case.
    stopped = PlannedAction.objects.create(
        case=sv_case,
        kelurahan=sv_case.kelurahan,
        victim=sv_case.victims.get(),
        service_type="mediation",
        status=vocab.ActionStatus.NOT_NEEDED,
        created_by=pend,
    )
    for status in ("planned", "in_progress", "done"):
        resp = personas.client("ws.pendamping").post(
            reverse("cases:act", args=[sv_case.pk, "action_status"]),
            {
                "action_status-planned_action": stopped.pk,
                "action_status-status": status,
                "_lbk_once": once(),
            },
        )
        assert resp.status_code == 400 and "UU 12/2022" in resp.content.decode()
        stopped.refresh_from_db()
        assert stopped.status == vocab.ActionStatus.NOT_NEEDED


# ---------------------------------------------------------------------------------------------
# 4. A closed case is read-only until reopened


@pytest.fixture
def closed_case(master, personas):
    case = make_case(personas, "closed")
    assert case.status == vocab.Status.CLOSED
    return case


def test_closed_case_intake_cannot_be_edited_by_the_coordinator_or_former_companion(
    personas, closed_case
):
    before = Case.objects.get(pk=closed_case.pk)
    for who in ("ws.koordinator", "ws.pendamping"):
        c = personas.client(who)
        url = reverse("cases:edit", args=[closed_case.pk])
        page = c.get(url, follow=True)
        assert "ditutup" in page.content.decode().lower()
        resp = c.post(
            url,
            {
                "version": before.version,
                "narrative": "Diubah diam-diam",
                "kinds": ["violence"],
                "victims-TOTAL_FORMS": "1",
                "victims-INITIAL_FORMS": "1",
                "victims-0-id": closed_case.victims.get().pk,
                "victims-0-full_name": "Nama Baru",
                "perps-TOTAL_FORMS": "0",
                "perps-INITIAL_FORMS": "0",
                "_lbk_once": once(),
            },
        )
        assert resp.status_code in (400, 404)
        after = Case.objects.get(pk=closed_case.pk)
        assert (after.narrative, after.version) == (before.narrative, before.version)
        assert closed_case.victims.get().full_name != "Nama Baru"


def test_closed_case_takes_no_attachment(personas, closed_case, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    resp = personas.client("ws.koordinator").post(
        reverse("attachments:case", args=[closed_case.pk]),
        {"file": upload("a.pdf", PDF_BYTES), "description": "x", "_lbk_once": once()},
    )
    assert resp.status_code == 400 and "ditutup" in resp.content.decode().lower()
    assert not Attachment.objects.filter(case=closed_case).exists()


def test_closed_case_takes_no_procedure_event_until_reopened(personas, closed_case):
    c = personas.client("ws.koordinator")
    visit = {
        "visit-kind": "home",
        "visit-visited_on": timezone.localdate().isoformat(),
        "visit-text": "Kunjungan",
    }
    resp = c.post(reverse("cases:act", args=[closed_case.pk, "visit"]), visit)
    assert resp.status_code == 400 and "ditutup" in resp.content.decode().lower()
    assert not Visit.objects.filter(case=closed_case).exists()
    resp = c.post(
        reverse("cases:act", args=[closed_case.pk, "reopen"]), {"reopen-reason": "Ada kabar"}
    )
    assert resp.status_code == 302
    resp = c.post(reverse("cases:act", args=[closed_case.pk, "visit"]), visit)
    assert resp.status_code == 302 and Visit.objects.filter(case=closed_case).count() == 1


# ---------------------------------------------------------------------------------------------
# 5. A former companion is told nothing more


def test_former_companion_receives_no_notification_after_reassignment(master, personas):
    r = make_referral(personas, "requested")
    case = r.case
    case_advance(
        case=case,
        action="reassign",
        actor=personas["ws.koordinator"],
        data={"companion": personas["ws.pendamping2"], "no_conflict": True, "reason": "Cuti"},
    )
    Notification.objects.all().delete()
    resp = personas.client("ws.kasikesra").post(
        reverse("referrals:step", args=[r.pk, "return"]),
        {"return-note": "Lengkapi ringkasan", "_lbk_once": once()},
    )
    assert resp.status_code == 302
    told = set(Notification.objects.values_list("user__username", flat=True))
    assert "ws.pendamping" not in told
    assert "ws.pendamping2" in told


def test_an_email_to_someone_who_lost_access_meanwhile_is_dropped_and_recorded(
    master, personas, django_capture_on_commit_callbacks
):
    former = personas["ws.pendamping"]
    User.objects.filter(pk=former.pk).update(email="pendamping@example.org")
    r = make_referral(personas, "requested")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.referral_advance(
            referral=r, action="return", actor=personas["ws.kasikesra"], data={"note": "x"}
        )
    n = Notification.objects.get(user=former, kind="referral_returned")
    assert n.email_state == "pending"
    # Reassigned before the e-mail goes out.
    case_advance(
        case=r.case,
        action="reassign",
        actor=personas["ws.koordinator"],
        data={"companion": personas["ws.pendamping2"], "no_conflict": True, "reason": "Cuti"},
    )
    mail.outbox.clear()
    for cb in callbacks:
        cb()
    n.refresh_from_db()
    assert n.email_state == "dropped"
    assert not [m for m in mail.outbox if "pendamping@example.org" in m.to]


# ---------------------------------------------------------------------------------------------
# 6. The same form sent twice makes one record


def test_the_same_visit_sent_twice_is_recorded_once(master, personas):
    case = make_case(personas, "monitoring")
    c = personas.client("ws.pendamping")
    url = reverse("cases:act", args=[case.pk, "visit"])
    body = {
        "visit-kind": "home",
        "visit-visited_on": timezone.localdate().isoformat(),
        "visit-text": "Kunjungan rumah",
        "_lbk_once": once(),
    }
    first = c.post(url, body)
    second = c.post(url, body, follow=True)
    assert first.status_code == 302 and second.status_code == 200
    assert Visit.objects.filter(case=case).count() == 1
    assert "sudah pernah dikirim" in second.content.decode()
    # A POST by hand without the form's token, sent twice: one record too.
    raw = {k: v for k, v in body.items() if k != "_lbk_once"} | {"visit-text": "Telepon"}
    c.post(url, raw)
    c.post(url, raw)
    assert Visit.objects.filter(case=case).count() == 2
    # Two different forms (two tokens) are two visits: additive records are never refused.
    c.post(url, body | {"_lbk_once": once(), "visit-text": "Lagi"})
    assert Visit.objects.filter(case=case).count() == 3


def test_the_same_planned_action_sent_twice_is_recorded_once(master, personas):
    case = make_case(personas, "handling")
    c = personas.client("ws.pendamping")
    url = reverse("cases:act", args=[case.pk, "plan_action"])
    body = {
        "plan_action-victim": case.victims.get().pk,
        "plan_action-service_type": "legal_aid",
        "_lbk_once": once(),
    }
    before = case.actions.count()
    c.post(url, body)
    c.post(url, body)
    assert case.actions.count() == before + 1
    assert SubmittedForm.objects.filter(token=body["_lbk_once"]).count() == 1


def test_a_step_is_not_refused_because_someone_added_a_visit_meanwhile(master, personas):
    case = make_case(personas, "monitoring")
    seen = case.version
    case_advance(
        case=case,
        action="visit",
        actor=personas["ws.koordinator"],
        data={"kind": "phone", "text": "Telepon", "version": seen},
    )
    case_advance(
        case=case,
        action="new_need",
        actor=personas["ws.pendamping"],
        data={
            "reason": "Butuh bantuan hukum",
            "version": seen,
        },
    )
    case.refresh_from_db()
    assert case.status == vocab.Status.HANDLING


# ---------------------------------------------------------------------------------------------
# The table walk: every step x every invariant that applies, violated, refused.

ACTORS = {
    engine.COMPANION: "ws.pendamping",
    engine.STAFF: "ws.kasikesra",
    engine.REGISTRAR: "ws.relawan",
    engine.AGENCY: "uptdppa.petugas",
    "koordinator": "ws.koordinator",
    engine.SYSTEM: "ws.koordinator",
}


def _actor(step, personas):
    if step.action == "send":  # UPTD PPA has users: the app sends
        return personas["ws.kasikesra"], True
    role = sorted(step.roles, key=lambda r: r == engine.SYSTEM)[0]
    return personas[ACTORS[role]], role == engine.SYSTEM


# The table walk builds states the procedure forbids (a step's source state reached without its
# guards, mediation on a sexual-violence case, referrals in any state): written directly.


def _case_in(state, master, personas, **kw):
    case = make_case(personas, "handling", **kw)
    give_consent(case.victims.get(), "share", agency="uptd")
    Case.objects.filter(pk=case.pk).update(status=state)
    case.refresh_from_db()
    return case


def _referral_in(state, case, master, personas, service="psychological"):
    pend = personas["ws.pendamping"]
    pa = PlannedAction.objects.create(
        case=case,
        kelurahan=case.kelurahan,
        victim=case.victims.get(),
        service_type=service,
        agency=master["uptd"],
        created_by=pend,
    )
    return Referral.objects.create(
        case=case,
        kelurahan=case.kelurahan,
        victim=case.victims.get(),
        agency=master["uptd"],
        action=pa,
        services_requested="Layanan",
        state=state,
        created_by=pend,
        requested_by=pend,
        requested_at=timezone.now(),
        sent_at=timezone.now() if state not in ("draft", "requested", "returned") else None,
    )


def _case_data(action, case, master):
    victim = case.victims.get()
    return {
        "plan_action": {"victim": victim, "service_type": "mediation"},
        "action_status": {"status": "in_progress"},
        "edit_intake": {
            "version": case.version,
            "case_data": {},
            "case_fields": (),
            "victims": [],
            "perpetrators": [],
            "links": [],
        },
    }.get(action, {})


def _violate(inv, table, step, master, personas):
    """(subject, data) of a state where `inv` is violated for `step`."""
    source = sorted(step.source)[0]
    if table.key == "case":
        if inv.key == "closed_read_only":
            case = _case_in(vocab.Status.CLOSED, master, personas)
            return case, _case_data(step.action, case, master)
        case = _case_in(source, master, personas, violence_types=["sexual"])
        data = _case_data(step.action, case, master)
        if step.action == "action_status":
            data["planned_action"] = PlannedAction.objects.create(
                case=case,
                kelurahan=case.kelurahan,
                victim=case.victims.get(),
                service_type="mediation",
                status="not_needed",
                created_by=personas["ws.pendamping"],
            )
        return case, data
    # the referral table
    if inv.key == "closed_read_only":
        case = _case_in(vocab.Status.HANDLING, master, personas)
        r = _referral_in(State.DRAFT if source == engine.NEW else source, case, master, personas)
        Case.objects.filter(pk=case.pk).update(status=vocab.Status.CLOSED)
        if source == engine.NEW:
            r = Referral(
                case=case,
                kelurahan=case.kelurahan,
                victim=r.victim,
                agency=r.agency,
                action=r.action,
                is_emergency=step.action == "emergency",
            )
        return r, {"service_type": "health", "reason": "x", "note": "x"}
    sexual = inv.key == "no_mediation"
    case = _case_in(
        vocab.Status.HANDLING,
        master,
        personas,
        **({"violence_types": ["sexual"]} if sexual else {}),
    )
    service = "mediation" if sexual else "psychological"
    if inv.key == "disclosure":
        Consent.objects.filter(case=case).update(withdrawn_at=timezone.now())
    if source == engine.NEW:
        r = _referral_in(State.DRAFT, case, master, personas, service=service)
        r.action.referrals.all().update(state=State.CANCELLED)
        probe = Referral(
            case=case,
            kelurahan=case.kelurahan,
            victim=r.victim,
            agency=r.agency,
            action=r.action,
            services_requested="Layanan",
            is_emergency=step.action == "emergency",
        )
        return probe, {"service_type": service, "how": "phone"}
    r = _referral_in(source, case, master, personas, service=service)
    return r, {"how": "hand", "when": timezone.now()}


def test_every_step_of_both_tables_refuses_every_invariant_it_breaks(master, personas):
    checked = []
    for table in engine.tables():
        for step in table.steps:
            for inv in engine.invariants_for(table, step):
                if inv.check is None or (table.key, step.action) == ("case", "edit_intake"):
                    continue  # edit_intake is never refused for mediation: it stops it
                subject, data = _violate(inv, table, step, master, personas)
                actor, system = _actor(step, personas)
                with translation.override("en"):
                    expected = {
                        "closed_read_only": str(invariants.CLOSED_MESSAGE),
                        "no_mediation": str(invariants.MEDIATION_REFUSED),
                        "disclosure": "consent",
                    }[inv.key]
                    events = CaseEvent.objects.count()
                    top = Case.objects.aggregate(v=Max("version"))["v"]
                    with pytest.raises(engine.TransitionRefused) as exc:
                        engine.fire(table, subject, step.action, actor, data, system=system)
                reasons = " ".join(exc.value.reasons)
                with translation.override("en"):
                    ground = str(invariants.GROUND_MISSING)
                assert expected in reasons or (inv.key == "disclosure" and ground in reasons), (
                    table.key,
                    step.action,
                    inv.key,
                    reasons,
                )
                assert CaseEvent.objects.count() == events
                assert Case.objects.aggregate(v=Max("version"))["v"] == top
                checked.append((table.key, step.action, inv.key))
    # Every (step, invariant) pair that applies was walked.
    expected_pairs = {
        (t.key, s.action, i.key)
        for t in engine.tables()
        for s in t.steps
        for i in engine.invariants_for(t, s)
        if i.check is not None and (t.key, s.action) != ("case", "edit_intake")
    }
    assert set(checked) == expected_pairs
    assert len(expected_pairs) > 40
