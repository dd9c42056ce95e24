"""The effects of the case procedure's steps (cases/workflow.py), fired by the one engine
(cases/engine.py): it locks the case, checks the step's guards and the invariants, applies the
effect below, changes the state and writes the immutable timeline entry, in one transaction. A
refused step raises TransitionRefused and nothing is written.

Each effect reads ctx.data (the step's cleaned input: model instances for companion, victim,
agency...) and returns an Outcome: the timeline payload and note, and the case fields it set.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from lbk.history import set_history_user

from .. import assessment, engine, workflow
from ..engine import AlreadyDone, Effect, Outcome, TransitionRefused
from ..models import Assessment, Case, CaseEvent, Consent, PlannedAction, Visit
from ..vocab import RECOVERY_ITEMS

if TYPE_CHECKING:
    from accounts.models import User

    from ..engine import Ctx

__all__ = ["AlreadyDone", "TransitionRefused", "case_advance"]

K = CaseEvent.Kind


def _assign(ctx: Ctx[Case]) -> Outcome:
    case, data = ctx.subject, ctx.data
    case.companion = data["companion"]
    case.ever_assigned = True
    case.assigned_at = ctx.now
    return Outcome(
        {"companion": data["companion"].pk, "no_conflict_declared": True}, data.get("note", "")
    )


def _reassign(ctx: Ctx[Case]) -> Outcome:
    case, data = ctx.subject, ctx.data
    before = case.companion_id
    case.companion = data["companion"]
    case.ever_assigned = True
    return Outcome(
        {"from_companion": before, "companion": data["companion"].pk, "no_conflict_declared": True},
        data["reason"],
        fields=("companion", "ever_assigned"),
    )


def _closing(ctx: Ctx[Case]) -> None:
    """The case is about to close or be declined: other apps react in the same transaction
    while it is still open (drafts and returned referrals are cancelled)."""
    engine.emit("case.closing", ctx, note=ctx.data.get("note") or "")


def _decline(ctx: Ctx[Case]) -> Outcome:
    case = ctx.subject
    _closing(ctx)
    case.not_pursued_reason = ctx.data["not_pursued_reason"]
    case.closed_at = ctx.now
    return Outcome({"reason": ctx.data["not_pursued_reason"]}, ctx.data.get("note", ""))


def _complete_assessment(ctx: Ctx[Case]) -> Outcome:
    ctx.subject.handling_started_at = ctx.now
    return Outcome({}, ctx.data.get("note", ""))


def _propose_closure(ctx: Ctx[Case]) -> Outcome:
    case = ctx.subject
    case.status_before_closure = case.status
    case.closure_requested_at = ctx.now
    case.closure_requested_by = ctx.actor
    case.closure_reason = ctx.data["closure_reason"]
    return Outcome({"reason": ctx.data["closure_reason"]}, ctx.data.get("note", ""))


def _start_monitoring(ctx: Ctx[Case]) -> Outcome:
    ctx.subject.monitoring_started_at = ctx.now
    return Outcome({}, ctx.data.get("note", ""))


def _new_need(ctx: Ctx[Case]) -> Outcome:
    return Outcome({}, ctx.data["reason"])


def _approve_closure(ctx: Ctx[Case]) -> Outcome:
    case = ctx.subject
    _closing(ctx)
    case.closed_at = ctx.now
    return Outcome({"reason": case.closure_reason}, ctx.data.get("note", ""))


def _return(ctx: Ctx[Case]) -> Outcome:
    case = ctx.subject
    case.closure_requested_at = None
    case.closure_requested_by = None
    case.closure_reason = ""
    return Outcome({}, ctx.data["note"])


def _reopen(ctx: Ctx[Case]) -> Outcome:
    case = ctx.subject
    case.closed_at = None
    case.closure_reason = ""
    case.not_pursued_reason = ""
    case.closure_requested_at = None
    case.closure_requested_by = None
    return Outcome({}, ctx.data["reason"])


def _first_contact(ctx: Ctx[Case]) -> Outcome:
    case, data = ctx.subject, ctx.data
    case.first_contact_at = data.get("contacted_at") or ctx.now
    return Outcome(
        {"how": data.get("how", ""), "at": case.first_contact_at.isoformat()},
        data.get("note", ""),
        fields=("first_contact_at",),
    )


def _assess(ctx: Ctx[Case]) -> Outcome:
    case, data = ctx.subject, ctx.data
    answers = {k: bool(v) for k, v in (data.get("answers") or {}).items()}
    a = Assessment.objects.create(
        case=case,
        kelurahan_id=case.kelurahan_id,
        victim=data["victim"],
        answers=answers,
        risk_level=assessment.risk_level(answers),
        needs=list(data.get("needs") or []),
        note=data.get("note", ""),
        assessed_by=ctx.actor,
        assessed_at=ctx.now,
    )
    return Outcome({"victim": a.victim_id, "assessment": a.pk, "risk": a.risk_level}, result=a)


def _consent(ctx: Ctx[Case]) -> Outcome:
    case, data = ctx.subject, ctx.data
    c = Consent.objects.create(
        case=case,
        kelurahan_id=case.kelurahan_id,
        victim=data["victim"],
        purpose=data["purpose"],
        agency=data.get("agency"),
        shared_fields=list(data.get("shared_fields") or []),
        given_by=data["given_by"],
        giver_name=data.get("giver_name", ""),
        child_view=data.get("child_view", ""),
        how=data["how"],
        given_at=data.get("given_at") or ctx.now,
        recorded_by=ctx.actor,
    )
    return Outcome({"victim": c.victim_id, "consent": c.pk, "purpose": c.purpose}, result=c)


def _withdraw_consent(ctx: Ctx[Case]) -> Outcome:
    c = Consent.objects.select_for_update().get(pk=ctx.data["consent"].pk)
    c.withdrawn_at = ctx.now
    c.withdrawn_by = ctx.actor
    c.withdrawal_note = ctx.data.get("note", "")
    c.save(update_fields=["withdrawn_at", "withdrawn_by", "withdrawal_note"])
    return Outcome({"consent": c.pk, "withdrawn": True}, ctx.data.get("note", ""), result=c)


def _confirm_consent(ctx: Ctx[Case]) -> Outcome:
    c = Consent.objects.select_for_update().get(pk=ctx.data["consent"].pk)
    c.confirmed_by = ctx.actor
    c.confirmed_at = ctx.now
    c.save(update_fields=["confirmed_by", "confirmed_at"])
    return Outcome({"consent": c.pk, "confirmed": True}, result=c)


def _plan_action(ctx: Ctx[Case]) -> Outcome:
    case, data = ctx.subject, ctx.data
    a = PlannedAction.objects.create(
        case=case,
        kelurahan_id=case.kelurahan_id,
        victim=data["victim"],
        service_type=data["service_type"],
        agency=data.get("agency"),
        target_date=data.get("target_date"),
        note=data.get("note", ""),
        created_by=ctx.actor,
        created_at=ctx.now,
    )
    return Outcome({"action": a.pk, "service": a.service_type}, result=a)


def _action_status(ctx: Ctx[Case]) -> Outcome:
    a = PlannedAction.objects.select_for_update().get(pk=ctx.data["planned_action"].pk)
    before = a.status
    a.status = ctx.data["status"]
    a.version += 1
    a.save(update_fields=["status", "version"])
    return Outcome({"action": a.pk, "from": before, "to": a.status}, result=a)


def _visit(ctx: Ctx[Case]) -> Outcome:
    case, data, now = ctx.subject, ctx.data, ctx.now
    v = Visit.objects.create(
        case=case,
        kelurahan_id=case.kelurahan_id,
        victim=data.get("victim"),
        kind=data["kind"],
        visited_on=data.get("visited_on") or timezone.localdate(now),
        text=data["text"],
        next_visit_on=data.get("next_visit_on"),
        confidential=bool(data.get("confidential")),
        by=ctx.actor,
        created_at=now,
    )
    # The visit clock counts from the visit's day (end of that day at the latest: now).
    end_of_day = timezone.make_aware(datetime.datetime.combine(v.visited_on, datetime.time(23, 59)))
    visited_at = min(now, end_of_day)
    fields: tuple[str, ...] = ()
    if case.last_visit_at is None or visited_at > case.last_visit_at:
        case.last_visit_at = visited_at
        fields = ("last_visit_at",)
    # A confidential note's text never goes into the timeline.
    note = "" if v.confidential else v.text
    return Outcome(
        {"visit": v.pk, "kind": v.kind, "confidential": v.confidential},
        note,
        fields=fields,
        result=v,
    )


def _recovery(ctx: Ctx[Case]) -> Outcome:
    victim = ctx.data["victim"]
    items = set(ctx.data.get("items") or [])
    victim.recovery = {key: key in items for key, _label in RECOVERY_ITEMS}
    victim.version += 1
    set_history_user(victim, ctx.actor).save(update_fields=["recovery", "version"])
    return Outcome({"victim": victim.pk, "recovery": sorted(items)})


def _edit_intake(ctx: Ctx[Case]) -> Outcome:
    from .intake import apply_intake_edit

    changed = apply_intake_edit(ctx)
    # Field names only: the values stay in the change history, seen by fewer people.
    return Outcome({"fields": sorted(set(changed))[:40]}, fields=ctx.data["case_fields"])


def _attach(ctx: Ctx[Case]) -> Outcome:
    from attachments.services import store_attachment

    att = store_attachment(ctx)
    # Ids only: the description and the name may be personal data.
    return Outcome({"attachment": att.pk}, result=att)


workflow.CASE.bind(
    {
        "assign": Effect(_assign, K.TRANSITION),
        "reassign": Effect(_reassign, K.ASSIGNMENT),
        "decline": Effect(_decline, K.TRANSITION),
        "complete_assessment": Effect(_complete_assessment, K.TRANSITION),
        "propose_closure": Effect(_propose_closure, K.TRANSITION),
        "start_monitoring": Effect(_start_monitoring, K.TRANSITION),
        "new_need": Effect(_new_need, K.TRANSITION),
        "approve_closure": Effect(_approve_closure, K.TRANSITION),
        "return": Effect(_return, K.TRANSITION),
        "reopen": Effect(_reopen, K.TRANSITION),
        "first_contact": Effect(_first_contact, K.FIRST_CONTACT),
        "assess": Effect(_assess, K.ASSESSMENT),
        "consent": Effect(_consent, K.CONSENT),
        "withdraw_consent": Effect(_withdraw_consent, K.CONSENT),
        "confirm_consent": Effect(_confirm_consent, K.CONSENT),
        "plan_action": Effect(_plan_action, K.PLAN),
        "action_status": Effect(_action_status, K.PLAN),
        "visit": Effect(_visit, K.VISIT),
        "recovery": Effect(_recovery, K.EDIT),
        "edit_intake": Effect(_edit_intake, K.EDIT),
        "attach": Effect(_attach, K.ATTACHMENT),
    }
)


def case_advance(
    *, case: Case, action: str, actor: User, data: Mapping[str, Any] | None = None
) -> CaseEvent | None:
    """Fire one step of the case procedure; returns the timeline entry (CaseEvent).

    data: the step's cleaned input. When it carries "version" (the case version the user saw),
    a step that changes existing data on a case changed in the meantime is refused, so nobody
    acts on a stale page; additive steps (visits, assessments...) are never refused for that.
    """
    ctx = engine.fire(workflow.CASE, case, action, actor, data)
    locked = ctx.subject
    if locked is not case:
        for name in (*workflow.CaseTable.PROCEDURE_FIELDS, "version"):
            setattr(case, name, getattr(locked, name))
    return ctx.event
