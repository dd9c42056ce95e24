"""The referral procedure as one table (PROCEDURE.md "Referrals"): states, steps, guards, clocks.

Reviewable against the SK Lurah; no database writes here. referrals/services.py fires the steps,
the case page and the agency inbox draw their buttons from `available_steps`, and the printed
"Alur Penanganan" imports STEPS and CLOCKS.
"""

from django.utils.translation import gettext_lazy as _

from accounts.models import Agency
from cases import engine, vocab
from cases.engine import AGENCY, COMPANION, NEW, STAFF, SYSTEM, Clock, Step
from cases.engine import TransitionRefused as TransitionRefused  # one class for both tables
from cases.invariants import consents_for as consents_for
from cases.models import Case

from .access import roles_for
from .models import FINAL_STATES, Kind, Outcome, Referral, State

# Case states in which a referral may be requested or approved; an emergency also in received.
REFERRAL_CASE_STATES = frozenset(
    {vocab.Status.ASSESSMENT, vocab.Status.HANDLING, vocab.Status.MONITORING}
)
EMERGENCY_CASE_STATES = REFERRAL_CASE_STATES | {vocab.Status.RECEIVED}
# A handover passes case management to one of these.
HANDOVER_AGENCY_KINDS = frozenset({Agency.Kind.UPTD_PPA, Agency.Kind.DINSOS})


# Guards: each returns the reasons it refuses (empty list: go).


def case_allows_referral(ctx):
    if ctx.referral.case.status not in REFERRAL_CASE_STATES:
        return [
            _(
                "A referral can only be requested or approved while the case is in assessment, "
                "handling or monitoring."
            )
        ]
    return []


def action_fits(ctx):
    r = ctx.referral
    reasons = []
    if r.action.agency_id != r.agency_id:
        reasons.append(_("The planned action's provider is not this agency."))
    if r.action.victim_id != r.victim_id:
        reasons.append(_("The planned action is for another victim."))
    if r.kind == Kind.HANDOVER and r.agency.kind not in HANDOVER_AGENCY_KINDS:
        reasons.append(_("A handover can only go to UPTD PPA or Dinas Sosial."))
    if not r.services_list():
        reasons.append(_("List at least one service requested."))
    return reasons


def _mechanism_of(case):
    """The mechanism version the case recorded at registration (None: the defaults)."""
    return case.mechanism if case.mechanism_id else None


def handover_agency_allowed(ctx):
    """A handover goes to an agency the case's mechanism lists (when it lists any)."""
    r = ctx.referral
    version = _mechanism_of(r.case) if r.kind == Kind.HANDOVER else None
    if version is None:
        return []
    allowed = set(version.handover_agencies.values_list("pk", flat=True))
    if allowed and r.agency_id not in allowed:
        return [_("The mechanism of this kelurahan does not list this agency for handovers.")]
    return []


def approver_allowed(ctx):
    """Who among the kelurahan staff approves: the head alone when the case's mechanism says
    so; otherwise the head or the Kasi Kesra on the head's behalf (four eyes always hold)."""
    from accounts.models import Role
    from accounts.roles import roles_of

    version = _mechanism_of(ctx.referral.case)
    if version is None or version.approvers != "head":
        return []
    if Role.LURAH in roles_of(ctx.actor).on(ctx.referral.case):
        return []
    return [
        _("Under the mechanism of this kelurahan only the %(head)s approves referrals.")
        % {"head": ctx.referral.kelurahan.head_title}
    ]


def four_eyes(ctx):
    if ctx.referral.requested_by_id == ctx.actor.pk:
        return [_("You requested this referral; someone else must approve it (four eyes).")]
    return []


def four_eyes_emergency(ctx):
    if ctx.referral.created_by_id == ctx.actor.pk:
        return [_("You made this emergency referral; someone else must ratify it (four eyes).")]
    return []


def awaits_ratification(ctx):
    if not ctx.referral.awaits_ratification:
        return [_("This is not an emergency referral waiting for ratification.")]
    return []


def not_awaiting_ratification(ctx):
    if ctx.referral.awaits_ratification:
        return [_("Ratify or refuse the emergency referral instead.")]
    return []


def note_given(ctx):
    if not (ctx.data.get("note") or "").strip():
        return [_("Write a note saying what must be corrected.")]
    return []


def reason_given(ctx):
    if not (ctx.data.get("reason") or "").strip():
        return [_("Give the reason.")]
    return []


def agency_without_users(ctx):
    """The companion records sending only for agencies that have no users in the app."""
    if COMPANION in ctx.roles and SYSTEM not in ctx.roles and ctx.referral.agency.has_users:
        return [_("This agency has users: the letter reaches its inbox by itself.")]
    return []


