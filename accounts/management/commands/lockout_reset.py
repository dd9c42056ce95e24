from django.core.management.base import BaseCommand

from accounts import lockout


class Command(BaseCommand):
    help = "Ends the login wait of an account at once (accounts/lockout.py)."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **opts):
        lockout.reset(username)
        self.stdout.write("ok")
