"""`manage.py bench_data --cases N --seed S`: the benchmark data set (ops/bench/generate.py)."""

from django.core.management import BaseCommand

from ops.bench.generate import generate


class Command(BaseCommand):
    help = "Write a realistic benchmark data set straight into the tables (never in production)."

    def add_arguments(self, parser):
        parser.add_argument("--cases", type=int, default=100_000)
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args, cases, seed, **opts):
        counts = generate(cases=cases, seed=seed, log=self.stdout.write)
        seconds = counts.pop("seconds")
        rows = sum(counts.values())
        for name, n in counts.items():
            self.stdout.write(f"{name:>22} {n:>10}")
        self.stdout.write(f"{cases} cases, {rows} rows in {seconds} s")
