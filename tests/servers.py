"""Servers that tests start themselves on free loopback ports: redis-server (Debian) and moto's
S3 server (PyPI, moto[server]). Used by the fixtures in tests/conftest.py and by the topology
test (tests/cluster/). Each runs in its own process group, so stopping it stops its children;
a server that does not come up fails with its name and the end of its log, never a skip.
"""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

VENV_BIN = Path(sys.executable).parent


class ServerFailed(RuntimeError):
    """A component could not start: the message names it."""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port, host="127.0.0.1"):
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


class Process:
    """A server process in its own process group, its output in a log file."""

    def __init__(self, name, cmd, *, log_dir, env=None, cwd=None):
        self.name = name
        self.cmd = [str(c) for c in cmd]
        self.log_path = Path(log_dir) / f"{name}.log"
        self.env = env
        self.cwd = cwd
        self.proc = None
        # What asks the server to stop (postgres: SIGINT, fast shutdown; nginx: SIGQUIT).
        self.stop_signal = signal.SIGTERM

    def start(self):
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")  # noqa: SIM115 - closed with the process
        try:
            self.proc = subprocess.Popen(  # noqa: S603
                self.cmd,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=self.env,
                cwd=self.cwd,
                start_new_session=True,
            )
        except OSError as exc:
            raise ServerFailed(f"{self.name}: cannot run {self.cmd[0]}: {exc}") from exc
        finally:
            log.close()
        return self

    def log_tail(self, n=30):
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return ""
        return "\n".join(lines[-n:])

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def wait_port(self, port, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                raise ServerFailed(
                    f"{self.name} exited with {self.proc.returncode} before listening on "
                    f"port {port}:\n{self.log_tail()}"
                )
            if port_open(port):
                return self
            time.sleep(0.1)
        raise ServerFailed(
            f"{self.name} did not listen on port {port} in {timeout}s:\n{self.log_tail()}"
        )

    def _signal_group(self, sig):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, sig)

    def kill(self, sig=signal.SIGKILL):
        """Kill the whole process group at once (a crash, not a shutdown)."""
        if self.alive():
            self._signal_group(sig)

    def stop(self, timeout=10):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self._signal_group(self.stop_signal)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self._signal_group(signal.SIGKILL)
                self.proc.wait(5)
        # The leader is gone; its group may still hold children.
        self._signal_group(signal.SIGKILL)


def start_redis(workdir):
    exe = shutil.which("redis-server")
    if not exe:
        raise ServerFailed(
            "redis-server: not installed (Debian package redis-server; make setup-test)"
        )
    port = free_port()
    proc = Process(
        f"redis-{port}",
        [
            exe,
            "--port",
            port,
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            workdir,
        ],
        log_dir=workdir,
    ).start()
    proc.wait_port(port)
    return proc, f"redis://127.0.0.1:{port}/0"


def start_moto(workdir):
    exe = VENV_BIN / "moto_server"
    if not exe.exists():
        raise ServerFailed("moto_server: not installed (moto[server], pip install -e '.[test]')")
    port = free_port()
    env = {**os.environ, "MOTO_ALLOW_NONEXISTENT_REGION": "true"}
    proc = Process(
        f"moto-s3-{port}", [exe, "-H", "127.0.0.1", "-p", port], log_dir=workdir, env=env
    ).start()
    proc.wait_port(port, timeout=60)
    return proc, f"http://127.0.0.1:{port}"


# Credentials of the loopback S3 server (moto accepts any).
S3_KEY = "posko-test-key"
S3_SECRET = "posko-test-secret"  # noqa: S105
S3_REGION = "ap-southeast-3"  # Jakarta: where a government install keeps its objects


def s3_client(endpoint):
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=S3_KEY,
        aws_secret_access_key=S3_SECRET,
        region_name=S3_REGION,
    )


def make_bucket(endpoint, name):
    s3_client(endpoint).create_bucket(
        Bucket=name, CreateBucketConfiguration={"LocationConstraint": S3_REGION}
    )
    return name
