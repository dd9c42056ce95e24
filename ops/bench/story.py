"""The life of one case, as the services would have written it, as plain rows.

`Life(world, rng, place, t0).run()` registers a case at t0 and moves it through the procedure of
PROCEDURE.md with realistic delays: assignment, first contact, an assessment, consent and plan per
victim, referrals (each in its own flow: request, decision, letter, sending, receipt, outcome;
emergency referrals ratified afterwards), visits, monitoring, closure. Every step later than the
world's `now` is not taken, so the state of each case (and of each referral) at `now` follows
from its age: old cases are closed, recent ones open, some clocks overdue, as in real use.

Each step writes what the service writes (cases/services/*.py, referrals/services.py): the row
change, a change-history row for models with HistoricalRecords (one per save), the timeline entry
(CaseEvent) with the same kind, action, from/to, note and data, the notifications, and the
access-log rows the views write around it ("view", "procedure:<action>", "referral_<action>"...).

The result is a Story: one list of row dicts (attnames) per table; tables.py turns them into
rows. The deadline clocks' rows (ClockRun) follow every step as the engine writes them
(story_clocks.py: the app's own rule, applied to the row dicts after each step).
"""

from cases import vocab
from cases.assessment import risk_level

from .story_base import (
    ASSESS,
    ASSIGN_EV,
    ATTACH,
    CONSENT,
    EDIT,
    FIRST_CONTACT,
    PLAN,
    RECOVERY_KEYS,
    RISK_KEYS,
    TRANS,
    VISIT,
    VISIT_NOTES,
    LifeBase,
    S,
    Story,
)
from .story_clocks import ClockSteps
from .story_referrals import ReferralSteps

__all__ = ["Life", "Story"]

VIOLENCE_SERVICES = ("psychological", "accompaniment", "health", "law_enforcement", "legal_aid")
SOCIAL_SERVICES = ("dtsen_aid", "civil_docs", "social_rehab", "education")
# Which agency kinds provide a service (None: LBK-KK itself).
PROVIDERS = {
    "psychological": ("uptd_ppa",),
    "accompaniment": (None, "dp3a"),
    "health": ("health",),
    "law_enforcement": ("police",),
    "legal_aid": ("legal_aid", "uptd_ppa"),
    "shelter": ("uptd_ppa",),
    "dtsen_aid": ("dinsos", "social_welfare"),
    "civil_docs": ("civil_registry",),
    "social_rehab": ("dinsos",),
    "education": (None,),
}
BEST_INTEREST_KINDS = frozenset({"uptd_ppa", "police", "health"})


