"""The worker killed in the middle of a task (SIGKILL): its outbox row is taken up again once
its lease expires, and done once.

Real processes, as in production: `manage.py run_worker` (django-tasks-db's worker, or an RQ
worker on a Redis server the test session starts: both backends are tried) sends the
e-mails of an event to an SMTP server on loopback (aiosmtpd) that holds the first message
without answering; the test kills the worker while it waits, lets the lease (3 s here) run out,
runs the periodic run (`run_periodic`, which hands the row to the queue again) and a worker in
batch mode. Every e-mail row is then done, the killed one on its second attempt, and the server
holds exactly one message per row, each with its row's Message-ID. The processes share a
database of their own (a SQLite file, or a PostgreSQL database made for the test).
"""

import asyncio
import contextlib
import email
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings

from tests.servers import free_port

ROOT = Path(settings.BASE_DIR)
LEASE = 3

SETUP = """
import json
from django.core.management import call_command
from django.db import transaction
from django.test.utils import override_settings
from accounts.models import User
from notifications.services import notify
from ops.demo.personas import ensure_personas
from outbox.models import OutboxItem
from tests.factories import make_case

with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
    call_command("loaddata", "fixtures/master.json", verbosity=0)
    ensure_personas()
personas = {u.username: u for u in User.objects.all()}
case = make_case(personas, "received")
OutboxItem.objects.all().delete()
with transaction.atomic():
    notify(
        [personas[n] for n in ("ws.koordinator", "ws.kasikesra", "ws.lurah")],
        subject=case,
        kind="reminder",
        text="Pengingat",
        kelurahan_id=case.kelurahan_id,
    )
"""

ROWS = """
import json
from outbox.models import OutboxItem
print(json.dumps(list(OutboxItem.objects.order_by("pk").values(
    "pk", "kind", "state", "attempts", "result", "message_id"))))
"""


class HoldingSink:
    """An SMTP server that holds the first message (never answers it) and keeps the others."""

    def __init__(self):
        self.received: list[bytes] = []
        self.holding = threading.Event()
        self.release: asyncio.Event | None = None

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        if not self.holding.is_set():
            self.holding.set()
            self.release = asyncio.Event()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.release.wait(), timeout=120)
            return "421 closing"
        self.received.append(envelope.content)
        return "250 OK"


def _migrate(url: str) -> None:
    env = {**os.environ, "DATABASE_URL": url, "REPLICA_DATABASE_URL": ""}
    done = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "migrate", "--noinput", "-v", "0"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]


@pytest.fixture(scope="module")
def migrated(tmp_path_factory):
    """One migrated database for the module (a SQLite file, or a PostgreSQL template): each
    test copies it instead of running every migration again."""
    db = settings.DATABASES["default"]
    if "sqlite" in db["ENGINE"]:
        path = tmp_path_factory.mktemp("worker") / "template.sqlite3"
        _migrate(f"sqlite:///{path}")
        yield ("sqlite", str(path))
        return
    import psycopg

    server = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    name = f"posko_kill_tpl_{uuid.uuid4().hex[:8]}"
    admin = psycopg.connect(f"{server}/postgres", autocommit=True)
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        _migrate(f"{server}/{name}")
        yield ("postgres", (server, name, admin))
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture
def database_url(tmp_path, migrated):
    """A database of the test's own that separate processes can share, copied from the
    module's migrated one."""
    kind, where = migrated
    if kind == "sqlite":
        path = tmp_path / "worker.sqlite3"
        shutil.copyfile(where, path)
        yield f"sqlite:///{path}"
        return
    server, template, admin = where
    name = f"posko_kill_{uuid.uuid4().hex[:8]}"
    admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    try:
        yield f"{server}/{name}"
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# Both backends on one test worker (make test runs xdist with --dist loadgroup), so the migrated
# database is made once.
@pytest.mark.xdist_group("outbox_worker_kill")
@pytest.mark.parametrize("backend", ["db", "rq"])
def test_a_killed_workers_row_is_done_once_after_its_lease_expires(
    backend, database_url, tmp_path, request
):
    sink = HoldingSink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REPLICA_DATABASE_URL": "",
        "TASKS_BACKEND": backend,
        "REDIS_URL": request.getfixturevalue("redis_url") if backend == "rq" else "",
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(port),
        "OUTBOX_LEASE_SECONDS": str(LEASE),
        "MEDIA_ROOT": str(tmp_path / "files"),
        "LOG_FORMAT": "plain",
    }
    manage = [sys.executable, str(ROOT / "manage.py")]

    def run(*args, timeout=180):
        done = subprocess.run(
            [*manage, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout

    def rows():
        return json.loads(run("shell", "-c", ROWS).strip().splitlines()[-1])

    worker = None
    try:
        run("shell", "-c", SETUP)
        before = rows()
        assert [r["kind"] for r in before] == ["email"] * 3
        assert all(r["state"] == "pending" for r in before)

        log = open(tmp_path / "worker.log", "w")  # noqa: SIM115 - closed below
        worker = subprocess.Popen(
            [*manage, "run_worker", "--interval", "0.2"],
            env=env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: an RQ worker forks per job
        )
        assert sink.holding.wait(90), (tmp_path / "worker.log").read_text()[-3000:]
        # The worker is in the middle of its first e-mail: kill it.
        # (an RQ worker runs the job in a forked "work horse" of its own session: kill it too)
        horses = Path(f"/proc/{worker.pid}/task/{worker.pid}/children").read_text().split()
        os.killpg(worker.pid, signal.SIGKILL)
        for pid in horses:
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(pid), signal.SIGKILL)
        worker.wait(10)
        log.close()
        held = [r for r in rows() if r["state"] == "running"]
        assert len(held) == 1 and held[0]["attempts"] == 1
        assert not sink.received

        time.sleep(LEASE + 1)
        run("run_periodic")  # hands the row whose lease expired to the queue again
        run("run_worker", "--batch")
        after = {r["pk"]: r for r in rows()}
        assert all(r["state"] == "done" and r["result"] == "sent" for r in after.values())
        assert after[held[0]["pk"]]["attempts"] == 2
        ids = [email.message_from_bytes(m)["Message-ID"] for m in sink.received]
        assert sorted(ids) == sorted(r["message_id"] for r in after.values())  # once each
    finally:
        if worker is not None and worker.poll() is None:
            worker.kill()
        if sink.release is not None:
            controller.loop.call_soon_threadsafe(sink.release.set)
        controller.stop()
