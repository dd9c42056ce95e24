"""The one service that moves a case through its procedure (cases/workflow.py) and records the
events of the procedure (first contact, assessment, consent, plan, visits).

case_advance locks the case row, asks the workflow for the step (guards included), applies the
step's effect, changes the state and writes the immutable timeline entry, in one transaction. A
refused step raises TransitionRefused and nothing is written.
"""

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .. import workflow
from ..models import Assessment, Case, CaseEvent, Consent, PlannedAction, Visit
from ..vocab import Status
from ..workflow import TransitionRefused

__all__ = ["TransitionRefused", "case_advance"]

K = CaseEvent.Kind


def _assign(case, actor, data, now):
    case.companion = data["companion"]
    case.ever_assigned = True
    case.assigned_at = now
    return {"companion": data["companion"].pk, "no_conflict_declared": True}, data.get("note", "")


def _reassign(case, actor, data, now):
    before = case.companion_id
    case.companion = data["companion"]
    case.ever_assigned = True
    return (
        {"from_companion": before, "companion": data["companion"].pk, "no_conflict_declared": True},
        data["reason"],
    )


def _decline(case, actor, data, now):
    case.not_pursued_reason = data["not_pursued_reason"]
    case.closed_at = now
    return {"reason": data["not_pursued_reason"]}, data.get("note", "")


def _complete_assessment(case, actor, data, now):
    case.handling_started_at = now
    return {}, data.get("note", "")


def _propose_closure(case, actor, data, now):
    case.status_before_closure = case.status
    case.closure_requested_at = now
    case.closure_requested_by = actor
    case.closure_reason = data["closure_reason"]
    return {"reason": data["closure_reason"]}, data.get("note", "")


def _start_monitoring(case, actor, data, now):
    case.monitoring_started_at = now
    return {}, data.get("note", "")


def _approve_closure(case, actor, data, now):
    case.closed_at = now
    return {"reason": case.closure_reason}, data.get("note", "")


def _return(case, actor, data, now):
    case.closure_requested_at = None
    case.closure_requested_by = None
    case.closure_reason = ""
    return {}, data["note"]


def _reopen(case, actor, data, now):
    case.closed_at = None
    case.closure_reason = ""
    case.not_pursued_reason = ""
    case.closure_requested_at = None
    case.closure_requested_by = None
    return {}, data["reason"]


def _first_contact(case, actor, data, now):
    case.first_contact_at = data.get("contacted_at") or now
    return {"how": data.get("how", ""), "at": case.first_contact_at.isoformat()}, data.get(
        "note", ""
    )


def _assess(case, actor, data, now):
    answers = {k: bool(v) for k, v in (data.get("answers") or {}).items()}
    a = Assessment.objects.create(
        case=case,
        kelurahan_id=case.kelurahan_id,
        victim=data["victim"],
        answers=answers,
        risk_level=workflow.risk_level(answers),
        needs=list(data.get("needs") or []),
        note=data.get("note", ""),
        assessed_by=actor,
        assessed_at=now,
    )
    return {"victim": a.victim_id, "assessment": a.pk, "risk": a.risk_level}, ""


def _consent(case, actor, data, now):
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
        given_at=data.get("given_at") or now,
        recorded_by=actor,
    )
    return {"victim": c.victim_id, "consent": c.pk, "purpose": c.purpose}, ""


def _withdraw_consent(case, actor, data, now):
    c = Consent.objects.select_for_update().get(pk=data["consent"].pk)
    c.withdrawn_at = now
    c.withdrawn_by = actor
    c.withdrawal_note = data.get("note", "")
    c.save(update_fields=["withdrawn_at", "withdrawn_by", "withdrawal_note"])
    return {"consent": c.pk, "withdrawn": True}, data.get("note", "")


def _confirm_consent(case, actor, data, now):
    c = Consent.objects.select_for_update().get(pk=data["consent"].pk)
    c.confirmed_by = actor
    c.confirmed_at = now
    c.save(update_fields=["confirmed_by", "confirmed_at"])
    return {"consent": c.pk, "confirmed": True}, ""


def _plan_action(case, actor, data, now):
    a = PlannedAction.objects.create(
        case=case,
        kelurahan_id=case.kelurahan_id,
        victim=data["victim"],
        service_type=data["service_type"],
        agency=data.get("agency"),
        target_date=data.get("target_date"),
        note=data.get("note", ""),
        created_by=actor,
        created_at=now,
    )
    return {"action": a.pk, "service": a.service_type}, ""


def _action_status(case, actor, data, now):
    a = PlannedAction.objects.select_for_update().get(pk=data["planned_action"].pk)
    before = a.status
    a.status = data["status"]
    a.version += 1
    a.save(update_fields=["status", "version"])
    return {"action": a.pk, "from": before, "to": a.status}, ""


