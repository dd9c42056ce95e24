"""The only code that writes referrals: each function locks the row, checks the step's guards,
changes the state and writes an immutable timeline entry (cases.models.CaseEvent), atomically.
"""

import secrets

from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts import letter_numbers
from accounts.models import Membership, Role
from cases import vocab
from cases.models import Case, CaseEvent, PlannedAction
from cases.workflow_types import AGENCY, COMPANION, SYSTEM, TransitionRefused

from . import notify
from . import workflow as wf
from .access import roles_for
from .models import OUTCOME_TABLE, LetterCounter, Outcome, Referral, SendHow, State
from .workflow import Context


def _event(referral, actor, action, *, note="", from_state="", to_state=""):
    """An immutable timeline entry of the case. Its text says what happened to which referral in
    Indonesian (the case timeline shows the note), followed by what the person wrote."""
    with translation.override("id"):
        label = str(wf.EVENT_LABELS.get(action, action))
        state = str(State(to_state).label) if to_state else ""
        head = f"{_('Referral')} {referral.agency.name}: {label}" + (f" ({state})" if state else "")
    return CaseEvent.objects.create(
        case_id=referral.case_id,
        kelurahan_id=referral.kelurahan_id,
        kind=CaseEvent.Kind.REFERRAL,
        action=action,
        actor=actor,
        note=f"{head}\n{note}" if note else head,
        data={
            "referral": referral.pk,
            "from": from_state,
            "to": to_state,
            "agency": referral.agency_id,
        },
    )


def _lock(referral):
    return (
        Referral.objects.select_for_update()
        .select_related("case", "agency", "victim", "action", "kelurahan")
        .get(pk=referral.pk)
    )


def _save(referral, *fields):
    referral.version += 1
    referral.save(update_fields=[*fields, "version"])


def _set_action_status(action, status):
    if action.status != status:
        action.status = status
        action.version += 1
        action.save(update_fields=["status", "version"])


# Drafting


def _service_label(code):
    # The letter is in Indonesian whatever the user's language.
    with translation.override("id"):
        return str(vocab.ServiceType(code).label)


@transaction.atomic
def referral_create(*, action, actor, kind=None, services_requested=None, summary=""):
    """A draft from a planned action whose provider is an agency ("Buat rujukan")."""
    action = PlannedAction.objects.select_related("case", "agency", "victim").get(pk=action.pk)
    case = Case.objects.select_for_update().get(pk=action.case_id)
    probe = Referral(case=case, kelurahan_id=case.kelurahan_id, agency=action.agency)
    if COMPANION not in roles_for(actor, probe):
        raise TransitionRefused([_("Only the companion or the coordinator prepares referrals.")])
    if action.agency_id is None:
        raise TransitionRefused([_("This planned action is done by LBK-KK itself.")])
    if case.status not in wf.REFERRAL_CASE_STATES:
        raise TransitionRefused(
            [
                _(
                    "A referral can only be prepared while the case is in assessment, handling or "
                    "monitoring."
                )
            ]
        )
    pending = Referral.objects.filter(action=action).exclude(
        state__in=[State.COMPLETED, State.DECLINED, State.CANCELLED]
    )
    if pending.exists():
        raise TransitionRefused([_("This planned action already has a referral in progress.")])
    referral = Referral.objects.create(
        case=case,
        kelurahan_id=case.kelurahan_id,
        victim=action.victim,
        agency=action.agency,
        action=action,
        kind=kind or "layanan",
        services_requested=services_requested
        if services_requested is not None
        else _service_label(action.service_type),
        summary=summary,
        created_by=actor,
    )
    _event(referral, actor, "create", to_state=State.DRAFT)
    return referral


@transaction.atomic
def referral_update(*, referral, actor, data):
    """Edit a draft or returned referral (the companion); the form has validated the input."""
    referral = _lock(referral)
    if referral.state not in (State.DRAFT, State.RETURNED):
        raise TransitionRefused([_("Only a draft or returned referral can be edited.")])
    if COMPANION not in roles_for(actor, referral):
        raise TransitionRefused([_("Only the companion or the coordinator edits referrals.")])
    if data.get("version") is not None and int(data["version"]) != referral.version:
        raise TransitionRefused(
            [_("Someone else changed this referral meanwhile. Reload the page and try again.")]
        )
    for f in ("kind", "services_requested", "summary", "shared_fields", "action"):
        if f in data:
            setattr(referral, f, data[f])
    _save(referral, "kind", "services_requested", "summary", "shared_fields", "action")
    return referral


