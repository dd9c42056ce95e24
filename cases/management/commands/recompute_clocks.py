"""Deadline clock rows (cases.models.ClockRun) after a correction or an upgrade.

manage.py recompute_clocks              # move the due time of running rows to the deadlines
                                        # of their case's mechanism version (after the
                                        # holiday list was corrected)
manage.py recompute_clocks --rebuild    # (re)start the rows of every open case and
                                        # referral from their fields (an upgrade)
"""

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from cases import clocks, engine, state_counts, vocab
from cases.models import Case


class Command(BaseCommand):
    help = "Recompute the running deadline clock rows (after the holiday list was corrected)."

    def add_arguments(self, parser):
        parser.add_argument("--rebuild", action="store_true", help="sync every open case")
        parser.add_argument("--kelurahan", type=int, action="append", help="kelurahan id")

    def handle(self, *args, rebuild=False, kelurahan=None, **options):
        if rebuild:
            n = rebuild_rows(kelurahan)
            self.stdout.write(f"clock rows synced for {n} open cases")
            state_counts.rebuild()
            self.stdout.write("cases per state recounted")
        moved = clocks.recompute_running(kelurahan)
        self.stdout.write(f"running clock rows moved: {moved}")


def rebuild_rows(kelurahan_ids=None) -> int:
    """Sync the rows of every open case and its referrals, as the engine does after a step."""
    qs = Case.objects.exclude(status__in=vocab.FINAL_STATES)
    if kelurahan_ids:
        qs = qs.filter(kelurahan_id__in=kelurahan_ids)
    n = 0
    for case in qs.iterator(chunk_size=500):
        with transaction.atomic():
            ctx = engine.Ctx(
                table=engine.TABLES["case"],
                subject=case,
                case=case,
                actor=None,
                roles=frozenset(),
                now=timezone.now(),
            )
            clocks.sync_case(case, now=ctx.now, reason="rebuild")
            engine.emit("clocks.case_synced", ctx, reason="rebuild")
        n += 1
    return n
