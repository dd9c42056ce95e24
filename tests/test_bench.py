"""The benchmark's generator makes a data set the app accepts (issue 12): 200 cases, then
through the app a registration, a referral requested and approved (numbers follow on from the
generated ones), and every page the benchmark measures opens. The deadline clocks' rows are what
the app's rule gives for every case and referral, the victims' search names are the services'."""

import datetime
import re

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import F, Max
from django.test import RequestFactory

from accounts.models import Kelurahan
from cases import clocks, numbering, vocab
from cases.models import Case, CaseEvent, ClockRun, Consent, PlannedAction, Victim
from cases.search import normalize_name
from ops.bench import intake, pages, story_clocks
from ops.bench.generate import LETTER_NAME, bulk_load, generate
from referrals.clocks import wanted_for
from referrals.models import Referral
from tests.form_posts import intake_post
from tests.queries import queries

N = 200


@pytest.fixture
def bench_data(personas, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "files"
    call_command("createcachetable", verbosity=0)
    counts = generate(cases=N, seed=7, bulk=False, log=lambda *a: None)
    # Foreign keys are checked now, not at a commit the test never reaches.
    connection.check_constraints()
    return counts


def _referable_action(kelurahan_code):
    """A planned action of an open case whose referral ended and whose victim consented to
    services and to sharing with that agency: a new referral may be requested for it."""
    open_cases = Case.objects.filter(
        kelurahan__code=kelurahan_code,
        is_roleplay=False,
        status__in=[vocab.Status.ASSESSMENT, vocab.Status.HANDLING, vocab.Status.MONITORING],
    )
    for action in PlannedAction.objects.filter(case__in=open_cases, agency__isnull=False):
        if Referral.objects.filter(action=action).exclude(
            state__in=["completed", "declined", "cancelled"]
        ):
            continue
        share = Consent.objects.filter(
            victim_id=action.victim_id,
            agency_id=action.agency_id,
            purpose="share",
            withdrawn_at__isnull=True,
        ).exclude(given_by="best_interest", confirmed_at__isnull=True)
        if share.exists():
            return action
    return None


@pytest.mark.django_db
def test_generated_rows_are_consistent(bench_data):
    assert Case.objects.count() == N
    assert bench_data["case_history"] > N and bench_data["events"] > N
    statuses = set(Case.objects.values_list("status", flat=True))
    assert {"closed", "not_pursued", "monitoring"} <= statuses
    open_share = Case.objects.exclude(status__in=vocab.FINAL_STATES).count() / N
    assert 0.04 <= open_share <= 0.2
    # Every case has its registration entry and at least one victim.
    assert CaseEvent.objects.filter(kind="registered").count() == N
    assert not Case.objects.filter(victims__isnull=True).exists()
    # Invariants the services keep.
    assert not Case.objects.exclude(status="received").filter(
        ever_assigned=False, status__in=list(vocab.OPEN_STATES)
    )
    assert not Case.objects.filter(status="handling", handling_started_at__isnull=True)
    assert not Case.objects.filter(status="closed", closed_at__isnull=True)
    for r in Referral.objects.filter(state__in=["approved", "sent", "acknowledged", "completed"]):
        assert r.letter_number or (r.is_emergency and not r.ratified_at), r.pk
    issued = Referral.objects.exclude(letter_number="")
    assert issued.exists()
    assert set(issued.values_list("pdf", flat=True)) == {LETTER_NAME}
    # Closed cases hold no open referral.
    assert not Referral.objects.filter(
        case__status="closed", state__in=["requested", "approved", "sent", "acknowledged"]
    )
    # Gapless counters past the numbers used.
    for (kel_id, year, roleplay), last in numbering.all_series(numbering.CASE).items():
        used = Case.objects.filter(kelurahan_id=kel_id, year=year, is_roleplay=roleplay).aggregate(
            m=Max("seq")
        )["m"]
        assert last == used
    for (kel_id, year, roleplay), last in numbering.all_series(numbering.LETTER).items():
        used = Referral.objects.filter(
            kelurahan_id=kel_id, letter_year=year, letter_roleplay=roleplay
        ).aggregate(m=Max("letter_seq"))["m"]
        assert last == used
    # The three search terms of the benchmark.
    assert Victim.objects.filter(full_name__icontains=intake.SEARCH_FULL_NAME).count() == 1
    first = Victim.objects.filter(full_name__istartswith=intake.SEARCH_FIRST_NAME + " ").count()
    assert first >= 0.01 * Victim.objects.count()
    assert Victim.objects.filter(full_name__icontains=intake.SEARCH_FRAGMENT).exists()


@pytest.mark.django_db
def test_the_app_works_on_generated_data(bench_data, personas):
    ws = personas["ws.koordinator"].memberships.get().kelurahan
    year = Case.objects.order_by("-registered_at").first().year

    # A registration takes the next number of the series.
    last = numbering.last_taken(numbering.CASE, ws.pk, year, False)
    r = personas.client("ws.relawan").post("/cases/new/", intake_post())
    assert r.status_code == 302, r.content[:2000]
    assert Case.objects.filter(number=f"WS-{year}-{last + 1:04d}").exists()

    # A referral requested by the coordinator and approved by the kasi kesra: the next letter.
    action = _referable_action("WS")
    assert action is not None, "no referable action in the generated set"
    koor = personas.client("ws.koordinator")
    r = koor.post(f"/referrals/from-action/{action.pk}/")
    assert r.status_code == 302
    referral = Referral.objects.filter(action=action).latest("pk")
    post = {
        "kind": "layanan",
        "action": action.pk,
        "services_requested": "Penguatan psikologis",
        "summary": "Ringkasan untuk instansi.",
        "version": referral.version,
        "request": "1",
    }
    r = koor.post(f"/referrals/{referral.pk}/edit/", post)
    assert r.status_code == 302, r.content[:3000]
    referral.refresh_from_db()
    assert referral.state == "requested"
    before = numbering.last_taken(numbering.LETTER, ws.pk, year, False)
    r = personas.client("ws.kasikesra").post(f"/referrals/{referral.pk}/do/approve/", {})
    assert r.status_code == 302
    referral.refresh_from_db()
    assert referral.state in ("approved", "sent")
    assert referral.letter_seq == before + 1

    # Every page the benchmark measures opens for its persona.
    case_pk = pages.showcase_case()
    for page in pages.pages(case_pk):
        r = personas.client(page.persona).get(page.path)
        assert r.status_code == 200, (page.key, r.status_code)


def _run(row):
    return (row.key, row.started_at, row.due_at, row.waits_on, row.assignee_id)


@pytest.mark.django_db
def test_clock_rows_are_what_the_rule_gives(bench_data, personas):
    hmap = clocks.deadline_map(Case.objects.values_list("mechanism_id", flat=True))
    running, stopped_cases = {}, set()
    for row in ClockRun.objects.all():
        assert row.due_at == row.started_at + datetime.timedelta(hours=row.hours), row.pk
        if row.stopped_at is None:
            running.setdefault((row.case_id, row.referral_id), set()).add(_run(row))
        else:
            assert row.stopped_at >= row.started_at, row.pk
            assert re.fullmatch(r"(case|referral)\.[a-z_]+", row.stop_reason), row.stop_reason
            stopped_cases.add(row.case_id)
    # Each row carries its case's kelurahan and series.
    assert not ClockRun.objects.exclude(kelurahan_id=F("case__kelurahan_id")).exists()
    assert not ClockRun.objects.exclude(is_roleplay=F("case__is_roleplay")).exists()

    # Case clocks: the running rows are running_clocks(case), for every case (none once closed);
    # every case went through at least the assignment clock, so closed ones hold stopped rows.
    n_open = 0
    for case in Case.objects.all():
        want = {
            (
                r.key,
                r.start,
                r.due,
                r.waits_on,
                case.companion_id if r.waits_on == "companion" else None,
            )
            for r in clocks.running_clocks(case, hmap)
        }
        assert running.pop((case.pk, None), set()) == want, case.number
        if case.status in vocab.FINAL_STATES:
            assert case.pk in stopped_cases, case.number
        else:
            n_open += bool(want)  # (a case in handling may have none)
    assert n_open
    # Referral clocks: wanted_for(referral), with the companion following up the agency (at
    # this size few or none still run: their stopped rows are checked below).
    for r in Referral.objects.select_related("case"):
        want = {(w.key, w.start, w.due, w.waits_on, w.assignee_id) for w in wanted_for(r, hmap)}
        assert running.pop((r.case_id, r.pk), set()) == want, r.pk
    assert not running, "running rows of no case or referral"
    keys = set(ClockRun.objects.values_list("key", flat=True))
    assert {"assign", "first_contact", "plan", "visit", "closure_decision"} <= keys
    assert {"referral_decision", "agency_ack"} <= keys
    reasons = set(ClockRun.objects.values_list("stop_reason", flat=True))
    assert {"case.assign", "case.approve_closure", "referral.acknowledge"} <= reasons

    # The generator re-runs the rule only when one of its inputs changed: they are every field
    # the rule reads.
    def reads(obj, extra=None):
        seen = set()

        class Spy:
            awaits_ratification = property(Referral.awaits_ratification.fget)

            def __getattr__(self, name):
                seen.add(name)
                return extra[name] if extra and name in extra else getattr(obj, name)

        return Spy(), seen

    case_reads, referral_reads = set(), set()
    for case in Case.objects.all():
        spy, seen = reads(case)
        clocks.running_clocks(spy, hmap)
        case_reads |= seen
    for r in Referral.objects.select_related("case"):
        case_spy, seen_case = reads(r.case)
        spy, seen = reads(r, {"case": case_spy})
        wanted_for(spy, hmap)
        referral_reads |= seen - {"case"}
        case_reads |= seen_case
    # The mechanism version and the role-play session are fixed at registration (generated
    # cases have neither: the defaults, real time), so they are read but never change a case's
    # clock inputs.
    assert case_reads <= {*story_clocks.CASE_FIELDS, "pk", "mechanism_id", "roleplay_session_id"}
    assert referral_reads <= set(story_clocks.REFERRAL_FIELDS)

    # Tugas Saya lists the coordinator's running deadlines, most urgent first.
    koor = personas["ws.koordinator"]
    first = clocks.clock_tasks(koor).first()
    assert first is not None
    html = personas.client("ws.koordinator").get("/cases/tasks/").content.decode()
    assert first.case.number in html


@pytest.mark.django_db
def test_victims_have_the_services_search_name(bench_data):
    assert Victim.objects.count() > N
    for v in Victim.objects.all():
        assert v.search_name == normalize_name(v.full_name), v.pk
    for h in Victim.history.all():
        assert h.search_name == normalize_name(h.full_name), h.pk
    assert Victim.objects.filter(search_name=normalize_name(intake.SEARCH_FULL_NAME)).count() == 1


@pytest.mark.django_db
def test_bulk_load_rebuilds_every_index(bench_data):
    """The large-set load drops the secondary indexes and builds them again, the trigram GIN
    indexes and the partial indexes of the clock rows included (PostgreSQL only)."""
    if connection.vendor != "postgresql":
        pytest.skip("the bulk load is PostgreSQL's")
    models = [Case, Victim, Referral, ClockRun]
    tables = [m._meta.db_table for m in models]

    def indexes():
        with connection.cursor() as cur:
            cur.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s)", [tables]
            )
            return dict(cur.fetchall())

    before = indexes()
    for name in (
        "cases_victim_search_trgm",
        "cases_case_number_trgm",
        "referrals_letter_number_trgm",
        "clockrun_running_due",
        "clockrun_running_assignee",
    ):
        assert name in before
    with bulk_load(models, log=lambda *a: None):
        assert "cases_victim_search_trgm" not in indexes()
    after = indexes()
    assert set(after) == set(before)
    # The same definitions, but for how PostgreSQL prints a rebuilt predicate: an IN list comes
    # back as = ANY(ARRAY[...]) with its casts in other places.
    assert {k: _unprinted(v) for k, v in after.items()} == {
        k: _unprinted(v) for k, v in before.items()
    }


