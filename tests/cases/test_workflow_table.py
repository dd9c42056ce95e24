"""The procedure table itself (cases/workflow.py), checked without the database where possible."""

import pytest

from accounts.models import Role
from cases import assessment, vocab, workflow
from cases.engine import COMPANION, STAFF
from cases.vocab import Status as S
from tests.factories import make_case

TRANSITION_STEPS = [s for s in workflow.STEPS if s.target is not None]


def targets(step):
    if step.target == "return":
        return {s for p in workflow.STEPS if p.action == "propose_closure" for s in p.source}
    if step.action == "reopen":
        return {S.ASSESSMENT, S.RECEIVED}
    return {step.target}


def test_every_state_is_reachable_from_received():
    seen, todo = {S.RECEIVED}, [S.RECEIVED]
    while todo:
        state = todo.pop()
        for step in TRANSITION_STEPS:
            if state in step.source:
                for t in targets(step):
                    if t not in seen:
                        seen.add(t)
                        todo.append(t)
    assert seen == set(S.values)


def test_no_dead_end_but_the_closed_states_which_only_reopen():
    for state in S:
        leaving = [s for s in TRANSITION_STEPS if state in s.source]
        assert leaving, f"{state} is a dead end"
        if state in vocab.FINAL_STATES:
            assert {s.action for s in leaving} == {"reopen"}


def test_transitions_match_procedure_md():
    table = {(s.action, frozenset(s.source), s.target, s.roles) for s in TRANSITION_STEPS}
    deciders = frozenset({Role.KOORDINATOR, STAFF})
    comp = frozenset({COMPANION})
    assert table == {
        ("assign", frozenset({S.RECEIVED}), S.ASSESSMENT, deciders),
        ("decline", frozenset({S.RECEIVED, S.ASSESSMENT}), S.NOT_PURSUED, deciders),
        ("complete_assessment", frozenset({S.ASSESSMENT}), S.HANDLING, comp),
        ("propose_closure", frozenset({S.ASSESSMENT}), S.CLOSURE_REQUESTED, comp),
        ("start_monitoring", frozenset({S.HANDLING}), S.MONITORING, comp),
        ("new_need", frozenset({S.MONITORING}), S.HANDLING, comp),
        ("propose_closure", frozenset({S.HANDLING, S.MONITORING}), S.CLOSURE_REQUESTED, comp),
        ("approve_closure", frozenset({S.CLOSURE_REQUESTED}), S.CLOSED, deciders),
        ("return", frozenset({S.CLOSURE_REQUESTED}), "return", deciders),
        ("reopen", frozenset({S.CLOSED, S.NOT_PURSUED}), S.ASSESSMENT, deciders),
    }
    reassign = next(s for s in workflow.STEPS if s.action == "reassign")
    assert reassign.source == vocab.OPEN_STATES and reassign.target is None
    assert reassign.roles == deciders


def test_every_step_prints_what_it_requires_and_has_a_form():
    from cases.forms.procedure import FORMS

    for step in workflow.STEPS:
        assert step.requires, step.action
        # Intake corrections and attachments have their own pages (the intake form, the
        # attachments page); every other step a form on the case page.
        assert step.action in FORMS or step.action in ("edit_intake", "attach"), step.action
    for clock in workflow.CLOCKS:
        assert clock.default_hours > 0
    assert {c.key for c in workflow.CLOCKS} == {
        "assign",
        "first_contact",
        "plan",
        "visit",
        "closure_decision",
        "verify_public",  # a public submission (public_channel), not a case
    }
    assert workflow.CLOCKS_BY_KEY["first_contact"].emergency_hours == 2


# Which actions each persona gets, state by state, on a WS case assigned to ws.pendamping.
DECIDER_ACTIONS = {
    S.RECEIVED: {"assign", "decline"},
    S.ASSESSMENT: {"reassign", "decline"},
    S.HANDLING: {"reassign"},
    S.MONITORING: {"reassign"},
    S.CLOSURE_REQUESTED: {"reassign", "approve_closure", "return"},
    S.CLOSED: {"reopen"},
}
COMPANION_ACTIONS = {
    S.RECEIVED: set(),
    S.ASSESSMENT: {
        "first_contact",
        "assess",
        "consent",
        "plan_action",
        "visit",
        "complete_assessment",
        "propose_closure",
    },
    S.HANDLING: {
        "first_contact",
        "assess",
        "consent",
        "withdraw_consent",
        "plan_action",
        "action_status",
        "visit",
        "recovery",
        "start_monitoring",
        "propose_closure",
    },
    S.MONITORING: {
        "first_contact",
        "assess",
        "consent",
        "withdraw_consent",
        "plan_action",
        "action_status",
        "visit",
        "recovery",
        "new_need",
        "propose_closure",
    },
    S.CLOSURE_REQUESTED: {"withdraw_consent", "visit"},
    S.CLOSED: set(),
}


