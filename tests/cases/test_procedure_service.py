"""case_advance: every transition allowed for its roles and refused for every other persona,
each guard refusing with its message, the timeline, four eyes, return and reopen."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from cases import vocab
from cases.models import Case, CaseEvent, PlannedAction
from cases.services.procedure import case_advance
from cases.vocab import Status as S
from cases.workflow import TransitionRefused
from tests.factories import assess_and_plan, assign, make_case, make_referral, worked

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    """Reasons are asserted by their English source; one test checks the Indonesian."""
    with translation.override("en"):
        yield


ALL = [
    "ws.relawan",
    "ws.pendamping",
    "ws.pendamping2",
    "ws.koordinator",
    "ws.kasikesra",
    "ws.lurah",
    "wb.relawan",
    "wb.pendamping",
    "wb.koordinator",
    "wb.kasikesra",
    "wb.lurah",
    "dp3a.petugas",
    "uptdppa.petugas",
    "dinsos.petugas",
    "admin",
]
DECIDERS = {"ws.koordinator", "ws.kasikesra", "ws.lurah"}
COMPANIONS = {"ws.pendamping", "ws.koordinator"}


def _setup(p, master, state, plan=False):
    case = make_case(p, state)
    if plan:
        assess_and_plan(case, p["ws.pendamping"])
    return case


# ruff: noqa: E501 (one row per transition reads better than wrapped rows)
TRANSITIONS = [
    # action, start state, prepared plan, data (persona dict -> dict), allowed, expected state
    ("assign", S.RECEIVED, False, lambda p: {"companion": p["ws.pendamping"], "no_conflict": True}, DECIDERS, S.ASSESSMENT),
    ("reassign", S.ASSESSMENT, False, lambda p: {"companion": p["ws.pendamping2"], "no_conflict": True, "reason": "cuti"}, DECIDERS, S.ASSESSMENT),
    ("decline", S.RECEIVED, False, lambda p: {"not_pursued_reason": "duplicate"}, DECIDERS, S.NOT_PURSUED),
    ("decline", S.ASSESSMENT, False, lambda p: {"not_pursued_reason": "unverifiable"}, DECIDERS, S.NOT_PURSUED),
    ("complete_assessment", S.ASSESSMENT, True, lambda p: {}, COMPANIONS, S.HANDLING),
    ("propose_closure", S.ASSESSMENT, False, lambda p: {"closure_reason": "unreachable"}, COMPANIONS, S.CLOSURE_REQUESTED),
    ("start_monitoring", S.HANDLING, False, lambda p: {}, COMPANIONS, S.MONITORING),
    ("new_need", S.MONITORING, False, lambda p: {"reason": "butuh visum"}, COMPANIONS, S.HANDLING),
    ("propose_closure", S.HANDLING, False, lambda p: {"closure_reason": "needs_met"}, COMPANIONS, S.CLOSURE_REQUESTED),
    ("propose_closure", S.MONITORING, False, lambda p: {"closure_reason": "safe_recovered"}, COMPANIONS, S.CLOSURE_REQUESTED),
    ("approve_closure", S.CLOSURE_REQUESTED, False, lambda p: {}, DECIDERS, S.CLOSED),
    ("return", S.CLOSURE_REQUESTED, False, lambda p: {"note": "belum pulih"}, DECIDERS, S.MONITORING),
    ("reopen", S.CLOSED, False, lambda p: {"reason": "kekerasan berulang"}, DECIDERS, S.ASSESSMENT),
]  # fmt: skip


@pytest.mark.parametrize(
    "action,start,plan,data,allowed,after",
    TRANSITIONS,
    ids=[f"{t[0]}-{t[1]}" for t in TRANSITIONS],
)
def test_transition_allowed_for_its_roles_refused_for_others(
    personas, master, action, start, plan, data, allowed, after
):
    # Every other persona is refused on the same case (a refusal changes nothing) ...
    case = _setup(personas, master, start, plan)
    events_before = CaseEvent.objects.filter(case=case).count()
    version = case.version
    for persona in ALL:
        if persona in allowed:
            continue
        with pytest.raises(TransitionRefused):
            case_advance(case=case, action=action, actor=personas[persona], data=data(personas))
        case.refresh_from_db()
        assert case.status == start and case.version == version, persona
        assert CaseEvent.objects.filter(case=case).count() == events_before, persona
    # ... and each of its roles may fire it, on a fresh case.
    for persona in sorted(allowed):
        case = _setup(personas, master, start, plan)
        actor = personas[persona]
        event = case_advance(case=case, action=action, actor=actor, data=data(personas))
        case.refresh_from_db()
        assert case.status == after, persona
        if action == "reassign":  # no change of state: the entry carries no from/to
            assert (event.actor, event.from_status, event.to_status) == (actor, "", "")
        else:
            assert (event.actor, event.from_status, event.to_status) == (actor, start, after)
        assert event.action == action and event.kind in ("transition", "assignment")


def refused(case, action, actor, data=None):
    before = Case.objects.get(pk=case.pk)
    with pytest.raises(TransitionRefused) as exc:
        case_advance(case=case, action=action, actor=actor, data=data or {})
    after = Case.objects.get(pk=case.pk)
    assert (after.status, after.version, after.companion_id) == (
        before.status,
        before.version,
        before.companion_id,
    )
    return " ".join(exc.value.reasons)


def test_assign_guards(personas, master):
    p = personas
    case = make_case(p)
    koor = p["ws.koordinator"]
    msg = "The companion must be an active pendamping of this kelurahan."
    assert msg in refused(
        case, "assign", koor, {"companion": p["wb.pendamping"], "no_conflict": True}
    )
    assert msg in refused(case, "assign", koor, {"companion": p["ws.relawan"], "no_conflict": True})
    inactive = p["ws.pendamping2"]
    inactive.is_active = False
    inactive.save()
    assert msg in refused(case, "assign", koor, {"companion": inactive, "no_conflict": True})
    assert "no conflict of interest" in refused(
        case, "assign", koor, {"companion": p["ws.pendamping"], "no_conflict": False}
    )
    assign(case, koor, p["ws.pendamping"])
    case.refresh_from_db()
    assert case.companion == p["ws.pendamping"] and case.ever_assigned and case.assigned_at
    event = case.events.get(action="assign")
    assert event.data["no_conflict_declared"] is True


def test_reassign_needs_reason_and_a_new_companion(personas, master):
    p = personas
    case = make_case(p, "assessment")
    koor = p["ws.koordinator"]
    data = {"companion": p["ws.pendamping2"], "no_conflict": True}
    assert "Give the reason." in refused(case, "reassign", koor, data)
    assert "already assigned" in refused(
        case, "reassign", koor, {**data, "companion": p["ws.pendamping"], "reason": "x"}
    )
    case_advance(case=case, action="reassign", actor=koor, data={**data, "reason": "cuti"})
    case.refresh_from_db()
    assert case.companion == p["ws.pendamping2"] and case.status == S.ASSESSMENT
    ev = case.events.get(action="reassign")
    assert ev.note == "cuti" and ev.kind == CaseEvent.Kind.ASSIGNMENT


def test_complete_assessment_guards_in_indonesian(personas, master):
    p = personas
    case = make_case(p, "assessment", victims=2)
    pend = p["ws.pendamping"]
    with translation.override("id"):
        text = refused(case, "complete_assessment", pend)
    assert "Belum ada tindakan dalam rencana penanganan" in text
    assert text.count("tingkat risiko") == 2  # both victims lack an assessment
    assess_and_plan(case, pend)
    case_advance(case=case, action="complete_assessment", actor=pend)
    assert case.status == S.HANDLING and case.handling_started_at


def test_consent_counts_only_when_in_force(personas, master):
    p = personas
    case = make_case(p, "assessment")
    pend = p["ws.pendamping"]
    assess_and_plan(case, pend)
    consent = case.consents.get()
    case_advance(
        case=case, action="withdraw_consent", actor=pend, data={"consent": consent, "note": "x"}
    )
    assert "consent to services" in refused(case, "complete_assessment", pend)


def test_mediation_refused_on_sexual_violence_with_article_23(personas, master):
    p = personas
    case = make_case(p, "assessment", violence_types=["sexual"])
    pend = p["ws.pendamping"]
    victim = case.victims.get()
    data = {"victim": victim, "service_type": vocab.ServiceType.MEDIATION}
    with translation.override("id"):
        text = refused(case, "plan_action", pend, data)
    assert "UU 12/2022" in text and "23" in text and "diversi" in text.lower()
    assert not PlannedAction.objects.filter(case=case).exists()
    # tpks types alone make a case sexual violence too
    other = make_case(p, "assessment", violence_types=[], tpks_types=["rape"])
    refused(other, "plan_action", pend, {**data, "victim": other.victims.get()})
    # a non-sexual case may plan mediation
    plain = make_case(p, "assessment")
    case_advance(
        case=plain, action="plan_action", actor=pend, data={**data, "victim": plain.victims.get()}
    )
    # a case that turns out to be sexual violence cannot go on with mediation in its plan: the
    # intake edit is accepted and the mediation action is stopped in the same transaction
    assess_and_plan(plain, pend)
    from cases.services.intake import case_update

    plain.refresh_from_db()
    case_update(
        case=plain,
        actor=pend,
        expected_version=plain.version,
        case_data={"violence_types": ["sexual"]},
        victims=[],
    )
    mediation = PlannedAction.objects.get(case=plain, service_type=vocab.ServiceType.MEDIATION)
    assert mediation.status == vocab.ActionStatus.NOT_NEEDED
    assert "UU 12/2022" in mediation.note
    assert plain.events.filter(action="mediation_stopped").exists()


def test_child_victim_warning_until_uptd_or_dp3a_action(personas, master):
    from cases import workflow

    p = personas
    case = make_case(p, "assessment", child=True)
    assert len(workflow.warnings(case)) == 1
    assess_and_plan(case, p["ws.pendamping"])  # LBK-KK as provider: still a warning
    assert len(workflow.warnings(case)) == 1
    case_advance(
        case=case,
        action="plan_action",
        actor=p["ws.pendamping"],
        data={
            "victim": case.victims.get(),
            "service_type": vocab.ServiceType.PSYCHOLOGICAL,
            "agency": master["uptd"],
        },
    )
    assert workflow.warnings(case) == []


def consent_data(victim, **kw):
    return {
        "victim": victim,
        "purpose": vocab.ConsentPurpose.SERVICES,
        "given_by": vocab.ConsentGiver.VICTIM,
        "how": vocab.ConsentHow.WRITTEN,
        **kw,
    }


def test_consent_guards(personas, master):
    p = personas
    pend, koor = p["ws.pendamping"], p["ws.koordinator"]
    child_case = make_case(p, "assessment", child=True)
    child = child_case.victims.get()
    assert "parent or guardian" in refused(child_case, "consent", pend, consent_data(child))
    assert "child's own view" in refused(
        child_case, "consent", pend, consent_data(child, given_by="guardian", giver_name="Ibu")
    )
    assert "name of the parent" in refused(
        child_case, "consent", pend, consent_data(child, given_by="guardian", child_view="mau")
    )
    case_advance(
        case=child_case,
        action="consent",
        actor=pend,
        data=consent_data(child, given_by="guardian", giver_name="Ibu", child_view="mau"),
    )
    # best interest: only UPTD PPA, police, health; effective once the coordinator confirms
    bi = consent_data(child, purpose="share", given_by="best_interest", child_view="takut pulang")
    assert "UPTD PPA, police or health" in refused(
        child_case, "consent", pend, {**bi, "agency": master["dp3a"]}
    )
    case_advance(
        case=child_case, action="consent", actor=pend, data={**bi, "agency": master["uptd"]}
    )
    entry = child_case.consents.get(given_by="best_interest")
    assert not entry.is_effective
    case_advance(case=child_case, action="confirm_consent", actor=koor, data={"consent": entry})
    entry.refresh_from_db()
    assert entry.is_effective and entry.confirmed_by == koor
    # sharing needs the agency
    adult_case = make_case(p, "assessment")
    adult = adult_case.victims.get()
    assert "agency the data may be shared" in refused(
        adult_case, "consent", pend, consent_data(adult, purpose="share")
    )
    assert "only for a child" in refused(
        adult_case, "consent", pend, consent_data(adult, given_by="guardian", giver_name="x")
    )
    assert "intellectual or psychosocial" in refused(
        adult_case, "consent", pend, consent_data(adult, given_by="supported", giver_name="x")
    )
    adult.disability_types = ["intellectual"]
    adult.save()
    assert "supported decision" in refused(adult_case, "consent", pend, consent_data(adult))
    assert "supporter" in refused(
        adult_case, "consent", pend, consent_data(adult, given_by="supported")
    )
    case_advance(
        case=adult_case,
        action="consent",
        actor=pend,
        data=consent_data(adult, given_by="supported", giver_name="Kakak"),
    )


def test_best_interest_confirmation_is_four_eyes(personas, master):
    p = personas
    koor = p["ws.koordinator"]
    case = make_case(p, "assessment", child=True)
    data = consent_data(
        case.victims.get(),
        purpose="share",
        given_by="best_interest",
        child_view="x",
        agency=master["police"],
    )
    case_advance(case=case, action="consent", actor=koor, data=data)
    entry = case.consents.get()
    assert "another person" in refused(case, "confirm_consent", koor, {"consent": entry})
    # only the coordinator confirms
    refused(case, "confirm_consent", p["ws.kasikesra"], {"consent": entry})


def _referral(master, p, case, state):
    """A real referral of the case's victim to UPTD PPA, moved to `state` through the engine."""
    return make_referral(p, state, case=case, victim=case.victims.get())


