"""The verify_public clock as cases.ClockRun rows (no case, the submission set): in the
coordinator's Tugas Saya (and nobody else's), on the dashboard, recomputed like every clock, and
the pages read them in a constant number of queries."""

import datetime

import pytest
import time_machine
from django.db import IntegrityError, transaction

from cases import clocks
from cases.models import ClockRun
from public_channel.models import Submission
from tests.factories import make_case
from tests.queries import assert_queries_constant, count_get

from .helpers import GOOD, send

pytestmark = pytest.mark.django_db
H = datetime.timedelta(hours=1)


def test_in_the_coordinators_tasks_only_without_content(master, personas):
    start = datetime.datetime(2026, 12, 3, 1, tzinfo=datetime.UTC)  # Thursday 09:00 WITA
    with time_machine.travel(start, tick=False):
        send()
        send(danger_now="yes")
    urgent = Submission.objects.get(danger_now=True)
    now = start + 3 * H  # the urgent one (2 service hours) is overdue
    koor = personas["wb.koordinator"]
    mine = [(r.submission_id, r.key) for r in clocks.clock_tasks(koor, now)]
    assert mine[0] == (urgent.pk, "verify_public") and len(mine) == 2
    assert clocks.task_counts(koor, now) == (2, 1)
    # The kelurahan staff, the companions, the volunteers and the other kelurahan's coordinator
    # do not act on it.
    for name in ("wb.lurah", "wb.kasikesra", "wb.pendamping", "wb.relawan", "ws.koordinator"):
        assert not clocks.clock_tasks(personas[name], now).filter(submission__isnull=False)
    with time_machine.travel(now, tick=False):
        page = personas.client("wb.koordinator").get("/cases/tasks/").content.decode()
        assert f'href="/publik/{urgent.pk}/"' in page and f"Laporan publik #{urgent.pk}" in page
        for field in ("text", "place", "contact_value", "contact_when"):
            assert GOOD[field] not in page
        other = personas.client("wb.lurah").get("/cases/tasks/").content.decode()
        assert f'href="/publik/{urgent.pk}/"' not in other
        # The dashboard counts it as overdue and lists it among the oldest waiting.
        data = clocks.dashboard([master["wb"].pk], now)[master["wb"].pk]
        rows = {str(label): n for label, n in data["overdue_rows"]}
        assert rows[str(clocks.CLOCKS_BY_KEY["verify_public"].label)] == 1
        assert {r.submission_id for r in data["oldest"]} == set(
            Submission.objects.values_list("pk", flat=True)
        )
        # The coordinator's line links the submission; the lurah (who may not open it) sees the
        # line without a link; neither sees its content.
        dash = personas.client("wb.koordinator").get("/cases/dashboard/").content.decode()
        assert f'href="/publik/{urgent.pk}/"' in dash and GOOD["text"] not in dash
        dash = personas.client("wb.lurah").get("/cases/dashboard/").content.decode()
        assert f"Laporan publik #{urgent.pk}" in dash and f'href="/publik/{urgent.pk}/"' not in dash
        assert GOOD["text"] not in dash
        assert personas.client("wb.lurah").get(f"/publik/{urgent.pk}/").status_code == 404
    # Recomputing leaves the rows as they are (same rule, same version) and reads no case.
    assert clocks.recompute_running() == 0


def test_a_run_has_a_case_or_a_submission_never_both_nor_none(master, personas):
    send()
    run = ClockRun.objects.get()
    case = make_case(personas, kel="wb")
    for case_id, sub_id in ((case.pk, run.submission_id), (None, None)):
        with pytest.raises(IntegrityError), transaction.atomic():
            ClockRun.objects.filter(pk=run.pk).update(case_id=case_id, submission_id=sub_id)


def test_tasks_and_dashboard_queries_do_not_grow(master, personas):
    koor = personas.client("wb.koordinator")
    lurah = personas.client("wb.lurah")
    send()
    make_case(personas, kel="wb")

    def measure():
        return (
            count_get(koor, "/cases/tasks/"),
            count_get(lurah, "/cases/dashboard/"),
            count_get(koor, "/publik/"),
        )

    def grow():
        for danger in ("yes", "no", "no"):
            send(danger_now=danger)
        make_case(personas, kel="wb")

    assert_queries_constant(measure, grow)
