"""The periodic run (a systemd timer or cron every few minutes in production; `make run` runs
it every 30 seconds): deadline reminders and escalations from the clock rows, and the outbox
rows the queue lost handed to it again (an expired lease: a killed worker; a retry due), and the
public submissions' reminders and 90-day erasure. Safe
to run on several machines at once: each reminder is claimed by a conditional UPDATE."""

import time

from django.core.management import BaseCommand

from outbox import reminders, services


class Command(BaseCommand):
    help = "Schedule deadline reminders and escalations; re-enqueue lost or due outbox rows."

    def add_arguments(self, parser):
        parser.add_argument(
            "--loop", type=float, default=0, help="Run again every LOOP seconds (0: once)."
        )
        parser.add_argument(
            "--work",
            action="store_true",
            help="Also do the due outbox rows in this process (no worker needed).",
        )

    def handle(self, *args, **opts):
        while True:
            reminded, escalated = reminders.schedule()
            handed = services.requeue()
            # The public submissions' reminders, and the 90-day erasure of declined ones.
            from public_channel.services import periodic

            periodic()
            done = services.work_due() if opts["work"] else 0
            if opts["verbosity"] > 1 or reminded or escalated or handed or done:
                self.stdout.write(
                    f"reminders: {reminded}, escalations: {escalated}, re-enqueued: {handed}"
                    + (f", done here: {done}" if opts["work"] else "")
                )
            if not opts["loop"]:
                return
            time.sleep(opts["loop"])
