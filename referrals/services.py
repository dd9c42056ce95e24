"""The effects of the referral procedure's steps (referrals/workflow.py), fired by the one engine
(cases/engine.py): it locks the case and the referral, checks the step's guards and the
invariants (consent covers every disclosure, no mediation for sexual violence, a closed case is
read-only), applies the effect below, changes the state and writes the immutable timeline entry
(cases.models.CaseEvent), atomically; then the effect's consequences (the letter, sending to an
agency with users, the planned action's status, who is told).
"""

from __future__ import annotations

import datetime
import logging
import secrets
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts import letter_numbers
from accounts.models import Role
from cases import engine, numbering, vocab
from cases.engine import AGENCY, AlreadyDone, Effect, Outcome, TransitionRefused
from cases.invariants import covered, letter_disclosure
from cases.models import CaseEvent, PlannedAction
from lbk.history import set_history_user
from outbox import services as outbox

from . import notify
from . import workflow as wf
from .models import OUTCOME_TABLE, Referral, SendHow, State
from .models import Outcome as ReferralOutcome

if TYPE_CHECKING:
    from accounts.models import Agency, Kelurahan, Membership, User
    from cases.engine import Ctx
    from cases.models import Case, Victim

__all__ = ["AlreadyDone", "TransitionRefused", "referral_advance"]

log = logging.getLogger("lbk.referrals")


def referral_event(
    referral: Referral,
    actor: User,
    action: str,
    *,
    note: str = "",
    from_state: str = "",
    to_state: str = "",
    at: datetime.datetime | None = None,
) -> CaseEvent:
    """An immutable timeline entry of the case. Its text says what happened to which referral in
    Indonesian (the case timeline shows the note), followed by what the person wrote."""
    with translation.override("id"):
        label = str(wf.EVENT_LABELS.get(action, action))
        state = str(State(to_state).label) if to_state else ""
        word = _("Referral")
        head = f"{word} {referral.agency.name}: {label}" + (f" ({state})" if state else "")
    return CaseEvent.objects.create(
        case_id=referral.case_id,
        kelurahan_id=referral.kelurahan_id,
        kind=CaseEvent.Kind.REFERRAL,
        action=action,
        actor=actor,
        at=at or timezone.now(),
        note=f"{head}\n{note}" if note else head,
        data={
            "referral": referral.pk,
            "from": from_state,
            "to": to_state,
            "agency": referral.agency_id,
        },
    )


def _save(referral: Referral, *fields: str) -> None:
    referral.version += 1
    referral.save(update_fields=[*fields, "version"])


def _set_action_status(action: PlannedAction, status: str) -> None:
    if action.status != status:
        action.status = status
        action.version += 1
        action.save(update_fields=["status", "version"])


def _service_label(code: str) -> str:
    # The letter is in Indonesian whatever the user's language.
    with translation.override("id"):
        return str(vocab.ServiceType(code).label)


def _clean(data: Mapping[str, Any] | None) -> dict[str, Any]:
    return {k: (v.strip() if isinstance(v, str) else v) for k, v in (data or {}).items()}


# ---------------------------------------------------------------------------------------------
# Doors: the functions views, the demo data and tests call. Each is one engine step.


def referral_advance(
    *,
    referral: Referral,
    action: str,
    actor: User,
    data: Mapping[str, Any] | None = None,
    system: bool = False,
) -> Referral:
    """Fire one step of referrals.workflow on the referral, or raise TransitionRefused."""
    ctx = engine.fire(wf.REFERRAL, referral, action, actor, _clean(data), system=system)
    return ctx.subject


def referral_create(
    *,
    action: PlannedAction,
    actor: User,
    kind: str | None = None,
    services_requested: str | None = None,
    summary: str = "",
) -> Referral:
    """A draft from a planned action whose provider is an agency ("Buat rujukan")."""
    action = PlannedAction.objects.select_related("case", "agency", "victim").get(pk=action.pk)
    probe = Referral(
        case=action.case,
        kelurahan_id=action.kelurahan_id,
        victim=action.victim,
        agency=action.agency,
        action=action,
        kind=kind or "layanan",
        services_requested=services_requested
        if services_requested is not None
        else _service_label(action.service_type),
        summary=summary,
    )
    if probe.agency_id is None:
        raise TransitionRefused([_("This planned action is done by LBK-KK itself.")])
    return referral_advance(referral=probe, action="create", actor=actor)