@transaction.atomic
def referral_create_emergency(
    *,
    case,
    actor,
    victim,
    agency,
    service_type,
    how,
    made_at,
    summary,
    services_requested="",
    shared_fields=(),
    kind="layanan",
):
    """Record a referral already made by phone or by accompanying the victim: state `sent`,
    no letter yet, consent may follow; creates its planned action; staff must ratify."""
    case = Case.objects.select_for_update().get(pk=case.pk)
    probe = Referral(case=case, kelurahan_id=case.kelurahan_id, agency=agency)
    if COMPANION not in roles_for(actor, probe):
        raise TransitionRefused(
            [_("Only the companion, or the coordinator, records an emergency referral.")]
        )
    if case.status not in wf.EMERGENCY_CASE_STATES:
        raise TransitionRefused(
            [_("An emergency referral can only be recorded while the case is open.")]
        )
    if victim.case_id != case.pk:
        raise TransitionRefused([_("The victim is not part of this case.")])
    now = timezone.now()
    action = PlannedAction.objects.create(
        case=case,
        kelurahan_id=case.kelurahan_id,
        victim=victim,
        service_type=service_type,
        agency=agency,
        status=vocab.ActionStatus.IN_PROGRESS,
        note=_("Created with an emergency referral."),
        created_by=actor,
    )
    referral = Referral.objects.create(
        case=case,
        kelurahan_id=case.kelurahan_id,
        victim=victim,
        agency=agency,
        action=action,
        kind=kind,
        services_requested=services_requested or _service_label(service_type),
        summary=summary,
        shared_fields=list(shared_fields),
        state=State.SENT,
        is_emergency=True,
        emergency_at=made_at or now,
        created_by=actor,
        requested_by=actor,
        requested_at=now,
        sent_at=made_at or now,
        sent_how=how,
        sent_by=actor,
    )
    _event(
        referral,
        actor,
        "emergency",
        to_state=State.SENT,
        note=str(SendHow(how).label) if how in SendHow.values else "",
    )
    notify.emergency_to_ratify(referral)
    if agency.has_users:
        notify.sent_to_agency(referral)
    return referral


# Letter numbers


def format_letter_number(kelurahan, seq, day, roleplay):
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


def next_letter_seq(kelurahan_id, year, roleplay):
    """Take the next number of the series under a row lock: gapless, never reused (a cancelled
    letter keeps its number). Must run inside the issuing transaction."""
    try:
        with transaction.atomic():
            LetterCounter.objects.get_or_create(
                kelurahan_id=kelurahan_id, year=year, is_roleplay=roleplay
            )
    except IntegrityError:
        pass  # created meanwhile by a concurrent approval
    counter = LetterCounter.objects.select_for_update().get(
        kelurahan_id=kelurahan_id, year=year, is_roleplay=roleplay
    )
    counter.last += 1
    counter.save(update_fields=["last"])
    return counter.last


def _signer_membership(actor, kelurahan_id):
    today = timezone.localdate()
    ms = [
        m
        for m in actor.active_memberships(today)
        if m.kelurahan_id == kelurahan_id and m.role in (Role.LURAH, Role.KASI_KESRA)
    ]
    ms.sort(key=lambda m: m.role != Role.LURAH)
    return ms[0] if ms else None


def _issue_letter(referral, actor):
    from . import letters

    now = timezone.now()
    day = timezone.localdate(now)
    roleplay = referral.case.is_roleplay
    seq = next_letter_seq(referral.kelurahan_id, day.year, roleplay)
    m = _signer_membership(actor, referral.kelurahan_id)
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
    referral.letter_shared_fields = letters.effective_shared_fields(referral)
    referral.verify_token = secrets.token_urlsafe(24)
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
        "letter_shared_fields",
        "verify_token",
    )
    letters.store_letter(referral)


# Transitions


def _clean(data):
    return {k: (v.strip() if isinstance(v, str) else v) for k, v in (data or {}).items()}


