from django.conf import settings
from django.core.management.base import BaseCommand

from ops.backup import make_backup


class Command(BaseCommand):
    help = "Back up the database and stored files into a new folder (see the README)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--output",
            default=str(settings.BACKUP_DIR),
            help="Folder in which the backup folder is created (default: BACKUP_DIR).",
        )

    def handle(self, *args, output, **options):
        dest = make_backup(output)
        self.stdout.write(str(dest))