def _unprinted(definition: str) -> str:
    import re

    bare = re.sub(r"::(?:character varying|[a-z_]+)(?:\[\])?", "", definition)
    return "".join(bare.replace("(", "").replace(")", "").split())


def test_bare_view_renders_a_fixed_kilobyte_without_queries(db):
    from ops.bench.views import bare

    request = RequestFactory().get(pages.BARE_PATH)
    with queries() as q:
        response = bare(request)
    assert response.status_code == 200
    assert 900 <= len(response.content) <= 1200
    assert len(q) == 0


@pytest.mark.django_db
def test_report_figures_are_what_the_engine_would_keep(bench_data):
    """The generator writes each case's figures from its rows in memory and sums the monthly rows
    in SQL: the same rows as reports.figures.rebuild() reading the cases back."""
    from reports import figures
    from reports.models import CaseFigure, MonthlyCount

    def snapshot():
        per_case = sorted(
            CaseFigure.objects.values_list(
                "case_id", "kelurahan_id", "month", "metric", "category", "agency_key", "n"
            )
        )
        monthly = sorted(
            MonthlyCount.objects.values_list(
                "kelurahan_id", "is_roleplay", "month", "metric", "category", "agency_key", "n"
            )
        )
        return per_case, monthly

    generated = snapshot()
    assert len(generated[0]) > N and len(generated[1]) > 10
    figures.rebuild()
    assert snapshot() == generated


