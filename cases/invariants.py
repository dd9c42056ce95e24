"""The rules that must hold at the moment of their effect, declared once and checked by the engine
(cases/engine.py) before every effect they protect, whatever door the request came through: a
form, a hand-made POST, a cascade, the demo data, a test.

1. CLOSED_READ_ONLY   a closed or not-pursued case is read-only until reopened.
2. DISCLOSURE         what an agency receives is covered by consent in force at that moment.
3. NO_MEDIATION       no live mediation action on a case of sexual violence, ever.
4. RECIPIENTS         whoever is told about a case or referral can see it when it is delivered
                      (checked by notifications.services when the message is made and sent).
5. Idempotency        the same form sent twice makes one record (the engine itself).

The cases app reads referrals only through the related managers (case.referrals,
victim.referrals), never by importing the referrals app.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

from lbk.history import set_history_user

from . import engine, vocab
from .engine import Invariant, invariant, needs_input

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from accounts.models import Agency
    from notifications.models import Notification

    # For the type checker only: at run time the cases app never imports the referrals app.
    from referrals.models import Referral

    from .engine import AnyCtx, Ctx, Reasons
    from .models import Case, Victim

# Plan actions that still count (not cancelled out by the victim or the service).
LIVE_ACTION_STATES = frozenset(
    {vocab.ActionStatus.PLANNED, vocab.ActionStatus.IN_PROGRESS, vocab.ActionStatus.DONE}
)

# ---------------------------------------------------------------------------------------------
# 1. A closed or not-pursued case is read-only until it is reopened.

CLOSED_MESSAGE = _(
    "This case is closed: it can be read but not changed. Reopen it first if something must be "
    "added or corrected."
)
NOT_PURSUED_MESSAGE = _(
    "This case was not pursued: it can be read but not changed. Reopen it first if something "
    "must be added or corrected."
)


def _case_open(ctx: AnyCtx) -> Reasons:
    status = ctx.case.status
    if status == vocab.Status.CLOSED:
        return [CLOSED_MESSAGE]
    if status == vocab.Status.NOT_PURSUED:
        return [NOT_PURSUED_MESSAGE]
    return []


CLOSED_READ_ONLY = invariant(
    Invariant(
        key="closed_read_only",
        text=_(
            "A closed or not-pursued case is read-only until it is reopened: intake edits, "
            "procedure events, attachments and referral steps are refused."
        ),
        applies=lambda table, step: not (table.key == "case" and step.action == "reopen"),
        check=_case_open,
        first=True,
    )
)

# ---------------------------------------------------------------------------------------------
# 2. Disclosure to an agency is covered by consent in force (PROCEDURE.md guard 1).

# Best-interest decisions stand in for consent only for these agencies (PROCEDURE.md guard 1).
BEST_INTEREST_AGENCY_KINDS = frozenset({"uptd_ppa", "police", "health"})
# What PROCEDURE.md allows an agency to see without consent (the emergency route).
WITHOUT_CONSENT = ("initials", "sex", "age")


def consents_for(victim: Victim, agency: Agency) -> tuple[bool, bool, set[str]]:
    """(services consent in force, share consent in force for this agency, fields the victim
    agreed to share with it). A best-interest decision counts only when confirmed, and only for
    UPTD PPA, police or health services."""
    services = share = False
    fields: set[str] = set()
    for c in victim.consents.all():
        if not c.is_effective:
            continue
        if (
            c.given_by == vocab.ConsentGiver.BEST_INTEREST
            and agency.kind not in BEST_INTEREST_AGENCY_KINDS
        ):
            continue
        if c.purpose == vocab.ConsentPurpose.SERVICES:
            services = True
        elif c.purpose == vocab.ConsentPurpose.SHARE and c.agency_id == agency.pk:
            share = True
            fields |= set(c.shared_fields or [])
    return services, share, fields


def consent_reasons(victim: Victim, agency: Agency, wanted: Iterable[str] | None = ()) -> Reasons:
    """Why consent in force does not cover sharing `wanted` with the agency ([] when it does)."""
    services, share, fields = consents_for(victim, agency)
    reasons: Reasons = []
    if not services:
        reasons.append(_("The victim's consent to receive services is not recorded."))
    if not share:
        reasons.append(
            _("The victim's consent to share data with %(agency)s is not recorded.")
            % {"agency": agency.name}
        )
    extra = set(wanted or []) - fields
    if share and extra:
        reasons.append(
            _("The victim did not agree to share with this agency: %(fields)s.")
            % {"fields": ", ".join(str(vocab.SharedField(f).label) for f in sorted(extra))}
        )
    return reasons


def covered(referral: Referral) -> bool:
    """Consent in force covers the referral's disclosure now (services, sharing, its fields)."""
    return not consent_reasons(referral.victim, referral.agency, referral.shared_fields)


def shown_to_agency(referral: Referral) -> list[str]:
    """The shared fields the agency may see now: what the referral shares and consent in force
    allows. Without consent, nothing beyond WITHOUT_CONSENT (always shown)."""
    _services, share, consented = consents_for(referral.victim, referral.agency)
    if not (share and _services):
        return []
    return [
        f
        for f in vocab.SharedField.values
        if f in (referral.shared_fields or []) and f in consented
    ]


