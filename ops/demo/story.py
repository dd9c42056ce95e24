"""A case or a referral taken to a given state the way people take it there in the app: every step
is fired through the one engine (cases.services.procedure.case_advance and the referral services),
so guards, invariants, timeline, clocks and notifications are as in real use. A step the
procedure refuses raises TransitionRefused: nothing here writes a state the app would not.

The demo data (ops/demo/cases.py, referrals.py) and the test factories (tests/factories.py) both
build their cases and referrals with it.
"""

import datetime
from dataclasses import dataclass, field

from django.utils import timezone

from accounts.models import Agency, User
from cases import engine, vocab, workflow
from cases.services.procedure import case_advance
from referrals import services as referral_services
from referrals.models import Outcome, SendHow, State

S = vocab.Status
# The normal path of a case. NOT_PURSUED is reached by declining it (from received or assessment).
CASE_PATH = (S.RECEIVED, S.ASSESSMENT, S.HANDLING, S.MONITORING, S.CLOSURE_REQUESTED, S.CLOSED)
CASE_STATES = (*CASE_PATH, S.NOT_PURSUED)
# The normal path of a referral to an agency (an agency with users receives it when approved);
# RETURNED, COMPLETED, DECLINED and CANCELLED branch off it. EMERGENCY: recorded after the fact
# (state SENT, waiting for ratification).
REFERRAL_PATH = (State.DRAFT, State.REQUESTED, State.APPROVED, State.SENT, State.ACKNOWLEDGED)
EMERGENCY = "emergency"
REFERRAL_STATES = (*State.values, EMERGENCY)


@dataclass(frozen=True)
class Crew:
    """Who moves a case: the coordinator assigns and declines, the companion does the work, the
    closer (the coordinator unless said otherwise, or kelurahan staff) approves the closure."""

    coordinator: User
    companion: User
    closer: User | None = None


@dataclass(frozen=True)
class Work:
    """What the companion records on the way: the first contact (how, or "" for none) and, per
    victim, the risk answers, needs, consent to services and one planned action; a visit when
    monitoring starts ("" for none); the closure reason."""

    first_contact: str = ""
    answers: dict = field(default_factory=lambda: {"injury": True})
    needs: tuple = ("health",)
    service_type: str = vocab.ServiceType.HEALTH
    agency: Agency | None = None
    target_days: int | None = 7
    guardian: str = "Ibu Wali"
    child_view: str = "Setuju"
    supporter: str = "Pendukung pilihan korban"
    visit: str = ""
    closure_reason: str = vocab.ClosureReason.NEEDS_MET


def record(case, action, actor, **data):
    """Fire one step of the case procedure; returns what it created (an assessment, a consent, a
    planned action, a visit...) or the timeline entry when it creates nothing else."""
    ctx = engine.fire(workflow.CASE, case, action, actor, data)
    # As case_advance does: the caller's instance sees what the step changed.
    case.refresh_from_db(fields=[*workflow.CaseTable.PROCEDURE_FIELDS, "version"])
    return ctx.event if ctx.outcome.result is None else ctx.outcome.result


def consent_data(victim, work=None, **more):
    """The consent step's input for the victim, given by who may give it (PROCEDURE.md guard 1):
    a guardian with the child's own view for a child, a supported decision for a person with an
    intellectual or psychosocial disability, the victim otherwise. `more` adds or overrides
    (purpose, agency, shared_fields...)."""
    work = work or Work()
    data = {
        "victim": victim,
        "purpose": vocab.ConsentPurpose.SERVICES,
        "given_by": vocab.ConsentGiver.VICTIM,
        "how": vocab.ConsentHow.WRITTEN,
    }
    if victim.is_child:
        data |= {
            "given_by": vocab.ConsentGiver.GUARDIAN,
            "giver_name": work.guardian,
            "child_view": work.child_view,
        }
    elif set(victim.disability_types or []) & workflow.SUPPORTED_DECISION_DISABILITIES:
        data |= {"given_by": vocab.ConsentGiver.SUPPORTED, "giver_name": work.supporter}
    return data | more


