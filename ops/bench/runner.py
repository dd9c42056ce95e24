"""`manage.py bench` (`make bench`): the benchmark of issue 12, end to end.

1. Two data sets, 1,000 cases and the chosen size, each generated once into a template database
   (`<name>_tpl`, marked with a comment: generator version, size, seed and a hash of the
   migrations and generator code) and reused while the marker matches; every run measures a
   fresh copy (CREATE DATABASE ... TEMPLATE), so runs start from the same rows.
2. Per data set: query counts, sessions and (on the larger set) the letter render in-process
   (`manage.py bench_probe`); then gunicorn on loopback (2 workers, production settings:
   DEBUG off, SECRET_KEY set, SECURE_SSL_REDIRECT off, static collected, served by whitenoise,
   BENCH_VIEWS on) for p50/p95 over sequential requests, and the throughput of the case list and
   the case page against the bare view in interleaved rounds (wrk, or a small Python client).
3. One table with the issue's targets (PASS/FAIL), printed and written to docs/BENCHMARKS.md
   with the machine and the date; the raw figures go to var/bench/results.json.

Runs every process it starts itself and stops them by their own id.
"""

import datetime
import gzip
import hashlib
import http.client
import json
import os
import platform
import re
import secrets
import shutil
import statistics
import subprocess  # nosec B404: our own interpreter, gunicorn and wrk, no shell
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings

from . import pages as bench_pages
from .generate import VERSION

BASE = Path(settings.BASE_DIR)
WORK = BASE / "var" / "bench"
SMALL = 1000

# Targets of issue 12.
P95_RATIO_MAX = 1.3
HTML_MAX = 60 * 1024
THROUGHPUT_VS_SMALL_MIN = 0.9
THROUGHPUT_VS_BARE_MIN = 0.3
LETTER_RATIO_MAX = 1.5


def human(n):
    if n % 1000 == 0:
        return f"{n // 1000}k"
    return str(n)


def fmt_int(n):
    return f"{n:,}"