def summary_shown_to_agency(referral: Referral) -> bool:
    """The summary written for the agency: with consent in force, or for an emergency referral
    (PROCEDURE.md: initials, sex, age and the emergency summary)."""
    return referral.is_emergency or covered(referral)


def agency_may_download_letter(referral: Referral) -> bool:
    """An agency downloads the stored letter while consent still covers what it shows; a letter
    issued without consent (emergency ratified before consent) shows only what needs none."""
    return not referral.letter_with_consent or covered(referral)


def letter_disclosure(referral: Referral) -> tuple[list[str], bool]:
    """What a letter rendered now may show (DISCLOSURE at rendering time, which comes after the
    approval that froze it): the fields frozen at approval that consent in force still allows,
    and whether consent still covers the referral. Consent withdrawn meanwhile narrows the
    letter to what PROCEDURE.md allows without consent; it never refuses the rendering (the
    number is issued)."""
    frozen = list(referral.letter_shared_fields or [])
    allowed = set(shown_to_agency(referral))
    return [f for f in frozen if f in allowed], bool(referral.letter_with_consent) and covered(
        referral
    )


GROUND_MISSING = _(
    "Without the victim's consent an emergency referral is possible only when the victim is in "
    "danger now or injured and needs care now: record which."
)
# The referral steps that disclose to the agency: what the companion asks for, what the staff
# approves (the letter), what is sent (the inbox), and the emergency route.
DISCLOSING = frozenset({"request", "approve", "send", "emergency"})


def _disclosure(ctx: Ctx[Referral]) -> Reasons:
    r = ctx.subject
    assert ctx.step is not None  # the engine sets the step before any invariant
    if ctx.step.action == "emergency":
        if covered(r) or r.emergency_ground:
            return []
        return [GROUND_MISSING]
    if r.is_emergency:
        # Already with the agency by the emergency route; consent may follow (ratify shows
        # only what it allows by then).
        return []
    return consent_reasons(r.victim, r.agency, r.shared_fields)


DISCLOSURE = invariant(
    Invariant(
        key="disclosure",
        text=_(
            "A disclosure to an agency (request, approval, letter, sending, what the agency sees) "
            "is covered by consent in force at that moment for that victim, agency and those "
            "fields; an emergency referral without consent only for danger now or an injury "
            "needing care, and then the agency sees only initials, sex, age and the summary. "
            "When consent is withdrawn, the agency's view shrinks at once and it can no longer "
            "download the letter."
        ),
        applies=lambda table, step: table.key == "referral" and step.action in DISCLOSING,
        check=_disclosure,
        after=None,
    )
)


def consent_withdrawn(ctx: Ctx[Case]) -> None:
    """After a withdrawal: every referral already delivered whose disclosure consent no longer
    covers is noted on the timeline, and its companion is told to inform the agency (nothing
    already delivered is recalled; the agency's view and download shrink by the rules above)."""
    from .models import CaseEvent, Consent

    consent = ctx.outcome.result
    assert isinstance(consent, Consent)  # what "withdraw_consent" returns
    affected = [
        r
        for r in ctx.case.referrals.filter(victim_id=consent.victim_id, sent_at__isnull=False)
        .exclude(state="cancelled")
        .select_related("agency", "victim")
        if (consent.purpose == vocab.ConsentPurpose.SERVICES or r.agency_id == consent.agency_id)
        and not covered(r)
    ]
    for r in affected:
        CaseEvent.objects.create(
            case=ctx.case,
            kelurahan_id=ctx.case.kelurahan_id,
            kind=CaseEvent.Kind.CONSENT,
            action="consent_withdrawn_referral",
            actor=ctx.actor,
            at=ctx.now,
            note=str(
                _(
                    "Consent withdrawn: %(agency)s now sees only initials, sex and age of this "
                    "referral and can no longer download its letter. Inform the agency."
                )
                % {"agency": r.agency.name}
            ),
            data={"referral": r.pk, "agency": r.agency_id},
        )
        _tell_companion(
            ctx,
            r,
            _(
                "Consent was withdrawn for the referral of case %(case)s to %(agency)s: "
                "inform the agency."
            ),
        )


def _tell_companion(ctx: Ctx[Case], referral: Referral, text: StrOrPromise) -> None:
    from django.utils.translation import override

    from notifications.services import notify

    from .access import companion_and_coordinators

    with override("id"):
        message = str(text % {"case": ctx.case.number, "agency": referral.agency.name})
    notify(
        companion_and_coordinators(ctx.case),
        subject=referral,
        kind="consent_withdrawn",
        text=message,
        kelurahan_id=ctx.case.kelurahan_id,
    )


CONSENT_WITHDRAWAL = invariant(
    Invariant(
        key="disclosure_withdrawn",
        text=_(
            "A withdrawal of consent reduces at once what each agency already reached sees, "
            "notes it on the timeline and tells the companion to inform the agency."
        ),
        applies=lambda table, step: table.key == "case" and step.action == "withdraw_consent",
        after=consent_withdrawn,
    )
)