def referral_update(*, referral: Referral, actor: User, data: Mapping[str, Any]) -> Referral:
    """Edit a draft or returned referral (the companion); the form has validated the input."""
    return referral_advance(referral=referral, action="edit", actor=actor, data=data)


def referral_create_emergency(
    *,
    case: Case,
    actor: User,
    victim: Victim,
    agency: Agency,
    service_type: str,
    how: str,
    made_at: datetime.datetime | None,
    summary: str,
    ground: str = "",
    services_requested: str = "",
    shared_fields: Iterable[str] = (),
    kind: str = "layanan",
) -> Referral:
    """Record a referral already made by phone or by accompanying the victim: state `sent`,
    no letter yet, consent may follow (without consent only when the victim is in danger now or
    injured and needs care now: `ground`); creates its planned action; staff must ratify."""
    probe = Referral(
        case=case,
        kelurahan_id=case.kelurahan_id,
        victim=victim,
        agency=agency,
        kind=kind,
        services_requested=services_requested or _service_label(service_type),
        summary=summary,
        shared_fields=list(shared_fields),
        is_emergency=True,
        emergency_ground=ground or "",
    )
    data = {"service_type": service_type, "how": how, "made_at": made_at}
    return referral_advance(referral=probe, action="emergency", actor=actor, data=data)


# Letter numbers


def format_letter_number(kelurahan: Kelurahan, seq: int, day: datetime.date, roleplay: bool) -> str:
    """The placeholders and their values are accounts.letter_numbers' (the admin's validator
    checks formats against the same list)."""
    fmt = kelurahan.letter_number_format or letter_numbers.DEFAULT_FORMAT
    kode = kelurahan.code
    if roleplay:
        # Its own series with a SIM segment, so a role-play number never equals a real one.
        kode = f"{kode}/SIM"
        if "{kode}" not in fmt:
            fmt = "SIM/" + fmt
    return letter_numbers.render(
        fmt, seq=seq, kode=kode, day=day, klasifikasi=kelurahan.letter_classification
    )


def _signer_membership(
    actor: User, kelurahan_id: int, today: datetime.date | None = None
) -> Membership | None:
    today = today or timezone.localdate()
    ms = [
        m
        for m in actor.active_memberships(today)
        if m.kelurahan_id == kelurahan_id and m.role in (Role.LURAH, Role.KASI_KESRA)
    ]
    ms.sort(key=lambda m: m.role != Role.LURAH)
    return ms[0] if ms else None


def _issue_letter(referral: Referral, actor: User) -> None:
    from joining.models import ActingHead

    from . import letters

    now = timezone.now()
    # The letter's day (its number's month and year, its date) is the place's own (WIB, WITA
    # or WIT).
    day = timezone.localdate(now, referral.kelurahan.tzinfo)
    roleplay = referral.case.is_roleplay
    seq = numbering.take_next(numbering.LETTER, referral.kelurahan_id, day.year, roleplay)
    m = _signer_membership(actor, referral.kelurahan_id, day)
    # The head's acting official (Plh./Plt.) that day signs in the head's name, not "a.n.".
    acting = ActingHead.in_force(referral.kelurahan_id, day, user_id=actor.pk)
    referral.letter_seq = seq
    referral.letter_year = day.year
    referral.letter_roleplay = roleplay
    referral.letter_number = format_letter_number(referral.kelurahan, seq, day, roleplay)
    referral.issued_at = now
    referral.signer = actor
    referral.signer_name = actor.get_full_name() or actor.username
    referral.signer_title = (m.title if m else "") or ""
    referral.signer_rank = (m.rank if m else "") or ""
    referral.signer_nip = (m.nip if m else "") or ""
    referral.signer_on_behalf = bool(m and m.role != Role.LURAH)
    referral.signer_acting = ""
    if acting is not None and not (m and m.role == Role.LURAH):
        referral.signer_acting = acting.kind
        referral.signer_rank = acting.rank or referral.signer_rank
        referral.signer_nip = acting.nip or referral.signer_nip
        referral.signer_on_behalf = False
    # What the letter may show is frozen now: the fields consent in force allows, and whether
    # consent covered it at all (a ratified emergency letter may be issued without consent).
    referral.letter_shared_fields = letters.effective_shared_fields(referral)
    referral.letter_with_consent = covered(referral)
    referral.verify_token = secrets.token_urlsafe(24)
    # The PDF is rendered and stored by the outbox's letter task once this commits (the
    # "store_letter" step below): the number's short transaction never waits for a render.
    outbox.add("letter", referral.pk, kelurahan_id=referral.kelurahan_id, at=now)
    _save(
        referral,
        "letter_seq",
        "letter_year",
        "letter_roleplay",
        "letter_number",
        "issued_at",
        "signer",
        "signer_name",
        "signer_title",
        "signer_rank",
        "signer_nip",
        "signer_on_behalf",
        "signer_acting",
        "letter_shared_fields",
        "letter_with_consent",
        "verify_token",
    )


