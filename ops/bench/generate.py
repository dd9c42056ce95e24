"""A realistic data set of any size, written straight into the tables (`manage.py bench_data`).

Cases are registered over several years (more each year), spread over the kelurahan of the
fixtures (Watang Soreang a little busier), and each one lives its life up to now (story.py), so
the mix of states, referrals, clocks and overdue work is what the app would hold after those
years. Rows go in by PostgreSQL COPY (bulk_create elsewhere), chunk by chunk, one transaction per
chunk; never through the services. Then the gapless counters (case numbers per kelurahan, year
and series; letter numbers, SIM series included) are set past the numbers used and the id
sequences past the ids used, so the next registration or letter through the app follows on.

Approved referrals all point at one placeholder PDF, stored once with its real SHA-256: no
letter is rendered per referral.
"""

import contextlib
import datetime
import hashlib
import io
import itertools
import random
import time
from zoneinfo import ZoneInfo

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import DatabaseError, connection, transaction
from django.db.models import Max
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.models import Agency
from cases import clocks, numbering, state_counts, vocab
from referrals import workflow as rwf
from referrals.models import SendHow, State

from . import people
from .story import Life
from .tables import TABLES, writer_for

WITA = ZoneInfo("Asia/Makassar")
YEARS = 5
CHUNK = 2000
# Share of cases per kelurahan code (others: an equal share of what is left).
KELURAHAN_WEIGHTS = {"WS": 0.56, "WB": 0.44}
LETTER_NAME = "letters/bench/placeholder.pdf"
ATTACHMENT_NAME = "attachments/bench/placeholder.png"
# Bumped when the data the generator writes changes (the bench's reuse marker includes it).
VERSION = 4