def test_propose_and_decline_refused_with_an_open_referral(personas, master):
    p = personas
    case = make_case(p, "handling")
    _referral(master, p, case, "sent")
    assert "open referral" in refused(
        case, "propose_closure", p["ws.pendamping"], {"closure_reason": "needs_met"}
    )
    early = make_case(p, "assessment")
    _referral(master, p, early, "requested")
    assert "open referral" in refused(
        early, "decline", p["ws.koordinator"], {"not_pursued_reason": "duplicate"}
    )
    assert "open referral" in refused(
        early, "propose_closure", p["ws.pendamping"], {"closure_reason": "unreachable"}
    )
    # a sent referral does not stop monitoring; one waiting for approval does
    case_advance(case=case, action="start_monitoring", actor=p["ws.pendamping"])
    other = make_case(p, "handling")
    _referral(master, p, other, "requested")
    assert "waiting for the kelurahan staff's approval" in refused(
        other, "start_monitoring", p["ws.pendamping"]
    )


def test_handled_by_agency_needs_a_completed_handover(personas, master):
    from referrals import services

    p = personas
    case = make_case(p, "handling")
    data = {"closure_reason": vocab.ClosureReason.HANDLED_BY_AGENCY}
    assert "handover" in refused(case, "propose_closure", p["ws.pendamping"], data)
    r = make_referral(p, "draft", case=case, victim=case.victims.get(), kind="pelimpahan")
    officer = p["uptdppa.petugas"]
    for action, actor, extra in (
        ("request", p["ws.pendamping"], {}),
        ("approve", p["ws.kasikesra"], {}),
        ("acknowledge", officer, {}),
        ("complete", officer, {"note": "Ditangani tuntas", "service_given": "psychological"}),
    ):
        r = services.referral_advance(referral=r, action=action, actor=actor, data=extra)
        r = worked(r)  # the letter of the approval, stored by the outbox's task
    case_advance(case=case, action="propose_closure", actor=p["ws.pendamping"], data=data)
    assert case.status == S.CLOSURE_REQUESTED