@pytest.mark.django_db
def test_open_cases_at_the_end_of_a_period_from_the_monthly_rows(bench_data):
    """The victims report's "open at the end of the period" sums the monthly rows up to the
    period's last month: the same number as counting the cases (registered before the end, not
    closed by then), for months, quarters and years over the generated years."""
    from django.db.models import Q

    from reports.periods import Period, add_months
    from reports.scope import Place, Scope
    from reports.sections import Builder, _open_at_end

    scope = Scope(protected=False, custom_periods=True, roleplay_switch=True, sections=())
    newest = Case.objects.order_by("-registered_at").first().registered_at
    last = timezone_month(newest)
    periods = [Period("month", add_months(last, -k), add_months(last, -k)) for k in (0, 1, 7)]
    periods += [Period("quarter", add_months(last, -5), add_months(last, -3))]
    periods += [Period("year", add_months(last, -23), add_months(last, -12))]
    checked = 0
    for kel in Kelurahan.objects.filter(cases__isnull=False).distinct():
        place = Place(f"kel:{kel.pk}", "kelurahan", kel.name, [kel.pk])
        for roleplay in (False, True):
            for period in periods:
                end = period.end_dt()
                counted = (
                    Case.objects.filter(kelurahan=kel, is_roleplay=roleplay, registered_at__lt=end)
                    .filter(Q(closed_at__isnull=True) | Q(closed_at__gte=end))
                    .count()
                )
                b = Builder(scope, period, place, roleplay=roleplay)
                assert _open_at_end(b) == counted, (kel.code, roleplay, period)
                checked += counted
    assert checked > 0


def timezone_month(dt):
    from django.utils import timezone

    return timezone.localdate(dt).replace(day=1)
