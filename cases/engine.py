"""The one procedure engine. Both procedure tables, the case procedure (cases/workflow.py) and the
referral procedure (referrals/workflow.py), are declared with the shapes of this module and every
write to a case or a referral goes through `fire`, whatever door the request came through:

1. lock the rows (the case first, then the referral), in one transaction;
2. the same form sent twice (back button, double tap, two tabs, a POST by hand) gives the first
   result back (`AlreadyDone`) instead of a second record;
3. find the step (known action, allowed in this state, for this actor's roles), run its guards
   and every invariant (cases/invariants.py) that protects its effect: any reason refuses it;
4. steps that change existing data check the version the user saw; additive ones (a visit, an
   attachment...) never fail because someone else added something meanwhile;
5. apply the step's effect, change the state, save, write the immutable timeline entry;
6. run what the invariants keep after the effect, then the reactions other apps registered for
   the step (e.g. drafts cancelled when a case closes).

A refused step raises TransitionRefused with the reasons and writes nothing.

No table knows the other: the referrals app registers its table and its reactions here, so the
cases app never imports the referrals app (it reads referrals through the related manager).
"""

from __future__ import annotations

import contextvars
import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# Actors of a step. Role codes (accounts.models.Role) and these pseudo-roles, resolved against
# the subject by its table's `roles`:
COMPANION = "companion"  # the case's assigned pendamping (the kelurahan's koordinator may too)
STAFF = "staff"  # kelurahan staff: kasi_kesra and lurah
AGENCY = "agency"  # an officer of the agency a referral is addressed to
SYSTEM = "system"  # done by the app itself (e.g. sending to an agency with users)
REGISTRAR = "registrar"  # who registered the complaint, until a companion is assigned

# The state of a subject that does not exist yet (a referral being created).
NEW = "new"


class TransitionRefused(Exception):  # noqa: N818 (the name the design uses)
    """A step refused: `reasons` are the guards' and invariants' messages; nothing was written."""

    def __init__(self, reasons: Iterable[Any]):
        self.reasons = [str(r) for r in reasons]
        super().__init__("; ".join(self.reasons))


class Stale(TransitionRefused):
    """The record changed after the user loaded the form (the version they saw is old)."""


class AlreadyDone(Exception):  # noqa: N818
    """The same form was already sent and done: `record` is its SubmittedForm row (the subject
    and the object it created), so the door can show the result instead of doing it twice."""

    def __init__(self, record):
        self.record = record
        super().__init__(f"{record.table}.{record.action} already done")


ALREADY_DONE_MESSAGE = _(
    "This form had already been sent and was recorded once; it was not recorded a second time."
)

# A guard looks at a Ctx and returns the reasons it refuses (translatable strings); [] lets go.
Guard = Callable[["Ctx"], list]


def hides(guard: Guard) -> Guard:
    """A guard that hides its step while it refuses (e.g. a first contact already recorded):
    offering a button that can only be refused helps nobody."""
    guard.hides = True  # type: ignore[attr-defined]
    return guard


def needs_input(guard: Guard) -> Guard:
    """A guard that judges the submitted data (it cannot be evaluated before the POST)."""
    guard.needs_input = True  # type: ignore[attr-defined]
    return guard


@dataclass(frozen=True)
class Step:
    source: frozenset  # states the step may start from
    target: str | None  # None: the state does not change; "return": back to the stored state
    action: str  # URL slug and button name
    label: Any  # translatable label of the button and of the printed step
    roles: frozenset  # who may fire it (role codes and pseudo-roles above)
    guards: tuple = ()
    # The guards in words, for the printed procedure (Alur Penanganan), one string per guard.
    requires: tuple = ()
    # Names of the fields the step's form asks for (note, reason, ...).
    fields: tuple = ()
    # Key of the deadline clock this step answers (for the printed table), if any.
    clock: str | None = None
    # Adds a record (a visit, an attachment...) without changing existing data: no version check.
    additive: bool = False
    # Shown in the printed procedure and in the tests, but fired only by other steps or the app.
    internal: bool = False


@dataclass(frozen=True)
class Clock:
    key: str
    label: Any
    starts: Any  # the start event, in words
    stops: Any  # the stop event, in words
    who: Any  # who must act, in words
    default_hours: int
    emergency_hours: int | None = None  # a shorter deadline for emergency cases, if any
    extra: dict = field(default_factory=dict)