def expected(persona, state):
    if persona in ("ws.kasikesra", "ws.lurah"):
        return DECIDER_ACTIONS[state]
    if persona == "ws.koordinator":
        # the coordinator may do whatever the companion may (and confirms best-interest
        # decisions, offered only while one waits: see the test below)
        return DECIDER_ACTIONS[state] | COMPANION_ACTIONS[state]
    if persona == "ws.pendamping":
        return COMPANION_ACTIONS[state]
    return set()


PERSONAS = [
    "ws.relawan",
    "ws.pendamping",
    "ws.pendamping2",
    "ws.koordinator",
    "ws.kasikesra",
    "ws.lurah",
    "wb.koordinator",
    "wb.lurah",
    "wb.pendamping",
    "dp3a.petugas",
    "uptdppa.petugas",
    "admin",
]


@pytest.mark.django_db
@pytest.mark.parametrize("state", list(DECIDER_ACTIONS))
def test_each_role_gets_exactly_its_steps(personas, master, state):
    case = make_case(personas, state)
    for name in PERSONAS:
        got = {s.action for s in workflow.available_steps(case, personas[name])}
        want = expected(name, state)
        assert got == want, (name, state)


@pytest.mark.django_db
def test_reopen_goes_back_to_received_when_no_companion_was_ever_assigned(personas, master):
    from cases.services.procedure import case_advance

    koor = personas["ws.koordinator"]
    never = make_case(personas)
    case_advance(case=never, action="decline", actor=koor, data={"not_pursued_reason": "duplicate"})
    case_advance(case=never, action="reopen", actor=koor, data={"reason": "bukan duplikat"})
    assert never.status == S.RECEIVED
    assigned = make_case(personas, "closed")
    case_advance(case=assigned, action="reopen", actor=koor, data={"reason": "kekerasan berulang"})
    assert assigned.status == S.ASSESSMENT


def test_risk_rule():
    level = assessment.risk_level
    assert level({}) == vocab.RiskLevel.LOW
    assert level({"injury": True}) == vocab.RiskLevel.MEDIUM
    assert level({"injury": True, "pregnant": True}) == vocab.RiskLevel.MEDIUM
    assert level({"injury": True, "pregnant": True, "escalating": True}) == vocab.RiskLevel.HIGH
    assert level({"weapon": True}) == vocab.RiskLevel.HIGH
    assert level({"weapon": True, "perpetrator_access": True}) == vocab.RiskLevel.EMERGENCY
    assert level({"self_harm": True, "no_safe_place": True}) == vocab.RiskLevel.EMERGENCY
    assert level({"perpetrator_access": False, "threat_to_kill": False}) == vocab.RiskLevel.LOW


@pytest.mark.django_db
def test_first_contact_offered_until_recorded_and_before_assignment_only_in_emergency(
    personas, master
):
    from cases.services.procedure import case_advance

    koor = personas["ws.koordinator"]
    normal = make_case(personas)
    urgent = make_case(personas, danger_now=True)
    assert "first_contact" not in {s.action for s in workflow.available_steps(normal, koor)}
    assert "first_contact" in {s.action for s in workflow.available_steps(urgent, koor)}
    case_advance(case=urgent, action="first_contact", actor=koor, data={"how": "phone"})
    assert urgent.first_contact_at is not None
    assert "first_contact" not in {s.action for s in workflow.available_steps(urgent, koor)}


@pytest.mark.django_db
def test_steps_about_existing_entries_are_offered_only_when_there_are_some(personas, master):
    from cases.services.procedure import case_advance

    p = personas
    koor, pend = p["ws.koordinator"], p["ws.pendamping"]
    case = make_case(p, "assessment", child=True)

    def offered(user):
        return {s.action for s in workflow.available_steps(case, user)}

    assert not {"withdraw_consent", "action_status", "confirm_consent"} & offered(koor)
    case_advance(
        case=case,
        action="consent",
        actor=pend,
        data={
            "victim": case.victims.get(),
            "purpose": vocab.ConsentPurpose.SHARE,
            "agency": master["uptd"],
            "given_by": vocab.ConsentGiver.BEST_INTEREST,
            "child_view": "takut pulang",
            "how": vocab.ConsentHow.WRITTEN,
        },
    )
    assert {"withdraw_consent", "confirm_consent"} <= offered(koor)
    assert "confirm_consent" not in offered(pend) and "withdraw_consent" in offered(pend)
    assert "confirm_consent" not in offered(p["ws.kasikesra"])