# ---------------------------------------------------------------------------------------------
# Effects (called by the engine with the rows locked).


def _create(ctx: Ctx[Referral]) -> Outcome:
    r = ctx.subject
    r.created_by = ctx.actor
    r.created_at = ctx.now
    r.save()
    return Outcome(result=r)


def _emergency(ctx: Ctx[Referral]) -> Outcome:
    r, data, case = ctx.subject, ctx.data, ctx.case
    made_at = data.get("made_at") or ctx.now
    if r.emergency_ground:
        # The form records which ground makes this an emergency: a fact of the case too.
        flag = "danger_now" if r.emergency_ground == "danger" else "injured_needs_care"
        if not getattr(case, flag):
            # A change of the case's data: its version moves, so an intake form opened before
            # cannot silently write the flag back.
            setattr(case, flag, True)
            case.version += 1
            set_history_user(case, ctx.actor).save(update_fields=[flag, "version"])
    r.action = PlannedAction.objects.create(
        case=case,
        kelurahan_id=case.kelurahan_id,
        victim=r.victim,
        service_type=data["service_type"],
        agency=r.agency,
        status=vocab.ActionStatus.IN_PROGRESS,
        note=_("Created with an emergency referral."),
        created_by=ctx.actor,
    )
    r.state = State.SENT
    r.emergency_at = made_at
    r.created_by = r.requested_by = r.sent_by = ctx.actor
    r.created_at = r.requested_at = ctx.now
    r.sent_at = made_at
    r.sent_how = data["how"]
    r.save()
    note = str(SendHow(r.sent_how).label) if r.sent_how in SendHow.values else ""
    return Outcome(note=note, result=r)


def _emergency_then(ctx: Ctx[Referral]) -> None:
    notify.emergency_to_ratify(ctx.subject)
    if ctx.subject.agency.has_users:
        notify.sent_to_agency(ctx.subject)


EDITABLE = ("kind", "services_requested", "summary", "shared_fields", "action")


def _edit(ctx: Ctx[Referral]) -> Outcome:
    r = ctx.subject
    changed = [f for f in EDITABLE if f in ctx.data and getattr(r, f) != ctx.data[f]]
    for f in changed:
        setattr(r, f, ctx.data[f])
    return Outcome(fields=tuple(changed), nothing=not changed)


def _request(ctx: Ctx[Referral]) -> Outcome:
    r = ctx.subject
    r.requested_by = ctx.actor
    r.requested_at = ctx.now
    r.return_note = ""
    return Outcome(fields=("requested_by", "requested_at", "return_note"))


def _approve(ctx: Ctx[Referral]) -> Outcome:
    r = ctx.subject
    r.decided_by = ctx.actor
    r.decided_at = ctx.now
    return Outcome(fields=("decided_by", "decided_at"))


def _approve_then(ctx: Ctx[Referral]) -> None:
    # The number and what the letter may show, now; the PDF, then the sending to an agency
    # with users (or the companion's reminder to send it), once the letter is stored.
    _issue_letter(ctx.subject, ctx.actor)


def _store_letter(ctx: Ctx[Referral]) -> Outcome:
    """Store the letter rendered by the outbox's task (ctx.data["pdf"], rendered outside the
    locks from ctx.data["basis"]). The disclosure invariant is asked again under the lock:
    consent withdrawn since the approval narrows the letter to what needs no consent; a PDF
    rendered from another basis is rendered again here."""
    from . import letters

    r = ctx.subject
    fields, with_consent = letter_disclosure(r)
    narrowed = fields != list(r.letter_shared_fields or []) or (
        with_consent != r.letter_with_consent
    )
    r.letter_shared_fields = fields
    r.letter_with_consent = with_consent
    data = ctx.data.get("pdf") if ctx.data.get("basis") == [fields, with_consent] else None
    letters.store_letter(r, data=data)
    # Saved without a new version: a page opened before the letter was ready still acts.
    r.save(update_fields=["letter_shared_fields", "letter_with_consent"])
    return Outcome(payload={"narrowed": narrowed}, note=_("The letter is stored."))


