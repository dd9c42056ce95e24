"""The topology test (`make test-cluster`): the app on several machines' worth of parts, all on
loopback, driven through the load balancer with raw HTTP.

It starts, each on a free port, under one temporary folder:
- a PostgreSQL primary (initdb) and a streaming standby (pg_basebackup -R from the primary), both
  run as the postgres user (runuser), data folders owned by postgres; the system server on 5432
  is never touched;
- its own redis-server (cache, sessions, lockouts), moto's S3 server (objects), an SMTP sink
  (aiosmtpd, a Maildir: used once e-mail goes through the outbox);
- two gunicorn web nodes with production settings (DEBUG off, SECRET_KEY set, DB_POOL on, the
  replica configured), started with ops/systemd/posko-web.service's ExecStart line;
- nginx in front (TLS on loopback, round robin; the header X-Posko-Node: a|b pins a request to
  one node, for the steps that must happen on a given node).

The journey: intake on node A; approval of a waiting referral (demo data) on node B; the letter
in the bucket, downloaded through node A with the same SHA-256; the dashboard read from the
standby once it has replayed up to the primary's WAL position. Then a burst of concurrent
registrations (distinct form tokens) during which node B is killed (SIGKILL): every
registration completes after retries, one case per token, case numbers unique and gapless;
node B restarted; the sessions made before work on both nodes.

The worker (the systemd unit's command) and the periodic run do the outbox's work: after the
approval the letter is rendered and stored by the worker and the agency's e-mails reach the
SMTP sink, one per Message-ID; the worker is killed (SIGKILL) with node B and restarted,
and every row is then done once (a worker killed in the middle of an SMTP transaction is
tests/outbox/test_worker.py).

Everything it started is stopped at the end, also on failure (process groups). A component
that cannot start fails the run with a message naming it. Nothing is skipped.
Run: `make test-cluster` (or `.venv/bin/python tests/cluster/topology.py`).
"""

import concurrent.futures
import contextlib
import hashlib
import html
import html.parser
import mailbox
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
import requests  # noqa: E402

from tests.servers import (  # noqa: E402
    S3_KEY,
    S3_REGION,
    S3_SECRET,
    Process,
    ServerFailed,
    free_port,
    make_bucket,
    s3_client,
    start_moto,
    start_redis,
)

VENV = Path(sys.executable).parent.parent
PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
DEMO_PASSWORD = "posko-demo-2026"  # noqa: S105 - the demo personas' password (README)
BUCKET = "posko-cluster"
BURST = 16
STARTED = time.monotonic()


def say(msg):
    print(f"[{time.monotonic() - STARTED:6.1f}s] {msg}", flush=True)


class Failed(Exception):
    def __init__(self, component, message):
        super().__init__(f"{component}: {message}")
        self.component = component


@contextlib.contextmanager
def component(name):
    """Any error inside names the component that failed."""
    try:
        yield
    except Failed:
        raise
    except Exception as exc:  # noqa: BLE001
        raise Failed(name, f"{type(exc).__name__}: {exc}") from exc


def check(cond, component_name, message):
    if not cond:
        raise Failed(component_name, message)


