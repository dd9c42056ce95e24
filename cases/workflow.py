"""The case procedure of the SK Lurah (PROCEDURE.md) as one declarative table.

A paralegal can review this file against the SK: each Step says from which states it starts,
where it goes, who may fire it and what must hold (guards, which return the reasons they refuse
as translatable strings). Steps whose target is None record an event without changing the state
(first contact, assessment, consent, plan, visits, intake corrections, attachments): the same
table says who may record what. The rules that hold across both tables (a closed case is
read-only, consent covers every disclosure, no mediation for sexual violence) are declared once
in cases/invariants.py and checked by the engine (cases/engine.py) for every step.

No database writes here: guards only read. cases/services/procedure.py gives each step its
effect. CLOCKS, the deadline table, is at the end; cases/clocks.py computes due times from it.
"""

from django.utils.translation import gettext_lazy as _

from accounts.models import STAFF_ROLES, Agency, Role
from accounts.roles import roles_of
from lbk.history import set_history_user

from . import engine, vocab
from .access import acts_as_companion
from .engine import (
    COMPANION,
    REGISTRAR,
    STAFF,
    Clock,
    Ctx,
    Step,
    TransitionRefused,
    hides,
    needs_input,
)
from .invariants import BEST_INTEREST_AGENCY_KINDS, LIVE_ACTION_STATES, MEDIATION_REFUSED
from .models import Case
from .vocab import Status

__all__ = ["CASE", "Ctx", "TransitionRefused", "MEDIATION_REFUSED", "LIVE_ACTION_STATES"]

S = Status
OPEN = frozenset(vocab.OPEN_STATES)
WORKING = frozenset({S.ASSESSMENT, S.HANDLING, S.MONITORING})
NOT_FINAL = frozenset({S.RECEIVED, *OPEN})
# "coordinator, kelurahan staff" in PROCEDURE.md
DECIDERS = frozenset({Role.KOORDINATOR, STAFF})
# "companion" in PROCEDURE.md (the kelurahan's coordinator may do whatever the companion may)
COMPANIONS = frozenset({COMPANION})
# Who sees the full record: the companion (and coordinator) and the kelurahan staff.
FULL_RECORD = frozenset({COMPANION, STAFF})

# A child victim of violence needs an action provided by one of these (guard 3).
CHILD_PROTECTION_AGENCY_KINDS = frozenset({Agency.Kind.UPTD_PPA, Agency.Kind.DP3A})
SUPPORTED_DECISION_DISABILITIES = frozenset(
    {vocab.DisabilityType.INTELLECTUAL, vocab.DisabilityType.MENTAL}
)


# ---------------------------------------------------------------------------------------------
# Guards. Each returns a list of reasons (empty: the step may go).


@needs_input
def companion_eligible(ctx):
    companion = ctx.data.get("companion")
    if companion is None:
        return [_("Choose the companion.")]
    if not companion.is_active or Role.PENDAMPING not in roles_of(companion).on(ctx.case):
        return [_("The companion must be an active pendamping of this kelurahan.")]
    return []


@needs_input
def no_conflict_declared(ctx):
    if not ctx.data.get("no_conflict"):
        return [_("Record that the companion declared no conflict of interest.")]
    return []


@needs_input
def companion_changes(ctx):
    companion = ctx.data.get("companion")
    if companion is not None and companion.pk == ctx.case.companion_id:
        return [_("This companion is already assigned.")]
    return []


@needs_input
def reason_given(ctx):
    if not (ctx.data.get("reason") or "").strip():
        return [_("Give the reason.")]
    return []


@needs_input
def note_given(ctx):
    if not (ctx.data.get("note") or "").strip():
        return [_("Write a note for the companion.")]
    return []


@needs_input
def not_pursued_reason_given(ctx):
    if not ctx.data.get("not_pursued_reason"):
        return [_("Choose why the case is not pursued.")]
    return []