def assign(case, coordinator, companion):
    return case_advance(
        case=case,
        action="assign",
        actor=coordinator,
        data={"companion": companion, "no_conflict": True},
    )


def assess_and_plan(case, companion, work=None):
    """For every victim: the assessment, the consent to services and one planned action."""
    work = work or Work()
    target = (
        timezone.localdate() + datetime.timedelta(days=work.target_days)
        if work.target_days is not None
        else None
    )
    for victim in case.victims.all():
        record(
            case, "assess", companion, victim=victim, answers=work.answers, needs=list(work.needs)
        )
        record(case, "consent", companion, **consent_data(victim, work))
        record(
            case,
            "plan_action",
            companion,
            victim=victim,
            service_type=work.service_type,
            agency=work.agency,
            target_date=target,
        )


def _to_assessment(case, crew, work):
    assign(case, crew.coordinator, crew.companion)


def _to_handling(case, crew, work):
    if work.first_contact:
        record(case, "first_contact", crew.companion, how=work.first_contact)
    assess_and_plan(case, crew.companion, work)
    case_advance(case=case, action="complete_assessment", actor=crew.companion)


def _to_monitoring(case, crew, work):
    case_advance(case=case, action="start_monitoring", actor=crew.companion)
    if work.visit:
        record(case, "visit", crew.companion, kind=vocab.VisitKind.HOME, text=work.visit)


def _to_closure_requested(case, crew, work):
    case_advance(
        case=case,
        action="propose_closure",
        actor=crew.companion,
        data={"closure_reason": work.closure_reason},
    )


def _to_closed(case, crew, work):
    case_advance(case=case, action="approve_closure", actor=crew.closer or crew.coordinator)


CASE_STEPS = {
    S.ASSESSMENT: _to_assessment,
    S.HANDLING: _to_handling,
    S.MONITORING: _to_monitoring,
    S.CLOSURE_REQUESTED: _to_closure_requested,
    S.CLOSED: _to_closed,
}


def walk_case(case, state, crew, work=None):
    """Take the case from where it is to `state` along the normal path (or decline it, for
    not_pursued); returns the case, reloaded."""
    work = work or Work()
    if state == S.NOT_PURSUED:
        case_advance(
            case=case,
            action="decline",
            actor=crew.coordinator,
            data={"not_pursued_reason": vocab.NotPursuedReason.DUPLICATE, "note": "Duplikat"},
        )
    else:
        here, there = CASE_PATH.index(case.status), CASE_PATH.index(state)
        if there < here:
            raise ValueError(f"the case is already past {state} ({case.status})")
        for step in CASE_PATH[here + 1 : there + 1]:
            CASE_STEPS[step](case, crew, work)
    case.refresh_from_db()
    return case


# Referrals


@dataclass(frozen=True)
class Desk:
    """Who handles a referral: the companion drafts and requests, the signer (kelurahan staff)
    approves; the officer answers for an agency with users (None: the companion records the
    agency's answers, as for agencies without users)."""

    companion: User
    signer: User
    officer: User | None = None


def refer(
    case,
    victim,
    agency,
    companion,
    *,
    kind="layanan",
    service_type=vocab.ServiceType.PSYCHOLOGICAL,
    services_requested="Pendampingan psikologis\nKonseling hukum",
    summary="Korban membutuhkan penguatan psikologis.",
    share=(),
    fields=(),
    work=None,
):
    """A draft referral of the victim to the agency, as the companion makes it from the case page:
    the consent to share with that agency (`share`: the fields it covers; None records no such
    consent), the planned action the agency provides, the draft, its shared fields. The consent
    to services is recorded too when none is in force (a case still in assessment)."""
    if not victim.consents.filter(
        purpose=vocab.ConsentPurpose.SERVICES, withdrawn_at__isnull=True
    ).exists():
        record(case, "consent", companion, **consent_data(victim, work))
    if share is not None:
        record(
            case,
            "consent",
            companion,
            **consent_data(
                victim,
                work,
                purpose=vocab.ConsentPurpose.SHARE,
                agency=agency,
                shared_fields=list(share),
            ),
        )
    action = record(
        case, "plan_action", companion, victim=victim, service_type=service_type, agency=agency
    )
    r = referral_services.referral_create(
        action=action,
        actor=companion,
        kind=kind,
        services_requested=services_requested,
        summary=summary,
    )
    if fields:
        r = referral_services.referral_update(
            referral=r, actor=companion, data={"shared_fields": list(fields)}
        )
    return r