@transaction.atomic
def referral_advance(*, referral, action, actor, data=None, system=False):
    """Fire one step of referrals.workflow.STEPS on the referral, or raise TransitionRefused."""
    data = _clean(data)
    referral = _lock(referral)
    step = wf.STEPS_BY_ACTION.get(action)
    if step is None:
        raise TransitionRefused([_("Unknown action.")])
    roles = set(roles_for(actor, referral))
    if system:
        roles.add(SYSTEM)
    roles = frozenset(roles)
    if referral.state not in step.source:
        raise TransitionRefused(
            [
                _("This referral is now “%(state)s”; the action is no longer possible.")
                % {"state": referral.get_state_display()}
            ]
        )
    permitted = bool(step.roles & roles) and (system or step in wf.available_steps(referral, roles))
    if not permitted:
        raise TransitionRefused([_("You may not do this on this referral.")])
    reasons = wf.check(step, Context(referral=referral, actor=actor, roles=roles, data=data))
    if reasons:
        raise TransitionRefused(reasons)

    now = timezone.now()
    before = referral.state
    note = ""
    fields = []
    if action == "request":
        referral.requested_by = actor
        referral.requested_at = now
        referral.return_note = ""
        fields += ["requested_by", "requested_at", "return_note"]
    elif action == "approve":
        referral.decided_by = actor
        referral.decided_at = now
        fields += ["decided_by", "decided_at"]
    elif action == "return":
        referral.decided_by = actor
        referral.decided_at = now
        referral.return_note = note = data["note"]
        fields += ["decided_by", "decided_at", "return_note"]
    elif action == "send":
        referral.sent_at = data.get("when") or now
        referral.sent_how = data.get("how") or SendHow.APP
        referral.sent_by = actor
        fields += ["sent_at", "sent_how", "sent_by"]
        note = str(SendHow(referral.sent_how).label)
    elif action == "ratify":
        referral.ratified_by = actor
        referral.ratified_at = now
        fields += ["ratified_by", "ratified_at"]
    elif action in ("refuse", "withdraw", "cancel"):
        referral.cancelled_by = actor
        referral.cancelled_at = now
        referral.cancel_reason = note = data["reason"]
        referral.ratification_refused = action == "refuse"
        fields += ["cancelled_by", "cancelled_at", "cancel_reason", "ratification_refused"]
    elif action == "acknowledge":
        referral.acknowledged_at = now
        referral.acknowledged_by = actor
        referral.acknowledged_proof = data.get("proof", "") if AGENCY not in roles else ""
        fields += ["acknowledged_at", "acknowledged_by", "acknowledged_proof"]
        note = referral.acknowledged_proof
    elif action in ("complete", "decline"):
        outcome = Outcome.SERVED if action == "complete" else data["outcome"]
        referral.outcome = outcome
        referral.outcome_note = note = data.get("note", "")
        referral.service_given = data.get("service_given", "") if action == "complete" else ""
        referral.outcome_at = now
        referral.outcome_by = actor
        referral.outcome_proof = data.get("proof", "") if AGENCY not in roles else ""
        fields += [
            "outcome",
            "outcome_note",
            "service_given",
            "outcome_at",
            "outcome_by",
            "outcome_proof",
        ]

    target = step.target
    if action in ("complete", "decline"):
        target = OUTCOME_TABLE[referral.outcome][0]
    if target is not None:
        referral.state = target
        referral.state_changed_at = now
        fields += ["state", "state_changed_at"]
    _save(referral, *fields)
    _event(referral, actor, action, note=note, from_state=before, to_state=referral.state)

    # Consequences, in the same transaction.
    if action == "approve":
        _issue_letter(referral, actor)
        if referral.agency.has_users:
            referral_advance(referral=referral, action="send", actor=actor, system=True)
            referral.refresh_from_db()
        else:
            notify.record_sending(referral)
    elif action == "ratify":
        _issue_letter(referral, actor)
    elif action == "send":
        _set_action_status(referral.action, vocab.ActionStatus.IN_PROGRESS)
        if referral.agency.has_users:
            notify.sent_to_agency(referral)
    elif action in ("complete", "decline"):
        _set_action_status(referral.action, OUTCOME_TABLE[referral.outcome][1])
        notify.answered(referral)
    elif action == "acknowledge":
        notify.answered(referral)
    elif action == "request":
        notify.requested(referral)
    elif action == "return":
        notify.returned(referral)
    elif action == "refuse":
        notify.ratification_refused(referral)
    if target == State.CANCELLED and referral.action.status == vocab.ActionStatus.IN_PROGRESS:
        _set_action_status(referral.action, vocab.ActionStatus.PLANNED)
    return referral


@transaction.atomic
def cancel_unsent_for_case(*, case, actor, reason):
    """Cancel the case's drafts and returned referrals (the case closes or is not pursued)."""
    out = []
    for r in Referral.objects.select_for_update().filter(
        case=case, state__in=[State.DRAFT, State.RETURNED]
    ):
        before = r.state
        r.state = State.CANCELLED
        r.state_changed_at = r.cancelled_at = timezone.now()
        r.cancelled_by = actor
        r.cancel_reason = reason
        _save(r, "state", "state_changed_at", "cancelled_at", "cancelled_by", "cancel_reason")
        _event(r, actor, "withdraw", note=reason, from_state=before, to_state=State.CANCELLED)
        out.append(r)
    return out


def coordinators_of(kelurahan_id):
    today = timezone.localdate()
    return _members(kelurahan_id, [Role.KOORDINATOR], today)


def _members(kelurahan_id, roles, today):
    from django.db.models import Q

    from accounts.models import User

    ids = (
        Membership.objects.filter(kelurahan_id=kelurahan_id, role__in=roles, valid_from__lte=today)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=today))
        .values("user_id")
    )
    return list(User.objects.filter(pk__in=ids, is_active=True))
