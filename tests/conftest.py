"""Fixtures shared by the whole suite: master data and the personas of ROLES.md (the one list is
ops/demo/personas.py, which `make run` seeds too)."""

import pytest
from django.core.management import call_command

from accounts.models import Agency, Kelurahan, User
from ops.demo.personas import DEMO_PASSWORD, USERNAMES, ensure_personas


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    # The database cache (CACHES["default"] without Redis) holds the login lockout's counters:
    # every login touches it.
    with django_db_blocker.unblock():
        call_command("createcachetable", verbosity=0)


@pytest.fixture(autouse=True)
def _fast_settings(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    # The replica alias mirrors the test database; only tests/ops/test_replica.py reads from it.
    settings.REPLICA_READS = False


@pytest.fixture
def master(db):
    call_command("loaddata", "fixtures/master.json", verbosity=0)
    return {
        "ws": Kelurahan.objects.get(code="WS"),
        "wb": Kelurahan.objects.get(code="WB"),
        "dp3a": Agency.objects.get(kind="dp3a"),
        "uptd": Agency.objects.get(kind="uptd_ppa"),
        "dinsos": Agency.objects.get(kind="dinsos"),
        "police": Agency.objects.get(kind="police"),
    }


class Personas(dict):
    """personas["ws.koordinator"] -> User; personas.client("ws.koordinator") -> logged-in Client."""

    password = DEMO_PASSWORD

    def client(self, name):
        from django.test import Client

        c = Client()
        if name is not None:
            c.force_login(self[name])
        return c


@pytest.fixture
def personas(master):
    ensure_personas()
    return Personas({u.username: u for u in User.objects.filter(username__in=USERNAMES)})


def pytest_collection_modifyitems(config, items):
    """Tests marked `postgres` are skipped on SQLite (CI runs PostgreSQL and fails on a skip)."""
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"]
    if "postgresql" in engine:
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


# Servers the tests start themselves (tests/servers.py): one per test process (xdist worker),
# on a free loopback port, stopped at the end of the session. Nothing is skipped: a server that
# cannot start fails the tests that need it, naming it.


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    from tests.servers import start_redis

    proc, url = start_redis(tmp_path_factory.mktemp("redis"))
    yield url
    proc.stop()


@pytest.fixture(scope="session")
def s3_endpoint(tmp_path_factory):
    from tests.servers import start_moto

    proc, endpoint = start_moto(tmp_path_factory.mktemp("moto"))
    yield endpoint
    proc.stop()


def _flush_redis(url):
    import redis

    client = redis.Redis.from_url(url)
    client.flushdb()
    client.close()


@pytest.fixture
def redis_cache(settings, redis_url):
    """The shared cache in Redis (as with REDIS_URL set): cache, rate limits, login lockouts."""
    _flush_redis(redis_url)
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_url,
            "KEY_PREFIX": "posko-test",
        }
    }
    yield redis_url
    _flush_redis(redis_url)


@pytest.fixture
def s3_bucket(settings, s3_endpoint, tmp_path):
    """Files in a fresh bucket of the loopback S3 server (as with STORAGE_S3_BUCKET set)."""
    import uuid

    from lbk.storage import s3_storage
    from tests.servers import S3_KEY, S3_REGION, S3_SECRET, make_bucket

    bucket = make_bucket(s3_endpoint, f"posko-{uuid.uuid4().hex[:12]}")
    settings.MEDIA_ROOT = str(tmp_path / "not-used-with-s3")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": s3_storage(
            bucket=bucket,
            endpoint_url=s3_endpoint,
            region=S3_REGION,
            access_key=S3_KEY,
            secret_key=S3_SECRET,
            prefix="posko",
        ),
    }
    return bucket


@pytest.fixture(params=["local", "s3"])
def storage_backend(request, settings, tmp_path):
    """Each test using it runs on the local folder and on object storage."""
    if request.param == "s3":
        request.getfixturevalue("s3_bucket")
    else:
        settings.MEDIA_ROOT = str(tmp_path / "media")
    return request.param