@needs_input
def closure_reason_given(ctx):
    reason = ctx.data.get("closure_reason")
    if not reason:
        return [_("Choose the closure reason.")]
    handled = reason == vocab.ClosureReason.HANDLED_BY_AGENCY
    if handled and not any(r.is_completed_handover for r in ctx.case.referrals.all()):
        return [
            _(
                "'Fully handled by an agency' needs a handover whose agency has recorded "
                "the outcome."
            )
        ]
    return []


# Guards read the case's related rows with .all(), so a page that prefetched them (the case
# page) evaluates every step's guards without a query of its own.


def no_open_referral(ctx):
    if any(r.is_open for r in ctx.case.referrals.all()):
        return [
            _(
                "There is an open referral. Wait for its outcome or cancel it first "
                "(drafts and returned referrals are cancelled automatically)."
            )
        ]
    return []


def no_referral_waiting_approval(ctx):
    if any(r.waits_for_approval for r in ctx.case.referrals.all()):
        return [_("A referral is waiting for the kelurahan staff's approval.")]
    return []


def every_victim_assessed(ctx):
    latest = {}
    for a in sorted(ctx.case.assessments.all(), key=lambda a: (a.assessed_at, a.pk)):
        latest[a.victim_id] = a
    missing = [v for v in ctx.victims() if v.pk not in latest or not latest[v.pk].needs]
    if not ctx.victims():
        return [_("The case has no victim recorded.")]
    return [
        _("%(victim)s: record the risk level and needs.") % {"victim": v.display_initials}
        for v in missing
    ]


def every_victim_consented(ctx):
    given = {
        c.victim_id
        for c in ctx.case.consents.all()
        if c.purpose == vocab.ConsentPurpose.SERVICES and c.is_effective
    }
    return [
        _("%(victim)s: record the consent to services.") % {"victim": v.display_initials}
        for v in ctx.victims()
        if v.pk not in given
    ]


def has_planned_action(ctx):
    if not any(a.status in LIVE_ACTION_STATES for a in ctx.case.actions.all()):
        return [_("There is no action in the case plan yet.")]
    return []


def four_eyes(ctx):
    if ctx.case.closure_requested_by_id == ctx.actor.pk:
        return [_("You proposed this closure; someone else must approve it (four eyes).")]
    return []


@hides
def is_emergency(ctx):
    if not ctx.case.is_emergency:
        return [_("Before assignment only an emergency case's first contact is recorded here.")]
    return []


@hides
def first_contact_not_recorded(ctx):
    if ctx.case.first_contact_at:
        return [_("The first contact is already recorded.")]
    return []


@needs_input
def victim_of_case(ctx):
    victim = ctx.data.get("victim")
    if victim is None or victim.case_id != ctx.case.pk:
        return [_("Choose a victim of this case.")]
    return []


@needs_input
def consent_giver_fits(ctx):
    """Who may consent (PROCEDURE.md guard 1; UU 27/2022 for children's data)."""
    d = ctx.data
    victim, giver = d.get("victim"), d.get("given_by")
    reasons = []
    if victim is None:
        return []
    if d.get("purpose") == vocab.ConsentPurpose.SHARE and not d.get("agency"):
        reasons.append(_("Choose the agency the data may be shared with."))
    if giver == vocab.ConsentGiver.GUARDIAN and not (d.get("giver_name") or "").strip():
        reasons.append(_("Write the name of the parent or guardian."))
    if victim.is_child:
        if giver not in (vocab.ConsentGiver.GUARDIAN, vocab.ConsentGiver.BEST_INTEREST):
            reasons.append(
                _(
                    "The victim is a child: consent is given by a parent or guardian, or as a "
                    "best-interest decision when the guardian is the alleged perpetrator."
                )
            )
        if not (d.get("child_view") or "").strip():
            reasons.append(_("Record the child's own view."))
    elif giver == vocab.ConsentGiver.GUARDIAN:
        reasons.append(_("A guardian consents only for a child."))
    supported_needed = bool(set(victim.disability_types or []) & SUPPORTED_DECISION_DISABILITIES)
    if giver == vocab.ConsentGiver.SUPPORTED:
        if not supported_needed:
            reasons.append(
                _(
                    "Supported decision-making is recorded for a person with an intellectual or "
                    "psychosocial disability."
                )
            )
        if not (d.get("giver_name") or "").strip():
            reasons.append(_("Write the name of the supporter the person chose."))
    elif supported_needed and not victim.is_child and giver == vocab.ConsentGiver.VICTIM:
        reasons.append(
            _(
                "The person has an intellectual or psychosocial disability: record a supported "
                "decision with the supporter they chose."
            )
        )
    if giver == vocab.ConsentGiver.BEST_INTEREST:
        agency = d.get("agency")
        if agency is None or agency.kind not in BEST_INTEREST_AGENCY_KINDS:
            reasons.append(
                _(
                    "A best-interest decision is allowed only for UPTD PPA, police or health "
                    "services: choose one of them as the agency."
                )
            )
    return reasons


