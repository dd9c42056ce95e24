"""The deadline clocks of a case's life (story.py) as rows of cases.models.ClockRun, as the engine
writes them (cases/clocks.py `sync_runs`): after every step, the running rows of the case and of
its live referrals are compared with the rule, and the runs that ended (or restarted) are stopped
at the step's time with the step as reason ("case.assign", "referral.approve"; "registered" at
registration), the new ones started with their due time, a change of who acts followed in place.

The rule is the app's own code, called on views of the row dicts: `running_clocks(case)` for the
case clocks, `wanted_for(referral)` for the referral clocks, with the kelurahan's deadline
settings (World.hmap). So the running rows at the end are what the app computes from the rows,
and the stopped ones hold each case's history of met and missed deadlines.

Mixed into story.Life (self.runs: {referral id, None for the case: {key: running row}};
self.clock_inputs: the same keys, the rule's inputs at the last sync);
`sync_clocks(at, reason)` is called by register, advance and ref_step.
"""

from operator import itemgetter

from cases.clocks import Wanted, running_clocks
from cases.models import Case, ClockRun
from referrals.clocks import wanted_for
from referrals.models import Referral

COMPANION = ClockRun.WaitsOn.COMPANION.value
# The fields the rule reads (and the assignee): a step that changes none of them leaves the
# rows as they are, so the rule is not run again (the test of the generator checks the lists).
CASE_FIELDS = (
    "status",
    "status_changed_at",
    "registered_at",
    "first_contact_at",
    "assigned_at",
    "last_visit_at",
    "monitoring_started_at",
    "closure_requested_at",
    "danger_now",
    "injured_needs_care",
    "companion_id",
    "kelurahan_id",
)
_case_inputs = itemgetter(*CASE_FIELDS)
REFERRAL_FIELDS = (
    "state",
    "requested_at",
    "is_emergency",
    "ratified_at",
    "emergency_at",
    "created_at",
    "sent_at",
    "kelurahan_id",
)
# Referrals the engine syncs after a step (referrals/clocks.py _case_synced): those with a
# running row, and those in a state where a clock may start.
LIVE_STATES = frozenset({"requested", "sent"})


def _defaults(model):
    """{attname: default} of a model's fields (what tables.py writes for a missing key)."""
    return {
        f.attname: None if f.primary_key else f.get_default() for f in model._meta.concrete_fields
    }


class CaseView:
    """A case row dict as attributes, for the app's rule functions: the dict is the object's
    __dict__ (no copy, attribute reads at C speed); a missing key reads the field's default."""

    def __init__(self, row):
        self.__dict__ = row


class ReferralView:
    __slots__ = ("case", "__dict__")

    def __init__(self, row, case):
        self.__dict__ = row
        self.case = case

    awaits_ratification = property(Referral.awaits_ratification.fget)


for _view, _model in ((CaseView, Case), (ReferralView, Referral)):
    for _name, _value in _defaults(_model).items():
        if not hasattr(_view, _name):
            setattr(_view, _name, _value)


class ClockSteps:
    def sync_clocks(self, at, reason):
        """What the engine does after a step at `at` (cases/clocks.py _after_step, then
        referrals/clocks.py _case_synced): the case's clock rows, then its live referrals'.
        Rows whose inputs did not change since the last sync are left alone (the rule would
        give the same runs)."""
        hmap = self.w.hmap
        c = self.case
        seen = self.clock_inputs
        sig = _case_inputs(c)
        case = CaseView(c)
        if seen.get(None) != sig:
            seen[None] = sig
            wanted = [
                Wanted(
                    r.key,
                    r.start,
                    r.due,
                    r.hours,
                    r.waits_on,
                    c["companion_id"] if r.waits_on == COMPANION else None,
                )
                for r in running_clocks(case, hmap, at)
            ]
            self._sync_runs(None, wanted, at, reason)
        if not self.s.referrals:
            return
        companion = c["companion_id"]
        for r in self.s.referrals:
            rid = r["id"]
            if r["state"] in LIVE_STATES or self.runs.get(rid):
                sig = (companion, *map(r.get, REFERRAL_FIELDS))
                if seen.get(rid) == sig:
                    continue
                seen[rid] = sig
                wanted = wanted_for(ReferralView(r, case), hmap)
                self._sync_runs(rid, wanted, at, reason)

    def _sync_runs(self, referral_id, wanted, at, reason):
        """cases.clocks.sync_runs on the row dicts."""
        current = self.runs.setdefault(referral_id, {})
        by_key = {w.key: w for w in wanted}
        for key, row in list(current.items()):
            want = by_key.get(key)
            if want is None or want.start != row["started_at"]:
                row["stopped_at"] = at
                row["stop_reason"] = reason[:40]
                del current[key]
                continue
            if (row["waits_on"], row["assignee_id"]) != (want.waits_on, want.assignee_id):
                row["waits_on"], row["assignee_id"] = want.waits_on, want.assignee_id
        c = self.case
        for w in wanted:
            if w.key in current:
                continue
            row = {
                "id": self.w.next_id("clock_runs"),
                "kelurahan_id": c["kelurahan_id"],
                "case_id": c["id"],
                "referral_id": referral_id,
                "key": w.key,
                "waits_on": w.waits_on,
                "assignee_id": w.assignee_id,
                "is_roleplay": c["is_roleplay"],
                "hours": w.hours,
                "started_at": w.start,
                "due_at": w.due,
                "stopped_at": None,
                "stop_reason": "",
            }
            current[w.key] = row
            self.s.clock_runs.append(row)