def test_reason_and_note_guards(personas, master):
    p = personas
    koor, pend = p["ws.koordinator"], p["ws.pendamping"]
    received = make_case(p)
    assert "why the case is not pursued" in refused(received, "decline", koor)
    handling = make_case(p, "handling")
    assert "closure reason" in refused(handling, "propose_closure", pend)
    monitoring = make_case(p, "monitoring")
    assert "Give the reason." in refused(monitoring, "new_need", pend, {"reason": "  "})
    requested = make_case(p, "closure_requested")
    assert "Write a note" in refused(requested, "return", koor)
    closed = make_case(p, "closed")
    assert "Give the reason." in refused(closed, "reopen", koor)


def test_four_eyes_on_closure(personas, master):
    p = personas
    koor = p["ws.koordinator"]
    case = make_case(p, "handling")
    case_advance(
        case=case, action="propose_closure", actor=koor, data={"closure_reason": "needs_met"}
    )
    assert "four eyes" in refused(case, "approve_closure", koor)
    case_advance(case=case, action="approve_closure", actor=p["ws.kasikesra"])
    assert case.status == S.CLOSED and case.closed_at


@pytest.mark.parametrize("start", [S.ASSESSMENT, S.HANDLING, S.MONITORING])
def test_return_restores_the_state_closure_was_proposed_from(personas, master, start):
    p = personas
    case = make_case(p, start)
    case_advance(
        case=case,
        action="propose_closure",
        actor=p["ws.pendamping"],
        data={"closure_reason": "moved"},
    )
    assert case.status_before_closure == start
    event = case_advance(case=case, action="return", actor=p["ws.lurah"], data={"note": "cek lagi"})
    case.refresh_from_db()
    assert case.status == start and case.status_before_closure == ""
    assert case.closure_requested_by is None and case.closure_reason == ""
    assert (event.from_status, event.to_status, event.note) == (
        S.CLOSURE_REQUESTED,
        start,
        "cek lagi",
    )


