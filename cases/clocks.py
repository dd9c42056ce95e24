"""Due times of the case clocks (workflow.CLOCKS), computed from fields of the Case row alone.

No per-case queries: a list of cases (from one query) plus one query for the kelurahan settings
gives every running clock, so lists, "Tugas Saya" and the dashboard keep their query counts flat.
"""

import datetime
from dataclasses import dataclass

from django.db.models import OuterRef, Subquery
from django.utils import timezone

from accounts.models import KELURAHAN_WIDE_ROLES, Role
from accounts.roles import roles_of

from . import vocab
from .access import companion_work_waits_on
from .models import Assessment, Case, ClockSetting, Consent
from .vocab import Status as S
from .workflow import CLOCKS_BY_KEY

WORKING = {S.ASSESSMENT, S.HANDLING, S.MONITORING}
# Case fields the clocks read; callers may restrict their query to these.
CLOCK_FIELDS = (
    "id",
    "number",
    "kelurahan_id",
    "status",
    "companion_id",
    "registered_at",
    "status_changed_at",
    "assigned_at",
    "first_contact_at",
    "monitoring_started_at",
    "last_visit_at",
    "closure_requested_at",
    "danger_now",
    "injured_needs_care",
    "is_roleplay",
)


@dataclass
class Running:
    key: str
    case: object
    start: datetime.datetime
    due: datetime.datetime
    hours: int
    now: datetime.datetime
    # "companion" (the assigned pendamping) or "deciders" (coordinator and kelurahan staff)
    waits_on: str

    @property
    def clock(self):
        return CLOCKS_BY_KEY[self.key]

    @property
    def label(self):
        return self.clock.label

    @property
    def overdue(self):
        return self.now > self.due

    @property
    def overdue_by(self):
        return self.now - self.due if self.overdue else datetime.timedelta(0)


def hours_map(kelurahan_ids):
    """{kelurahan id: {clock key: hours}} from ClockSetting, in one query."""
    out = {}
    for kel_id, key, hours in ClockSetting.objects.filter(
        kelurahan_id__in=set(kelurahan_ids)
    ).values_list("kelurahan_id", "key", "hours"):
        out.setdefault(kel_id, {})[key] = hours
    return out


def hours_for(hmap, kelurahan_id, key, *, emergency=False):
    """The kelurahan's deadline for a clock; the emergency variant's setting key is
    "<key>.emergency" (e.g. first_contact.emergency)."""
    clock = CLOCKS_BY_KEY[key]
    settings = hmap.get(kelurahan_id, {})
    if emergency and clock.emergency_hours is not None:
        return settings.get(f"{key}.emergency", clock.emergency_hours)
    return settings.get(key, clock.default_hours)


def running_clocks(case, hmap=None, now=None):
    """Every clock running on the case, with its due time. Closed and not-pursued cases have
    none: each clock stops when the case closes."""
    if case.status in vocab.FINAL_STATES:
        return []
    now = now or timezone.now()
    if hmap is None:
        hmap = hours_map([case.kelurahan_id])
    emergency = case.danger_now or case.injured_needs_care
    out = []

    def add(key, start, waits_on, emergency_deadline=False):
        if start is None:
            return
        hours = hours_for(hmap, case.kelurahan_id, key, emergency=emergency_deadline)
        out.append(
            Running(key, case, start, start + datetime.timedelta(hours=hours), hours, now, waits_on)
        )

    if case.status == S.RECEIVED:
        add("assign", case.status_changed_at, "deciders")
        if emergency and not case.first_contact_at:
            add("first_contact", case.registered_at, "deciders", emergency_deadline=True)
    if case.status in WORKING and not case.first_contact_at:
        if emergency:
            add("first_contact", case.registered_at, "companion", emergency_deadline=True)
        else:
            add("first_contact", case.assigned_at, "companion")
    if case.status == S.ASSESSMENT:
        add("plan", case.status_changed_at, "companion")
    if case.status == S.MONITORING:
        starts = [t for t in (case.last_visit_at, case.monitoring_started_at) if t]
        add("visit", max(starts) if starts else case.status_changed_at, "companion")
    if case.status == S.CLOSURE_REQUESTED:
        add("closure_decision", case.closure_requested_at, "deciders")
    return sorted(out, key=lambda r: r.due)


def waits_on_user(run, user, held):
    """Does this running clock wait on the user (held: the user's roles at the case's
    kelurahan)? The companion's clocks wait on the assigned companion (on the coordinator when
    none is assigned); the deciders' clocks on the coordinator and the kelurahan staff."""
    if run.waits_on == "deciders":
        return bool(held & KELURAHAN_WIDE_ROLES)
    return companion_work_waits_on(user, run.case, held)


def open_cases_for(user):
    """Cases the user sees in full that are not closed, with only the fields clocks need."""
    return (
        Case.objects.in_full_to(user)
        .exclude(status__in=vocab.FINAL_STATES)
        .select_related("kelurahan")
        .only(*CLOCK_FIELDS, "kelurahan__name")
    )


