"""The referral procedure as one table (PROCEDURE.md "Referrals"): states, steps, guards, clocks.

Reviewable against the SK Lurah; no database writes here. referrals/services.py fires the steps,
the case page and the agency inbox draw their buttons from `available_steps`, and the printed
"Alur Penanganan" imports STEPS and CLOCKS.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from django.utils.translation import gettext_lazy as _

from accounts.models import Agency
from cases import vocab
from cases.workflow_types import AGENCY, COMPANION, STAFF, SYSTEM, Clock, Step
from cases.workflow_types import TransitionRefused as TransitionRefused  # one class for both tables

from .models import Kind, Outcome, State

# Case states in which a referral may be requested or approved; an emergency also in received.
REFERRAL_CASE_STATES = frozenset(
    {vocab.Status.ASSESSMENT, vocab.Status.HANDLING, vocab.Status.MONITORING}
)
EMERGENCY_CASE_STATES = REFERRAL_CASE_STATES | {vocab.Status.RECEIVED}
# A handover passes case management to one of these.
HANDOVER_AGENCY_KINDS = frozenset({Agency.Kind.UPTD_PPA, Agency.Kind.DINSOS})


@dataclass
class Context:
    referral: object
    actor: object
    roles: frozenset  # pseudo-roles the actor holds on this referral (referrals.access)
    data: dict = field(default_factory=dict)


def consents_for(victim, agency):
    """(services consent in force, share consent in force, fields the victim agreed to share)."""
    services = share = False
    fields = set()
    for c in victim.consents.all():
        if not c.is_effective:
            continue
        if c.purpose == vocab.ConsentPurpose.SERVICES:
            services = True
        elif c.purpose == vocab.ConsentPurpose.SHARE and c.agency_id == agency.pk:
            share = True
            fields |= set(c.shared_fields or [])
    return services, share, fields


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


def consent_given(ctx):
    r = ctx.referral
    services, share, fields = consents_for(r.victim, r.agency)
    reasons = []
    if not services:
        reasons.append(_("The victim's consent to receive services is not recorded."))
    if not share:
        reasons.append(
            _("The victim's consent to share data with %(agency)s is not recorded.")
            % {"agency": r.agency.name}
        )
    extra = set(r.shared_fields or []) - fields
    if share and extra:
        reasons.append(
            _("The victim did not agree to share with this agency: %(fields)s.")
            % {"fields": ", ".join(str(vocab.SharedField(f).label) for f in sorted(extra))}
        )
    return reasons


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


STEPS = (
    Step(
        source=frozenset({State.DRAFT, State.RETURNED}),
        target=State.REQUESTED,
        action="request",
        label=_("Request approval"),
        roles=frozenset({COMPANION}),
        guards=(case_allows_referral, action_fits, consent_given),
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
        guards=(four_eyes, case_allows_referral),
        requires=(
            _("not the requester (four eyes)"),
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
        source=frozenset({State.APPROVED}),
        target=State.SENT,
        action="send",
        label=_("Record sending"),
        roles=frozenset({SYSTEM, COMPANION}),
        guards=(agency_without_users, how_and_when),
        requires=(
            _("automatic for agencies with users; the companion records how and when otherwise"),
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
        guards=(awaits_ratification, four_eyes_emergency),
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
        roles=frozenset({STAFF}),
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
        roles=frozenset({COMPANION}),
        guards=(reason_given,),
        requires=(_("before approval; reason required"),),
        fields=("reason",),
    ),
    Step(
        source=frozenset({State.APPROVED, State.SENT}),
        target=State.CANCELLED,
        action="cancel",
        label=_("Cancel the referral"),
        roles=frozenset({STAFF}),
        guards=(not_awaiting_ratification, reason_given),
        requires=(_("after approval; reason required; the letter number stays used"),),
        fields=("reason",),
    ),
)

STEPS_BY_ACTION = {s.action: s for s in STEPS}
# How each timeline entry of a referral reads (step labels, plus the events that are not steps).
EVENT_LABELS = {
    "create": _("Draft prepared"),
    "emergency": _("Emergency referral recorded"),
    **{s.action: s.label for s in STEPS},
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


def clock_hours(kelurahan, key, settings_map=None):
    """The kelurahan's deadline in hours (cases.models.ClockSetting), else the default."""
    if settings_map is None:
        from cases.models import ClockSetting

        row = ClockSetting.objects.filter(kelurahan=kelurahan, key=key).first()
        return row.hours if row else CLOCKS_BY_KEY[key].default_hours
    return settings_map.get((kelurahan.pk if hasattr(kelurahan, "pk") else kelurahan, key)) or (
        CLOCKS_BY_KEY[key].default_hours
    )


def running_clock(referral):
    """(key, started_at) of the clock running on the referral, or None."""
    if referral.state == State.REQUESTED and referral.requested_at:
        return "referral_decision", referral.requested_at
    if referral.awaits_ratification:
        return "ratify", referral.emergency_at or referral.created_at
    if referral.state == State.SENT and referral.sent_at:
        return "agency_ack", referral.sent_at
    return None


def due_at(referral, settings_map=None):
    running = running_clock(referral)
    if running is None:
        return None
    key, start = running
    return start + timedelta(hours=clock_hours(referral.kelurahan_id, key, settings_map))


def steps_from(state):
    return [s for s in STEPS if state in s.source]


def _applies(step, referral, roles):
    """Whether the step makes sense for this referral and actor at all (a button is shown);
    guards that depend on the case, consent or typed input still refuse with their reasons."""
    if step.action == "send":
        return COMPANION in roles and not referral.agency.has_users
    if step.action in ("ratify", "refuse"):
        return referral.awaits_ratification
    if step.action == "cancel":
        return not referral.awaits_ratification
    if step.action in ("acknowledge", "complete", "decline"):
        return AGENCY in roles or not referral.agency.has_users
    return True


def available_steps(referral, roles):
    """Steps the holder of these pseudo-roles may fire on the referral now (before guards)."""
    return [
        s for s in steps_from(referral.state) if s.roles & roles and _applies(s, referral, roles)
    ]


def check(step, ctx):
    reasons = []
    for guard in step.guards:
        reasons.extend(guard(ctx))
    return reasons