@hides
def has_consent_in_force(ctx):
    if not any(c.withdrawn_at is None for c in ctx.case.consents.all()):
        return [_("No consent in force is recorded.")]
    return []


@hides
def has_best_interest_waiting(ctx):
    if not any(
        c.given_by == vocab.ConsentGiver.BEST_INTEREST
        and c.confirmed_at is None
        and c.withdrawn_at is None
        for c in ctx.case.consents.all()
    ):
        return [_("No best-interest decision waits for confirmation.")]
    return []


@hides
def has_actions(ctx):
    if not ctx.case.actions.all():
        return [_("There is no action in the case plan yet.")]
    return []


@needs_input
def consent_open(ctx):
    consent = ctx.data.get("consent")
    if consent is None or consent.case_id != ctx.case.pk or consent.withdrawn_at:
        return [_("Choose a consent entry of this case that is in force.")]
    return []


@needs_input
def consent_awaits_confirmation(ctx):
    consent = ctx.data.get("consent")
    if (
        consent is None
        or consent.case_id != ctx.case.pk
        or consent.given_by != vocab.ConsentGiver.BEST_INTEREST
        or consent.confirmed_at
        or consent.withdrawn_at
    ):
        return [_("Choose a best-interest decision that waits for confirmation.")]
    if consent.recorded_by_id == ctx.actor.pk:
        return [_("You recorded this decision; another person must confirm it (four eyes).")]
    return []


@needs_input
def action_of_case(ctx):
    action = ctx.data.get("planned_action")
    if action is None or action.case_id != ctx.case.pk:
        return [_("Choose an action of this case plan.")]
    return []


# ---------------------------------------------------------------------------------------------
# The table. Transitions first (in the order of PROCEDURE.md), then the recorded events.

R = lambda text: text  # noqa: E731 (readability: "requires" strings in the table)