@dataclass
class Outcome:
    """What an effect did: the timeline payload and note, the subject's fields it changed (saved
    by the engine with the state), and the object it created, if any."""

    payload: dict = field(default_factory=dict)
    note: str = ""
    fields: tuple = ()
    result: Any = None
    # The step changed nothing (e.g. a draft saved as it was): no save, no timeline entry.
    nothing: bool = False


@dataclass(frozen=True)
class Effect:
    apply: Callable[[Ctx], Outcome]
    kind: str = ""  # the timeline kind (cases.models.CaseEvent.Kind)
    # Runs after the state change and the timeline entry (e.g. the letter, the notifications).
    then: Callable[[Ctx], None] | None = None


@dataclass
class Ctx:
    """What guards, invariants and effects look at: the table, the subject (locked when firing),
    its case, the actor and their roles on the subject, the submitted data."""

    table: Table
    subject: Any
    case: Any
    actor: Any
    roles: frozenset
    data: dict = field(default_factory=dict)
    step: Step | None = None
    now: Any = None
    system: bool = False
    outcome: Outcome | None = None
    event: Any = None  # the timeline entry written
    firing: bool = False  # False while buttons are computed (guards that need input skip)

    @property
    def referral(self):
        return self.subject

    def victims(self):
        if not hasattr(self, "_victims"):
            self._victims = list(self.case.victims.all())
        return self._victims


@dataclass(frozen=True)
class Invariant:
    """A rule that must hold at the moment of an effect, whatever door the request came through.

    `applies(table, step)` says which steps' effects it protects; `check(ctx)` refuses before the
    effect (reasons, as guards); `after(ctx)` keeps the rule after an effect that may not be
    refused (e.g. an intake edit adding sexual violence stops a live mediation action). `first`
    invariants are checked before anything else (a closed case answers "reopen it first")."""

    key: str
    text: Any  # the rule in words
    applies: Callable[[Table, Step], bool]
    check: Callable[[Ctx], list] | None = None
    after: Callable[[Ctx], None] | None = None
    first: bool = False


INVARIANTS: list[Invariant] = []


def invariant(inv: Invariant) -> Invariant:
    INVARIANTS.append(inv)
    return inv


def invariants_for(table: Table, step: Step) -> list[Invariant]:
    return [inv for inv in INVARIANTS if inv.applies(table, step)]