class Life(LifeBase, ReferralSteps, ClockSteps):
    """One case from registration to now (see the module's docstring)."""

    # -- the case procedure (cases/services/procedure.py case_advance) ---------------------

    def advance(self, at, actor, action, kind, *, to=None, note="", data=None, confidential=False):
        """One case_advance: the effect was applied by the caller; here the state change, the
        version, the change history, the timeline entry and the access log of the act view.
        Returns False (and nothing is written) when `at` is after now: the step was not taken yet.
        """
        if self.stopped or at > self.now:
            self.stopped = True
            return False
        c = self.case
        if self.rng.random() < 0.3:
            self.log(actor, "view", at - self.hours(0.02, 0.5))
        self.log(actor, f"procedure:{action}", at)
        before = c["status"]
        if to is not None:
            c["status"] = to
            c["status_changed_at"] = at
        c["version"] += 1
        self.hist("case_history", c, at, actor)
        self.event(
            kind,
            at,
            actor,
            action=action,
            from_status=before if to is not None else "",
            to_status=c["status"] if to is not None else "",
            note=note,
            data=data,
            confidential=confidential,
        )
        self.sync_clocks(at, f"case.{action}")
        return True

    def due(self, at):
        """Can a step at `at` still be taken (not after now, nothing before it stopped)?"""
        return not self.stopped and at <= self.now

    # -- the run ------------------------------------------------------------------------

    def run(self):
        rng = self.rng
        self.register()
        c = self.case
        emergency = c["danger_now"] or c["injured_needs_care"]
        self.referral_ends = []  # (decided_at, final_at) planned for each referral

        fate = rng.random()
        t = self.t0
        # A few recent complaints wait for a long time before anyone assigns them.
        forgotten = rng.random() < 0.01 or self.waiting
        assign_at = t + (self.hours(30, 400) if forgotten else self.late(0.5, 20, 0.12, 24, 80))

        if emergency and rng.random() < 0.35:
            self.emergency_referral(t + self.hours(0.3, 6))
        if emergency:
            fc = t + self.late(0.2, 1.8, 0.1, 2, 8)
            if fc < assign_at:
                self.first_contact(fc, self.rng.choice(self.place.koordinator))

        if fate < 0.12 and not self.referral_ends:
            if rng.random() < 0.6:
                self.decline(t + self.hours(4, 240))
                return self.s
            if not self.assign(assign_at):
                return self.s
            self.decline(assign_at + self.hours(24, 240))
            return self.s

        if not self.assign(assign_at):
            return self.s
        t = assign_at
        if self.case["first_contact_at"] is None:
            t += self.late(2, 70, 0.1, 72, 200)
            if not self.first_contact(t, self.companion):
                return self.s
        t = self.assessment(t)
        if self.stopped:
            return self.s
        if fate < 0.20:
            # Closure straight from assessment: the victim refuses services, cannot be reached...
            reason = rng.choice(("refused", "unreachable", "moved"))
            at = t + self.hours(100, 700)
            finals = [f for _d, f in self.referral_ends if f]
            if finals:
                at = max(at, max(finals) + self.hours(24, 120))
            self.close(at, reason)
            return self.s
        t = self.complete(t + self.late(2, 150, 0.15, 170, 480))
        if self.stopped:
            return self.s
        decided = [d for d, _f in self.referral_ends if d]
        finals = [f for _d, f in self.referral_ends if f]
        handling_end = t + self.hours(240, 2200)
        if decided:
            handling_end = max(handling_end, max(decided) + self.hours(1, 48))
        t = self.handling_visits(t, handling_end)
        if self.stopped:
            return self.s
        t = self.monitoring(handling_end)
        if self.stopped:
            return self.s
        if finals:
            t = max(t, max(finals) + self.hours(24, 120))
        reason = rng.choice(("needs_met", "needs_met", "safe_recovered", "moved", "refused"))
        self.close(t, reason)
        return self.s

    # -- steps ---------------------------------------------------------------------------

    def assign(self, at):
        actor = self.deciders()
        self.companion = self.rng.choice(self.place.pendamping)
        c = self.case
        if not self.due(at):
            self.stopped = True
            return False
        c["companion_id"] = self.companion
        c["ever_assigned"] = True
        c["assigned_at"] = at
        return self.advance(
            at,
            actor,
            "assign",
            TRANS,
            to=S.ASSESSMENT.value,
            data={"companion": self.companion, "no_conflict_declared": True},
        )

    def first_contact(self, at, actor):
        if not self.due(at):
            self.stopped = True
            return False
        how = self.rng.choice(("in_person", "home_visit", "phone"))
        self.case["first_contact_at"] = at
        return self.advance(
            at, actor, "first_contact", FIRST_CONTACT, data={"how": how, "at": at.isoformat()}
        )

    def decline(self, at):
        if not self.due(at):
            return False
        reason = self.rng.choice(("duplicate", "out_of_scope", "out_of_scope", "unverifiable"))
        actor = self.deciders()
        c = self.case
        c["not_pursued_reason"] = reason
        c["closed_at"] = at
        ok = self.advance(
            at, actor, "decline", TRANS, to=S.NOT_PURSUED.value, note="", data={"reason": reason}
        )
        if ok:
            self.cancel_unsent(at, actor)
        return ok

    def assessment(self, t):
        """Assessment, consent and plan per victim; returns the time of the last step."""
        rng = self.rng
        c = self.case
        self.plan = []  # (action row, consent share row or None)
        for v in self.victims:
            t += self.hours(1, 72)
            answers = {k: rng.random() < 0.22 for k in RISK_KEYS}
            needs = rng.sample([n.value for n in vocab.NeedDomain], rng.randint(1, 3))
            if not self.assess(t, v, answers, needs):
                return t
            if rng.random() < 0.08:
                t += self.hours(24, 300)
                answers = {k: rng.random() < 0.18 for k in RISK_KEYS}
                if not self.assess(t, v, answers, needs):
                    return t
            giver = "victim"
            child = (
                v["estimated_age"] is not None
                and v["estimated_age"] < 18
                or (
                    v["birth_date"] is not None
                    and (c["registered_at"].date() - v["birth_date"]).days < 18 * 365
                )
            )
            guardian_is_perp = any(
                link["victim_id"] == v["id"]
                and link["relation"] in ("parent", "step_parent")
                and link["lives_together"]
                for link in self.links
            )
            if child:
                giver = "best_interest" if guardian_is_perp and rng.random() < 0.5 else "guardian"
            elif set(v["disability_types"]) & {"intellectual", "mental"}:
                giver = "supported"
            t += self.hours(0.1, 2)
            services = self.consent(t, v, "services", giver)
            if services is None:
                return t
            if giver == "best_interest":
                t += self.late(1, 40, 0.1, 50, 200)
                if not self.confirm(t, services):
                    return t
            for service in self.services_for(v, child):
                t += self.hours(0.1, 3)
                kinds = PROVIDERS.get(service, (None,))
                kind = rng.choice(kinds)
                if giver == "best_interest" and kind not in BEST_INTEREST_KINDS:
                    kind = None
                agency = (
                    rng.choice(self.w.agencies[kind])
                    if kind and self.w.agencies.get(kind)
                    else None
                )
                share = None
                refer = agency is not None and rng.random() < 0.45
                if refer:
                    share = self.consent(
                        t, v, "share", giver, agency=agency, fields=self.shared_fields()
                    )
                    if share is None:
                        return t
                    t += self.hours(0.05, 1)
                action = self.plan_action(t, v, service, agency)
                if action is None:
                    return t
                self.plan.append((action, share if refer else None))
        if rng.random() < 0.12:
            t += self.hours(1, 120)
            self.attach(t)
        if rng.random() < 0.08:
            t += self.hours(1, 120)
            self.edit(t)
        return t

    def services_for(self, victim, child):
        rng = self.rng
        c = self.case
        out = []
        if c["is_violence"]:
            out += rng.sample(VIOLENCE_SERVICES, rng.choice((1, 1, 2)))
            if child and not any(s in ("psychological", "accompaniment") for s in out):
                out.append("psychological")  # guard 3: UPTD PPA or DP3A for child victims
        if c["is_social_protection"]:
            out += rng.sample(SOCIAL_SERVICES, 1)
        return out

    def shared_fields(self):
        r = self.rng.random()
        if r < 0.4:
            return ["narrative"]
        if r < 0.75:
            return ["full_name", "narrative"]
        return ["full_name", "address", "contact", "narrative", "health"]

    def assess(self, at, victim, answers, needs):
        if not self.due(at):
            self.stopped = True
            return False
        comp = self.case["companion_id"]
        a = {
            "id": self.w.next_id("assessments"),
            "case_id": self.case["id"],
            "kelurahan_id": self.kel_id,
            "victim_id": victim["id"],
            "answers": answers,
            "risk_level": str(risk_level(answers)),
            "needs": needs,
            "note": "",
            "assessed_by_id": comp,
            "assessed_at": at,
        }
        self.s.assessments.append(a)
        return self.advance(
            at,
            comp,
            "assess",
            ASSESS,
            data={"victim": victim["id"], "assessment": a["id"], "risk": a["risk_level"]},
        )

    def consent(self, at, victim, purpose, giver, *, agency=None, fields=()):
        if not self.due(at):
            self.stopped = True
            return None
        comp = self.case["companion_id"]
        c = {
            "id": self.w.next_id("consents"),
            "case_id": self.case["id"],
            "kelurahan_id": self.kel_id,
            "victim_id": victim["id"],
            "purpose": purpose,
            "agency_id": agency,
            "shared_fields": list(fields),
            "given_by": giver,
            "giver_name": ""
            if giver == "victim"
            else "Orang tua/wali"
            if giver == "guardian"
            else "Pendukung pilihan korban"
            if giver == "supported"
            else "",
            "child_view": "Anak setuju didampingi." if giver == "guardian" else "",
            "how": self.rng.choice(("written", "written", "verbal_witness")),
            "given_at": at,
            "recorded_by_id": comp,
            "confirmed_by_id": None,
            "confirmed_at": None,
            "withdrawn_at": None,
            "withdrawn_by_id": None,
            "withdrawal_note": "",
        }
        self.s.consents.append(c)
        self.hist("consent_history", c, at, comp, "+")
        self.advance(
            at,
            comp,
            "consent",
            CONSENT,
            data={"victim": victim["id"], "consent": c["id"], "purpose": purpose},
        )
        return c

    def confirm(self, at, consent):
        if not self.due(at):
            self.stopped = True
            return False
        koor = self.rng.choice(self.place.koordinator)
        consent["confirmed_by_id"] = koor
        consent["confirmed_at"] = at
        self.hist("consent_history", consent, at, koor)
        return self.advance(
            at, koor, "confirm_consent", CONSENT, data={"consent": consent["id"], "confirmed": True}
        )

    def withdraw(self, at, consent):
        if not self.due(at):
            return False
        comp = self.case["companion_id"]
        note = "Korban menarik persetujuan berbagi data."
        consent["withdrawn_at"] = at
        consent["withdrawn_by_id"] = comp
        consent["withdrawal_note"] = note
        self.hist("consent_history", consent, at, comp)
        return self.advance(
            at,
            comp,
            "withdraw_consent",
            CONSENT,
            note=note,
            data={"consent": consent["id"], "withdrawn": True},
        )

    def plan_action(
        self, at, victim, service, agency, *, actor=None, status="planned", note="", event=True
    ):
        if event and not self.due(at):
            self.stopped = True
            return None
        actor = actor or self.case["companion_id"]
        a = {
            "id": self.w.next_id("actions"),
            "case_id": self.case["id"],
            "kelurahan_id": self.kel_id,
            "victim_id": victim["id"],
            "service_type": service,
            "agency_id": agency,
            "target_date": (at + self.hours(72, 720)).date() if self.rng.random() < 0.5 else None,
            "status": status,
            "note": note,
            "created_by_id": actor,
            "created_at": at,
            "version": 1,
        }
        self.s.actions.append(a)
        self.hist("action_history", a, at, actor, "+")
        if event:
            self.advance(
                at, actor, "plan_action", PLAN, data={"action": a["id"], "service": service}
            )
        return a

    def action_status(self, action, status, at, actor, *, event=True):
        """The planned action's status: by the companion (an event) or by a referral step."""
        if action["status"] == status:
            return
        before = action["status"]
        action["status"] = status
        action["version"] += 1
        self.hist("action_history", action, at, actor)
        if event:
            self.advance(
                at,
                actor,
                "action_status",
                PLAN,
                data={"action": action["id"], "from": before, "to": status},
            )

    def attach(self, at):
        if not self.due(at):
            return
        comp = self.case["companion_id"]
        w = self.w
        att = {
            "id": w.next_id("attachments"),
            "case_id": self.case["id"],
            "kelurahan_id": self.kel_id,
            "file": w.attachment_name,
            "original_name": self.rng.choice(("foto-luka.png", "surat-keterangan.png", "kk.png")),
            "content_type": "image/png",
            "size": w.attachment_size,
            "sha256": w.attachment_sha256,
            "description": "",
            "uploaded_by_id": comp,
            "uploaded_at": at,
        }
        self.s.attachments.append(att)
        self.log(comp, "attachments", at)
        self.event(ATTACH, at, comp, action="attachment_add", data={"attachment": att["id"]})

    def edit(self, at):
        """A correction of the intake data (case_update)."""
        if not self.due(at):
            return
        comp = self.case["companion_id"]
        c = self.case
        self.log(comp, "edit_view", at - self.hours(0.05, 0.3))
        c["narrative"] = (c["narrative"] + " Keterangan dilengkapi pendamping.").strip()
        c["version"] += 1
        self.hist("case_history", c, at, comp)
        self.log(comp, "edit", at)
        self.event(EDIT, at, comp, data={"fields": ["narrative"]})
        self.log(comp, "duplicate_check", at, detail="possible duplicates: 0")

    def complete(self, at):
        if not self.due(at):
            self.stopped = True
            return at
        comp = self.case["companion_id"]
        self.case["handling_started_at"] = at
        self.advance(at, comp, "complete_assessment", TRANS, to=S.HANDLING.value)
        # The referrals of the plan, each in its own flow from now on.
        for action, share in self.plan:
            if share is not None:
                start = at + self.hours(0.5, 120)
                self.referral_ends.append(self.referral(action, share, start))
        # Actions LBK-KK does itself are done during handling.
        return at

    def handling_visits(self, t, end):
        rng = self.rng
        for _i in range(rng.choice((0, 0, 1, 2))):
            at = t + (end - t) * rng.random()
            if at <= t:
                continue
            t = at
            if not self.visit(t):
                return t
        for action, _share in self.plan:
            if action["agency_id"] is None and action["status"] == "planned":
                t += self.hours(1, 100)
                if t >= end or not self.due(t):
                    break
                self.action_status(action, "done", t, self.case["companion_id"])
        return t

    def visit(self, at):
        if not self.due(at):
            self.stopped = True
            return False
        rng = self.rng
        comp = self.case["companion_id"]
        confidential = rng.random() < 0.1
        v = {
            "id": self.w.next_id("visits"),
            "case_id": self.case["id"],
            "kelurahan_id": self.kel_id,
            "victim_id": rng.choice(self.victims)["id"],
            "kind": rng.choice(("home", "home", "phone", "accompany", "meeting")),
            "visited_on": at.date(),
            "text": rng.choice(VISIT_NOTES),
            "next_visit_on": (at + self.hours(7 * 24, 14 * 24)).date()
            if rng.random() < 0.5
            else None,
            "confidential": confidential,
            "by_id": comp,
            "created_at": at,
        }
        self.s.visits.append(v)
        c = self.case
        if c["last_visit_at"] is None or at > c["last_visit_at"]:
            c["last_visit_at"] = at
        return self.advance(
            at,
            comp,
            "visit",
            VISIT,
            note="" if confidential else v["text"],
            data={"visit": v["id"], "kind": v["kind"], "confidential": confidential},
            confidential=confidential,
        )

    def monitoring(self, at):
        rng = self.rng
        if rng.random() < 0.03:
            self.reassign(at - self.hours(0.5, 12))
            if self.stopped:
                return at
        if not self.due(at):
            self.stopped = True
            return at
        comp = self.case["companion_id"]
        self.case["monitoring_started_at"] = at
        self.advance(at, comp, "start_monitoring", TRANS, to=S.MONITORING.value)
        end = at + self.hours(30 * 24, 150 * 24)
        t = at
        recovered = rng.random() < 0.5
        while True:
            t += self.late(10 * 24, 14 * 24, 0.15, 15 * 24, 40 * 24)
            if t > end:
                break
            if not self.visit(t):
                return t
            if recovered and t > at + (end - at) / 2:
                recovered = False
                t += self.hours(0.1, 1)
                if not self.recovery(t):
                    return t
        return max(t, end)

    def reassign(self, at):
        if not self.due(at) or len(self.place.pendamping) < 2:
            return
        actor = self.deciders()
        before = self.case["companion_id"]
        new = self.rng.choice([p for p in self.place.pendamping if p != before])
        self.case["companion_id"] = new
        self.companion = new
        self.advance(
            at,
            actor,
            "reassign",
            ASSIGN_EV,
            note="Pendamping sebelumnya dipindahtugaskan.",
            data={"from_companion": before, "companion": new, "no_conflict_declared": True},
        )

    def recovery(self, at):
        comp = self.case["companion_id"]
        for v in self.victims:
            if not self.due(at):
                self.stopped = True
                return False
            items = sorted(k for k in RECOVERY_KEYS if self.rng.random() < 0.6)
            v["recovery"] = {k: k in items for k in RECOVERY_KEYS}
            v["version"] += 1
            self.hist("victim_history", v, at, comp)
            self.advance(at, comp, "recovery", EDIT, data={"victim": v["id"], "recovery": items})
            at += self.hours(0.01, 0.2)
        return True

    def close(self, at, reason):
        """Propose closure, sometimes returned once, then approved by someone else."""
        rng = self.rng
        c = self.case
        for _action, share in self.plan:
            if share is not None and rng.random() < 0.03 and share["withdrawn_at"] is None:
                self.withdraw(at - self.hours(0.1, 1), share)
        comp = c["companion_id"]
        if not self.due(at):
            return
        c["status_before_closure"] = c["status"]
        c["closure_requested_at"] = at
        c["closure_requested_by_id"] = comp
        c["closure_reason"] = reason
        self.advance(
            at,
            comp,
            "propose_closure",
            TRANS,
            to=S.CLOSURE_REQUESTED.value,
            data={"reason": reason},
        )
        decider = self.deciders()
        at += self.late(2, 70, 0.1, 72, 240)
        if rng.random() < 0.04:
            if not self.due(at):
                return
            back = c["status_before_closure"]
            c["closure_requested_at"] = None
            c["closure_requested_by_id"] = None
            c["closure_reason"] = ""
            self.advance(
                at, decider, "return", TRANS, to=back, note="Mohon lengkapi catatan pemulihan."
            )
            c["status_before_closure"] = ""
            self.hist_fix_last()
            at += self.hours(24, 300)
            if not self.due(at):
                return
            c["status_before_closure"] = c["status"]
            c["closure_requested_at"] = at
            c["closure_requested_by_id"] = comp
            c["closure_reason"] = reason
            self.advance(
                at,
                comp,
                "propose_closure",
                TRANS,
                to=S.CLOSURE_REQUESTED.value,
                data={"reason": reason},
            )
            at += self.late(2, 70, 0.1, 72, 240)
        if not self.due(at):
            return
        if decider == comp:
            decider = self.rng.choice(self.place.koordinator)
        c["closed_at"] = at
        self.advance(
            at, decider, "approve_closure", TRANS, to=S.CLOSED.value, data={"reason": reason}
        )
        self.cancel_unsent(at, decider)

    def hist_fix_last(self):
        # case_advance clears status_before_closure in the same save as the return.
        self.s.case_history[-1]["status_before_closure"] = ""
