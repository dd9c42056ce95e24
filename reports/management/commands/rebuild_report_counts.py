from django.core.management.base import BaseCommand

from reports import figures


class Command(BaseCommand):
    help = "Recompute the monthly report figures from the cases (after a bulk load, or to check)."

    def handle(self, *args, **options):
        n = figures.rebuild()
        self.stdout.write(f"report figures rebuilt from {n} cases")
