"""`manage.py bench` (`make bench`): the benchmark suite of issue 12 (ops/bench/runner.py).

Needs a PostgreSQL server (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/) on
which it may create databases; wrk for the throughput rounds (a Python client otherwise).
"""

import os

from django.core.management import BaseCommand

from ops.bench.runner import Bench


class Command(BaseCommand):
    help = "Generate the benchmark data sets, serve them with gunicorn and measure every page."

    def add_arguments(self, parser):
        env = os.environ.get
        parser.add_argument("--cases", type=int, default=int(env("BENCH_CASES", 100_000)))
        parser.add_argument("--seed", type=int, default=int(env("BENCH_SEED", 1)))
        parser.add_argument(
            "--requests", type=int, default=200, help="sequential requests per page"
        )
        parser.add_argument(
            "--page-seconds",
            type=float,
            default=60,
            help="stop a page's sequential requests after this long (at least 20 requests)",
        )
        parser.add_argument("--rounds", type=int, default=3, help="interleaved throughput rounds")
        parser.add_argument("--duration", type=int, default=5, help="seconds per throughput run")
        parser.add_argument("--connections", type=int, default=4)
        parser.add_argument("--port", type=int, default=8765)
        parser.add_argument(
            "--db-url",
            default=env("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/"),
            help="PostgreSQL server where the bench databases are created",
        )
        parser.add_argument(
            "--regenerate", action="store_true", help="generate even when a marker matches"
        )
        parser.add_argument("--letter-runs", type=int, default=20)
        parser.add_argument("--out", default="docs/BENCHMARKS.md")

    def handle(self, *args, **o):
        Bench(
            cases=o["cases"],
            seed=o["seed"],
            requests=o["requests"],
            page_seconds=o["page_seconds"],
            rounds=o["rounds"],
            duration=o["duration"],
            connections=o["connections"],
            port=o["port"],
            base_url=o["db_url"],
            regenerate=o["regenerate"],
            letter_runs=o["letter_runs"],
            out=o["out"],
            log=lambda msg: self.stdout.write(msg),
        ).run()
