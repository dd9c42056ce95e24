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
import datetime
import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeAlias, TypeVar

from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django.http import QueryDict
    from django_stubs_ext import StrOrPromise

    from accounts.models import User

    from .models import Case, CaseEvent, SubmittedForm, Victim

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

    def __init__(self, reasons: Iterable[StrOrPromise]) -> None:
        self.reasons = [str(r) for r in reasons]
        super().__init__("; ".join(self.reasons))


class Stale(TransitionRefused):
    """The record changed after the user loaded the form (the version they saw is old)."""


class AlreadyDone(Exception):  # noqa: N818
    """The same form was already sent and done: `record` is its SubmittedForm row (the subject
    and the object it created), so the door can show the result instead of doing it twice."""

    def __init__(self, record: SubmittedForm) -> None:
        self.record = record
        super().__init__(f"{record.table}.{record.action} already done")


ALREADY_DONE_MESSAGE = _(
    "This form had already been sent and was recorded once; it was not recorded a second time."
)

# The subject of a table's steps: a Case (cases.workflow) or a Referral (referrals.workflow).
SubjectT = TypeVar("SubjectT", bound=models.Model)

# Why a step is refused: translatable strings (lazy or already translated); [] lets it go.
Reasons: TypeAlias = "list[StrOrPromise]"
# The Ctx of a step of either table: what guards and invariants written for both tables take.
AnyCtx: TypeAlias = "Ctx[Any]"
# A guard looks at a Ctx and returns the reasons it refuses.
Guard: TypeAlias = "Callable[[AnyCtx], Reasons]"

# Guards marked by the decorators below (read by Table.available_steps and pending_reasons).
_HIDING: set[Guard] = set()
_NEEDS_INPUT: set[Guard] = set()


def hides(guard: Guard) -> Guard:
    """A guard that hides its step while it refuses (e.g. a first contact already recorded):
    offering a button that can only be refused helps nobody."""
    _HIDING.add(guard)
    return guard


def needs_input(guard: Guard) -> Guard:
    """A guard that judges the submitted data (it cannot be evaluated before the POST)."""
    _NEEDS_INPUT.add(guard)
    return guard


@dataclass(frozen=True)
class Step:
    source: frozenset[str]  # states the step may start from
    target: str | None  # None: the state does not change; "return": back to the stored state
    action: str  # URL slug and button name
    label: StrOrPromise  # translatable label of the button and of the printed step
    roles: frozenset[str]  # who may fire it (role codes and pseudo-roles above)
    guards: tuple[Guard, ...] = ()
    # The guards in words, for the printed procedure (Alur Penanganan), one string per guard.
    requires: tuple[StrOrPromise, ...] = ()
    # Names of the fields the step's form asks for (note, reason, ...).
    fields: tuple[str, ...] = ()
    # Key of the deadline clock this step answers (for the printed table), if any.
    clock: str | None = None
    # Adds a record (a visit, an attachment...) without changing existing data: no version check.
    additive: bool = False
    # Shown in the printed procedure and in the tests, but fired only by other steps or the app.
    internal: bool = False


@dataclass(frozen=True)
class Clock:
    key: str
    label: StrOrPromise
    starts: StrOrPromise  # the start event, in words
    stops: StrOrPromise  # the stop event, in words
    who: StrOrPromise  # who must act, in words
    default_hours: int
    emergency_hours: int | None = None  # a shorter deadline for emergency cases, if any
    extra: dict[str, frozenset[str]] = field(default_factory=dict)


@dataclass
class Outcome:
    """What an effect did: the timeline payload and note, the subject's fields it changed (saved
    by the engine with the state), and the object it created, if any."""

    payload: dict[str, Any] = field(default_factory=dict)  # JSON, stored on the timeline entry
    note: str = ""
    fields: tuple[str, ...] = ()
    result: models.Model | None = None
    # The step changed nothing (e.g. a draft saved as it was): no save, no timeline entry.
    nothing: bool = False


@dataclass(frozen=True)
class Effect(Generic[SubjectT]):
    apply: Callable[[Ctx[SubjectT]], Outcome]
    kind: str = ""  # the timeline kind (cases.models.CaseEvent.Kind)
    # Runs after the state change and the timeline entry (e.g. the letter, the notifications).
    then: Callable[[Ctx[SubjectT]], None] | None = None