class World:
    """What every case's life shares: people, agencies, id and number counters, labels."""

    def __init__(self, *, now, places, officers):
        self.now = now
        self.places = places
        self.officers = officers
        # Generated cases record no mechanism version: PROCEDURE.md's default deadlines, as
        # the engine reads them.
        self.hmap = clocks.deadline_map([])
        self._ids = {}
        for t in TABLES:
            model = t.model
            start = model._default_manager.aggregate(m=Max(model._meta.pk.attname))["m"] or 0
            self._ids[t.name] = itertools.count(start + 1)
        self._ids["nik"] = itertools.count(10**9)
        self.case_seq = numbering.all_series(numbering.CASE)
        self.letter_seq = numbering.all_series(numbering.LETTER)
        self.agencies = {}
        self._agency = {}
        for a in Agency.objects.filter(is_active=True).order_by("pk"):
            self.agencies.setdefault(a.kind, []).append(a.pk)
            self._agency[a.pk] = a
        self._niks = {}
        self.full_name_done = False
        self.full_name_case = None
        self.full_name_kel = None
        self.case_index = 0
        self._labels()

    # ids and numbers

    def next_id(self, name):
        return next(self._ids[name])

    def take_case_seq(self, kel_id, year, roleplay):
        key = (kel_id, year, roleplay)
        self.case_seq[key] = self.case_seq.get(key, 0) + 1
        return self.case_seq[key]

    def take_letter_seq(self, kel_id, year, roleplay):
        key = (kel_id, year, roleplay)
        self.letter_seq[key] = self.letter_seq.get(key, 0) + 1
        return self.letter_seq[key]

    def full_name_pending(self, kel):
        return (
            not self.full_name_done
            and kel.pk == self.full_name_kel
            and self.case_index >= self.full_name_case
        )

    def remember_nik(self, kel_id, nik, case_id):
        if nik:
            pool = self._niks.setdefault(kel_id, [])
            pool.append((nik, case_id))
            if len(pool) > 500:
                del pool[:250]

    def earlier_nik(self, kel_id, rng):
        pool = self._niks.get(kel_id)
        return rng.choice(pool) if pool else None

    # agencies

    def has_users(self, agency_id):
        return self._agency[agency_id].has_users

    def agency_kind(self, agency_id):
        return self._agency[agency_id].kind

    # texts, as the services store them (in Indonesian)

    def _labels(self):
        with translation.override("id"):
            self._service = {s.value: str(s.label) for s in vocab.ServiceType}
            self._send = {s.value: str(s.label) for s in SendHow}
            self._state = {s.value: str(s.label) for s in State}
            self._event = {k: str(v) for k, v in rwf.EVENT_LABELS.items()}
            self._referral_word = _("Referral")
            self.emergency_note = _("Created with an emergency referral.")
            self._texts = {
                "requested": _("Referral of case %(case)s to %(agency)s waits for your approval."),
                "returned": _(
                    "Your referral of case %(case)s to %(agency)s was returned with a note."
                ),
                "approved": _(
                    "The letter for case %(case)s to %(agency)s is issued: print it, send it and "
                    "record how and when."
                ),
                "ratify": _(
                    "Emergency referral of case %(case)s to %(agency)s waits for ratification."
                ),
                "refused": _(
                    "Ratification of the emergency referral of case %(case)s to %(agency)s was "
                    "refused; the referral is cancelled."
                ),
                "sim_sent": _("SIMULATION: a role-play referral from LBK-KK %(kel)s arrived."),
                "sent": _("A new referral from LBK-KK %(kel)s arrived in your inbox."),
                "answered": _("%(agency)s answered the referral of case %(case)s: %(state)s."),
            }
        self._heads = {}

    def service_label(self, code):
        return self._service[code]

    def send_label(self, how):
        return self._send.get(how, "")

    def referral_head(self, agency_id, action, to_state):
        key = (agency_id, action, to_state)
        head = self._heads.get(key)
        if head is None:
            label = self._event.get(action, action)
            state = self._state[to_state] if to_state else ""
            head = f"{self._referral_word} {self._agency[agency_id].name}: {label}"
            head += f" ({state})" if state else ""
            self._heads[key] = head
        return head

    def _label(self, case, r):
        sim = " [SIMULASI]" if case["is_roleplay"] else ""
        return {"case": case["number"] + sim, "agency": self._agency[r["agency_id"]].name}

    def text_requested(self, case, r):
        return self._texts["requested"] % self._label(case, r)

    def text_returned(self, case, r):
        return self._texts["returned"] % self._label(case, r)

    def text_approved(self, case, r):
        return self._texts["approved"] % self._label(case, r)

    def text_ratify(self, case, r):
        return self._texts["ratify"] % self._label(case, r)

    def text_refused(self, case, r):
        return self._texts["refused"] % self._label(case, r)

    def text_sent(self, case, kel):
        key = "sim_sent" if case["is_roleplay"] else "sent"
        return self._texts[key] % {"kel": kel.name}

    def text_answered(self, case, r, state):
        return self._texts["answered"] % {**self._label(case, r), "state": self._state[state]}

    # shared files

    def store_placeholders(self):
        self.letter_name, self.letter_sha256 = _store_once(LETTER_NAME, _placeholder_pdf)
        self.attachment_name, self.attachment_sha256 = _store_once(
            ATTACHMENT_NAME, _placeholder_png
        )
        self.attachment_size = default_storage.size(self.attachment_name)


def _store_once(name, make):
    """One shared file, stored once; returns its name and real SHA-256."""
    if not default_storage.exists(name):
        default_storage.save(name, ContentFile(make()))
    with default_storage.open(name, "rb") as fh:
        data = fh.read()
    return name, hashlib.sha256(data).hexdigest()


def _placeholder_pdf():
    from weasyprint import HTML

    html = (
        "<h1>Surat rujukan (data uji)</h1><p>Berkas pengganti untuk data benchmark: surat yang "
        "sebenarnya dibuat oleh aplikasi ketika rujukan disetujui.</p>"
    )
    return HTML(string=html).write_pdf()


def _placeholder_png():
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 180, 160)).save(out, format="PNG")
    return out.getvalue()


# ---------------------------------------------------------------------------------------------


