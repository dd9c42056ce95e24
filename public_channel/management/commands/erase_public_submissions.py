"""Erase the text and contact data of public submissions declined more than 90 days ago (the
counts and reasons stay). Run daily with the periodic run (cron/systemd timer)."""

from django.core.management.base import BaseCommand

from public_channel.services import erase_declined


class Command(BaseCommand):
    help = "Erase text and contact of public submissions declined more than 90 days ago."

    def handle(self, *args, **options):
        n = erase_declined()
        self.stdout.write(f"{n} submission(s) erased")