@dataclass
class Ctx(Generic[SubjectT]):
    """What guards, invariants and effects look at: the table, the subject (locked when firing),
    its case, the actor and their roles on the subject, the submitted data."""

    table: Table[SubjectT]
    subject: SubjectT
    case: Case
    actor: User
    roles: frozenset[str]
    data: dict[str, Any] = field(default_factory=dict)  # the step's cleaned input
    # The step being judged or fired: set by the engine before any guard, invariant or effect.
    step: Step | None = None
    # When the ctx was made; set again by the engine right before the effect.
    now: datetime.datetime = field(default_factory=timezone.now)
    system: bool = False
    # What the effect did (empty until it ran).
    outcome: Outcome = field(default_factory=Outcome)
    event: CaseEvent | None = None  # the timeline entry written
    firing: bool = False  # True once the engine fires the step (not while buttons are computed)

    @property
    def referral(self) -> SubjectT:
        """The subject, by the name the referral table's code uses."""
        return self.subject

    def victims(self) -> list[Victim]:
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
    text: StrOrPromise  # the rule in words
    # Invariants hold across both tables: they take any table and the Ctx of any subject.
    applies: Callable[[Table[Any], Step], bool]
    check: Guard | None = None
    after: Callable[[AnyCtx], None] | None = None
    first: bool = False


INVARIANTS: list[Invariant] = []


def invariant(inv: Invariant) -> Invariant:
    INVARIANTS.append(inv)
    return inv


def invariants_for(table: Table[Any], step: Step) -> list[Invariant]:
    return [inv for inv in INVARIANTS if inv.applies(table, step)]


class Table(Generic[SubjectT]):
    """A procedure table: its steps and clocks, and how its subject is locked, read and saved.
    Subclasses (cases.workflow.CaseTable, referrals.workflow.ReferralTable) fill the hooks."""

    key = ""
    title: StrOrPromise = ""
    steps: tuple[Step, ...] = ()
    clocks: tuple[Clock, ...] = ()

    def __init__(self) -> None:
        self.effects: dict[str, Effect] = {}
        self.by_action: dict[str, list[Step]] = {}
        for s in self.steps:
            self.by_action.setdefault(s.action, []).append(s)

    # --- hooks
    def lock(self, subject: SubjectT) -> SubjectT:
        raise NotImplementedError

    def case_of(self, subject: SubjectT) -> Case:
        raise NotImplementedError

    def state_of(self, subject: SubjectT) -> str:
        raise NotImplementedError

    def state_label(self, state: str) -> str:
        return str(state)

    def roles(self, subject: SubjectT, actor: User) -> frozenset[str]:
        raise NotImplementedError

    def shows(self, step: Step, ctx: Ctx[SubjectT]) -> bool:
        """Whether the step makes sense for this subject and actor at all (a button is shown);
        guards that depend on data or typed input still refuse with their reasons."""
        return True

    def target_of(self, step: Step, ctx: Ctx[SubjectT]) -> str | None:
        return step.target

    def version_of(self, subject: SubjectT) -> int | None:
        return getattr(subject, "version", None)

    def finish(
        self, ctx: Ctx[SubjectT], *, from_state: str, to_state: str, changed_state: bool
    ) -> None:
        """Save the subject (state and the fields the effect changed) and bump its version."""
        raise NotImplementedError

    def timeline(
        self, ctx: Ctx[SubjectT], *, kind: str, from_state: str, to_state: str, changed_state: bool
    ) -> CaseEvent:
        raise NotImplementedError

    def wrong_state_message(self, state: str) -> str:
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
    def bind(self, effects: dict[str, Effect[SubjectT]]) -> None:
        """The services module gives each step its effect (no database writes in workflow.py)."""
        missing = {s.action for s in self.steps} - set(effects)
        assert not missing, f"{self.key}: steps without an effect: {sorted(missing)}"
        self.effects = dict(effects)

    def ctx(
        self,
        subject: SubjectT,
        actor: User,
        data: Mapping[str, Any] | None = None,
        *,
        system: bool = False,
    ) -> Ctx[SubjectT]:
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

    def steps_for_roles(self, state: str, roles: frozenset[str]) -> list[Step]:
        return [s for s in self.steps if state in s.source and s.roles & roles]

    def available_steps(
        self, subject: SubjectT, actor: User, *, include_internal: bool = False
    ) -> list[Step]:
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
            if any(g in _HIDING and g(ctx) for g in s.guards):
                continue
            out.append(s)
        return out

    def blocking_reasons(self, subject: SubjectT, actor: User, action: str) -> list[str]:
        """The reasons of the invariants checked before anything else (a closed case): a door
        answers with these before even reading the form."""
        steps = self.by_action.get(action) or []
        if not steps:
            return []
        ctx = self.ctx(subject, actor)
        ctx.step = steps[0]
        out: list[str] = []
        for inv in invariants_for(self, steps[0]):
            if inv.first and inv.check:
                out.extend(str(r) for r in inv.check(ctx))
        return out

    def pending_reasons(self, subject: SubjectT, actor: User, step: Step) -> list[str]:
        """Reasons the step would be refused now, from the guards and invariants that need no
        input (shown beside the button)."""
        ctx = self.ctx(subject, actor)
        ctx.step = step
        out: Reasons = []
        for guard in step.guards:
            if guard not in _NEEDS_INPUT:
                out.extend(guard(ctx))
        for inv in invariants_for(self, step):
            if inv.check and inv.check not in _NEEDS_INPUT:
                out.extend(r for r in inv.check(ctx) if r not in out)
        return [str(r) for r in out]

    def step_for(self, ctx: Ctx[SubjectT], action: str) -> Step:
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