# Other apps' clocks (the referral clocks, referrals/clocks.py) add their tasks and overdue
# counts here: provider(user, roles, cases, hours map, now) -> [Task] for Tugas Saya, and
# provider(kelurahan ids, hours map, now) -> {kelurahan id: [(label, overdue count)]}.
TASK_PROVIDERS = []
OVERDUE_PROVIDERS = []


@dataclass
class Task:
    case: object
    label: object
    due: datetime.datetime | None
    overdue: bool
    action: str = ""
    url: str = ""


def tasks_for(user, now=None):
    """Each case waiting on the user, most urgent first (overdue and nearest due first; tasks
    without a deadline last). Constant queries: cases, clock settings, pending confirmations."""
    from django.utils.translation import gettext_lazy as _

    now = now or timezone.now()
    roles = roles_of(user)
    cases = list(open_cases_for(user))
    hmap = hours_map({c.kelurahan_id for c in cases})
    tasks = []
    for case in cases:
        held = roles.at(case.kelurahan_id)
        for run in running_clocks(case, hmap, now):
            if waits_on_user(run, user, held):
                tasks.append(Task(case, run.label, run.due, run.overdue, run.key))
    coord_kel = {k for k, held in roles.by_kelurahan.items() if Role.KOORDINATOR in held}
    if coord_kel:
        by_pk = {c.pk: c for c in cases}
        pending = (
            Consent.objects.filter(
                case_id__in=list(by_pk),
                kelurahan_id__in=coord_kel,
                given_by=vocab.ConsentGiver.BEST_INTEREST,
                confirmed_at__isnull=True,
                withdrawn_at__isnull=True,
            )
            .exclude(recorded_by=user)
            .values_list("case_id", flat=True)
            .distinct()
        )
        for case_id in pending:
            tasks.append(
                Task(
                    by_pk[case_id],
                    _("Confirm a best-interest decision"),
                    None,
                    False,
                    "confirm_consent",
                )
            )
    for provider in TASK_PROVIDERS:
        tasks.extend(provider(user, roles, cases, hmap, now))
    far = now + datetime.timedelta(days=3650)
    tasks.sort(key=lambda t: (t.due or far, t.case.number))
    return tasks


def overdue_marks(cases, now=None):
    """{case pk: [overdue Running clocks]} for a page of cases (one settings query). Cases must
    carry the CLOCK_FIELDS. For the case list's overdue mark."""
    cases = list(cases)
    hmap = hours_map({c.kelurahan_id for c in cases})
    now = now or timezone.now()
    out = {}
    for case in cases:
        late = [r for r in running_clocks(case, hmap, now) if r.overdue]
        if late:
            out[case.pk] = late
    return out


def with_latest_risk(qs):
    """Annotate `latest_risk`: the risk level of the case's most recent assessment."""
    latest = Assessment.objects.filter(case=OuterRef("pk")).order_by("-assessed_at", "-pk")
    return qs.annotate(latest_risk=Subquery(latest.values("risk_level")[:1]))


def filter_by_risk(qs, level):
    """Cases whose most recent assessment has this risk level (the case list's risk filter)."""
    if level not in vocab.RiskLevel.values:
        return qs
    return with_latest_risk(qs).filter(latest_risk=level)


def dashboard(kelurahan_ids, now=None):
    """Per kelurahan: cases per state, overdue counts per clock, the oldest waiting clocks."""
    from django.db.models import Count

    now = now or timezone.now()
    counts = {}
    for kel_id, status, n in (
        Case.objects.filter(kelurahan_id__in=kelurahan_ids)
        .values_list("kelurahan_id", "status")
        .annotate(n=Count("id"))
        .order_by()
    ):
        counts.setdefault(kel_id, {})[status] = n
    cases = list(
        Case.objects.filter(kelurahan_id__in=kelurahan_ids)
        .exclude(status__in=vocab.FINAL_STATES)
        .only(*CLOCK_FIELDS)
    )
    hmap = hours_map(kelurahan_ids)
    out = {}
    for kel_id in kelurahan_ids:
        out[kel_id] = {
            "states": [(s, s.label, counts.get(kel_id, {}).get(s.value, 0)) for s in S],
            "overdue": {key: 0 for key in CLOCKS_BY_KEY},
            "running": [],
        }
    for case in cases:
        for run in running_clocks(case, hmap, now):
            entry = out[case.kelurahan_id]
            entry["running"].append(run)
            if run.overdue:
                entry["overdue"][run.key] += 1
    extra_rows = {}
    for provider in OVERDUE_PROVIDERS:
        for kel_id, rows in provider(kelurahan_ids, hmap, now).items():
            extra_rows.setdefault(kel_id, []).extend(rows)
    for kel_id, entry in out.items():
        entry["overdue_total"] = sum(entry["overdue"].values())
        entry["overdue_rows"] = [(CLOCKS_BY_KEY[k].label, n) for k, n in entry["overdue"].items()]
        for label, n in extra_rows.get(kel_id, []):
            entry["overdue_rows"].append((label, n))
            entry["overdue_total"] += n
        entry["oldest"] = sorted(entry["running"], key=lambda r: r.start)[:5]
    return out