class Table:
    """A procedure table: its steps and clocks, and how its subject is locked, read and saved.
    Subclasses (cases.workflow.CaseTable, referrals.workflow.ReferralTable) fill the hooks."""

    key = ""
    title: Any = ""
    steps: tuple = ()
    clocks: tuple = ()

    def __init__(self):
        self.effects: dict[str, Effect] = {}
        self.by_action: dict[str, list[Step]] = {}
        for s in self.steps:
            self.by_action.setdefault(s.action, []).append(s)

    # --- hooks
    def lock(self, subject):
        raise NotImplementedError

    def case_of(self, subject):
        raise NotImplementedError

    def state_of(self, subject) -> str:
        raise NotImplementedError

    def state_label(self, state) -> str:
        return str(state)

    def roles(self, subject, actor) -> frozenset:
        raise NotImplementedError

    def shows(self, step: Step, ctx: Ctx) -> bool:
        """Whether the step makes sense for this subject and actor at all (a button is shown);
        guards that depend on data or typed input still refuse with their reasons."""
        return True

    def target_of(self, step: Step, ctx: Ctx) -> str | None:
        return step.target

    def version_of(self, subject) -> int | None:
        return getattr(subject, "version", None)

    def finish(self, ctx: Ctx, *, from_state, to_state, changed_state: bool):
        """Save the subject (state and the fields the effect changed) and bump its version."""
        raise NotImplementedError

    def timeline(self, ctx: Ctx, *, kind, from_state, to_state, changed_state: bool):
        raise NotImplementedError

    def wrong_state_message(self, state) -> str:
        return str(
            _(
                "This action is not possible now (“%(state)s”). Someone may have changed it "
                "in the meantime: reload the page."
            )
            % {"state": self.state_label(state)}
        )

    def not_allowed_message(self) -> str:
        return str(_("You may not take this action here."))

    def stale_message(self) -> str:
        return str(VERSION_MESSAGE)

    # --- reading the table
    def bind(self, effects: dict[str, Effect]):
        """The services module gives each step its effect (no database writes in workflow.py)."""
        missing = {s.action for s in self.steps} - set(effects)
        assert not missing, f"{self.key}: steps without an effect: {sorted(missing)}"
        self.effects = dict(effects)

    def ctx(self, subject, actor, data=None, *, system=False) -> Ctx:
        roles = set(self.roles(subject, actor))
        if system:
            roles.add(SYSTEM)
        return Ctx(
            table=self,
            subject=subject,
            case=self.case_of(subject),
            actor=actor,
            roles=frozenset(roles),
            data=dict(data or {}),
            system=system,
        )

    def steps_for_roles(self, state, roles) -> list[Step]:
        return [s for s in self.steps if state in s.source and s.roles & roles]

    def available_steps(self, subject, actor, *, include_internal=False) -> list[Step]:
        """Steps this user may take on the subject now (by state and role, hiding guards and
        the first invariants: a closed case offers only "reopen")."""
        ctx = self.ctx(subject, actor)
        out = []
        for s in self.steps_for_roles(self.state_of(subject), ctx.roles):
            if s.internal and not include_internal:
                continue
            ctx.step = s
            if not self.shows(s, ctx):
                continue
            if any(inv.first and inv.check and inv.check(ctx) for inv in invariants_for(self, s)):
                continue
            if any(getattr(g, "hides", False) and g(ctx) for g in s.guards):
                continue
            out.append(s)
        return out

    def blocking_reasons(self, subject, actor, action: str) -> list[str]:
        """The reasons of the invariants checked before anything else (a closed case): a door
        answers with these before even reading the form."""
        steps = self.by_action.get(action) or []
        if not steps:
            return []
        ctx = self.ctx(subject, actor)
        ctx.step = steps[0]
        out = []
        for inv in invariants_for(self, steps[0]):
            if inv.first and inv.check:
                out.extend(str(r) for r in inv.check(ctx))
        return out

    def pending_reasons(self, subject, actor, step: Step) -> list[str]:
        """Reasons the step would be refused now, from the guards and invariants that need no
        input (shown beside the button)."""
        ctx = self.ctx(subject, actor)
        ctx.step = step
        out = []
        for guard in step.guards:
            if not getattr(guard, "needs_input", False):
                out.extend(guard(ctx))
        for inv in invariants_for(self, step):
            if inv.check and not getattr(inv.check, "needs_input", False):
                out.extend(r for r in inv.check(ctx) if r not in out)
        return [str(r) for r in out]

    def step_for(self, ctx: Ctx, action: str) -> Step:
        """The step to fire, or TransitionRefused with the reasons (state, role, guards,
        invariants)."""
        candidates = self.by_action.get(action)
        if not candidates:
            raise TransitionRefused([_("Unknown action.")])
        ctx.step = candidates[0]
        for inv in invariants_for(self, candidates[0]):
            if inv.first and inv.check:
                reasons = inv.check(ctx)
                if reasons:
                    raise TransitionRefused(reasons)
        state = self.state_of(ctx.subject)
        in_state = [s for s in candidates if state in s.source]
        if not in_state:
            raise TransitionRefused([self.wrong_state_message(state)])
        allowed = [s for s in in_state if s.roles & ctx.roles and self.shows(s, ctx)]
        if not allowed:
            raise TransitionRefused([self.not_allowed_message()])
        step = allowed[0]
        ctx.step = step
        reasons = []
        for guard in step.guards:
            reasons.extend(guard(ctx))
        for inv in invariants_for(self, step):
            if inv.check and not inv.first:
                reasons.extend(r for r in inv.check(ctx) if r not in reasons)
        if reasons:
            raise TransitionRefused(reasons)
        return step


TABLES: dict[str, Table] = {}


def register(table: Table) -> Table:
    TABLES[table.key] = table
    return table


def tables() -> list[Table]:
    """Every procedure table, the case procedure first (for the printed procedure)."""
    return sorted(TABLES.values(), key=lambda t: t.key != "case")


# Reactions: what another app does, in the same transaction, after a step of a table.
REACTIONS: dict[str, list[Callable[..., None]]] = {}


def on(event: str, fn: Callable[..., None]) -> Callable[..., None]:
    """Register fn(ctx, **kw) for an event: "<table>.<action>" after that step, or a named event
    emitted by an effect or an invariant (e.g. "case.mediation_stopped")."""
    REACTIONS.setdefault(event, []).append(fn)
    return fn


