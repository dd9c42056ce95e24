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
rows. Another table derived from the same life (e.g. deadline-clock runs) reads story.events,
story.case and story.referrals: every step's time, actor and states are there.
"""

import datetime
import uuid

from cases import vocab
from cases.services.intake import case_number
from cases.workflow import risk_level
from referrals.models import OUTCOME_TABLE, Outcome
from referrals.services import format_letter_number

from . import intake

H = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)
MIN = datetime.timedelta(minutes=1)

REG, TRANS, ASSIGN_EV = "registered", "transition", "assignment"
FIRST_CONTACT, ASSESS, CONSENT, PLAN = "first_contact", "assessment", "consent", "plan"
VISIT, REFERRAL, DUP, EDIT, ATTACH = "visit", "referral", "duplicate", "edit", "attachment"
S = vocab.Status
IPS = [f"10.20.{a}.{b}" for a in range(4) for b in range(2, 250, 7)]

RISK_KEYS = [k for k, _label in vocab.RISK_QUESTIONS]
RECOVERY_KEYS = [k for k, _label in vocab.RECOVERY_ITEMS]
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
HANDOVER_KINDS = frozenset({"uptd_ppa", "dinsos"})
VISIT_NOTES = (
    "Kunjungan rumah: korban dalam keadaan baik, tinggal bersama keluarga.",
    "Telepon: korban sudah kembali bersekolah, masih perlu penguatan.",
    "Mendampingi korban ke layanan kesehatan; hasil pemeriksaan baik.",
    "Pertemuan dengan keluarga dan ketua RT tentang keamanan korban.",
    "Korban mengikuti konseling kedua; suasana hati membaik.",
)
DECLINE_OUTCOMES = (
    Outcome.SERVED_ELSEWHERE,
    Outcome.NOT_ELIGIBLE,
    Outcome.REFUSED,
    Outcome.UNAVAILABLE,
)


class Story:
    """The rows one case writes, per table (lists of dicts keyed by attname)."""

    TABLES = (
        "cases",
        "case_history",
        "victims",
        "victim_history",
        "perpetrators",
        "perpetrator_history",
        "links",
        "link_history",
        "events",
        "access_logs",
        "duplicate_flags",
        "assessments",
        "consents",
        "consent_history",
        "actions",
        "action_history",
        "visits",
        "referrals",
        "notifications",
        "attachments",
    )

    def __init__(self):
        for name in self.TABLES:
            setattr(self, name, [])

    @property
    def case(self):
        return self.cases[0]


class Life:
    def __init__(self, world, rng, place, t0):
        self.w = world
        self.rng = rng
        self.place = place
        self.kel = place.kelurahan
        self.kel_id = place.pk
        self.t0 = t0
        self.now = world.now
        self.s = Story()
        self.case = None
        self.stopped = False
        self.ref_states = {}  # referral id -> dict (the row)

    # -- small helpers -------------------------------------------------------------------

    def hours(self, lo, hi):
        return datetime.timedelta(hours=self.rng.uniform(lo, hi))

    def late(self, lo, hi, p, late_lo, late_hi):
        """A delay in hours, late (overdue) with probability p."""
        if self.rng.random() < p:
            return self.hours(late_lo, late_hi)
        return self.hours(lo, hi)

    def ip(self):
        return self.rng.choice(IPS)

    def hist(self, table, obj, when, user_id, kind="~"):
        row = dict(obj)
        row["history_id"] = self.w.next_id(table)
        row["history_date"] = when
        row["history_change_reason"] = None
        row["history_type"] = kind
        row["history_user_id"] = user_id
        getattr(self.s, table).append(row)

    def log(self, user_id, action, at, *, case=True, detail="", kelurahan=True):
        self.s.access_logs.append(
            {
                "id": self.w.next_id("access_logs"),
                "user_id": user_id,
                "kelurahan_id": self.kel_id if kelurahan else None,
                "case_id": self.case["id"] if case else None,
                "action": action,
                "at": at,
                "ip": self.ip(),
                "detail": detail,
            }
        )

    def event(
        self,
        kind,
        at,
        actor,
        *,
        action="",
        from_status="",
        to_status="",
        note="",
        data=None,
        confidential=False,
    ):
        self.s.events.append(
            {
                "id": self.w.next_id("events"),
                "case_id": self.case["id"],
                "kelurahan_id": self.kel_id,
                "kind": kind,
                "action": action,
                "from_status": from_status,
                "to_status": to_status,
                "actor_id": actor,
                "at": at,
                "note": note,
                "confidential": confidential,
                "data": data or {},
            }
        )

    def notify(self, users, kind, text, at, referral_id):
        seen = set()
        for u in users:
            if u is None or u in seen:
                continue
            seen.add(u)
            read = None
            if at < self.now - 3 * DAY and self.rng.random() < 0.93:
                read = at + self.hours(0.2, 70)
            self.s.notifications.append(
                {
                    "id": self.w.next_id("notifications"),
                    "user_id": u,
                    "kelurahan_id": self.kel_id,
                    "kind": kind,
                    "text": text[:255],
                    "url": f"/referrals/{referral_id}/",
                    "created_at": at,
                    "read_at": read,
                }
            )

    def acting_companion(self):
        """The assigned companion; the coordinator while nobody is assigned."""
        return self.case["companion_id"] or self.rng.choice(self.place.koordinator)

    def deciders(self):
        """Coordinator or kelurahan staff, as they act on cases."""
        r = self.rng.random()
        if r < 0.75:
            return self.rng.choice(self.place.koordinator)
        return self.rng.choice(self.place.staff).user_id

    def signer(self, not_user=None):
        staff = [s for s in self.place.staff if s.user_id != not_user] or self.place.staff
        kasi = [s for s in staff if not s.is_lurah]
        if kasi and self.rng.random() < 0.8:
            return self.rng.choice(kasi)
        return self.rng.choice(staff)

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
        return True

    def due(self, at):
        """Can a step at `at` still be taken (not after now, nothing before it stopped)?"""
        return not self.stopped and at <= self.now

    # -- registration (cases/services/intake.py) -----------------------------------------

    def register(self):
        rng, w, t0 = self.rng, self.w, self.t0
        place = self.place
        r = rng.random()
        if r < 0.8:
            actor = rng.choice(place.relawan)
        elif r < 0.95:
            actor = rng.choice(place.koordinator)
        else:
            actor = rng.choice(place.pendamping)
        roleplay = rng.random() < 0.02
        year = t0.year
        seq = w.take_case_seq(self.kel_id, year, roleplay)
        child = rng.random() < 0.45
        received = t0 - self.hours(0, 30) if rng.random() < 0.5 else t0
        data, n_perps = intake.case_fields(rng, received_at=received, child=child)
        case = {
            "id": w.next_id("cases"),
            "kelurahan_id": self.kel_id,
            "number": case_number(self.kel, year, seq, roleplay),
            "year": year,
            "seq": seq,
            "is_roleplay": roleplay,
            "status": S.RECEIVED.value,
            "status_before_closure": "",
            "registered_at": t0,
            "registered_by_id": actor,
            "intake_token": uuid.UUID(int=rng.getrandbits(128), version=4),
            "companion_id": None,
            "ever_assigned": False,
            "assigned_at": None,
            "first_contact_at": None,
            "handling_started_at": None,
            "monitoring_started_at": None,
            "last_visit_at": None,
            "closure_requested_at": None,
            "closure_requested_by_id": None,
            "closure_reason": "",
            "not_pursued_reason": "",
            "closed_at": None,
            "status_changed_at": t0,
            "version": 1,
            **data,
        }
        self.case = case
        self.s.cases.append(case)
        self.registrant = actor
        self.hist("case_history", case, t0, actor, "+")

        n_victims = 1 if rng.random() < 0.7 else (2 if rng.random() < 0.73 else 3)
        on = t0.date()
        victims = []
        for pos in range(1, n_victims + 1):
            v = intake.victim_fields(
                rng,
                child=child,
                on=on,
                nik_seq=w.next_id("nik"),
                disability=rng.random() < 0.08,
            )
            v.update(
                id=w.next_id("victims"), case_id=case["id"], kelurahan_id=self.kel_id, position=pos
            )
            if w.full_name_pending(self.kel):
                v["full_name"] = intake.SEARCH_FULL_NAME
                w.full_name_done = True
            victims.append(v)
            self.s.victims.append(v)
            self.hist("victim_history", v, t0, actor, "+")
        self.victims = victims

        # A possible duplicate: the same NIK as an earlier victim of the kelurahan.
        dup_of = None
        if rng.random() < 0.005:
            dup_of = w.earlier_nik(self.kel_id, rng)
            if dup_of is not None:
                victims[0]["nik"] = dup_of[0]
                self.s.victim_history[-n_victims]["nik"] = dup_of[0]
        w.remember_nik(self.kel_id, victims[0]["nik"], case["id"])

        self.perps, self.links = [], []
        for pos in range(1, n_perps + 1):
            p, relation, together = intake.perpetrator_fields(rng, child_victim=child)
            p.update(
                id=w.next_id("perpetrators"),
                case_id=case["id"],
                kelurahan_id=self.kel_id,
                position=pos,
            )
            self.perps.append(p)
            self.s.perpetrators.append(p)
            self.hist("perpetrator_history", p, t0, actor, "+")
            for v in victims:
                link = {
                    "id": w.next_id("links"),
                    "perpetrator_id": p["id"],
                    "victim_id": v["id"],
                    "kelurahan_id": self.kel_id,
                    "relation": relation,
                    "lives_together": together,
                }
                self.links.append(link)
                self.s.links.append(link)
                self.hist("link_history", link, t0, actor, "+")
        self.event(
            REG,
            t0,
            actor,
            to_status=S.RECEIVED.value,
            data={"victims": n_victims, "perpetrators": n_perps},
        )
        found = 0
        if dup_of is not None:
            found = 1
            for a, b in ((case["id"], dup_of[1]), (dup_of[1], case["id"])):
                self.s.duplicate_flags.append(
                    {
                        "id": w.next_id("duplicate_flags"),
                        "case_id": a,
                        "other_id": b,
                        "kelurahan_id": self.kel_id,
                        "reason": "nik",
                        "created_at": t0,
                        "resolved": rng.random() < 0.5,
                    }
                )
        self.log(actor, "duplicate_check", t0, detail=f"possible duplicates: {found}")

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
        forgotten = rng.random() < 0.01
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
            self.close(t + self.hours(100, 700), reason)
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
                refer = agency is not None and rng.random() < 0.6
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
            self.reassign(at - self.hours(24, 200))
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
                self.withdraw(at - self.hours(1, 48), share)
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

    # -- referrals (referrals/services.py) -------------------------------------------------

    def ref_event(self, r, actor, action, at, *, note="", from_state="", to_state=""):
        head = self.w.referral_head(r["agency_id"], action, to_state)
        self.event(
            REFERRAL,
            at,
            actor,
            action=action,
            note=f"{head}\n{note}" if note else head,
            data={
                "referral": r["id"],
                "from": from_state,
                "to": to_state,
                "agency": r["agency_id"],
            },
        )

    def ref_step(self, r, actor, action, at, to_state, *, note="", log=True):
        before = r["state"]
        if to_state is not None:
            r["state"] = to_state
            r["state_changed_at"] = at
        r["version"] += 1
        if log:
            self.log(actor, f"referral_{action}", at, detail=f"referral {r['id']}")
        self.ref_event(r, actor, action, at, note=note, from_state=before, to_state=r["state"])

    def companions_of(self, r):
        return [self.case["companion_id"], r["created_by_id"]]

    def new_referral(self, action, at, actor, **fields):
        w = self.w
        r = {
            "id": w.next_id("referrals"),
            "case_id": self.case["id"],
            "kelurahan_id": self.kel_id,
            "victim_id": action["victim_id"],
            "agency_id": action["agency_id"],
            "kind": "layanan",
            "action_id": action["id"],
            "services_requested": w.service_label(action["service_type"]),
            "summary": "Korban membutuhkan layanan lanjutan sesuai rencana penanganan (data uji).",
            "shared_fields": [],
            "state": "draft",
            "state_changed_at": at,
            "created_by_id": actor,
            "created_at": at,
            "requested_by_id": None,
            "requested_at": None,
            "decided_by_id": None,
            "decided_at": None,
            "return_note": "",
            "is_emergency": False,
            "emergency_at": None,
            "ratified_by_id": None,
            "ratified_at": None,
            "ratification_refused": False,
            "letter_number": "",
            "letter_year": None,
            "letter_seq": None,
            "letter_roleplay": False,
            "issued_at": None,
            "signer_id": None,
            "signer_name": "",
            "signer_title": "",
            "signer_rank": "",
            "signer_nip": "",
            "signer_on_behalf": False,
            "letter_shared_fields": [],
            "pdf": "",
            "pdf_sha256": "",
            "verify_token": None,
            "sent_at": None,
            "sent_how": "",
            "sent_by_id": None,
            "acknowledged_at": None,
            "acknowledged_by_id": None,
            "acknowledged_proof": "",
            "outcome": "",
            "service_given": "",
            "outcome_note": "",
            "outcome_at": None,
            "outcome_by_id": None,
            "outcome_proof": "",
            "cancelled_at": None,
            "cancelled_by_id": None,
            "cancel_reason": "",
            "version": 1,
            **fields,
        }
        self.s.referrals.append(r)
        self.ref_states[r["id"]] = r
        return r

    def issue_letter(self, r, at, signer):
        w = self.w
        roleplay = self.case["is_roleplay"]
        day = at.date()
        seq = w.take_letter_seq(self.kel_id, day.year, roleplay)
        r.update(
            letter_seq=seq,
            letter_year=day.year,
            letter_roleplay=roleplay,
            letter_number=format_letter_number(self.kel, seq, day, roleplay),
            issued_at=at,
            signer_id=signer.user_id,
            signer_name=signer.name,
            signer_title=signer.title,
            signer_rank=signer.rank,
            signer_nip=signer.nip,
            signer_on_behalf=not signer.is_lurah,
            letter_shared_fields=list(r["shared_fields"]) if r.get("_consented") else [],
            verify_token=f"b{r['id']:x}{self.rng.getrandbits(96):024x}",
            pdf=w.letter_name,
            pdf_sha256=w.letter_sha256,
        )

    def send(self, r, at, actor, how):
        r.update(sent_at=at, sent_how=how, sent_by_id=actor)
        self.ref_step(r, actor, "send", at, "sent", note=self.w.send_label(how), log=how != "app")
        action = self.action_of(r)
        self.action_status(action, "in_progress", at, actor, event=False)
        if self.w.has_users(r["agency_id"]):
            self.notify(
                self.w.officers.get(r["agency_id"], []),
                "referral_sent",
                self.w.text_sent(self.case, self.kel),
                at,
                r["id"],
            )

    def action_of(self, r):
        for a in self.s.actions:
            if a["id"] == r["action_id"]:
                return a
        raise KeyError(r["action_id"])

    def answer(self, r, at):
        """Receipt and outcome, by the agency's officer or by the companion on its behalf."""
        rng = self.rng
        w = self.w
        officers = w.officers.get(r["agency_id"]) if w.has_users(r["agency_id"]) else None
        who = rng.choice(officers) if officers else self.acting_companion()
        proof = "" if officers else rng.choice(("Tanda terima surat", "Konfirmasi lewat telepon"))
        at += self.late(4, 72, 0.12, 80, 300)
        if not self.due(at):
            return None
        r.update(acknowledged_at=at, acknowledged_by_id=who, acknowledged_proof=proof)
        self.ref_step(r, who, "acknowledge", at, "acknowledged", note=proof)
        self.notify(
            self.companions_of(r),
            "referral_answered",
            w.text_answered(self.case, r, "acknowledged"),
            at,
            r["id"],
        )
        at += self.hours(48, 900)
        if not self.due(at):
            return None
        served = rng.random() < 0.82
        outcome = Outcome.SERVED if served else rng.choice(DECLINE_OUTCOMES)
        state, action_status = OUTCOME_TABLE[outcome]
        action = self.action_of(r)
        note = "Layanan telah diberikan." if served else "Tidak dapat dilayani."
        r.update(
            outcome=outcome.value,
            outcome_note=note,
            service_given=action["service_type"] if served else "",
            outcome_at=at,
            outcome_by_id=who,
            outcome_proof=proof,
        )
        self.ref_step(r, who, "complete" if served else "decline", at, state.value, note=note)
        self.action_status(action, action_status.value, at, who, event=False)
        self.notify(
            self.companions_of(r),
            "referral_answered",
            w.text_answered(self.case, r, state.value),
            at,
            r["id"],
        )
        return at

    def referral(self, action, share, start):
        """One referral from a planned action; returns its planned (decision, final) times."""
        rng = self.rng
        w = self.w
        comp = self.case["companion_id"]
        # Times first (the case's monitoring and closure wait on them), then the steps until now.
        request = start + self.hours(0.1, 30)
        decide = request + self.late(1, 22, 0.12, 25, 120)
        if not start <= self.now:
            return (decide, decide + 40 * DAY)
        handover = w.agency_kind(action["agency_id"]) in HANDOVER_KINDS and rng.random() < 0.1
        r = self.new_referral(
            action,
            start,
            comp,
            kind="pelimpahan" if handover else "layanan",
            shared_fields=list(share["shared_fields"]),
            _consented=True,
        )
        self.log(comp, "referral_create", start)
        self.ref_event(r, comp, "create", start, to_state="draft")
        final_plan = decide + self.hours(100, 1100)
        if rng.random() < 0.03:
            return (None, None)  # a draft left behind (cancelled when the case closes)
        if request > self.now:
            return (decide, final_plan)
        r.update(requested_by_id=comp, requested_at=request, return_note="")
        self.ref_step(r, comp, "request", request, "requested")
        self.notify(
            [s.user_id for s in self.place.staff],
            "referral_requested",
            w.text_requested(self.case, r),
            request,
            r["id"],
        )
        signer = self.signer(not_user=comp)
        if rng.random() < 0.03:
            at = request + self.hours(1, 48)
            if at > self.now:
                return (decide, final_plan)
            self.cancel(r, at, comp, "withdraw", "Korban memilih layanan lain.")
            return (at, at)
        if rng.random() < 0.07:
            if decide > self.now:
                return (decide, final_plan)
            note = "Mohon lengkapi layanan yang diminta."
            r.update(decided_by_id=signer.user_id, decided_at=decide, return_note=note)
            self.ref_step(r, signer.user_id, "return", decide, "returned", note=note)
            self.notify(
                self.companions_of(r),
                "referral_returned",
                w.text_returned(self.case, r),
                decide,
                r["id"],
            )
            again = decide + self.hours(2, 96)
            decide = again + self.late(1, 22, 0.12, 25, 120)
            final_plan = decide + self.hours(100, 1100)
            if again > self.now:
                return (decide, final_plan)
            r.update(requested_by_id=comp, requested_at=again, return_note="")
            self.ref_step(r, comp, "request", again, "requested")
            self.notify(
                [s.user_id for s in self.place.staff],
                "referral_requested",
                w.text_requested(self.case, r),
                again,
                r["id"],
            )
        if decide > self.now:
            return (decide, final_plan)
        r.update(decided_by_id=signer.user_id, decided_at=decide)
        self.ref_step(r, signer.user_id, "approve", decide, "approved")
        self.issue_letter(r, decide, signer)
        if w.has_users(r["agency_id"]):
            self.send(r, decide, signer.user_id, "app")
            at = decide
        else:
            self.notify(
                self.companions_of(r),
                "referral_approved",
                w.text_approved(self.case, r),
                decide,
                r["id"],
            )
            at = decide + self.late(1, 48, 0.1, 50, 200)
            if at > self.now:
                return (decide, final_plan)
            self.send(r, at, comp, rng.choice(("hand", "hand", "whatsapp", "email")))
        if rng.random() < 0.02:
            at += self.hours(2, 72)
            if at > self.now:
                return (decide, final_plan)
            self.cancel(r, at, signer.user_id, "cancel", "Layanan dialihkan ke instansi lain.")
            return (decide, at)
        end = self.answer(r, at)
        return (decide, end or final_plan)

    def emergency_referral(self, at):
        """Made at once by phone or by accompanying the victim; ratified afterwards."""
        rng = self.rng
        w = self.w
        if not self.due(at):
            return
        kind = rng.choice(("health", "health", "police", "uptd_ppa"))
        agency = rng.choice(w.agencies[kind])
        actor = self.case["companion_id"] or rng.choice(self.place.koordinator)
        victim = self.victims[0]
        service = {"health": "health", "police": "law_enforcement", "uptd_ppa": "shelter"}[kind]
        action = self.plan_action(
            at,
            victim,
            service,
            agency,
            actor=actor,
            status="in_progress",
            note=w.emergency_note,
            event=False,
        )
        made = at - self.hours(0.1, 2)
        how = rng.choice(("phone", "accompanied"))
        r = self.new_referral(
            action,
            at,
            actor,
            services_requested=w.service_label(service),
            summary="Korban dalam bahaya; dirujuk segera (data uji).",
            state="sent",
            is_emergency=True,
            emergency_at=made,
            requested_by_id=actor,
            requested_at=at,
            sent_at=made,
            sent_how=how,
            sent_by_id=actor,
        )
        self.log(actor, "referral_emergency", at)
        self.ref_event(r, actor, "emergency", at, to_state="sent", note=w.send_label(how))
        self.notify(
            [s.user_id for s in self.place.staff],
            "referral_ratify",
            w.text_ratify(self.case, r),
            at,
            r["id"],
        )
        if w.has_users(agency):
            self.notify(
                w.officers.get(agency, []),
                "referral_sent",
                w.text_sent(self.case, self.kel),
                at,
                r["id"],
            )
        ratify = at + self.late(1, 20, 0.08, 25, 60)
        final_plan = ratify + self.hours(48, 500)
        self.referral_ends.append((None, final_plan))
        if ratify > self.now:
            return
        signer = self.signer(not_user=actor)
        if rng.random() < 0.05:
            r["ratification_refused"] = True
            self.cancel(r, ratify, signer.user_id, "refuse", "Tidak memenuhi kriteria darurat.")
            self.notify(
                self.place.koordinator + self.companions_of(r),
                "referral_refused",
                w.text_refused(self.case, r),
                ratify,
                r["id"],
            )
            self.referral_ends[-1] = (None, ratify)
            return
        r.update(ratified_by_id=signer.user_id, ratified_at=ratify)
        self.ref_step(r, signer.user_id, "ratify", ratify, None)
        self.issue_letter(r, ratify, signer)
        end = self.answer(r, ratify)
        if end:
            self.referral_ends[-1] = (None, end)

    def cancel(self, r, at, actor, action, reason):
        r.update(cancelled_by_id=actor, cancelled_at=at, cancel_reason=reason)
        self.ref_step(r, actor, action, at, "cancelled", note=reason)
        action_row = self.action_of(r)
        if action_row["status"] == "in_progress":
            self.action_status(action_row, "planned", at, actor, event=False)

    def cancel_unsent(self, at, actor):
        """Drafts and returned referrals are cancelled when the case closes or is not pursued."""
        for r in self.s.referrals:
            if r["state"] in ("draft", "returned"):
                before = r["state"]
                reason = "Kasus ditutup."
                r.update(
                    state="cancelled",
                    state_changed_at=at,
                    cancelled_at=at,
                    cancelled_by_id=actor,
                    cancel_reason=reason,
                )
                r["version"] += 1
                self.ref_event(
                    r, actor, "withdraw", at, note=reason, from_state=before, to_state="cancelled"
                )