TABLES: dict[str, Table[Any]] = {}

TableT = TypeVar("TableT", bound=Table[Any])


def register(table: TableT) -> TableT:
    TABLES[table.key] = table
    return table


def tables() -> list[Table[Any]]:
    """Every procedure table, the case procedure first (for the printed procedure)."""
    return sorted(TABLES.values(), key=lambda t: t.key != "case")


# Reactions: what another app does, in the same transaction, after a step of a table. A reaction
# takes the Ctx of the step and the keyword arguments its event is emitted with.
Reaction: TypeAlias = "Callable[..., None]"
REACTIONS: dict[str, list[Reaction]] = {}


def on(event: str, fn: Reaction) -> Reaction:
    """Register fn(ctx, **kw) for an event: "<table>.<action>" after that step, or a named event
    emitted by an effect or an invariant (e.g. "case.mediation_stopped")."""
    REACTIONS.setdefault(event, []).append(fn)
    return fn


def emit(event: str, ctx: AnyCtx, **kw: Any) -> None:
    for fn in REACTIONS.get(event, []):
        fn(ctx, **kw)


# ---------------------------------------------------------------------------------------------
# Idempotency: the token of the form being handled (set per request by FormOnceMiddleware) is
# consumed by the first step a request fires; steps fired by that step (cascades) share it.

REQUEST_TOKEN: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "lbk_form_token", default=None
)
_DEPTH: contextvars.ContextVar[int] = contextvars.ContextVar("lbk_engine_depth", default=0)


def form_token(
    post: QueryDict,
    user_id: int | None,
    path: str,
    files: Iterable[tuple[str, str | None, int | None]] = (),
) -> str:
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


def _seen(token: str, table: Table[Any], action: str) -> SubmittedForm | None:
    from .models import SubmittedForm

    return SubmittedForm.objects.filter(token=token, table=table.key, action=action).first()


def _record(token: str, ctx: Ctx[SubjectT], action: str, subject: SubjectT) -> None:
    from .models import SubmittedForm

    result = ctx.outcome.result
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


def fire(
    table: Table[SubjectT],
    subject: SubjectT,
    action: str,
    actor: User,
    data: Mapping[str, Any] | None = None,
    *,
    system: bool = False,
    token: str | None = None,
) -> Ctx[SubjectT]:
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
        except TransitionRefused as e:
            if depth == 0:
                # Nothing was written; who listens (the role-play debrief) keeps the messages.
                emit(
                    "refused",
                    None,  # type: ignore[arg-type]
                    table=table,
                    subject=subject,
                    action=action,
                    actor=actor,
                    e=e,
                )
            raise
        except IntegrityError:
            # A concurrent twin of the same form won the token: give its result.
            if token:
                done = _seen(token, table, action)
                if done is not None:
                    raise AlreadyDone(done) from None
            raise
    finally:
        _DEPTH.reset(reset)


def _fire(
    table: Table[SubjectT],
    subject: SubjectT,
    action: str,
    actor: User,
    data: Mapping[str, Any] | None,
    system: bool,
    token: str | None,
) -> Ctx[SubjectT]:
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
    stale = seen is not None and seen != "" and current is not None and int(seen) != current
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
    to_state = target if target is not None else from_state
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