def emit(event: str, ctx: Ctx, **kw) -> None:
    for fn in REACTIONS.get(event, []):
        fn(ctx, **kw)


# ---------------------------------------------------------------------------------------------
# Idempotency: the token of the form being handled (set per request by FormOnceMiddleware) is
# consumed by the first step a request fires; steps fired by that step (cascades) share it.

REQUEST_TOKEN: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "lbk_form_token", default=None
)
_DEPTH: contextvars.ContextVar[int] = contextvars.ContextVar("lbk_engine_depth", default=0)


def form_token(post, user_id, path, files=()) -> str:
    """The form's own token (the hidden `_lbk_once` field every form carries), or for a POST
    sent without one, a digest of who sent what where: the same body sent twice by the same
    person to the same URL is the same submission."""
    token = (post.get("_lbk_once") or "").strip()
    if token and len(token) <= 64 and token.isalnum():
        return token
    items = sorted(
        (k, v)
        for k, values in post.lists()
        if k not in ("csrfmiddlewaretoken", "_lbk_author", "_lbk_once")
        for v in values
    )
    raw = repr((user_id, path, items, list(files))).encode()
    return "d" + hashlib.sha256(raw).hexdigest()[:63]


def _seen(token, table, action):
    from .models import SubmittedForm

    return SubmittedForm.objects.filter(token=token, table=table.key, action=action).first()


def _record(token, ctx, action, subject):
    from .models import SubmittedForm

    result = ctx.outcome.result if ctx.outcome else None
    SubmittedForm.objects.create(
        token=token,
        table=ctx.table.key,
        action=action,
        subject_id=getattr(subject, "pk", None),
        result_id=getattr(result, "pk", None),
        actor=ctx.actor,
        kelurahan_id=ctx.case.kelurahan_id,
    )


VERSION_MESSAGE = _(
    "Someone changed this record while you were looking at it. Check the page again and repeat "
    "the action if it is still needed."
)


def fire(table: Table, subject, action: str, actor, data=None, *, system=False, token=None):
    """Fire one step of `table` on `subject` (see the module docstring). Returns the Ctx, whose
    `subject` is the saved subject and `outcome.result` what the effect created."""
    depth = _DEPTH.get()
    if token is None and depth == 0:
        token = REQUEST_TOKEN.get()
    reset = _DEPTH.set(depth + 1)
    try:
        try:
            with transaction.atomic():
                return _fire(table, subject, action, actor, data, system, token)
        except IntegrityError:
            # A concurrent twin of the same form won the token: give its result.
            if token:
                done = _seen(token, table, action)
                if done is not None:
                    raise AlreadyDone(done) from None
            raise
    finally:
        _DEPTH.reset(reset)


def _fire(table, subject, action, actor, data, system, token):
    locked = table.lock(subject)
    if token:
        done = _seen(token, table, action)
        if done is not None:
            raise AlreadyDone(done)
    ctx = table.ctx(locked, actor, data, system=system)
    ctx.firing = True
    step = table.step_for(ctx, action)
    seen = ctx.data.get("version")
    current = table.version_of(locked)
    stale = seen not in (None, "") and current is not None and int(seen) != current
    if stale and not step.additive:
        raise Stale([table.stale_message()])
    ctx.now = timezone.now()
    from_state = table.state_of(locked)
    target = table.target_of(step, ctx)
    effect = table.effects[action]
    ctx.outcome = effect.apply(ctx) or Outcome()
    if ctx.outcome.nothing:
        return ctx
    changed_state = target is not None
    to_state = target if changed_state else from_state
    table.finish(ctx, from_state=from_state, to_state=to_state, changed_state=changed_state)
    ctx.event = table.timeline(
        ctx, kind=effect.kind, from_state=from_state, to_state=to_state, changed_state=changed_state
    )
    if effect.then is not None:
        effect.then(ctx)
    for inv in invariants_for(table, step):
        if inv.after is not None:
            inv.after(ctx)
    emit(f"{table.key}.{action}", ctx)
    # Whatever every step must follow (the deadline clocks' rows, cases/clocks.py).
    emit("after_step", ctx)
    if token:
        _record(token, ctx, action, ctx.subject)
    return ctx
