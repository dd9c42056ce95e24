"""What the environment variables of docs/DEPLOYMENT.md turn into, read from a fresh process of
lbk.settings for each combination (settings are evaluated once per process); the unsafe
production settings the app refuses to start with."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import json
from django.conf import settings
print(json.dumps({
    "caches": settings.CACHES["default"]["BACKEND"],
    "engine": settings.SESSION_ENGINE,
    "storage": settings.STORAGES["default"],
    "databases": {k: {"max_age": v.get("CONN_MAX_AGE"), "options": v.get("OPTIONS", {}),
                      "test": v.get("TEST", {})} for k, v in settings.DATABASES.items()},
    "routers": settings.DATABASE_ROUTERS,
    "log_format": settings.LOGGING["handlers"]["console"]["formatter"],
    "health": settings.HEALTH_ALLOWED_IPS,
}, default=str))
"""


def _settings(**env):
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("REDIS", "STORAGE_", "DB_", "REPLICA", "SESSION_", "DATABASE_URL"))
    }
    base.update(
        {"DJANGO_SETTINGS_MODULE": "lbk.settings", "SECRET_KEY": "x" * 50, "DEBUG": "false"}
    )
    base.update(env)
    out = subprocess.run(
        [sys.executable, "-c", "import django; django.setup();" + PROBE],
        cwd=ROOT,
        env=base,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_defaults_need_nothing_but_the_database():
    s = _settings()
    assert s["caches"].endswith("DatabaseCache")
    assert s["engine"] == "accounts.sessions.db"
    assert s["storage"]["BACKEND"].endswith("FileSystemStorage")
    assert list(s["databases"]) == ["default"]
    assert s["routers"] == ["lbk.routers.ReplicaRouter"]
    assert s["log_format"] == "json"
    assert s["health"] == ["127.0.0.1", "::1"]


def test_redis_object_storage_pool_and_replica():
    s = _settings(
        REDIS_URL="redis://127.0.0.1:6390/1",
        STORAGE_S3_BUCKET="posko-parepare",
        STORAGE_S3_ENDPOINT_URL="https://s3.example.id",
        STORAGE_S3_REGION="ap-southeast-3",
        STORAGE_S3_ACCESS_KEY="AK",
        STORAGE_S3_SECRET_KEY="SK",
        DATABASE_URL="postgres://posko@127.0.0.1:5432/posko",
        REPLICA_DATABASE_URL="postgres://posko@127.0.0.1:5433/posko",
        DB_POOL="true",
        HEALTH_ALLOWED_IPS="127.0.0.1,10.0.0.0/8",
    )
    assert s["caches"].endswith("RedisCache")
    assert s["engine"] == "accounts.sessions.cache"
    opts = s["storage"]["OPTIONS"]
    assert s["storage"]["BACKEND"] == "storages.backends.s3.S3Storage"
    assert opts["bucket_name"] == "posko-parepare"
    assert opts["querystring_auth"] is False and opts["default_acl"] == "private"
    assert opts["object_parameters"] == {"ServerSideEncryption": "AES256"}
    for alias in ("default", "replica"):
        db = s["databases"][alias]
        assert db["max_age"] == 0  # the pool replaces persistent connections
        assert db["options"]["pool"]["max_size"] == 10
    assert s["databases"]["replica"]["test"]["MIRROR"] == "default"
    assert s["health"] == ["127.0.0.1", "10.0.0.0/8"]


def test_cached_db_sessions_with_redis():
    s = _settings(REDIS_URL="redis://127.0.0.1:6390/1", SESSION_STORE="cached_db")
    assert s["engine"] == "accounts.sessions.cached_db"


# Production settings that are refused (manage.py in a fresh process), and what every machine
# shares (time zone, language, SQLite transactions).


def _run_manage(*args, env_extra):
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/")}
    if "DATABASE_URL" in os.environ:
        env["DATABASE_URL"] = os.environ["DATABASE_URL"]
    env.update(env_extra)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_refuses_to_start_without_secret_key_when_debug_off():
    r = _run_manage("check", env_extra={"DEBUG": "false"})
    assert r.returncode != 0
    assert "SECRET_KEY" in r.stderr


def test_refuses_default_secret_key_when_debug_off():
    r = _run_manage(
        "check",
        env_extra={"DEBUG": "false", "SECRET_KEY": "insecure-default-secret-key-change-me"},
    )
    assert r.returncode != 0


def test_check_deploy_passes_with_production_settings():
    r = _run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env_extra={
            "DEBUG": "false",
            "SECRET_KEY": "k" * 20 + "-production-like-secret-" + "x9Q!" * 10,
            "ALLOWED_HOSTS": "posko.example.go.id",
            "SECURE_SSL_REDIRECT": "true",
            "STATIC_MANIFEST": "true",
        },
    )
    assert r.returncode == 0, r.stdout + r.stderr


def test_settings_time_zone_and_language(settings):
    assert settings.TIME_ZONE == "Asia/Makassar"
    assert settings.LANGUAGE_CODE == "id"
    assert [c for c, _ in settings.LANGUAGES] == ["id", "en"]


def test_sqlite_uses_immediate_transactions():
    from lbk import settings as s

    db = s.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        assert db["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    else:
        assert db["CONN_MAX_AGE"] > 0 and db["CONN_HEALTH_CHECKS"] is True


def test_postgres_connections_carry_the_planner_options():
    s = _settings(DATABASE_URL="postgres://posko@127.0.0.1:5432/posko")
    assert s["databases"]["default"]["options"]["options"] == "-c random_page_cost=1.1"
    # Behind PgBouncer (transaction mode) the options go to postgresql.conf instead.
    s = _settings(DATABASE_URL="postgres://posko@127.0.0.1:5432/posko", PG_OPTIONS="")
    assert "options" not in s["databases"]["default"]["options"]


def test_the_planner_option_reaches_the_server(db):
    from django.db import connection

    if connection.vendor != "postgresql":
        assert "options" not in connection.settings_dict["OPTIONS"]
        return
    with connection.cursor() as cur:
        cur.execute("SHOW random_page_cost")
        assert float(cur.fetchone()[0]) == 1.1