# ---------------------------------------------------------------------------------------------
# 3. No live mediation action on a case of sexual violence (UU 12/2022 art. 23).

MEDIATION_REFUSED = _(
    "Mediation is not allowed for sexual-violence cases (UU 12/2022 art. 23): a sexual-violence "
    "case may not be settled outside the judicial process. For child perpetrators the only "
    "exception is diversion (UU 11/2012) by law enforcement, never a settlement by the posko."
)
MEDIATION_STOPPED = _(
    "Mediation stopped: the case is now recorded as sexual violence, which may not be settled "
    "outside the judicial process (UU 12/2022 art. 23)."
)
MEDIATION = vocab.ServiceType.MEDIATION


@needs_input
def _mediation(ctx: AnyCtx) -> Reasons:
    if not ctx.case.is_sexual_violence:
        return []
    assert ctx.step is not None
    action, data = ctx.step.action, ctx.data
    if ctx.table.key == "case":
        if action == "plan_action":
            wanted = data.get("service_type") == MEDIATION
        elif action == "action_status":
            pa = data.get("planned_action")
            wanted = (
                pa is not None
                and pa.service_type == MEDIATION
                and data.get("status") in LIVE_ACTION_STATES
            )
        else:
            wanted = False
    elif action == "emergency":
        wanted = data.get("service_type") == MEDIATION
    else:
        pa = getattr(ctx.subject, "action", None)
        wanted = pa is not None and pa.service_type == MEDIATION
    return [MEDIATION_REFUSED] if wanted else []


def stop_mediation(ctx: AnyCtx) -> None:
    """After an intake edit that makes the case one of sexual violence (the facts are never
    refused): every live mediation action stops in the same transaction, the timeline records
    it, the companion and the coordinator are told, and other apps react (open referrals for
    those actions are cancelled)."""
    from .models import CaseEvent

    case = ctx.case
    if not case.is_sexual_violence:
        return
    live = list(
        case.actions.select_for_update().filter(
            service_type=MEDIATION, status__in=LIVE_ACTION_STATES
        )
    )
    if not live:
        return
    reason = str(MEDIATION_STOPPED)
    for pa in live:
        before = pa.status
        pa.status = vocab.ActionStatus.NOT_NEEDED
        pa.note = f"{pa.note}\n{reason}".strip()
        pa.version += 1
        set_history_user(pa, ctx.actor).save(update_fields=["status", "note", "version"])
        CaseEvent.objects.create(
            case=case,
            kelurahan_id=case.kelurahan_id,
            kind=CaseEvent.Kind.PLAN,
            action="mediation_stopped",
            actor=ctx.actor,
            at=ctx.now,
            note=reason,
            data={"action": pa.pk, "from": before, "to": pa.status},
        )
    from django.utils.translation import override

    from notifications.services import notify

    from .access import companion_and_coordinators

    with override("id"):
        text = str(
            _("Case %(case)s: mediation stopped (sexual violence, UU 12/2022 art. 23).")
            % {"case": case.number}
        )
    notify(
        companion_and_coordinators(case),
        subject=case,
        kind="mediation_stopped",
        text=text,
        kelurahan_id=case.kelurahan_id,
    )
    engine.emit("case.mediation_stopped", ctx, actions=live, reason=reason)


NO_MEDIATION = invariant(
    Invariant(
        key="no_mediation",
        text=_(
            "No live mediation action on a case of sexual violence (UU 12/2022 art. 23): "
            "planning, re-activating or referring mediation is refused; an intake edit that adds "
            "sexual violence is accepted and stops every live mediation action."
        ),
        applies=lambda table, step: (
            (table.key, step.action)
            in {
                ("case", "plan_action"),
                ("case", "action_status"),
                ("case", "edit_intake"),
                ("referral", "create"),
                ("referral", "emergency"),
                ("referral", "request"),
                ("referral", "approve"),
                ("referral", "send"),
            }
        ),
        check=_mediation,
        after=stop_mediation,
    )
)

# ---------------------------------------------------------------------------------------------
# 4. Whoever receives a message about a case or a referral can see it when it is delivered.

RECIPIENTS = invariant(
    Invariant(
        key="recipients",
        text=_(
            "Everyone who receives a notification or e-mail can see, when it is delivered, the "
            "case or referral it is about: recipients come from the access rules when the "
            "message is made and are checked again when an e-mail is sent; a message to someone "
            "who lost access is dropped and recorded."
        ),
        # Not tied to a step: notifications.services.notify and the outbox's e-mail sender
        # (notifications.services.deliver_email) check it through `deliverable` and the access
        # rules each app registers (cases.access, referrals.access).
        applies=lambda table, step: False,
    )
)


def deliverable(notification: Notification) -> bool:
    """RECIPIENTS at the moment an e-mail copy is sent: the recipient is active and may still
    see the case or referral the notification is about."""
    from notifications.services import still_allowed

    return still_allowed(notification)