STEPS = (
    Step(
        source=frozenset({S.RECEIVED}),
        target=S.ASSESSMENT,
        action="assign",
        label=_("Assign a companion"),
        roles=DECIDERS,
        guards=(companion_eligible, no_conflict_declared),
        requires=(
            R(_("The companion is an active pendamping of the same kelurahan")),
            R(_("The assigner records that the companion declared no conflict of interest")),
        ),
        fields=("companion", "no_conflict", "note"),
        clock="assign",
    ),
    Step(
        source=OPEN,
        target=None,
        action="reassign",
        label=_("Reassign the companion"),
        roles=DECIDERS,
        guards=(reason_given, companion_eligible, companion_changes, no_conflict_declared),
        requires=(
            R(_("A reason")),
            R(_("The new companion is an active pendamping of the same kelurahan")),
            R(_("The new companion declared no conflict of interest")),
        ),
        fields=("companion", "no_conflict", "reason"),
    ),
    Step(
        source=frozenset({S.RECEIVED, S.ASSESSMENT}),
        target=S.NOT_PURSUED,
        action="decline",
        label=_("Decline (not pursued)"),
        roles=DECIDERS,
        guards=(not_pursued_reason_given, no_open_referral),
        requires=(
            R(_("A reason (duplicate, not for the posko, cannot be verified, other)")),
            R(_("No open referral (drafts and returned referrals are cancelled)")),
        ),
        fields=("not_pursued_reason", "note"),
    ),
    Step(
        source=frozenset({S.ASSESSMENT}),
        target=S.HANDLING,
        action="complete_assessment",
        label=_("Complete assessment and plan"),
        roles=COMPANIONS,
        guards=(
            every_victim_assessed,
            every_victim_consented,
            has_planned_action,
        ),
        requires=(
            R(_("Risk level and needs recorded for every victim")),
            R(_("Consent to services recorded for every victim")),
            R(_("At least one action in the case plan")),
        ),
        fields=("note",),
        clock="plan",
    ),
    Step(
        source=frozenset({S.ASSESSMENT}),
        target=S.CLOSURE_REQUESTED,
        action="propose_closure",
        label=_("Propose closure"),
        roles=COMPANIONS,
        guards=(closure_reason_given, no_open_referral),
        requires=(
            R(_("A reason (victim refuses services, cannot be reached, moved away...)")),
            R(_("No open referral (drafts and returned referrals are cancelled)")),
        ),
        fields=("closure_reason", "note"),
    ),
    Step(
        source=frozenset({S.HANDLING}),
        target=S.MONITORING,
        action="start_monitoring",
        label=_("Start monitoring"),
        roles=COMPANIONS,
        guards=(no_referral_waiting_approval,),
        requires=(R(_("No referral waiting for approval")),),
        fields=("note",),
    ),
    Step(
        source=frozenset({S.MONITORING}),
        target=S.HANDLING,
        action="new_need",
        label=_("New need: back to handling"),
        roles=COMPANIONS,
        guards=(reason_given,),
        requires=(R(_("A reason")),),
        fields=("reason",),
    ),
    Step(
        source=frozenset({S.HANDLING, S.MONITORING}),
        target=S.CLOSURE_REQUESTED,
        action="propose_closure",
        label=_("Propose closure"),
        roles=COMPANIONS,
        guards=(closure_reason_given, no_open_referral),
        requires=(
            R(_("A closure reason")),
            R(
                _(
                    "No open referral (a handover counts as done once its agency records the "
                    "outcome; drafts and returned referrals are cancelled)"
                )
            ),
        ),
        fields=("closure_reason", "note"),
    ),
    Step(
        source=frozenset({S.CLOSURE_REQUESTED}),
        target=S.CLOSED,
        action="approve_closure",
        label=_("Approve closure"),
        roles=DECIDERS,
        guards=(four_eyes,),
        requires=(R(_("The approver is not the proposer (four eyes)")),),
        fields=("note",),
        clock="closure_decision",
    ),
    Step(
        source=frozenset({S.CLOSURE_REQUESTED}),
        target="return",
        action="return",
        label=_("Return the closure proposal"),
        roles=DECIDERS,
        guards=(note_given,),
        requires=(R(_("A note for the companion")),),
        fields=("note",),
        clock="closure_decision",
    ),
    Step(
        source=frozenset(vocab.FINAL_STATES),
        target=S.ASSESSMENT,
        action="reopen",
        label=_("Reopen"),
        roles=DECIDERS,
        guards=(reason_given,),
        requires=(
            R(_("A reason")),
            R(_("Goes back to assessment, or to received when no companion was ever assigned")),
        ),
        fields=("reason",),
    ),
    # --- Events: they feed the record and stop clocks, the state stays.
    Step(
        source=WORKING,
        target=None,
        action="first_contact",
        label=_("Record the first contact"),
        roles=COMPANIONS,
        guards=(first_contact_not_recorded,),
        requires=(R(_("When and how the victim was first contacted")),),
        fields=("contacted_at", "how", "note"),
        clock="first_contact",
        additive=True,
    ),
    Step(
        source=frozenset({S.RECEIVED}),
        target=None,
        action="first_contact",
        label=_("Record the first contact"),
        roles=DECIDERS,
        guards=(is_emergency, first_contact_not_recorded),
        requires=(R(_("Emergency case before a companion is assigned")),),
        fields=("contacted_at", "how", "note"),
        clock="first_contact",
        additive=True,
    ),
    Step(
        source=WORKING,
        target=None,
        action="assess",
        label=_("Record an assessment"),
        roles=COMPANIONS,
        guards=(victim_of_case,),
        requires=(
            R(
                _(
                    "Per victim: the risk questions and the needs by domain; "
                    "a reassessment adds a new version"
                )
            ),
        ),
        fields=("victim", "answers", "needs", "note"),
        additive=True,
    ),
    Step(
        source=WORKING,
        target=None,
        action="consent",
        label=_("Record consent"),
        roles=COMPANIONS,
        guards=(victim_of_case, consent_giver_fits),
        requires=(
            R(
                _(
                    "Per victim and purpose: who gave it (a child's guardian with the child's own "
                    "view; supported decision for an intellectual or psychosocial disability; "
                    "best-interest decision only for UPTD PPA, police or health), how and when"
                )
            ),
        ),
        fields=(
            "victim",
            "purpose",
            "agency",
            "shared_fields",
            "given_by",
            "giver_name",
            "child_view",
            "how",
            "given_at",
        ),
        additive=True,
    ),
    Step(
        source=OPEN,
        target=None,
        action="withdraw_consent",
        label=_("Record a withdrawal of consent"),
        roles=COMPANIONS,
        guards=(has_consent_in_force, consent_open),
        requires=(R(_("The consent entry and a note")),),
        fields=("consent", "note"),
    ),
    Step(
        source=OPEN,
        target=None,
        action="confirm_consent",
        label=_("Confirm a best-interest decision"),
        roles=frozenset({Role.KOORDINATOR}),
        guards=(has_best_interest_waiting, consent_awaits_confirmation),
        requires=(R(_("Confirmed by the coordinator, not by the person who recorded it")),),
        fields=("consent",),
    ),
    Step(
        source=WORKING,
        target=None,
        action="plan_action",
        label=_("Add an action to the case plan"),
        roles=COMPANIONS,
        guards=(victim_of_case,),
        requires=(
            R(_("Per victim: service, provider (LBK-KK or an agency), target date")),
            R(_("Never mediation for sexual violence (UU 12/2022 art. 23)")),
        ),
        fields=("victim", "service_type", "agency", "target_date", "note"),
        additive=True,
    ),
    Step(
        source=WORKING,
        target=None,
        action="action_status",
        label=_("Update an action's status"),
        roles=COMPANIONS,
        guards=(has_actions, action_of_case),
        requires=(R(_("The action and its new status")),),
        fields=("planned_action", "status"),
    ),
    Step(
        source=OPEN,
        target=None,
        action="visit",
        label=_("Record a visit or note"),
        roles=COMPANIONS,
        guards=(),
        requires=(
            R(
                _(
                    "Kind, date, notes, next visit; confidential notes are seen only by the "
                    "companion and the coordinator"
                )
            ),
        ),
        fields=("victim", "kind", "visited_on", "text", "next_visit_on", "confidential"),
        clock="visit",
        additive=True,
    ),
    Step(
        source=frozenset({S.HANDLING, S.MONITORING}),
        target=None,
        action="recovery",
        label=_("Update the recovery checklist"),
        roles=COMPANIONS,
        guards=(victim_of_case,),
        requires=(R(_("Per victim: the recovery and reintegration items reached")),),
        fields=("victim", "items"),
    ),
    # --- Corrections and files: every write to a case goes through the same engine.
    Step(
        source=NOT_FINAL,
        target=None,
        action="edit_intake",
        label=_("Correct the intake data"),
        roles=FULL_RECORD | {REGISTRAR},
        requires=(
            R(
                _(
                    "The companion, coordinator or kelurahan staff; the volunteer who registered "
                    "the complaint until a companion is assigned. Every change is kept in the "
                    "change history"
                )
            ),
        ),
    ),
    Step(
        source=NOT_FINAL,
        target=None,
        action="attach",
        label=_("Attach a file"),
        roles=FULL_RECORD,
        requires=(R(_("A photo or scan, checked and cleaned of location data")),),
        additive=True,
    ),
)

