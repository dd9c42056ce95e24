"""`make run`: the development server, a worker and the periodic run together, so that a
newcomer sees notifications, letters and reminders work without starting three programs. Each
is its own process; Ctrl-C (or any of them ending) stops all three."""

import os
import signal
import subprocess  # nosec B404 - our own manage.py commands, no shell
import sys
import time

from django.conf import settings
from django.core.management import BaseCommand


class Command(BaseCommand):
    help = "Run the web server, a background worker and the periodic run together."

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")
        parser.add_argument(
            "--periodic-seconds", type=float, default=30, help="Seconds between periodic runs."
        )

    def handle(self, *args, **opts):
        manage = [sys.executable, str(settings.BASE_DIR / "manage.py")]
        commands = [
            [*manage, "runserver", opts["addrport"]],
            [*manage, "run_periodic", "--loop", str(opts["periodic_seconds"])],
        ]
        if settings.TASKS_BACKEND in ("db", "rq"):
            commands.insert(1, [*manage, "run_worker"])
        procs = [subprocess.Popen(c) for c in commands]  # noqa: S603  # nosec B603
        self.stdout.write(
            "web server, worker and periodic run started (pids "
            + ", ".join(str(p.pid) for p in procs)
            + "); Ctrl-C stops them"
        )
        try:
            while all(p.poll() is None for p in procs):
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            for p in procs:
                if p.poll() is None:
                    os.kill(p.pid, signal.SIGTERM)
            for p in procs:
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