def registration_times(n, rng, now):
    """n registration times over YEARS years up to now, more each year, office hours mostly."""
    first = now.year - YEARS + 1
    spans = []
    for i, year in enumerate(range(first, now.year + 1)):
        start = datetime.datetime(year, 1, 1, tzinfo=WITA)
        end = min(datetime.datetime(year + 1, 1, 1, tzinfo=WITA), now)
        weight = (1 + 0.25 * i) * (end - start) / datetime.timedelta(days=365)
        spans.append((start, end, weight))
    out = []
    for start, end, _w in rng.choices(spans, weights=[w for *_x, w in spans], k=n):
        days = (end - start).days or 1
        day = start + datetime.timedelta(days=rng.randrange(days))
        if rng.random() < 0.8:
            at = day + datetime.timedelta(hours=rng.uniform(8, 16))
        else:
            at = day + datetime.timedelta(hours=rng.uniform(0, 24))
        out.append(min(at, now - datetime.timedelta(minutes=rng.uniform(1, 600))))
    out.sort()
    return out


@contextlib.contextmanager
def bulk_load(models, log):
    """PostgreSQL, large sets: load without secondary indexes (rebuilt once at the end, much
    faster than row by row), with foreign-key triggers off when the role may (the rows are
    consistent by construction; the test of the generator keeps the checks on) and without
    waiting for each commit to reach the disk. Indexes are rebuilt even when the load fails.
    Yields the session settings for the connection that writes."""
    tables = [m._meta.db_table for m in models]
    session = ["SET synchronous_commit = off"]
    with connection.cursor() as cur:
        try:
            with transaction.atomic():
                cur.execute("SET LOCAL session_replication_role = replica")
            session.append("SET session_replication_role = replica")
        except DatabaseError:
            log("  (foreign-key checks stay on: the role may not switch them off)")
        indexes = _secondary_indexes(cur, tables)
        for name, _definition in indexes:
            cur.execute(f"DROP INDEX {name}")
    try:
        yield session
    finally:
        started = time.monotonic()
        with connection.cursor() as cur:
            cur.execute("SET maintenance_work_mem = '256MB'")
            for _name, definition in indexes:
                cur.execute(definition)
            # By name: PostgreSQL may print a rebuilt index's predicate differently from the
            # text it was rebuilt from (an IN list becomes = ANY(ARRAY[...]) with other casts).
            rebuilt = {name for name, _d in _secondary_indexes(cur, tables)}
            missing = sorted({name for name, _d in indexes} - rebuilt)
        if missing:
            raise RuntimeError(f"indexes not rebuilt: {missing}")
        log(f"  {len(indexes)} indexes rebuilt in {time.monotonic() - started:.0f} s")


def _secondary_indexes(cur, tables):
    """[(name, definition)] of the indexes of the tables that are neither the primary key nor a
    constraint's: the models' indexes (partial ones with their WHERE), the trigram GIN indexes
    of the search migrations (cases 0007, referrals 0005), whatever a later migration adds."""
    cur.execute(
        """SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
           FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid
           WHERE t.relname = ANY(%s) AND NOT i.indisprimary
             AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
           ORDER BY 1""",
        [tables],
    )
    return cur.fetchall()