def test_timeline_entries_cannot_be_changed_or_deleted(personas, master, client):
    p = personas
    case = make_case(p, "assessment")
    event = case.events.get(action="assign")
    event.note = "diubah"
    with pytest.raises(ValidationError):
        event.save()
    with pytest.raises(ValidationError):
        event.delete()
    assert CaseEvent.objects.get(pk=event.pk).note == ""
    # no admin page for the timeline (nor for cases), even for the admin
    admin = p.client("admin")
    for url in (
        "/admin/cases/caseevent/",
        f"/admin/cases/caseevent/{event.pk}/change/",
        f"/admin/cases/caseevent/{event.pk}/delete/",
        f"/admin/cases/case/{case.pk}/change/",
    ):
        assert admin.get(url).status_code == 404
        assert admin.post(url, {"note": "x", "status": "closed"}).status_code == 404
    assert CaseEvent.objects.get(pk=event.pk).note == ""


def test_refused_step_on_stale_page_version(personas, master):
    p = personas
    case = make_case(p, "closure_requested")
    seen = case.version
    case_advance(case=case, action="return", actor=p["ws.lurah"], data={"note": "x"})
    case_advance(
        case=case,
        action="propose_closure",
        actor=p["ws.pendamping"],
        data={"closure_reason": "moved"},
    )
    stale = Case.objects.get(pk=case.pk)
    assert "changed this case" in refused(
        stale, "approve_closure", p["ws.kasikesra"], {"version": seen}
    )


def test_closing_cancels_unsent_referrals(personas, master):
    from referrals.models import State

    p = personas
    case = make_case(p, "handling")
    kept = make_referral(p, "draft", case=case, victim=case.victims.get())
    case_advance(
        case=case,
        action="propose_closure",
        actor=p["ws.pendamping"],
        data={"closure_reason": vocab.ClosureReason.NEEDS_MET},
    )
    kept.refresh_from_db()
    assert kept.state == State.DRAFT  # a proposal may still be returned
    case_advance(case=case, action="approve_closure", actor=p["ws.lurah"], data={"note": "selesai"})
    kept.refresh_from_db()
    assert (kept.state, kept.cancel_reason) == (State.CANCELLED, "selesai")
    declined = make_case(p, "assessment")
    other = make_referral(p, "draft", case=declined, victim=declined.victims.get())
    case_advance(
        case=declined,
        action="decline",
        actor=p["ws.koordinator"],
        data={"not_pursued_reason": "duplicate", "note": "sama"},
    )
    other.refresh_from_db()
    assert (other.state, other.cancel_reason) == (State.CANCELLED, "sama")
