from django.core.management.base import BaseCommand

from ops.backup import restore_backup


class Command(BaseCommand):
    help = (
        "Restore a backup made by `manage.py backup` into an empty, migrated database "
        "(see README, Keamanan dan privasi)."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="The backup folder (posko-backup-...).")
        parser.add_argument(
            "--from-json",
            action="store_true",
            help="On SQLite, load db.json instead of copying the db.sqlite3 snapshot.",
        )

    def handle(self, *args, path, from_json, **options):
        manifest = restore_backup(path, prefer_json=from_json)
        cases = manifest["counts"].get("cases.case", 0)
        self.stdout.write(f"Restored {path}: {cases} cases, {manifest['media_files']} files.")