def generate(*, cases=100_000, seed=1, now=None, log=print, bulk=None):
    """Write the data set; returns {table name: rows written}.

    bulk: load without secondary indexes and foreign-key triggers (PostgreSQL only; by default
    from 10,000 cases on, outside a transaction)."""
    started = time.monotonic()
    # Seeded, reproducible test data; nothing secret (bandit B311).
    rng = random.Random(seed)  # noqa: S311  # nosec B311
    now = (now or datetime.datetime.now(tz=WITA)).astimezone(WITA)
    from accounts.models import Kelurahan

    kels = list(Kelurahan.objects.filter(is_active=True).order_by("pk"))
    if not kels:
        raise RuntimeError("no kelurahan: load fixtures/master.json first")
    base = {k.pk: KELURAHAN_WEIGHTS.get(k.code, 1 / len(kels)) for k in kels}
    total = sum(base.values())
    per_kel = {pk: round(cases * w / total) for pk, w in base.items()}
    places = people.places_for(per_kel)
    officers = people.officers_by_agency()
    world = World(now=now, places=places, officers=officers)
    world.store_placeholders()

    times = registration_times(cases, rng, now)
    kel_ids = list(places)
    weights = [base[pk] for pk in kel_ids]
    assigned = rng.choices(kel_ids, weights=weights, k=cases)
    waiting = _newest_wait(times, assigned, rng, now)
    # The unique full name goes to a victim of the first kelurahan, a third of the way in.
    world.full_name_kel = kel_ids[0]
    world.full_name_case = cases // 3

    counts = {t.name: 0 for t in TABLES}
    if bulk is None:
        bulk = cases >= 10_000 and not connection.in_atomic_block
    bulk = bulk and connection.vendor == "postgresql"
    loading = bulk_load([t.model for t in TABLES], log) if bulk else contextlib.nullcontext(())
    with loading as session:
        writer = writer_for(connection, background=bulk, session_sql=session)
        try:
            _write_chunks(
                world, rng, places, times, assigned, waiting, writer, counts, cases, started, log
            )
        finally:
            writer.close()
    if not world.full_name_done:
        raise RuntimeError("the unique search name was not placed (too few cases?)")

    with transaction.atomic():
        for (kel_id, year, roleplay), last in world.case_seq.items():
            numbering.set_last(numbering.CASE, kel_id, year, roleplay, last)
        for (kel_id, year, roleplay), last in world.letter_seq.items():
            numbering.set_last(numbering.LETTER, kel_id, year, roleplay, last)
        writer.finish([t.model for t in TABLES])
        # The dashboard's counts of cases per state, as the engine keeps them.
        state_counts.rebuild()
        # The reports' monthly figures, as the engine keeps them: each case's contribution was
        # written with its rows (tables.case_figures); the monthly rows are their sums.
        monthly_totals()
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        log("  VACUUM ANALYZE")
        with connection.cursor() as cur:
            cur.execute("VACUUM ANALYZE")
    counts["seconds"] = round(time.monotonic() - started, 1)
    return counts


def monthly_totals():
    """MonthlyCount recomputed from every CaseFigure row in one INSERT ... SELECT (what
    reports.figures.rebuild gives, without reading the cases back into Python)."""
    from reports.models import CaseFigure, MonthlyCount

    MonthlyCount.objects.all().delete()
    mc, cf, case = (
        connection.ops.quote_name(m._meta.db_table)
        for m in (MonthlyCount, CaseFigure, CaseFigure._meta.get_field("case").related_model)
    )
    columns = "kelurahan_id, is_roleplay, month, metric, category, agency_key"
    with connection.cursor() as cur:
        cur.execute(
            f"INSERT INTO {mc} ({columns}, n) "  # noqa: S608 # nosec B608: table names only
            f"SELECT f.kelurahan_id, c.is_roleplay, f.month, f.metric, f.category, f.agency_key, "
            f"SUM(f.n) FROM {cf} f JOIN {case} c ON c.id = f.case_id "
            f"GROUP BY f.kelurahan_id, c.is_roleplay, f.month, f.metric, f.category, f.agency_key"
        )


def _newest_wait(times, assigned, rng, now):
    """The newest complaint of each kelurahan came in during the last hours and nobody has
    assigned it yet, so the deciders always have a running deadline (the coordinator's Tugas
    Saya and home panel are never empty, even in a small set). Returns their indexes."""
    newest = {}
    for i, kel_id in enumerate(assigned):
        newest[kel_id] = i
    for i in newest.values():
        times[i] = max(times[i], now - datetime.timedelta(hours=rng.uniform(0.5, 3)))
    return set(newest.values())


def _write_chunks(
    world, rng, places, times, assigned, waiting, writer, counts, cases, started, log
):
    simulating = writing = 0.0
    for lo in range(0, cases, CHUNK):
        t0 = time.monotonic()
        stories = []
        for i in range(lo, min(lo + CHUNK, cases)):
            world.case_index = i
            life = Life(world, rng, places[assigned[i]], times[i], waiting=i in waiting)
            stories.append(life.run())
        t1 = time.monotonic()
        with transaction.atomic():
            for t in TABLES:
                counts[t.name] += writer.write(t.model, t.rows(stories), t.auto_id)
        writer.commit_chunk()
        t2 = time.monotonic()
        simulating += t1 - t0
        writing += t2 - t1
        log(
            f"  {min(lo + CHUNK, cases):>7} cases  {sum(counts.values()):>9} rows  "
            f"{t2 - started:6.0f} s  (lives {simulating:.0f} s, rows {writing:.0f} s)"
        )