def how_and_when(ctx):
    if SYSTEM in ctx.roles:
        return []
    reasons = []
    if not ctx.data.get("how"):
        reasons.append(_("Say how the letter was sent."))
    if not ctx.data.get("when"):
        reasons.append(_("Say when the letter was sent."))
    return reasons


def letter_to_store(ctx):
    """The letter's number is issued and its PDF not stored yet (the outbox's letter task)."""
    r = ctx.referral
    if not r.letter_number:
        return [_("No letter was issued for this referral.")]
    if r.pdf_sha256:
        return [_("The letter is already stored.")]
    return []


@engine.hides
def letter_stored(ctx):
    """A letter is sent only once its PDF is stored: no agency sees a referral without it."""
    if not ctx.referral.pdf_sha256:
        return [_("The letter is still being prepared; try again in a moment.")]
    return []


def right_party_answers(ctx):
    """An agency with users answers itself; for the others the companion records it, with proof."""
    if AGENCY in ctx.roles:
        return []
    if ctx.referral.agency.has_users:
        return [_("This agency answers in the app itself.")]
    if not (ctx.data.get("proof") or "").strip():
        return [_("Record the proof of the agency's answer (receipt slip, phone call...).")]
    return []


def outcome_served(ctx):
    reasons = []
    if not (ctx.data.get("note") or "").strip():
        reasons.append(_("Describe the service given."))
    return reasons


def outcome_declined(ctx):
    reasons = []
    outcome = ctx.data.get("outcome")
    if not outcome or outcome == Outcome.SERVED:
        reasons.append(_("Choose why the referral is declined."))
    if not (ctx.data.get("note") or "").strip():
        reasons.append(_("Give the reason."))
    return reasons


def action_has_agency(ctx):
    action = ctx.referral.action
    if action is None or action.agency_id is None:
        return [_("This planned action is done by LBK-KK itself.")]
    if action.case_id != ctx.case.pk:
        return [_("Choose an action of this case plan.")]
    return []


def no_referral_in_progress(ctx):
    action = ctx.referral.action
    if action is not None and action.referrals.exclude(state__in=FINAL_STATES).exists():
        return [_("This planned action already has a referral in progress.")]
    return []


def case_allows_drafting(ctx):
    if ctx.case.status not in REFERRAL_CASE_STATES:
        return [
            _(
                "A referral can only be prepared while the case is in assessment, handling or "
                "monitoring."
            )
        ]
    return []


def case_allows_emergency(ctx):
    if ctx.case.status not in EMERGENCY_CASE_STATES:
        return [_("An emergency referral can only be recorded while the case is open.")]
    return []


def victim_of_case(ctx):
    if ctx.referral.victim_id is None or ctx.referral.victim.case_id != ctx.case.pk:
        return [_("The victim is not part of this case.")]
    return []


