"""`manage.py bench_probe --out FILE`: in-process measurements of `make bench` on the database
of DATABASE_URL (ops/bench/probe.py). Used by `manage.py bench`; writes JSON."""

import json
import logging
import tempfile

from django.core.management import BaseCommand

from ops.bench.probe import probe


class Command(BaseCommand):
    help = "Query counts per page, persona sessions and the letter render (benchmark only)."

    def add_arguments(self, parser):
        parser.add_argument("--out", required=True)
        parser.add_argument("--letter-runs", type=int, default=0)

    def handle(self, *args, out, letter_runs, **opts):
        # The probe logs its personas in; those log lines say nothing here.
        logging.getLogger("lbk.security").setLevel(logging.WARNING)
        with tempfile.TemporaryDirectory() as workdir:
            result = probe(letter_runs=letter_runs, workdir=workdir)
        with open(out, "w", encoding="utf-8") as fh:
            json.dump(result, fh, indent=1, default=str)
