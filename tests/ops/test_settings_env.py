"""What the environment variables of docs/DEPLOYMENT.md turn into, read from a fresh process of
lbk.settings for each combination (settings are evaluated once per process)."""

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
    "axes": settings.AXES_HANDLER,
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
    assert s["axes"] == "axes.handlers.database.AxesDatabaseHandler"
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
    assert s["axes"] == "axes.handlers.cache.AxesCacheHandler"
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
