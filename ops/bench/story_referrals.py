"""The referrals of a case's life (story.py), as referrals/services.py writes them: the draft
from a planned action, request, decision (return, approval with the letter), sending (at once
for agencies with users), receipt and outcome, cancellations; emergency referrals recorded at
once and ratified afterwards. Mixed into story.Life; every step later than now is not taken.
"""

import datetime

from cases.models import CaseEvent
from referrals.models import OUTCOME_TABLE, Outcome
from referrals.services import format_letter_number

DAY = datetime.timedelta(days=1)
REFERRAL = CaseEvent.Kind.REFERRAL.value

HANDOVER_KINDS = frozenset({"uptd_ppa", "dinsos"})
DECLINE_OUTCOMES = (
    Outcome.SERVED_ELSEWHERE,
    Outcome.NOT_ELIGIBLE,
    Outcome.REFUSED,
    Outcome.UNAVAILABLE,
)


class ReferralSteps:
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

    def ref_step(self, r, actor, action, at, to_state, *, note="", log=True, clocks=True):
        """One step of the referral procedure. clocks=False: the clock rows follow at the next
        step (an approval that sends at once: the engine fires "send" inside "approve", so the
        decision clock stops with "referral.send")."""
        before = r["state"]
        if to_state is not None:
            r["state"] = to_state
            r["state_changed_at"] = at
        r["version"] += 1
        if log:
            self.log(actor, f"referral_{action}", at, detail=f"referral {r['id']}")
        self.ref_event(r, actor, action, at, note=note, from_state=before, to_state=r["state"])
        if clocks:
            self.sync_clocks(at, f"referral.{action}")

    def companions_of(self, r):
        return [self.case["companion_id"], r["created_by_id"]]

    def new_referral(self, action, at, actor, **fields):
        w = self.w
        # The fields this story sets; the others keep the model's defaults (tables.py).
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
            "version": 1,
            **fields,
        }
        self.s.referrals.append(r)
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
        app = w.has_users(r["agency_id"])
        self.ref_step(r, signer.user_id, "approve", decide, "approved", clocks=not app)
        self.issue_letter(r, decide, signer)
        if app:
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
        self.sync_clocks(at, "referral.emergency")
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
        """Drafts and returned referrals are cancelled when the case closes or is not pursued
        (no clock runs on them: the case step's own sync follows)."""
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