STEPS = (
    Step(
        source=frozenset({NEW}),
        target=State.DRAFT,
        action="create",
        label=_("Prepare a referral"),
        roles=frozenset({COMPANION}),
        guards=(case_allows_drafting, action_has_agency, no_referral_in_progress),
        requires=(
            _("from a planned action whose provider is the agency"),
            _("case in assessment, handling or monitoring"),
        ),
        additive=True,
    ),
    Step(
        source=frozenset({NEW}),
        target=State.SENT,
        action="emergency",
        label=_("Record an emergency referral"),
        roles=frozenset({COMPANION}),
        guards=(case_allows_emergency, victim_of_case),
        requires=(
            _(
                "made at once by phone or by accompanying the victim; the victim is in danger now "
                "or injured and needs care now (the form records which); consent may follow"
            ),
        ),
        fields=("victim", "agency", "service_type", "ground", "how", "made_at", "summary"),
        clock="ratify",
        additive=True,
    ),
    Step(
        source=frozenset({State.DRAFT, State.RETURNED}),
        target=None,
        action="edit",
        label=_("Edit the draft"),
        roles=frozenset({COMPANION}),
        requires=(_("the companion, before the request"),),
        fields=("kind", "action", "services_requested", "summary", "shared_fields"),
        internal=True,
    ),
    Step(
        source=frozenset({State.DRAFT, State.RETURNED}),
        target=State.REQUESTED,
        action="request",
        label=_("Request approval"),
        roles=frozenset({COMPANION}),
        guards=(case_allows_referral, action_fits, handover_agency_allowed),
        requires=(
            _("case in assessment, handling or monitoring"),
            _("the planned action's provider is the agency; at least one service requested"),
            _(
                "the victim's consent to services and to sharing with that agency, covering the "
                "data shared"
            ),
        ),
        clock="referral_decision",
    ),
    Step(
        source=frozenset({State.REQUESTED}),
        target=State.APPROVED,
        action="approve",
        label=_("Approve and issue the letter"),
        roles=frozenset({STAFF}),
        guards=(four_eyes, case_allows_referral, approver_allowed),
        requires=(
            _("not the requester (four eyes)"),
            _("the head alone when the mechanism says so"),
            _("case in assessment, handling or monitoring"),
        ),
        clock="referral_decision",
    ),
    Step(
        source=frozenset({State.REQUESTED}),
        target=State.RETURNED,
        action="return",
        label=_("Return with a note"),
        roles=frozenset({STAFF}),
        guards=(note_given,),
        requires=(_("note required"),),
        fields=("note",),
        clock="referral_decision",
    ),
    Step(
        source=frozenset({State.APPROVED, State.SENT}),
        target=None,
        action="store_letter",
        label=_("Store the letter"),
        roles=frozenset({SYSTEM}),
        guards=(letter_to_store,),
        requires=(
            _(
                "done by the app after approval or ratification: renders the PDF and stores it "
                "once, showing only what consent in force allows at that moment (the companion "
                "is told when consent was withdrawn meanwhile)"
            ),
        ),
        internal=True,
    ),
    Step(
        source=frozenset({State.APPROVED}),
        target=State.SENT,
        action="send",
        label=_("Record sending"),
        roles=frozenset({SYSTEM, COMPANION}),
        guards=(letter_stored, agency_without_users, how_and_when),
        requires=(
            _("automatic for agencies with users; the companion records how and when otherwise"),
            _("once the letter is stored"),
        ),
        fields=("how", "when"),
        clock="agency_ack",
    ),
    Step(
        source=frozenset({State.SENT}),
        target=None,
        action="ratify",
        label=_("Ratify the emergency referral"),
        roles=frozenset({STAFF}),
        guards=(awaits_ratification, four_eyes_emergency, approver_allowed),
        requires=(
            _("an emergency referral waiting for ratification; issues the letter"),
            _("not the person who made it (four eyes)"),
        ),
        clock="ratify",
    ),
    Step(
        source=frozenset({State.SENT}),
        target=State.CANCELLED,
        action="refuse",
        label=_("Refuse to ratify"),
        roles=frozenset({STAFF, SYSTEM}),
        guards=(awaits_ratification, reason_given),
        requires=(_("reason required; the coordinator is notified"),),
        fields=("reason",),
        clock="ratify",
    ),
    Step(
        source=frozenset({State.SENT}),
        target=State.ACKNOWLEDGED,
        action="acknowledge",
        label=_("Confirm receipt"),
        roles=frozenset({AGENCY, COMPANION}),
        guards=(right_party_answers,),
        requires=(
            _(
                "the agency officer; the companion on its behalf for agencies without users, "
                "with the proof"
            ),
        ),
        fields=("proof",),
        clock="agency_ack",
    ),
    Step(
        source=frozenset({State.ACKNOWLEDGED}),
        target=State.COMPLETED,
        action="complete",
        label=_("Record the service given"),
        roles=frozenset({AGENCY, COMPANION}),
        guards=(right_party_answers, outcome_served),
        requires=(_('outcome "service given" and what was done'),),
        fields=("service_given", "note", "proof"),
    ),
    Step(
        source=frozenset({State.ACKNOWLEDGED}),
        target=State.DECLINED,
        action="decline",
        label=_("Record another outcome (decline)"),
        roles=frozenset({AGENCY, COMPANION}),
        guards=(right_party_answers, outcome_declined),
        requires=(_("the outcome and the reason"),),
        fields=("outcome", "note", "proof"),
    ),
    Step(
        source=frozenset({State.DRAFT, State.RETURNED, State.REQUESTED}),
        target=State.CANCELLED,
        action="withdraw",
        label=_("Withdraw"),
        roles=frozenset({COMPANION, SYSTEM}),
        guards=(reason_given,),
        requires=(_("before approval; reason required"),),
        fields=("reason",),
    ),
    Step(
        source=frozenset({State.APPROVED, State.SENT}),
        target=State.CANCELLED,
        action="cancel",
        label=_("Cancel the referral"),
        roles=frozenset({STAFF, SYSTEM}),
        guards=(not_awaiting_ratification, reason_given),
        requires=(_("after approval; reason required; the letter number stays used"),),
        fields=("reason",),
    ),
)

