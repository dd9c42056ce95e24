"""The shared part of a case's life (story.py): the Story (rows per table), the helpers every
step uses (delays, change history, access log, timeline, notifications) and the registration
as cases/services/intake.py writes it."""

import datetime
import uuid

from cases import vocab
from cases.search import normalize_name
from cases.services.intake import case_number

from . import intake

DAY = datetime.timedelta(days=1)

REG, TRANS, ASSIGN_EV = "registered", "transition", "assignment"
FIRST_CONTACT, ASSESS, CONSENT, PLAN = "first_contact", "assessment", "consent", "plan"
VISIT, EDIT, ATTACH = "visit", "edit", "attachment"
S = vocab.Status
IPS = [f"10.20.{a}.{b}" for a in range(4) for b in range(2, 250, 7)]

RISK_KEYS = [k for k, _label in vocab.RISK_QUESTIONS]
RECOVERY_KEYS = [k for k, _label in vocab.RECOVERY_ITEMS]
VISIT_NOTES = (
    "Kunjungan rumah: korban dalam keadaan baik, tinggal bersama keluarga.",
    "Telepon: korban sudah kembali bersekolah, masih perlu penguatan.",
    "Mendampingi korban ke layanan kesehatan; hasil pemeriksaan baik.",
    "Pertemuan dengan keluarga dan ketua RT tentang keamanan korban.",
    "Korban mengikuti konseling kedua; suasana hati membaik.",
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
        "clock_runs",
    )

    def __init__(self):
        for name in self.TABLES:
            setattr(self, name, [])

    @property
    def case(self):
        return self.cases[0]


class LifeBase:
    def __init__(self, world, rng, place, t0, *, waiting=False):
        self.w = world
        # A complaint nobody has assigned yet (generate.py: the newest of each kelurahan).
        self.waiting = waiting
        self.rng = rng
        self.place = place
        self.kel = place.kelurahan
        self.kel_id = place.pk
        self.t0 = t0
        self.now = world.now
        self.s = Story()
        self.case = None
        self.stopped = False
        self.runs = {}  # running clock rows (story_clocks.py)
        self.clock_inputs = {}

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
            v["search_name"] = normalize_name(v["full_name"])
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
        # The first deadlines (assign; first contact when it is an emergency) start now.
        self.sync_clocks(t0, "registered")