def _store_letter_then(ctx: Ctx[Referral]) -> None:
    r = ctx.subject
    if ctx.outcome.payload.get("narrowed"):
        notify.letter_narrowed(r)
    if r.state != State.APPROVED:
        return  # a ratified emergency referral is already with the agency
    if not r.agency.has_users:
        notify.record_sending(r)
        return
    if not covered(r):
        return  # consent withdrawn meanwhile: nothing goes to the agency (the companion knows)
    try:
        sent = engine.fire(wf.REFERRAL, r, "send", ctx.actor, system=True).subject
    except TransitionRefused as refused:
        log.warning("referral=%s stored but not sent: %s", r.pk, refused)
        return
    for f in ("state", "state_changed_at", "sent_at", "sent_how", "sent_by", "version"):
        setattr(r, f, getattr(sent, f))


def store_letter_item(referral_id: int, *, token: str) -> str:
    """The outbox's letter task: render the letter outside any lock, then store it through the
    engine ("store_letter"). Returns a result word; raises when rendering or storing fails (the
    outbox retries)."""
    from . import letters

    r = (
        Referral.objects.select_related("case", "kelurahan", "victim", "agency", "signer")
        .filter(pk=referral_id)
        .first()
    )
    if r is None or not r.letter_number:
        return "nothing"
    if r.pdf_sha256:
        return "stored"
    if r.state not in (State.APPROVED, State.SENT):
        return "obsolete"  # cancelled before its letter was ready: the number stays used
    fields, with_consent = letter_disclosure(r)
    r.letter_shared_fields = fields
    r.letter_with_consent = with_consent
    pdf = letters.render_letter_pdf(r)
    actor = r.signer or r.decided_by or r.ratified_by
    assert actor is not None  # a letter number is issued by someone
    try:
        engine.fire(
            wf.REFERRAL,
            r,
            "store_letter",
            actor,
            {"pdf": pdf, "basis": [fields, with_consent]},
            system=True,
            token=token,
        )
    except AlreadyDone:
        return "stored"
    except TransitionRefused:
        return "refused"
    return "stored"


def _return(ctx: Ctx[Referral]) -> Outcome:
    r = ctx.subject
    r.decided_by = ctx.actor
    r.decided_at = ctx.now
    r.return_note = ctx.data["note"]
    return Outcome(note=r.return_note, fields=("decided_by", "decided_at", "return_note"))


def _send(ctx: Ctx[Referral]) -> Outcome:
    r = ctx.subject
    r.sent_at = ctx.data.get("when") or ctx.now
    r.sent_how = ctx.data.get("how") or SendHow.APP
    r.sent_by = ctx.actor
    return Outcome(note=str(SendHow(r.sent_how).label), fields=("sent_at", "sent_how", "sent_by"))


def _send_then(ctx: Ctx[Referral]) -> None:
    r = ctx.subject
    _set_action_status(r.action, vocab.ActionStatus.IN_PROGRESS)
    if r.agency.has_users:
        notify.sent_to_agency(r)


def _ratify(ctx: Ctx[Referral]) -> Outcome:
    r = ctx.subject
    r.ratified_by = ctx.actor
    r.ratified_at = ctx.now
    return Outcome(fields=("ratified_by", "ratified_at"))


def _ratify_then(ctx: Ctx[Referral]) -> None:
    _issue_letter(ctx.subject, ctx.actor)


def _cancel(ctx: Ctx[Referral]) -> Outcome:
    r = ctx.subject
    r.cancelled_by = ctx.actor
    r.cancelled_at = ctx.now
    r.cancel_reason = ctx.data["reason"]
    assert ctx.step is not None  # the engine sets the step before any effect
    r.ratification_refused = ctx.step.action == "refuse"
    return Outcome(
        note=r.cancel_reason,
        fields=("cancelled_by", "cancelled_at", "cancel_reason", "ratification_refused"),
    )


def _cancel_then(ctx: Ctx[Referral]) -> None:
    r = ctx.subject
    assert ctx.step is not None
    if ctx.step.action == "refuse":
        notify.ratification_refused(r)
    if r.action.status == vocab.ActionStatus.IN_PROGRESS:
        _set_action_status(r.action, vocab.ActionStatus.PLANNED)


