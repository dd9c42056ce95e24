"""The referral clocks (referrals.workflow.CLOCKS) as rows of cases.models.ClockRun: started and
stopped by the engine with each step (the "clocks.case_synced" event), read by Tugas Saya, the
dashboard, the approval queue and the inbox in SQL. Returned referrals, which wait on the
companion without a deadline, are added to Tugas Saya as other tasks."""

from __future__ import annotations

from django.db.models import OuterRef, Subquery
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.models import Role
from cases import clocks, engine
from cases.clocks import Presenter, Task, Wanted
from cases.models import ClockRun

from . import workflow as rwf
from .models import Referral, State

W = ClockRun.WaitsOn
# Who acts on each referral clock (PROCEDURE.md): the kelurahan staff decide and ratify; the
# agency confirms receipt (a target: when overdue, the companion follows it up).
WAITS_ON = {"referral_decision": W.STAFF, "ratify": W.STAFF, "agency_ack": W.AGENCY}
TASK_LABELS = {
    "referral_decision": _("Decide on a referral request"),
    "ratify": _("Ratify an emergency referral"),
    "agency_ack": _("Follow up: the agency has not confirmed receipt"),
}


def _referral_url(run) -> str:
    return Referral(pk=run.referral_id).get_absolute_url()


for _key, _label in TASK_LABELS.items():
    clocks.PRESENTERS[_key] = Presenter(_label, rwf.CLOCKS_BY_KEY, _referral_url)


def wanted_for(referral, dmap) -> list[Wanted]:
    """The run that should exist on the referral now (at most one)."""
    running = rwf.running_clock(referral)
    if running is None:
        return []
    key, start = running
    case = referral.case
    d = clocks.deadline_for(dmap, case.mechanism_id, key, clocks=rwf.CLOCKS_BY_KEY)
    waits_on = WAITS_ON[key]
    assignee = case.companion_id if waits_on == W.AGENCY else None
    session = case.roleplay_session if case.roleplay_session_id else None
    due = clocks.due_for(start, d, case, session=session)
    return [Wanted(key, start, due, d.nominal_hours, waits_on, assignee)]


def _case_synced(ctx, reason="") -> None:
    """After any step on a case or one of its referrals: the clock rows of its referrals (a
    reassignment changes who follows up an agency; a referral step starts or stops a clock)."""
    case = ctx.case
    dmap = clocks.deadline_map([case.mechanism_id])
    running_ids = set(
        ClockRun.objects.running()
        .filter(case=case, referral_id__isnull=False)
        .values_list("referral_id", flat=True)
    )
    live = Referral.objects.filter(case=case).filter(pk__in=running_ids) | Referral.objects.filter(
        case=case, state__in=[State.REQUESTED, State.SENT]
    )
    for r in live.distinct():
        r.case = case
        wanted = wanted_for(r, dmap)
        clocks.sync_runs(case=case, referral_id=r.pk, wanted=wanted, now=ctx.now, reason=reason)


engine.on("clocks.case_synced", _case_synced)


def returned_referrals(user, roles, now) -> list[Task]:
    """Returned referrals wait on their companion (the coordinator when none is assigned)."""
    out = []
    for kel_id, held in roles.by_kelurahan.items():
        mine = Referral.objects.filter(kelurahan_id=kel_id, state=State.RETURNED)
        if Role.KOORDINATOR in held and Role.PENDAMPING in held:
            mine = mine.filter(case__companion__isnull=True) | mine.filter(case__companion=user)
        elif Role.KOORDINATOR in held:
            mine = mine.filter(case__companion__isnull=True)
        elif Role.PENDAMPING in held:
            mine = mine.filter(case__companion=user)
        else:
            continue
        rows = mine.order_by("decided_at", "pk").values_list(
            "pk", "case_id", "case__number", "case__is_roleplay"
        )[: clocks.OTHER_TASKS_LIMIT]
        for pk, case_id, number, roleplay in rows:
            ref = clocks.CaseRef(case_id, number, roleplay)
            task = Task(ref, _("Correct a returned referral"), None, False, "referral_returned")
            task.url = reverse("referrals:detail", args=[pk])
            out.append(task)
    return out


clocks.TASK_PROVIDERS.append(returned_referrals)


def returned_count(user, roles) -> int:
    return len(returned_referrals(user, roles, None))


clocks.TASK_COUNT_PROVIDERS.append(returned_count)


def with_due(qs):
    """Referrals annotated with the due time of their running clock (`due`, `clock_key`), in
    the same query: for sorting "most urgent first" in SQL."""
    running = ClockRun.objects.running().filter(referral_id=OuterRef("pk"))
    return qs.annotate(
        due=Subquery(running.values("due_at")[:1]),
        clock_key=Subquery(running.values("key")[:1]),
    )


def mark_due(referrals, now):
    """Set `overdue` and `clock` on referrals annotated by with_due."""
    for r in referrals:
        r.overdue = bool(r.due and r.due < now)
        r.clock = rwf.CLOCKS_BY_KEY.get(r.clock_key) if r.clock_key else None
    return referrals


def mark_due_one(referral, now=None):
    """`due`, `overdue` and `clock` of one referral from its running clock row."""
    from django.utils import timezone

    row = ClockRun.objects.running().filter(referral_id=referral.pk).first()
    referral.due = row.due_at if row else None
    referral.clock_key = row.key if row else None
    return mark_due([referral], now or timezone.now())[0]