TRANSITIONS = tuple(s for s in STEPS if s.target is not None or s.action == "reassign")
EVENTS = tuple(s for s in STEPS if s not in TRANSITIONS)


# ---------------------------------------------------------------------------------------------
# Who is who on a case.


def actor_roles(case, user):
    """The roles and pseudo-roles the user holds on this case."""
    held = set(roles_of(user).on(case))
    out = set(held)
    if held & STAFF_ROLES:
        out.add(STAFF)
    if acts_as_companion(user, case, held):
        out.add(COMPANION)
    if (
        held & {Role.RELAWAN, Role.PENDAMPING}
        and case.registered_by_id == user.pk
        and not case.ever_assigned
    ):
        out.add(REGISTRAR)
    return frozenset(out)


class CaseTable(engine.Table[Case]):
    key = "case"
    title = _("Case procedure")
    steps = STEPS

    # The Case fields the procedure's effects may change (never anything a form posted).
    PROCEDURE_FIELDS = (
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
    )

    def lock(self, subject):
        return Case.objects.select_for_update().get(pk=subject.pk)

    def case_of(self, subject):
        return subject

    def state_of(self, subject):
        return subject.status

    def state_label(self, state):
        return str(S(state).label)

    def roles(self, subject, actor):
        return actor_roles(subject, actor)

    def target_of(self, step, ctx):
        """ "return" restores the state stored when closure was proposed; reopen goes back to
        received when no companion was ever assigned."""
        case = ctx.subject
        if step.target == "return":
            return case.status_before_closure or S.HANDLING
        if step.action == "reopen" and not case.ever_assigned:
            return S.RECEIVED
        return step.target

    def wrong_state_message(self, state):
        return str(
            _(
                "This action is not possible while the case is '%(status)s'. Someone may "
                "have changed the case in the meantime: reload the page."
            )
            % {"status": S(state).label}
        )

    def not_allowed_message(self):
        return str(_("You may not take this action on this case."))

    def stale_message(self):
        return str(
            _(
                "Someone changed this case while you were looking at it. Check the page "
                "again and repeat the action if it is still needed."
            )
        )

    def finish(self, ctx, *, from_state, to_state, changed_state):
        case = ctx.subject
        fields = set(ctx.outcome.fields)
        if changed_state:
            from . import state_counts

            state_counts.move(case.kelurahan_id, case.is_roleplay, from_state, to_state)
            case.status = to_state
            case.status_changed_at = ctx.now
            if ctx.step.target == "return":
                case.status_before_closure = ""
            fields |= set(self.PROCEDURE_FIELDS)
        if not ctx.step.additive:
            case.version += 1
            fields.add("version")
        if fields:
            set_history_user(case, ctx.actor).save(update_fields=sorted(fields))

    def timeline(self, ctx, *, kind, from_state, to_state, changed_state):
        from .models import CaseEvent

        payload = ctx.outcome.payload
        return CaseEvent.objects.create(
            case=ctx.subject,
            kelurahan_id=ctx.subject.kelurahan_id,
            kind=kind,
            action=ctx.step.action,
            # Only a change of state carries from/to; an event keeps the state.
            from_status=from_state if changed_state else "",
            to_status=to_state if changed_state else "",
            actor=ctx.actor,
            at=ctx.now,
            note=ctx.outcome.note or "",
            confidential=bool(payload.get("confidential")),
            data=payload,
        )