class Cluster:
    def __init__(self, tmp):
        self.tmp = Path(tmp)
        self.procs = []  # stopped in reverse order
        self.nodes = {}
        # One SECRET_KEY for every node: sessions and signed values must verify on all of them.
        self.secret_key = "cluster-" + uuid.uuid4().hex + uuid.uuid4().hex

    def add(self, proc):
        self.procs.append(proc)
        return proc

    def stop_all(self):
        for proc in reversed(self.procs):
            try:
                proc.stop()
            except Exception as exc:  # noqa: BLE001
                print(f"stopping {proc.name}: {exc}", file=sys.stderr)

    # ---------------------------------------------------------------- PostgreSQL

    def pg(self, *args, check_=True):
        cmd = ["runuser", "-u", "postgres", "--", *map(str, args)]
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=300)  # noqa: S603
        if check_ and out.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd[4:])[:200]} failed:\n{out.stderr[-2000:]}")
        return out

    def start_postgres(self, name, datadir, port):
        proc = Process(
            name,
            ["runuser", "-u", "postgres", "--", PG_BIN / "postgres", "-D", datadir],
            log_dir=self.tmp / "logs",
        )
        proc.stop_signal = signal.SIGINT  # fast shutdown
        self.add(proc.start())
        proc.wait_port(port, timeout=60)
        for _ in range(100):
            if (
                self.pg(
                    PG_BIN / "pg_isready", "-h", "127.0.0.1", "-p", port, check_=False
                ).returncode
                == 0
            ):
                return proc
            time.sleep(0.2)
        raise RuntimeError(f"{name} does not accept connections:\n{proc.log_tail()}")

    def primary_and_standby(self):
        if not (PG_BIN / "initdb").exists():
            raise Failed("postgresql", f"no initdb in {PG_BIN} (Debian package postgresql-15)")
        sock = self.tmp / "pg-socket"
        sock.mkdir()
        shutil.chown(sock, "postgres", "postgres")
        self.pg_port, self.standby_port = free_port(), free_port()
        primary = self.tmp / "pg-primary"
        with component("postgresql primary"):
            primary.mkdir()
            shutil.chown(primary, "postgres", "postgres")
            self.pg(
                PG_BIN / "initdb",
                "-D",
                primary,
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C",
            )
            with open(primary / "postgresql.conf", "a") as conf:
                conf.write(
                    f"\nport = {self.pg_port}\nlisten_addresses = '127.0.0.1'\n"
                    f"unix_socket_directories = '{sock}'\nwal_level = replica\n"
                    "max_wal_senders = 5\nhot_standby = on\nfsync = off\n"
                    "full_page_writes = off\nmax_connections = 100\n"
                )
            self.start_postgres("postgres-primary", primary, self.pg_port)
            with psycopg.connect(self.dsn("postgres"), autocommit=True) as conn:
                conn.execute("CREATE DATABASE posko")
        say(f"PostgreSQL primary on {self.pg_port}")
        standby = self.tmp / "pg-standby"
        with component("postgresql standby"):
            standby.mkdir(mode=0o700)
            shutil.chown(standby, "postgres", "postgres")
            self.pg(
                PG_BIN / "pg_basebackup",
                "-h",
                "127.0.0.1",
                "-p",
                self.pg_port,
                "-U",
                "postgres",
                "-D",
                standby,
                "-R",
                "-X",
                "stream",
                "--checkpoint=fast",
            )
            with open(standby / "postgresql.conf", "a") as conf:
                conf.write(f"\nport = {self.standby_port}\n")
            self.start_postgres("postgres-standby", standby, self.standby_port)
            with psycopg.connect(self.dsn("posko", self.standby_port)) as conn:
                in_recovery = conn.execute("SELECT pg_is_in_recovery()").fetchone()[0]
            check(in_recovery, "postgresql standby", "the standby is not in recovery")
        say(f"PostgreSQL standby on {self.standby_port} (streaming from the primary)")

    def dsn(self, db="posko", port=None):
        return f"postgresql://postgres@127.0.0.1:{port or self.pg_port}/{db}"

    def sql(self, query, *params, port=None):
        with psycopg.connect(self.dsn(port=port), autocommit=True) as conn:
            return conn.execute(query, params).fetchall()

    def wait_replayed(self, timeout=60):
        """Until the standby has replayed the WAL up to the primary's current position."""
        target = self.sql("SELECT pg_current_wal_lsn()")[0][0]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            replayed = self.sql(
                "SELECT pg_wal_lsn_diff(pg_last_wal_replay_lsn(), %s::pg_lsn) >= 0",
                str(target),
                port=self.standby_port,
            )[0][0]
            if replayed:
                return target
            time.sleep(0.2)
        raise Failed("postgresql standby", f"did not replay up to {target} in {timeout}s")

    # ---------------------------------------------------------------- other services

    def services(self):
        with component("redis"):
            redis_proc, self.redis_url = start_redis(self.tmp)
            self.add(redis_proc)
        say(f"Redis at {self.redis_url}")
        with component("s3 (moto server)"):
            moto, self.s3 = start_moto(self.tmp)
            self.add(moto)
            make_bucket(self.s3, BUCKET)
        say(f"S3 (moto) at {self.s3}, bucket {BUCKET}")
        with component("smtp sink (aiosmtpd)"):
            self.smtp_port = free_port()
            self.maildir = self.tmp / "mail"
            smtp = Process(
                "smtp-sink",
                [
                    sys.executable,
                    "-m",
                    "aiosmtpd",
                    "-n",
                    "-l",
                    f"127.0.0.1:{self.smtp_port}",
                    "-c",
                    "aiosmtpd.handlers.Mailbox",
                    self.maildir,
                ],
                log_dir=self.tmp / "logs",
            )
            self.add(smtp.start())
            smtp.wait_port(self.smtp_port)
        say(f"SMTP sink on {self.smtp_port} (Maildir {self.maildir})")

    def app_env(self):
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO", "PYTEST"))}
        env.update(
            {
                "DEBUG": "false",
                "SECRET_KEY": self.secret_key,
                "ALLOWED_HOSTS": "127.0.0.1",
                "CSRF_TRUSTED_ORIGINS": f"https://127.0.0.1:{self.lb_port}",
                "SITE_URL": f"https://127.0.0.1:{self.lb_port}",
                "DATABASE_URL": self.dsn(),
                "REPLICA_DATABASE_URL": self.dsn(port=self.standby_port),
                "DB_POOL": "true",
                "DB_POOL_MIN": "1",
                "DB_POOL_MAX": "4",
                "REDIS_URL": self.redis_url,
                "STORAGE_S3_BUCKET": BUCKET,
                "STORAGE_S3_ENDPOINT_URL": self.s3,
                "STORAGE_S3_REGION": S3_REGION,
                "STORAGE_S3_ACCESS_KEY": S3_KEY,
                "STORAGE_S3_SECRET_KEY": S3_SECRET,
                "STORAGE_S3_PREFIX": "posko",
                # Must stay empty: every file goes to the bucket.
                "MEDIA_ROOT": str(self.tmp / "media-must-stay-empty"),
                "EMAIL_HOST": "127.0.0.1",
                "EMAIL_PORT": str(self.smtp_port),
                # A killed worker's rows are taken up again after 10 s, not 5 minutes.
                "OUTBOX_LEASE_SECONDS": "10",
                "TRUSTED_PROXY_COUNT": "1",
                "HEALTH_ALLOWED_IPS": "127.0.0.1",
                # Pages are read as HTML only; collectstatic's manifest is not needed here.
                "STATIC_MANIFEST": "false",
                "STATIC_ROOT": str(self.tmp / "static"),
                "LOG_FORMAT": "json",
                "LOCKOUT_ENABLED": "true",
            }
        )
        return env

    def manage(self, *args, timeout=600):
        out = subprocess.run(  # noqa: S603
            [sys.executable, str(ROOT / "manage.py"), *args],
            cwd=ROOT,
            env=self.app_env(),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if out.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)}:\n{out.stderr[-3000:]}")
        return out.stdout

    def load_data(self):
        (self.tmp / "static").mkdir()
        with component("django (migrate, master data, demo data)"):
            self.manage("migrate", "--noinput")
            self.manage("loaddata", "fixtures/master.json")
            self.manage("seed_demo")
        say("migrated; master and demo data loaded (seed_demo)")

    # ---------------------------------------------------------------- web nodes and nginx

    def web_command(self):
        """ExecStart of ops/systemd/posko-web.service, with this checkout's paths."""
        unit = (ROOT / "ops/systemd/posko-web.service").read_text()
        line = next(x for x in unit.splitlines() if x.startswith("ExecStart="))
        cmd = line[len("ExecStart=") :].replace("/srv/posko/.venv", str(VENV))
        return shlex.split(cmd.replace("/srv/posko/app", str(ROOT)))

    def start_node(self, name):
        port = self.nodes[name]["port"]
        env = {**self.app_env(), "POSKO_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "2"}
        proc = Process(
            f"web-{name}", self.web_command(), log_dir=self.tmp / "logs", env=env, cwd=ROOT
        )
        self.nodes[name]["proc"] = self.add(proc.start())
        with component(f"web node {name} (gunicorn)"):
            proc.wait_port(port, timeout=60)
        return proc

    def web_nodes(self):
        self.nodes = {"a": {"port": free_port()}, "b": {"port": free_port()}}
        for name in self.nodes:
            self.start_node(name)
        say(f"web nodes: a on {self.nodes['a']['port']}, b on {self.nodes['b']['port']}")

    def nginx(self):
        exe = shutil.which("nginx") or "/usr/sbin/nginx"
        if not Path(exe).exists():
            raise Failed("nginx", "not installed (Debian package nginx; make setup-test)")
        ng = self.tmp / "nginx"
        for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (ng / sub).mkdir(parents=True)
            (ng / sub).chmod(0o777)
        with component("tls certificate (openssl)"):
            subprocess.run(  # noqa: S603
                [
                    "openssl",
                    "req",
                    "-x509",
                    "-newkey",
                    "rsa:2048",
                    "-nodes",
                    "-days",
                    "1",
                    "-subj",
                    "/CN=127.0.0.1",
                    "-addext",
                    "subjectAltName=IP:127.0.0.1",
                    "-keyout",
                    ng / "key.pem",
                    "-out",
                    ng / "cert.pem",
                ],
                check=True,
                capture_output=True,
                timeout=60,
            )
        self.cert = str(ng / "cert.pem")
        a, b = self.nodes["a"]["port"], self.nodes["b"]["port"]
        conf = f"""
daemon off;
worker_processes 1;
pid {ng}/nginx.pid;
error_log {ng}/error.log info;
events {{ worker_connections 512; }}
http {{
    client_body_temp_path {ng}/body;
    proxy_temp_path {ng}/proxy;
    fastcgi_temp_path {ng}/fastcgi;
    uwsgi_temp_path {ng}/uwsgi;
    scgi_temp_path {ng}/scgi;
    # No query string in the access log ($uri, not $request): search terms can be names.
    log_format posko '$remote_addr [$time_local] "$request_method $uri" $status '
                     '$upstream_addr $request_id';
    access_log {ng}/access.log posko;
    client_max_body_size 12m;
    upstream posko {{
        server 127.0.0.1:{a} max_fails=1 fail_timeout=30s;
        server 127.0.0.1:{b} max_fails=1 fail_timeout=30s;
    }}
    upstream node_a {{ server 127.0.0.1:{a}; }}
    upstream node_b {{ server 127.0.0.1:{b}; }}
    map $http_x_posko_node $posko_backend {{ default posko; a node_a; b node_b; }}
    server {{
        listen 127.0.0.1:{self.lb_port} ssl;
        ssl_certificate {ng}/cert.pem;
        ssl_certificate_key {ng}/key.pem;
        location / {{
            proxy_pass http://$posko_backend;
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto https;
            proxy_set_header X-Request-ID $request_id;
            # A refused connection goes to the other node (also for POST: nothing was sent);
            # a request already sent to a node that dies is answered 502, the client retries.
            proxy_next_upstream error timeout;
            proxy_connect_timeout 2s;
            add_header X-Upstream $upstream_addr always;
        }}
    }}
}}
"""
        (ng / "nginx.conf").write_text(conf)
        with component("nginx"):
            test = subprocess.run(  # noqa: S603
                [exe, "-t", "-c", ng / "nginx.conf", "-p", ng, "-e", ng / "error.log"],
                capture_output=True,
                text=True,
                timeout=30,
            )
            if test.returncode != 0:
                raise RuntimeError(test.stderr[-2000:])
            proc = Process(
                "nginx",
                [exe, "-c", ng / "nginx.conf", "-p", ng, "-e", ng / "error.log"],
                log_dir=self.tmp / "logs",
            )
            proc.stop_signal = signal.SIGQUIT
            self.add(proc.start())
            proc.wait_port(self.lb_port)
        say(f"nginx (TLS) on {self.lb_port} in front of both nodes")

    # ---------------------------------------------------------------- HTTP helpers

    @property
    def base(self):
        return f"https://127.0.0.1:{self.lb_port}"

    def session(self):
        s = requests.Session()
        # Only our own certificate, whatever REQUESTS_CA_BUNDLE or proxy variables say.
        s.trust_env = False
        s.verify = self.cert
        return s

    def get(self, s, path, node=None, **kw):
        headers = {"X-Posko-Node": node} if node else {}
        return s.get(self.base + path, headers=headers, allow_redirects=False, timeout=60, **kw)

    def post(self, s, path, data, node=None, referer=None):
        headers = {"Referer": self.base + (referer or path), "Origin": self.base}
        if node:
            headers["X-Posko-Node"] = node
        return s.post(
            self.base + path, data=data, headers=headers, allow_redirects=False, timeout=60
        )

    def served_by(self, resp):
        port = int(resp.headers.get("X-Upstream", ":0").rsplit(":", 1)[-1] or 0)
        return next((n for n, v in self.nodes.items() if v["port"] == port), None)

    def login(self, username, node):
        s = self.session()
        page = self.get(s, "/accounts/login/", node)
        check(page.status_code == 200, f"web node {node}", f"login page: {page.status_code}")
        form = form_on(page.text, action="/accounts/login/")
        data = dict(form.fields)
        data.update({"username": username, "password": DEMO_PASSWORD})
        r = self.post(s, "/accounts/login/", data, node)
        check(
            r.status_code == 302 and "/accounts/login" not in r.headers.get("Location", ""),
            f"web node {node}",
            f"login of {username} failed: {r.status_code} {r.text[:300]}",
        )
        return s


# -------------------------------------------------------------------- HTML forms


class Form:
    def __init__(self, action, attrs):
        self.action = action
        self.attrs = attrs
        self.fields = []  # (name, value) as a browser would send them


class _FormParser(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms = []
        self.form = None
        self.select = None
        self.select_value = None
        self.textarea = None

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            self.form = Form(a.get("action", ""), a)
            self.forms.append(self.form)
        if self.form is None:
            return
        if tag == "input" and a.get("name"):
            kind = a.get("type", "text").lower()
            if kind in ("submit", "button", "image", "file", "reset"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            self.form.fields.append((a["name"], a.get("value", "on" if kind == "checkbox" else "")))
        elif tag == "select" and a.get("name"):
            self.select, self.select_value = a["name"], None
        elif tag == "option" and self.select:
            if self.select_value is None or "selected" in a:
                self.select_value = (a.get("value", ""), "selected" in a)
        elif tag == "textarea" and a.get("name"):
            self.textarea = [a["name"], ""]

    def handle_data(self, data):
        if self.textarea is not None:
            self.textarea[1] += data

    def handle_endtag(self, tag):
        if self.form is None:
            return
        if tag == "select" and self.select:
            if self.select_value is not None:
                self.form.fields.append((self.select, self.select_value[0]))
            self.select = None
        elif tag == "textarea" and self.textarea is not None:
            self.form.fields.append(tuple(self.textarea))
            self.textarea = None
        elif tag == "form":
            self.form = None


def forms_in(page):
    p = _FormParser()
    p.feed(page)
    return p.forms


def form_on(page, *, action=None, cls=None):
    for f in forms_in(page):
        if action is not None and f.action.endswith(action):
            return f
        if cls is not None and cls in f.attrs.get("class", "").split():
            return f
    raise Failed("web", f"no form {action or cls} on the page")


def intake_data(form, victim, token_from_form=True):
    """The intake form as the volunteer fills it: the page's own fields (CSRF token, form token,
    whatever else every form carries), overlaid with one victim of physical violence."""
    filled = {
        "kinds": ["violence"],
        "channel": "walk_in",
        "incident_place": "household",
        "narrative": "Tetangga mendengar anak-anak menangis setiap malam (uji klaster).",
        "danger_now": "no",
        "injured_needs_care": "no",
        "violence_types": ["physical"],
        "reporter_kind": "other",
        "reporter_relation": "neighbour",
        "victims-TOTAL_FORMS": "1",
        "victims-0-full_name": victim,
        "victims-0-estimated_age": "9",
        "save": "1",
    }
    data = {}
    for name, value in form.fields:
        if name not in filled:
            data.setdefault(name, []).append(value)
    data.update({k: (v if isinstance(v, list) else [v]) for k, v in filled.items()})
    return data


# -------------------------------------------------------------------- the journey


def journey(c):
    # The health endpoint of each node, through the load balancer (loopback: allowed).
    for node in ("a", "b"):
        r = c.get(c.session(), "/health/", node)
        check(r.status_code == 200, f"web node {node}", f"/health/ answered {r.status_code}")
        checks = r.json()["checks"]
        check(
            all(checks[k] == "ok" for k in ("database", "replica", "cache", "storage")),
            f"web node {node}",
            f"health {checks}",
        )
    say(f"health of both nodes: {checks}")

    # Intake on node A.
    relawan = c.login("ws.relawan", "a")
    page = c.get(relawan, "/cases/new/", "a")
    check(page.status_code == 200, "web node a", f"intake form: {page.status_code}")
    data = intake_data(form_on(page.text, cls="intake-form"), "Rahmi Klaster")
    r = c.post(relawan, "/cases/new/", data, "a")
    check(
        r.status_code == 302 and "/cases/" in r.headers["Location"],
        "web node a",
        f"intake: {r.status_code} {r.text[:500]}",
    )
    check(c.served_by(r) == "a", "nginx", f"intake served by {c.served_by(r)}, not node a")
    case_id = int(re.search(r"/cases/(\d+)/", r.headers["Location"]).group(1))
    number = c.sql("SELECT number FROM cases_case WHERE id = %s", case_id)[0][0]
    say(f"intake on node a: case {number}")

    # Approval of a referral waiting in the queue (demo data), on node B.
    kasi = c.login("ws.kasikesra", "b")
    queue = c.get(kasi, "/referrals/queue/", "b")
    check(queue.status_code == 200, "web node b", f"approval queue: {queue.status_code}")
    ids = re.findall(r'href="/referrals/(\d+)/"', queue.text)
    check(ids, "demo data", "no referral waits for approval in the queue of ws.kasikesra")
    rid = int(ids[0])
    detail = c.get(kasi, f"/referrals/{rid}/", "b")
    approve = form_on(detail.text, action=f"/referrals/{rid}/do/approve/")
    r = c.post(kasi, approve.action, dict(approve.fields), "b", referer=f"/referrals/{rid}/")
    check(r.status_code == 302, "web node b", f"approval: {r.status_code} {r.text[:500]}")
    check(c.served_by(r) == "b", "nginx", "approval not served by node b")
    # The worker renders and stores the letter after the commit (the outbox), then sends it.
    deadline = time.monotonic() + 60
    while True:
        state, letter_number, pdf_name, pdf_sha = c.sql(
            "SELECT state, letter_number, pdf, pdf_sha256 FROM referrals_referral WHERE id = %s",
            rid,
        )[0]
        if pdf_sha or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    check(pdf_sha and letter_number, "worker", f"no letter after approval (state {state})")
    say(f"approval on node b: referral {rid} {state}, letter {letter_number}")

    # The letter is in the bucket (and nowhere on a node's disk).
    s3 = s3_client(c.s3)
    key = f"posko/{pdf_name}"
    obj = s3.get_object(Bucket=BUCKET, Key=key)
    stored = obj["Body"].read()
    check(hashlib.sha256(stored).hexdigest() == pdf_sha, "s3", "stored letter's SHA-256 differs")
    check(obj.get("ServerSideEncryption") == "AES256", "s3", "letter not encrypted at rest")
    media = c.tmp / "media-must-stay-empty"
    check(not media.exists() or not any(media.rglob("*")), "web", "files written to MEDIA_ROOT")
    # Downloaded through the other node, with the kasi kesra's session from node B.
    r = c.get(kasi, f"/referrals/{rid}/letter.pdf", "a")
    check(r.status_code == 200, "web node a", f"letter download: {r.status_code}")
    check(c.served_by(r) == "a", "nginx", "letter download not served by node a")
    check(
        hashlib.sha256(r.content).hexdigest() == pdf_sha, "web node a", "downloaded letter differs"
    )
    say(f"letter {key} in the bucket (AES256), downloaded through node a: same SHA-256")

    mail_received(c)

    # The dashboard, read from the standby after it has replayed up to the primary's position.
    lsn = c.wait_replayed()
    koor = c.login("ws.koordinator", "a")
    r = c.get(koor, "/cases/dashboard/", "a")
    check(r.status_code == 200, "web node a", f"dashboard: {r.status_code}")
    on_standby = [
        q
        for (q,) in c.sql(
            "SELECT query FROM pg_stat_activity "
            "WHERE datname = 'posko' AND pid <> pg_backend_pid()",
            port=c.standby_port,
        )
    ]
    check(
        any("cases_case" in q or "referrals_referral" in q for q in on_standby),
        "postgresql standby",
        f"the dashboard's counts were not read from the standby: {on_standby}",
    )
    say(f"dashboard read from the standby (replayed to {lsn})")
    return {"relawan": relawan, "kasi": kasi, "koor": koor}


def burst_with_a_node_killed(c, sessions):
    """Concurrent registrations with distinct form tokens; node B killed in the middle."""
    clients = [
        sessions["relawan"],
        c.login("ws.relawan", "b"),
        c.login("wb.relawan", "a"),
        c.login("wb.relawan", "b"),
    ]
    prepared = []
    for i in range(BURST):
        s = clients[i % len(clients)]
        page = c.get(s, "/cases/new/")
        check(page.status_code == 200, "web", f"intake form: {page.status_code}")
        form = form_on(page.text, cls="intake-form")
        token = dict(form.fields).get("intake_token")
        check(token, "web", "the intake form has no form token")
        prepared.append((s, token, intake_data(form, f"Korban Beruntun {i:02d}")))
    check(len({t for _, t, _ in prepared}) == BURST, "web", "form tokens are not distinct")

    done = []
    retries = []
    lock = threading.Lock()
    killed = threading.Event()

    def register(item):
        s, token, data = item
        for attempt in range(8):
            try:
                r = c.post(s, "/cases/new/", data)
            except requests.RequestException as exc:
                r, err = None, str(exc)
            else:
                err = None
            if r is not None and r.status_code == 302 and "/cases/" in r.headers["Location"]:
                with lock:
                    done.append((token, r.headers["Location"], c.served_by(r), attempt))
                return
            with lock:
                retries.append((token, r.status_code if r is not None else err))
            time.sleep(0.5 * (attempt + 1))
        raise Failed("web", f"registration {token} lost after 8 tries: {retries[-1]}")

    def killer():
        while len(done) < BURST // 4:
            time.sleep(0.01)
        c.nodes["b"]["proc"].kill(signal.SIGKILL)
        c.outbox_at_kill = dict(c.sql("SELECT state, count(*) FROM outbox_outboxitem GROUP BY 1"))
        c.worker.kill(signal.SIGKILL)  # the worker too, in the middle of the burst
        with lock:
            killed.set()
            c.killed_at = len(done)

    k = threading.Thread(target=killer)
    k.start()
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        for f in [pool.submit(register, item) for item in prepared]:
            f.result()
    k.join()
    check(killed.is_set() and c.killed_at < BURST, "test", "node b was not killed mid-burst")
    by_node = {n: sum(1 for d in done if d[2] == n) for n in ("a", "b")}
    say(
        f"burst of {BURST} registrations: node b killed after {c.killed_at} had completed; "
        f"{len(retries)} answers needed a retry ({sorted({str(x[1])[:40] for x in retries})}); "
        f"served by a={by_node['a']} b={by_node['b']}"
    )

    # One case per token; numbers unique and gapless per series.
    tokens = [t for _, t, _ in prepared]
    rows = c.sql(
        "SELECT intake_token::text, count(*) FROM cases_case "
        "WHERE intake_token::text = ANY(%s) GROUP BY 1",
        tokens,
    )
    check(
        len(rows) == BURST and all(n == 1 for _, n in rows),
        "database",
        f"cases per form token: {rows}",
    )
    dup = c.sql("SELECT number, count(*) FROM cases_case GROUP BY number HAVING count(*) > 1")
    check(not dup, "database", f"duplicate case numbers: {dup}")
    gaps = c.sql(
        "SELECT kelurahan_id, year, is_roleplay, count(*), max(seq) FROM cases_case "
        "GROUP BY 1, 2, 3 HAVING count(*) <> max(seq)"
    )
    check(not gaps, "database", f"gaps in case numbers: {gaps}")
    say("every registration saved once; case numbers unique and gapless")

    restart_killed_worker(c)

    # Node B comes back; the sessions made before work on both nodes (they live in Redis).
    c.start_node("b")
    for name, s in (
        ("relawan", sessions["relawan"]),
        ("kasi", sessions["kasi"]),
        ("koor", sessions["koor"]),
    ):
        for node in ("a", "b"):
            r = c.get(s, "/home/", node)
            check(
                r.status_code == 200 and c.served_by(r) == node,
                f"web node {node}",
                f"session of {name} not valid on node {node}: {r.status_code}",
            )
    say("node b restarted; sessions valid on both nodes")


# -------------------------------------------------------------------- worker and outbox


def start_worker(c):
    """The worker with ops/systemd/posko-worker.service's ExecStart (the database backend)."""
    unit = (ROOT / "ops/systemd/posko-worker.service").read_text()
    line = next(x for x in unit.splitlines() if x.startswith("ExecStart="))
    cmd = line[len("ExecStart=") :].replace("/srv/posko/.venv", str(VENV))
    cmd = shlex.split(cmd.replace("/srv/posko/app", str(ROOT)))
    proc = Process("worker", cmd, log_dir=c.tmp / "logs", env=c.app_env(), cwd=ROOT)
    c.worker = c.add(proc.start())


def start_worker_and_periodic(c):
    """Start the worker and run `manage.py run_periodic` once, like the timer. The demo's rows
    were done by seed_demo (its e-mails into the void): only later rows are checked."""
    c.demo_rows = c.sql("SELECT coalesce(max(id), 0) FROM outbox_outboxitem")[0][0]
    start_worker(c)
    with component("periodic run"):
        c.manage("run_periodic")
    say("worker started (run_worker); periodic run done once")


def outbox_settled(c, timeout=120):
    """Until no outbox row is waiting or running; the rows (kind, state, result, message_id,
    attempts). The periodic run is repeated meanwhile, as the timer would."""
    deadline = time.monotonic() + timeout
    while True:
        rows = c.sql(
            "SELECT kind, state, result, message_id, attempts FROM outbox_outboxitem WHERE id > %s",
            c.demo_rows,
        )
        if all(r[1] in ("done", "failed") for r in rows) or time.monotonic() > deadline:
            return rows
        with component("periodic run"):
            c.manage("run_periodic")
        time.sleep(2)


def received_ids(c):
    """The Message-IDs in the sink's Maildir, one entry per message received."""
    box = mailbox.Maildir(c.maildir, create=False)
    return [str(m["Message-ID"]).strip() for m in box]


def check_mail(c, rows):
    """Every e-mail row done; each sent row's Message-ID received, and more than once only for
    a row that was attempted more than once (its worker killed after the SMTP transaction)."""
    emails = [r for r in rows if r[0] == "email"]
    pending = [r for r in emails if r[1] != "done"]
    check(not pending, "worker", f"e-mail rows not done: {pending}")
    got = received_ids(c)
    counts = {mid: got.count(mid) for mid in set(got)}
    by_id = {r[3]: r for r in emails}
    strangers = [mid for mid in counts if mid not in by_id]
    check(not strangers, "smtp sink", f"messages no outbox row sent: {strangers}")
    for mid, row in by_id.items():
        if row[2] != "sent":
            continue
        n = counts.get(mid, 0)
        check(n >= 1, "smtp sink", f"e-mail {mid} marked sent but not received")
        check(n == 1 or n <= row[4], "smtp sink", f"e-mail {mid} received {n} times")
    return emails, got


def mail_received(c):
    """After the approval the agency's officers are told by e-mail: the worker sends each
    e-mail row through the SMTP sink, once, under the row's own Message-ID."""
    rows = outbox_settled(c)
    emails, got = check_mail(c, rows)
    sent = [r for r in emails if r[2] == "sent"]
    check(sent, "worker", "no e-mail sent after the approval")
    say(f"{len(sent)} e-mail(s) in the sink, one per Message-ID ({len(got)} received)")


def restart_killed_worker(c):
    """The worker was killed (SIGKILL) with node b in the middle of the burst: restart it, let
    the leases run out and the periodic run re-queue: every row done, one e-mail per event (a
    repeat only for a row attempted twice) and one stored letter per referral. The burst's
    registrations make no outbox rows, so the worker is usually idle when killed: the kill in
    the middle of an SMTP transaction, on both task backends, is tests/outbox/test_worker.py."""
    was = c.outbox_at_kill
    with contextlib.suppress(Exception):
        c.worker.proc.wait(10)
    check(not c.worker.alive(), "worker", "the worker survived SIGKILL")
    start_worker(c)
    time.sleep(11)  # the lease (OUTBOX_LEASE_SECONDS=10) of a row the killed worker held
    rows = outbox_settled(c)
    failed = [r for r in rows if r[1] != "done"]
    check(not failed, "worker", f"outbox rows not done after the restart: {failed}")
    emails, got = check_mail(c, rows)
    letters = c.sql("SELECT count(*) FROM referrals_referral WHERE pdf <> ''")[0][0]
    s3 = s3_client(c.s3)
    keys = [
        o["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(
            Bucket=BUCKET, Prefix="posko/letters/"
        )
        for o in page.get("Contents", [])
    ]
    check(
        len(keys) == letters,
        "s3",
        f"{len(keys)} letter objects in the bucket for {letters} referrals with a letter",
    )
    say(
        f"worker killed mid-burst (outbox then: {was}), restarted: {len(rows)} rows done, "
        f"{len(got)} e-mails for {len(emails)} rows, {letters} letters stored once each"
    )


def main():
    if os.geteuid() != 0:
        print(
            "FAIL [setup]: the topology test runs PostgreSQL as the postgres user: run as root",
            file=sys.stderr,
        )
        return 1
    tmp = tempfile.mkdtemp(prefix="posko-cluster-")
    os.chmod(tmp, 0o755)  # noqa: S103 - the postgres user must reach its data folders
    c = Cluster(tmp)
    c.lb_port = free_port()
    stop = {"sig": None}

    def on_signal(signum, frame):
        stop["sig"] = signum
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    status = 1
    try:
        say(f"temporary folder {tmp}")
        c.primary_and_standby()
        c.services()
        c.load_data()
        c.web_nodes()
        c.nginx()
        start_worker_and_periodic(c)
        sessions = journey(c)
        burst_with_a_node_killed(c, sessions)
        status = 0
    except Failed as exc:
        print(f"FAIL [{exc.component}]: {exc}", file=sys.stderr)
        for proc in c.procs:
            print(f"--- {proc.name} log (end) ---\n{proc.log_tail(15)}", file=sys.stderr)
    except ServerFailed as exc:
        print(f"FAIL [start]: {exc}", file=sys.stderr)
    except KeyboardInterrupt:
        print(f"FAIL [interrupted]: signal {stop['sig'] or 'SIGINT'}", file=sys.stderr)
    except Exception:  # noqa: BLE001
        import traceback

        traceback.print_exc()
        print("FAIL [test]: unexpected error (traceback above)", file=sys.stderr)
    finally:
        c.stop_all()
        if status == 0 or os.environ.get("KEEP_CLUSTER_TMP") != "1":
            shutil.rmtree(tmp, ignore_errors=True)
    took = time.monotonic() - STARTED
    if status == 0:
        print(f"topology test passed in {took:.0f}s")
        print("cluster: 1 passed, 0 failed")
    else:
        print(f"topology test FAILED after {took:.0f}s (KEEP_CLUSTER_TMP=1 keeps {tmp})")
        print("cluster: 0 passed, 1 failed")
    return status


if __name__ == "__main__":
    sys.exit(main())