def refer_emergency(case, victim, agency, actor, *, ground="danger", **more):
    """An emergency referral already made by phone or by accompanying the victim (state sent,
    waiting for ratification by kelurahan staff)."""
    data = {
        "service_type": vocab.ServiceType.HEALTH,
        "how": "accompanied",
        "made_at": timezone.now(),
        "summary": "Korban luka, diantar ke layanan.",
    } | more
    return referral_services.referral_create_emergency(
        case=case, actor=actor, victim=victim, agency=agency, ground=ground, **data
    )


def _answerer(r, desk):
    """The agency's officer, or the companion with proof for an agency without users."""
    if r.agency.has_users:
        return desk.officer, {}
    return desk.companion, {"proof": "Tanda terima dari instansi"}


def _next_referral_step(r, state, desk):
    """(action, actor, data) of the next step from r.state towards `state`."""
    here = State(r.state)
    if state == State.CANCELLED:
        if here in (State.DRAFT, State.RETURNED, State.REQUESTED):
            return "withdraw", desk.companion, {"reason": "Korban menarik diri"}
        return "cancel", desk.signer, {"reason": "Salah instansi"}
    if here in (State.DRAFT, State.RETURNED):
        return "request", desk.companion, {}
    if here == State.REQUESTED:
        if state == State.RETURNED:
            return "return", desk.signer, {"note": "Lengkapi ringkasan."}
        return "approve", desk.signer, {}
    if here == State.APPROVED:
        return "send", desk.companion, {"how": SendHow.HAND, "when": timezone.now()}
    if here == State.SENT:
        actor, data = _answerer(r, desk)
        return "acknowledge", actor, data
    if here == State.ACKNOWLEDGED and state in (State.COMPLETED, State.DECLINED):
        actor, data = _answerer(r, desk)
        if state == State.COMPLETED:
            return (
                "complete",
                actor,
                data
                | {
                    "note": "Layanan diberikan",
                    "service_given": r.action.service_type if r.action_id else "",
                },
            )
        return "decline", actor, data | {"outcome": Outcome.REFUSED, "note": "Korban menolak"}
    raise ValueError(f"no way from {r.state} to {state} for a referral to {r.agency}")


def worked(*objects, kinds=None):
    """Do the outbox's due work now, in this process (what the worker does after the commit):
    letters rendered and stored, reminders and e-mails sent; `kinds` limits it (e.g.
    ("letter",)). Returns the objects given, reloaded (the first alone when one is given)."""
    from outbox.services import work_due

    work_due(kinds)
    for obj in objects:
        obj.refresh_from_db()
    return objects[0] if len(objects) == 1 else objects


LETTER_STEPS = ("approve", "ratify")


def walk_referral(r, state, desk, *, letter=True):
    """Take the referral from where it is to `state`; returns it. With `letter`, the letter of
    an approval is rendered and stored at once (the outbox's letter task, worked here), so an
    agency with users receives the referral; without, the referral waits at "approved" with
    its number and no PDF."""
    state = State(state)
    while r.state != state:
        on_path = state in REFERRAL_PATH and r.state in REFERRAL_PATH
        if on_path and REFERRAL_PATH.index(r.state) > REFERRAL_PATH.index(state):
            why = " (an agency with users receives it when approved)" if r.agency.has_users else ""
            raise ValueError(f"a referral to {r.agency} is {r.state}, past {state}{why}")
        action, actor, data = _next_referral_step(r, state, desk)
        r = referral_services.referral_advance(referral=r, action=action, actor=actor, data=data)
        if letter and action in LETTER_STEPS:
            r = worked(r, kinds=("letter",))
        elif action in LETTER_STEPS and r.state == State.APPROVED and state != State.APPROVED:
            raise ValueError(f"a referral goes past {r.state} only once its letter is stored")
    return r