def _visit(case, actor, data, now):
    v = Visit.objects.create(
        case=case,
        kelurahan_id=case.kelurahan_id,
        victim=data.get("victim"),
        kind=data["kind"],
        visited_on=data.get("visited_on") or timezone.localdate(now),
        text=data["text"],
        next_visit_on=data.get("next_visit_on"),
        confidential=bool(data.get("confidential")),
        by=actor,
        created_at=now,
    )
    # The visit clock counts from the visit's day (end of that day at the latest: now).
    end_of_day = timezone.make_aware(datetime.datetime.combine(v.visited_on, datetime.time(23, 59)))
    visited_at = min(now, end_of_day)
    if case.last_visit_at is None or visited_at > case.last_visit_at:
        case.last_visit_at = visited_at
    # A confidential note's text never goes into the timeline.
    note = "" if v.confidential else v.text
    return {"visit": v.pk, "kind": v.kind, "confidential": v.confidential}, note


def _recovery(case, actor, data, now):
    victim = data["victim"]
    items = set(data.get("items") or [])
    victim.recovery = {key: key in items for key, _label in _recovery_items()}
    victim.version += 1
    victim.save(update_fields=["recovery", "version"])
    return {"victim": victim.pk, "recovery": sorted(items)}, ""


def _recovery_items():
    from ..vocab import RECOVERY_ITEMS

    return RECOVERY_ITEMS


EFFECTS = {
    "assign": (_assign, K.TRANSITION),
    "reassign": (_reassign, K.ASSIGNMENT),
    "decline": (_decline, K.TRANSITION),
    "complete_assessment": (_complete_assessment, K.TRANSITION),
    "propose_closure": (_propose_closure, K.TRANSITION),
    "start_monitoring": (_start_monitoring, K.TRANSITION),
    "new_need": (lambda c, a, d, n: ({}, d["reason"]), K.TRANSITION),
    "approve_closure": (_approve_closure, K.TRANSITION),
    "return": (_return, K.TRANSITION),
    "reopen": (_reopen, K.TRANSITION),
    "first_contact": (_first_contact, K.FIRST_CONTACT),
    "assess": (_assess, K.ASSESSMENT),
    "consent": (_consent, K.CONSENT),
    "withdraw_consent": (_withdraw_consent, K.CONSENT),
    "confirm_consent": (_confirm_consent, K.CONSENT),
    "plan_action": (_plan_action, K.PLAN),
    "action_status": (_action_status, K.PLAN),
    "visit": (_visit, K.VISIT),
    "recovery": (_recovery, K.EDIT),
}
# The Case fields an effect may change (never anything a form posted).
CASE_FIELDS = [
    "status",
    "status_before_closure",
    "status_changed_at",
    "companion",
    "ever_assigned",
    "assigned_at",
    "first_contact_at",
    "handling_started_at",
    "monitoring_started_at",
    "last_visit_at",
    "closure_requested_at",
    "closure_requested_by",
    "closure_reason",
    "not_pursued_reason",
    "closed_at",
    "version",
]


@transaction.atomic
def case_advance(*, case, action, actor, data=None):
    """Fire one step of the procedure on the case; returns the timeline entry.

    data: the step's cleaned input (model instances for companion, victim, agency...). When it
    carries "version" (the case version the user saw), a transition on a case changed in the
    meantime is refused, so nobody acts on a stale page.
    """
    data = data or {}
    locked = Case.objects.select_for_update().get(pk=case.pk)
    step = workflow.step_for(locked, action, actor, data)
    seen = data.get("version")
    if step.target is not None and seen and int(seen) != locked.version:
        raise TransitionRefused(
            [
                _(
                    "Someone changed this case while you were looking at it. Check the page "
                    "again and repeat the action if it is still needed."
                )
            ]
        )
    now = timezone.now()
    from_status = locked.status
    effect, kind = EFFECTS[action]
    payload, note = effect(locked, actor, data, now)
    if step.target is not None:
        locked.status = workflow.target_of(step, locked)
        locked.status_changed_at = now
        if step.target == "return":
            locked.status_before_closure = ""
    locked.version += 1
    locked.save(update_fields=CASE_FIELDS)
    event = CaseEvent.objects.create(
        case=locked,
        kelurahan_id=locked.kelurahan_id,
        kind=kind,
        action=action,
        # Only a change of state carries from/to; an event keeps the state and leaves them empty.
        from_status=from_status if step.target is not None else "",
        to_status=locked.status if step.target is not None else "",
        actor=actor,
        at=now,
        note=note or "",
        confidential=bool(payload.get("confidential")),
        data=payload,
    )
    if locked.status in (Status.CLOSED, Status.NOT_PURSUED) and from_status != locked.status:
        _cancel_unsent_referrals(locked, actor, note)
    for name in CASE_FIELDS:
        setattr(case, name, getattr(locked, name))
    return event


def _cancel_unsent_referrals(case, actor, note):
    """Drafts and returned referrals are cancelled when the case closes or is not pursued
    (PROCEDURE.md), in the same transaction, when the referrals app provides it."""
    from referrals import api

    cancel = getattr(api, "cancel_unsent", None)
    if cancel is not None:
        cancel(case, actor, note or str(_("The case was closed.")))
