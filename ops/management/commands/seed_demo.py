"""Demo personas of ROLES.md (fictional names), demo cases and referrals, and a planned role-play
session (ops/demo/).
Idempotent: a rerun adds nothing. Only this command creates them; fixtures hold master data only.
"""

from django.core.management import BaseCommand, call_command
from django.db import transaction
from django.test.utils import override_settings

from accounts.models import Kelurahan
from ops.demo.cases import seed_cases
from ops.demo.personas import USERNAMES, ensure_personas
from ops.demo.referrals import seed_referrals
from ops.demo.roleplay import seed_roleplay
from ops.demo.story import worked


class Command(BaseCommand):
    help = "Create the demo personas, demo cases and demo referrals."

    def add_arguments(self, parser):
        parser.add_argument("--no-cases", action="store_true", help="Personas only.")

    def handle(self, *args, **opts):
        # Demo work notifies people by e-mail; nobody needs those messages on the console: the
        # outbox's work of the demo (letters, those e-mails) is done here, into the void. The
        # deadline reminders are the periodic run's (`make run` shows one on the console).
        dummy = "django.core.mail.backends.dummy.EmailBackend"
        with override_settings(EMAIL_BACKEND=dummy), transaction.atomic():
            self.seed(**opts)
            worked()

    def seed(self, **opts):
        if not Kelurahan.objects.filter(code="WS").exists():
            call_command("loaddata", "fixtures/master.json", verbosity=0)
        created = ensure_personas()
        self.stdout.write(f"personas: {created} created, {len(USERNAMES) - created} existing")
        if not opts["no_cases"]:
            self.stdout.write(f"demo cases: {seed_cases()} created")
            self.stdout.write(f"demo referrals: {seed_referrals()} created")
            self.stdout.write(f"demo role-play sessions: {seed_roleplay()} created")
