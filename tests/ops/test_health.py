"""The health endpoint: JSON, one word per component, no version and no data; only for the
configured addresses (default loopback), 404 for everyone else, logged in or not."""

import json

import pytest
from django.test import Client
from django.urls import reverse

URL = "/health/"


@pytest.fixture
def cache_table():
    from django.core.management import call_command

    call_command("createcachetable", verbosity=0)


@pytest.mark.django_db(transaction=True, databases=["default", "replica"])
def test_loopback_gets_the_checks(cache_table, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.REPLICA_READS = True
    assert reverse("health") == URL
    r = Client().get(URL)
    assert r.status_code == 200
    assert r["Content-Type"] == "application/json"
    assert "no-cache" in r["Cache-Control"] or "max-age=0" in r["Cache-Control"]
    body = r.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["replica"] == "ok"  # the mirrored replica alias of the tests
    settings.REPLICA_READS = False  # no page reads from it: not a condition of health
    assert "replica" not in Client().get(URL).json()["checks"]
    assert body["checks"]["cache"] == "ok"
    assert body["checks"]["storage"] == "ok"
    assert body["checks"]["queue"] == "ok"
    # The outbox's depth: rows waiting, running and failed (numbers only).
    assert body["outbox"] == {"pending": 0, "running": 0, "failed": 0}
    assert set(body) == {"status", "checks", "outbox"}  # no version, no host, no data
    text = r.content.decode()
    assert "5.2" not in text and "posko" not in text.lower()


@pytest.mark.parametrize("user", [None, "admin", "ws.koordinator"])
def test_other_addresses_get_404_logged_in_or_not(personas, user):
    c = personas.client(user)
    r = c.get(URL, REMOTE_ADDR="10.20.30.40")
    assert r.status_code == 404
    assert b"database" not in r.content


def test_configured_networks(db, cache_table, settings):
    settings.HEALTH_ALLOWED_IPS = ["10.0.0.0/8", "::1"]
    assert Client().get(URL, REMOTE_ADDR="10.20.30.40").status_code == 200
    assert Client().get(URL, REMOTE_ADDR="127.0.0.1").status_code == 404
    assert Client().get(URL, REMOTE_ADDR="not-an-address").status_code == 404


def test_behind_the_proxy_the_visitor_address_counts(db, cache_table, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    outside = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert outside.get(URL).status_code == 404
    inside = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="127.0.0.1")
    assert inside.get(URL).status_code == 200


def test_a_failing_component_gives_503_without_details(db, settings, caplog):
    from tests.servers import free_port

    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",  # nothing listens there
        }
    }
    r = Client().get(URL)
    assert r.status_code == 503
    body = json.loads(r.content)
    assert body["status"] == "error" and body["checks"]["cache"] == "error"
    assert "Connection" not in r.content.decode() and "refused" not in r.content.decode()
    assert any("health check failed: cache" in rec.getMessage() for rec in caplog.records)


def test_redis_and_object_storage_checked(redis_cache, s3_bucket, db):
    body = Client().get(URL).json()
    assert body["checks"]["cache"] == "ok" and body["checks"]["storage"] == "ok"


def test_object_storage_down_is_an_error(db, settings, tmp_path):
    from lbk.storage import s3_storage
    from tests.servers import free_port

    settings.STORAGES = {
        **settings.STORAGES,
        "default": s3_storage(
            bucket="nowhere",
            endpoint_url=f"http://127.0.0.1:{free_port()}",
            region="ap-southeast-3",
            access_key="k",
            secret_key="s",
        ),
    }
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    r = Client().get(URL)
    assert r.status_code == 503 and r.json()["checks"]["storage"] == "error"