def _acknowledge(ctx: Ctx[Referral]) -> Outcome:
    r = ctx.subject
    r.acknowledged_at = ctx.now
    r.acknowledged_by = ctx.actor
    r.acknowledged_proof = ctx.data.get("proof", "") if AGENCY not in ctx.roles else ""
    return Outcome(
        note=r.acknowledged_proof,
        fields=("acknowledged_at", "acknowledged_by", "acknowledged_proof"),
    )


def _answer(ctx: Ctx[Referral]) -> Outcome:
    r, data = ctx.subject, ctx.data
    assert ctx.step is not None
    complete = ctx.step.action == "complete"
    r.outcome = ReferralOutcome.SERVED if complete else data["outcome"]
    r.outcome_note = data.get("note", "")
    r.service_given = data.get("service_given", "") if complete else ""
    r.outcome_at = ctx.now
    r.outcome_by = ctx.actor
    r.outcome_proof = data.get("proof", "") if AGENCY not in ctx.roles else ""
    return Outcome(
        note=r.outcome_note,
        fields=(
            "outcome",
            "outcome_note",
            "service_given",
            "outcome_at",
            "outcome_by",
            "outcome_proof",
        ),
    )


def _answer_then(ctx: Ctx[Referral]) -> None:
    r = ctx.subject
    _set_action_status(r.action, OUTCOME_TABLE[ReferralOutcome(r.outcome)][1])
    notify.answered(r)


wf.REFERRAL.bind(
    {
        "create": Effect(_create),
        "emergency": Effect(_emergency, then=_emergency_then),
        "edit": Effect(_edit),
        "request": Effect(_request, then=lambda ctx: notify.requested(ctx.subject)),
        "approve": Effect(_approve, then=_approve_then),
        "store_letter": Effect(_store_letter, then=_store_letter_then),
        "return": Effect(_return, then=lambda ctx: notify.returned(ctx.subject)),
        "send": Effect(_send, then=_send_then),
        "ratify": Effect(_ratify, then=_ratify_then),
        "refuse": Effect(_cancel, then=_cancel_then),
        "acknowledge": Effect(_acknowledge, then=lambda ctx: notify.answered(ctx.subject)),
        "complete": Effect(_answer, then=_answer_then),
        "decline": Effect(_answer, then=_answer_then),
        "withdraw": Effect(_cancel, then=_cancel_then),
        "cancel": Effect(_cancel, then=_cancel_then),
    }
)


# ---------------------------------------------------------------------------------------------
# Reactions to the case procedure (registered with the engine: the cases app never imports us).


def _case_closing(ctx: Ctx[Case], note: str = "") -> None:
    """Drafts and returned referrals are cancelled when the case closes or is not pursued
    (PROCEDURE.md), in the same transaction, before the case is read-only."""
    reason = note or _("The case was closed.")
    for r in ctx.case.referrals.filter(state__in=[State.DRAFT, State.RETURNED]):
        engine.fire(wf.REFERRAL, r, "withdraw", ctx.actor, {"reason": reason}, system=True)


def _mediation_stopped(
    ctx: Ctx[Case], actions: Iterable[PlannedAction] = (), reason: str = ""
) -> None:
    """Referrals of a mediation action stopped by the no-mediation rule are cancelled (an
    issued letter's number stays used and shows as cancelled)."""
    for r in Referral.objects.filter(action__in=actions).exclude(state__in=wf.FINAL_STATES):
        action = "withdraw" if r.state in (State.DRAFT, State.RETURNED, State.REQUESTED) else ""
        action = action or ("refuse" if r.awaits_ratification else "cancel")
        engine.fire(wf.REFERRAL, r, action, ctx.actor, {"reason": reason}, system=True)


engine.on("case.closing", _case_closing)
engine.on("case.mediation_stopped", _mediation_stopped)


def cancel_unsent_for_case(*, case: Case, actor: User, reason: str) -> list[Referral]:
    """Cancel the case's drafts and returned referrals (kept for callers outside the engine)."""
    out = []
    for r in Referral.objects.filter(case=case, state__in=[State.DRAFT, State.RETURNED]):
        out.append(
            referral_advance(
                referral=r, action="withdraw", actor=actor, data={"reason": reason}, system=True
            )
        )
    return out
