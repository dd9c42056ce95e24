"""Run the background worker of the configured task backend (TASKS_BACKEND): django-tasks-db's
`db_worker` for the database backend, an RQ worker (with its scheduler, for retries that wait)
for the RQ backend. The outbox rows' leases make a killed worker harmless: the periodic run
hands its row to another worker once the lease expires."""

from django.conf import settings
from django.core.management import BaseCommand, CommandError, call_command


class Command(BaseCommand):
    help = "Run the background worker (outbox tasks: e-mail, letters, reminders)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch", action="store_true", help="Do the tasks waiting now, then exit."
        )
        parser.add_argument("--interval", type=float, default=1.0, help="Seconds between polls.")

    def handle(self, *args, **opts):
        backend = settings.TASKS_BACKEND
        if backend == "db":
            kw = {"interval": opts["interval"], "reload": False, "startup_delay": False}
            if opts["batch"]:
                kw["batch"] = True
            call_command("db_worker", verbosity=opts["verbosity"], **kw)
        elif backend == "rq":
            from django_tasks_rq.backend import Job

            call_command(
                "rqworker",
                "default",
                with_scheduler=True,
                burst=opts["batch"],
                job_class=f"{Job.__module__}.{Job.__qualname__}",
            )
        else:
            raise CommandError(f"TASKS_BACKEND={backend} runs its tasks without a worker.")