STEPS_BY_ACTION = {s.action: s for s in STEPS}
# How each timeline entry of a referral reads.
EVENT_LABELS = {
    "create": _("Draft prepared"),
    "emergency": _("Emergency referral recorded"),
    **{s.action: s.label for s in STEPS if s.action not in ("create", "emergency")},
}

CLOCKS = (
    Clock(
        key="referral_decision",
        label=_("Referral decision"),
        starts=_("referral requested"),
        stops=_("approved or returned"),
        who=_("kelurahan staff"),
        default_hours=24,
    ),
    Clock(
        key="ratify",
        label=_("Ratification of an emergency referral"),
        starts=_("emergency referral recorded"),
        stops=_("ratified or refused"),
        who=_("kelurahan staff"),
        default_hours=24,
    ),
    Clock(
        key="agency_ack",
        label=_("Receipt by the agency"),
        starts=_("referral sent"),
        stops=_("acknowledged"),
        who=_("the agency (a target; overdue is shown to the companion to follow up)"),
        default_hours=72,
    ),
)
CLOCKS_BY_KEY = {c.key: c for c in CLOCKS}


def running_clock(referral):
    """(key, started_at) of the clock running on the referral, or None."""
    if referral.state == State.REQUESTED and referral.requested_at:
        return "referral_decision", referral.requested_at
    if referral.awaits_ratification:
        return "ratify", referral.emergency_at or referral.created_at
    if referral.state == State.SENT and referral.sent_at:
        return "agency_ack", referral.sent_at
    return None


def due_at(referral):
    """When the referral's running clock runs out, by the mechanism version of its case."""
    from cases import clocks

    running = running_clock(referral)
    if running is None:
        return None
    key, start = running
    case = referral.case
    d = clocks.deadline_for(
        clocks.deadline_map([case.mechanism_id]), case.mechanism_id, key, clocks=CLOCKS_BY_KEY
    )
    return clocks.due_for(start, d, case)


class ReferralTable(engine.Table[Referral]):
    key = "referral"
    title = _("Referral procedure")
    steps = STEPS

    def lock(self, subject):
        # The case first, then the referral (the order every write takes: no deadlock); only
        # the referral row is locked, not the agency or victim rows it joins.
        case = Case.objects.select_for_update().get(pk=subject.case_id)
        if subject.pk is None:
            subject.case = case
            return subject
        locked = (
            Referral.objects.select_for_update(of=("self",))
            .select_related("agency", "victim", "action", "kelurahan")
            .get(pk=subject.pk)
        )
        locked.case = case
        return locked

    def case_of(self, subject):
        return subject.case

    def state_of(self, subject):
        return subject.state if subject.pk else NEW

    def state_label(self, state):
        return str(State(state).label) if state in State.values else str(state)

    def roles(self, subject, actor):
        return roles_for(actor, subject)

    def shows(self, step, ctx):
        r, roles = ctx.referral, ctx.roles
        if step.action == "send":
            if r.agency.has_users:
                return SYSTEM in roles
            return COMPANION in roles
        if step.action in ("ratify", "refuse"):
            return r.awaits_ratification
        if step.action == "cancel":
            return not r.awaits_ratification
        if step.action in ("acknowledge", "complete", "decline"):
            return AGENCY in roles or not r.agency.has_users
        return True

    def wrong_state_message(self, state):
        return str(
            _("This referral is now “%(state)s”; the action is no longer possible.")
            % {"state": self.state_label(state)}
        )

    def not_allowed_message(self):
        return str(_("You may not do this on this referral."))

    def stale_message(self):
        return str(
            _("Someone else changed this referral meanwhile. Reload the page and try again.")
        )

    def finish(self, ctx, *, from_state, to_state, changed_state):
        r = ctx.subject
        fields = set(ctx.outcome.fields)
        if changed_state:
            r.state = to_state
            r.state_changed_at = ctx.now
            fields |= {"state", "state_changed_at"}
        if fields:
            r.version += 1
            r.save(update_fields=sorted(fields | {"version"}))

    def timeline(self, ctx, *, kind, from_state, to_state, changed_state):
        from .services import referral_event

        r = ctx.subject
        return referral_event(
            r,
            ctx.actor,
            ctx.step.action,
            note=ctx.outcome.note,
            from_state="" if from_state == NEW else from_state,
            to_state=r.state if (changed_state or r.state != from_state) else "",
            at=ctx.now,
        )


REFERRAL = engine.register(ReferralTable())
REFERRAL.clocks = CLOCKS


def available_steps(referral, user):
    """Steps the user may fire on the referral now (before the guards that need input)."""
    return REFERRAL.available_steps(referral, user)