class Bench:
    def __init__(
        self,
        *,
        cases,
        seed,
        requests,
        page_seconds,
        rounds,
        duration,
        connections,
        port,
        base_url,
        regenerate,
        letter_runs,
        out,
        log,
    ):
        self.cases = cases
        self.seed = seed
        self.requests = requests
        self.page_seconds = page_seconds
        self.rounds = rounds
        self.duration = duration
        self.connections = connections
        self.port = port
        self.base_url = base_url.rstrip("/")
        self.regenerate = regenerate
        self.letter_runs = letter_runs
        self.out = Path(out)
        self.log = log
        self.secret = secrets.token_urlsafe(40)
        self.python = sys.executable
        self.gunicorn = str(Path(sys.executable).with_name("gunicorn"))
        self.wrk = shutil.which("wrk")
        self.static_root = WORK / "static"
        self.media_root = WORK / "files"

    # -- processes ---------------------------------------------------------------------

    def db_url(self, name):
        parts = urlsplit(self.base_url)
        return urlunsplit((parts.scheme, parts.netloc, "/" + name, "", ""))

    def env(self, db_name=None):
        env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
        env.update(
            DEBUG="false",
            SECRET_KEY=self.secret,
            SECURE_SSL_REDIRECT="false",
            BENCH_VIEWS="true",
            STATIC_ROOT=str(self.static_root),
            STATIC_MANIFEST="true",
            MEDIA_ROOT=str(self.media_root),
            LOG_LEVEL="WARNING",
            EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend",
        )
        if db_name:
            env["DATABASE_URL"] = self.db_url(db_name)
        return env

    def manage(self, *args, db_name=None, quiet=False):
        cmd = [self.python, str(BASE / "manage.py"), *args]
        out = subprocess.DEVNULL if quiet else None
        subprocess.run(cmd, check=True, cwd=BASE, env=self.env(db_name), stdout=out)  # noqa: S603 # nosec B603

    def admin(self):
        import psycopg

        return psycopg.connect(self.db_url("postgres"), autocommit=True)

    # -- data sets ---------------------------------------------------------------------

    def schema_hash(self):
        h = hashlib.sha256()
        files = sorted(BASE.glob("*/migrations/[0-9]*.py"))
        files += [
            BASE / "fixtures" / "master.json",
            BASE / "ops/demo/personas.py",
        ]
        files += sorted((BASE / "ops" / "bench").glob("*.py"))
        for f in files:
            if f.name in ("runner.py", "probe.py", "pages.py", "bare_letter.py", "views.py"):
                continue
            h.update(str(f.relative_to(BASE)).encode())
            h.update(f.read_bytes())
        return h.hexdigest()[:16]

    def dataset(self, n):
        """Make sure the template of n cases exists; returns (name, generation seconds or None)."""
        name = f"posko_bench_{human(n)}"
        tpl = f"{name}_tpl"
        marker = (
            f"posko-bench generator={VERSION} cases={n} seed={self.seed} "
            f"schema={self.schema_hash()}"
        )
        with self.admin() as conn:
            row = conn.execute(
                "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
                [tpl],
            ).fetchone()
        seconds = None
        if row is None or row[0] != marker or self.regenerate:
            self.log(f"generating {fmt_int(n)} cases into {tpl}")
            with self.admin() as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{tpl}" WITH (FORCE)')
                conn.execute(f'CREATE DATABASE "{tpl}"')
            self.manage("migrate", "--noinput", db_name=tpl, quiet=True)
            self.manage("createcachetable", db_name=tpl, quiet=True)
            self.manage("loaddata", "fixtures/master.json", db_name=tpl, quiet=True)
            self.manage("seed_demo", "--no-cases", db_name=tpl, quiet=True)
            t0 = time.monotonic()
            self.manage("bench_data", "--cases", str(n), "--seed", str(self.seed), db_name=tpl)
            seconds = time.monotonic() - t0
            with self.admin() as conn:
                conn.execute(f"COMMENT ON DATABASE \"{tpl}\" IS '{marker}'")
        else:
            self.log(f"reusing {tpl} ({marker})")
        with self.admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            try:
                conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{tpl}" STRATEGY FILE_COPY')
            except Exception:  # noqa: BLE001 (PostgreSQL < 15 has no STRATEGY)
                conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{tpl}"')
            # The copy leaves gigabytes of dirty pages at 100,000 cases: written out now, not
            # during the measurements (every commit of a page would wait behind them).
            conn.execute("CHECKPOINT")
        os.sync()
        return name, seconds

    def machine(self):
        cpu = platform.processor() or platform.machine()
        try:
            for line in Path("/proc/cpuinfo").read_text().splitlines():
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
        except OSError:
            pass
        ram = ""
        try:
            kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
            ram = f"{kb / 1024 / 1024:.1f} GB"
        except (OSError, AttributeError):
            pass
        with self.admin() as conn:
            pg = conn.execute("SHOW server_version").fetchone()[0]
        return {
            "cpu": cpu,
            "cores": os.cpu_count(),
            "ram": ram,
            "postgresql": pg,
            "python": platform.python_version(),
        }

    # -- gunicorn and HTTP -------------------------------------------------------------

    def start_gunicorn(self, db_name):
        log_file = open(WORK / "gunicorn.log", "ab")  # noqa: SIM115 (closed in stop_gunicorn)
        proc = subprocess.Popen(  # noqa: S603 # nosec B603
            [
                self.gunicorn,
                "lbk.wsgi",
                "--workers",
                "2",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--timeout",
                "120",
            ],
            cwd=BASE,
            env=self.env(db_name),
            stdout=log_file,
            stderr=log_file,
        )
        proc.log_file = log_file
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({proc.returncode}); see {WORK}/gunicorn.log")
            try:
                status, _body, _h = self.get("/accounts/login/", None)
                if status == 200:
                    return proc
            except OSError:
                pass
            time.sleep(0.3)
        self.stop_gunicorn(proc)
        raise RuntimeError("gunicorn did not answer in 60 s")

    def stop_gunicorn(self, proc):
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        proc.log_file.close()

    def get(self, path, cookie):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        headers = {"Accept-Encoding": "gzip", "Accept-Language": "id"}
        if cookie:
            headers["Cookie"] = f"{settings.SESSION_COOKIE_NAME}={cookie}"
        try:
            conn.request("GET", path, headers=headers)
            resp = conn.getresponse()
            body = resp.read()
            return resp.status, body, dict(resp.getheaders())
        finally:
            conn.close()

    def latency(self, page, cookie):
        """p50/p95 over sequential requests (after 3 warm-up requests)."""
        for _warm in range(3):
            status, body, headers = self.get(page["path"], cookie)
            if status != 200:
                raise RuntimeError(f"{page['key']}: HTTP {status} for {page['path']}")
        times = []
        started = time.monotonic()
        wire = html = 0
        while len(times) < self.requests:
            t0 = time.perf_counter()
            status, body, headers = self.get(page["path"], cookie)
            times.append((time.perf_counter() - t0) * 1000)
            if status != 200:
                raise RuntimeError(f"{page['key']}: HTTP {status} for {page['path']}")
            if len(times) >= 20 and time.monotonic() - started > self.page_seconds:
                break
        wire = len(body)
        html = len(gzip.decompress(body)) if headers.get("Content-Encoding") == "gzip" else wire
        q = statistics.quantiles(times, n=100, method="inclusive")
        return {"n": len(times), "p50": q[49], "p95": q[94], "html": html, "wire": wire}

    def throughput(self, path, cookie):
        if self.wrk:
            cmd = [
                self.wrk,
                "-t1",
                f"-c{self.connections}",
                f"-d{self.duration}s",
                "-H",
                f"Cookie: {settings.SESSION_COOKIE_NAME}={cookie}",
                "-H",
                "Accept-Encoding: gzip",
                f"http://127.0.0.1:{self.port}{path}",
            ]
            done = subprocess.run(cmd, check=True, capture_output=True, text=True)  # noqa: S603 # nosec B603
            if "Non-2xx" in done.stdout:
                raise RuntimeError(f"wrk: non-2xx answers for {path}:\n{done.stdout}")
            return float(re.search(r"Requests/sec:\s+([\d.]+)", done.stdout).group(1))
        return self.python_load(path, cookie)

    def python_load(self, path, cookie):
        """Fallback without wrk: `connections` threads requesting for `duration` seconds."""
        stop = time.monotonic() + self.duration
        counts = []

        def worker():
            n = 0
            while time.monotonic() < stop:
                status, _b, _h = self.get(path, cookie)
                if status != 200:
                    raise RuntimeError(f"HTTP {status} for {path}")
                n += 1
            counts.append(n)

        threads = [threading.Thread(target=worker) for _ in range(self.connections)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return sum(counts) / self.duration

    def rounds_for(self, page_by_key, cookie):
        """Interleaved rounds: bare, case list, bare, case page... ; per round the page's rate
        over the bare rate measured just before it."""
        out = {key: {"rps": [], "bare": [], "ratio": []} for key in bench_pages.THROUGHPUT}
        for _r in range(self.rounds):
            for key in bench_pages.THROUGHPUT:
                bare = self.throughput(bench_pages.BARE_PATH, cookie)
                rps = self.throughput(page_by_key[key]["path"], cookie)
                out[key]["bare"].append(bare)
                out[key]["rps"].append(rps)
                out[key]["ratio"].append(rps / bare)
        for v in out.values():
            v["median_rps"] = statistics.median(v["rps"])
            v["median_bare"] = statistics.median(v["bare"])
            v["median_ratio"] = statistics.median(v["ratio"])
        return out

    # -- one data set ------------------------------------------------------------------

    def measure(self, n, letter):
        name, gen_seconds = self.dataset(n)
        probe_file = WORK / f"probe-{human(n)}.json"
        args = ["bench_probe", "--out", str(probe_file)]
        if letter:
            args += ["--letter-runs", str(self.letter_runs)]
        self.log(f"{name}: query counts{' and letter' if letter else ''} in-process")
        self.manage(*args, db_name=name)
        probe = json.loads(probe_file.read_text())
        self.log(f"{name}: gunicorn on 127.0.0.1:{self.port}")
        proc = self.start_gunicorn(name)
        try:
            lat = {}
            for page in probe["pages"]:
                cookie = probe["sessions"][page["persona"]]
                lat[page["key"]] = self.latency(page, cookie)
                r = lat[page["key"]]
                self.log(
                    f"  {page['key']:16} n={r['n']:>3} p50 {r['p50']:8.1f} ms  "
                    f"p95 {r['p95']:8.1f} ms  {r['html'] / 1024:7.1f} kB"
                )
            page_by_key = {p["key"]: p for p in probe["pages"]}
            self.log(f"  throughput: {self.rounds} interleaved rounds of {self.duration} s")
            thr = self.rounds_for(page_by_key, probe["sessions"][bench_pages.COORDINATOR])
        finally:
            self.stop_gunicorn(proc)
        return {
            "db": name,
            "cases": n,
            "generated_seconds": gen_seconds,
            "probe": probe,
            "latency": lat,
            "throughput": thr,
        }

    def run(self):
        WORK.mkdir(parents=True, exist_ok=True)
        self.log("collectstatic")
        self.manage("collectstatic", "--noinput", "--ignore", "admin", quiet=True)
        started = datetime.datetime.now().astimezone()
        small = self.measure(SMALL, letter=False)
        big = self.measure(self.cases, letter=True)
        results = {
            "date": started.isoformat(timespec="minutes"),
            "machine": self.machine(),
            "seed": self.seed,
            "small": small,
            "big": big,
            "load_generator": "wrk" if self.wrk else "python threads",
            "settings": {
                "requests": self.requests,
                "page_seconds": self.page_seconds,
                "rounds": self.rounds,
                "duration": self.duration,
                "connections": self.connections,
            },
        }
        (WORK / "results.json").write_text(json.dumps(results, indent=1, default=str))
        text = report(results)
        self.out.parent.mkdir(parents=True, exist_ok=True)
        self.out.write_text(text)
        print(text)
        return results


# ---------------------------------------------------------------------------------------------


def verdict(ok):
    return "PASS" if ok else "FAIL"


def report(res):
    small, big = res["small"], res["big"]
    n_small, n_big = human(small["cases"]), human(big["cases"])
    m = res["machine"]
    lines = [
        "# Benchmarks",
        "",
        f"Measured by `make bench` on {res['date']}: {m['cpu']}, {m['cores']} cores, "
        f"{m['ram']} RAM, PostgreSQL {m['postgresql']}, Python {m['python']}. Data sets of "
        f"{fmt_int(small['cases'])} and {fmt_int(big['cases'])} cases (seed {res['seed']}, "
        "`manage.py bench_data`), gunicorn with 2 workers and production settings on loopback, "
        f"{res['settings']['requests']} sequential requests per page (fewer when a page takes "
        f"more than {res['settings']['page_seconds']} s in all; n below). Query counts in-process "
        "(test client, same database). HTML is the page's size uncompressed. Timings on a shared "
        "machine are noisy: compare ratios within one run.",
        "",
    ]
    if big.get("generated_seconds"):
        lines.append(
            f"Generating the {fmt_int(big['cases'])}-case set took "
            f"{big['generated_seconds']:.0f} s in this run.\n"
        )
    lines += [
        f"| page | persona | queries {n_small} | queries {n_big} | p50 {n_small} (ms) | "
        f"p95 {n_small} (ms) | p50 {n_big} (ms) | p95 {n_big} (ms) | p95 ratio | "
        f"HTML {n_small} (kB) | HTML {n_big} (kB) | n {n_small}/{n_big} | targets |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    fails = []
    for page in big["probe"]["pages"]:
        key = page["key"]
        qs, qb = small["probe"]["queries"][key]["queries"], big["probe"]["queries"][key]["queries"]
        ls, lb = small["latency"][key], big["latency"][key]
        ratio = lb["p95"] / ls["p95"] if ls["p95"] else float("inf")
        ok_ratio = ratio <= P95_RATIO_MAX
        ok_q = max(qs, qb) <= page["max_queries"]
        ok_html = max(ls["html"], lb["html"]) <= HTML_MAX
        marks = (
            f"p95 ≤{P95_RATIO_MAX}× {verdict(ok_ratio)}, ≤{page['max_queries']} queries "
            f"{verdict(ok_q)}, ≤60 kB {verdict(ok_html)}"
        )
        if not (ok_ratio and ok_q and ok_html):
            fails.append(page["label"])
        lines.append(
            f"| {page['label']} | {page['persona']} | {qs} | {qb} | {ls['p50']:,.0f} | "
            f"{ls['p95']:,.0f} | {lb['p50']:,.0f} | {lb['p95']:,.0f} | {ratio:.2f} | "
            f"{ls['html'] / 1024:,.1f} | {lb['html'] / 1024:,.1f} | {ls['n']}/{lb['n']} | {marks} |"
        )
    lines += [
        "",
        f"Throughput against the bare view (a login-required view returning a fixed 1 kB "
        f"template, no query of its own, same gunicorn and middleware), "
        f"{res['settings']['rounds']} interleaved rounds of {res['settings']['duration']} s, "
        f"{res['settings']['connections']} connections ({res['load_generator']}); medians:",
        "",
        f"| page | req/s {n_small} | bare {n_small} | ratio {n_small} | req/s {n_big} | "
        f"bare {n_big} | ratio {n_big} | {n_big} / {n_small} | targets |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for key in bench_pages.THROUGHPUT:
        ts, tb = small["throughput"][key], big["throughput"][key]
        scale = tb["median_ratio"] / ts["median_ratio"] if ts["median_ratio"] else 0
        label = next(p["label"] for p in big["probe"]["pages"] if p["key"] == key)
        if key == "case_list":
            ok_scale = scale >= THROUGHPUT_VS_SMALL_MIN
            ok_bare = tb["median_ratio"] >= THROUGHPUT_VS_BARE_MIN
            marks = (
                f"≥{THROUGHPUT_VS_SMALL_MIN} of {n_small} {verdict(ok_scale)}, "
                f"≥{THROUGHPUT_VS_BARE_MIN} of bare {verdict(ok_bare)}"
            )
            if not (ok_scale and ok_bare):
                fails.append("case list throughput")
        else:
            marks = "(no target)"
        lines.append(
            f"| {label} | {ts['median_rps']:,.0f} | {ts['median_bare']:,.0f} | "
            f"{ts['median_ratio']:.2f} | {tb['median_rps']:,.0f} | {tb['median_bare']:,.0f} | "
            f"{tb['median_ratio']:.2f} | {scale:.2f} | {marks} |"
        )
    letter = big["probe"].get("letter")
    lines.append("")
    if letter:
        ok = letter["ratio"] <= LETTER_RATIO_MAX
        if not ok:
            fails.append("letter render")
        lines += [
            "Letter PDF (referral letter, median of "
            f"{letter['runs']} renders): the app's `render_letter_pdf` against the same letter's "
            "HTML saved once and rendered by WeasyPrint alone (same fonts and QR code, no Django, "
            "no database):",
            "",
            "| app (ms) | WeasyPrint alone (ms) | ratio | target |",
            "|---|---|---|---|",
            f"| {letter['app_ms']:,.0f} | {letter['bare_ms']:,.0f} | {letter['ratio']:.2f} | "
            f"≤{LETTER_RATIO_MAX}× {verdict(ok)} |",
            "",
        ]
    lines.append("All targets met." if not fails else "Targets missed: " + ", ".join(fails) + ".")
    return "\n".join(lines) + "\n"