CASE = engine.register(CaseTable())


def available_steps(case, user):
    """Steps this user may take on this case now (by state and role; guards run on firing).
    Corrections and attachments have their own pages and buttons."""
    return [
        s for s in CASE.available_steps(case, user) if s.action not in ("edit_intake", "attach")
    ]


def pending_reasons(case, user, step):
    return CASE.pending_reasons(case, user, step)


def warnings(case):
    """Warnings that do not block (PROCEDURE.md guard 3): a child victim of violence without an
    action provided by UPTD PPA or DP3A."""
    if not case.is_violence:
        return []
    victims = [v for v in case.victims.all() if v.is_child]
    if not victims:
        return []
    covered = {
        a.victim_id
        for a in case.actions.all()
        if a.agency_id
        and a.agency.kind in CHILD_PROTECTION_AGENCY_KINDS
        and a.status in LIVE_ACTION_STATES
    }
    return [
        _(
            "%(victim)s is a child victim of violence: plan an action with UPTD PPA or DP3A as "
            "provider."
        )
        % {"victim": v.display_initials}
        for v in victims
        if v.pk not in covered
    ]


# ---------------------------------------------------------------------------------------------
# Deadline clocks (defaults; each place's mechanism version may set its own, mechanism/models.py).

CLOCKS = (
    Clock(
        key="assign",
        label=_("Assign a companion"),
        starts=_("Case registered"),
        stops=_("Companion assigned"),
        who=_("Coordinator, kelurahan staff"),
        default_hours=24,
        extra={"roles": DECIDERS},
    ),
    Clock(
        key="first_contact",
        label=_("First contact"),
        starts=_("Companion assigned (emergency: case registered)"),
        stops=_("First contact recorded"),
        who=_("Companion (emergency before assignment: coordinator, kelurahan staff)"),
        default_hours=72,
        emergency_hours=2,
        extra={"roles": COMPANIONS},
    ),
    Clock(
        key="plan",
        label=_("Case plan"),
        starts=_("Companion assigned"),
        stops=_("Case in handling"),
        who=_("Companion"),
        default_hours=7 * 24,
        extra={"roles": COMPANIONS},
    ),
    Clock(
        key="visit",
        label=_("Next visit"),
        starts=_("Last visit (or start of monitoring)"),
        stops=_("Next visit recorded"),
        who=_("Companion"),
        default_hours=14 * 24,
        extra={"roles": COMPANIONS},
    ),
    Clock(
        key="closure_decision",
        label=_("Closure decision"),
        starts=_("Closure requested"),
        stops=_("Closed or returned"),
        who=_("Coordinator, kelurahan staff"),
        default_hours=72,
        extra={"roles": DECIDERS},
    ),
    # A public submission (public app) is not a case: this clock's rows have no case (ClockRun
    # .submission, written by public_channel/services.py), and wait on the coordinator. Urgent
    # (someone in danger now): 2 hours counted within service hours.
    Clock(
        key="verify_public",
        label=_("Verify a public submission"),
        starts=_("Public submission received"),
        stops=_(
            "Registered as a case or declined (urgent, someone in danger now: 2 hours counted "
            "within service hours)"
        ),
        who=_("Coordinator"),
        default_hours=72,
        emergency_hours=2,
        extra={"roles": frozenset({Role.KOORDINATOR})},
    ),
)
CLOCKS_BY_KEY = {c.key: c for c in CLOCKS}
CASE.clocks = CLOCKS

ROLE_WORDS = {
    COMPANION: _("Companion (or the coordinator)"),
    REGISTRAR: _("The volunteer who registered it, until a companion is assigned"),
    STAFF: _("Kasi Kesra, Lurah"),
    Role.KOORDINATOR: _("Coordinator"),
    "agency": _("Agency officer"),
    "system": _("The app (automatic)"),
}


def who_in_words(roles):
    order = [Role.KOORDINATOR, STAFF, COMPANION, REGISTRAR, "agency", "system"]
    words = [str(ROLE_WORDS[r]) for r in order if r in roles]
    words += [str(Role(r).label) for r in roles if r not in order and r in Role.values]
    return ", ".join(words)


def label_of_action(action):
    steps = CASE.by_action.get(action)
    return str(steps[0].label) if steps else action
