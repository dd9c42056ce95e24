"""With REDIS_URL: the login lockout and the verification page's rate limit are counted in Redis
(one count for every web node), the database holds no lockout row."""

import redis
from django.test import Client
from django.urls import reverse

from accounts.lockout import ACCOUNT_FREE_FAILURES
from tests.factories import make_referral

LOGIN = "/accounts/login/"


def _redis_keys(url, pattern):
    client = redis.Redis.from_url(url)
    try:
        return [k.decode() for k in client.scan_iter(match=pattern)]
    finally:
        client.close()


def test_lockout_counted_in_redis_for_every_node(redis_cache, personas):
    # Two clients stand for two web nodes: the count is the shared one.
    node_a, node_b = Client(REMOTE_ADDR="10.9.9.9"), Client(REMOTE_ADDR="10.9.9.9")
    for i in range(ACCOUNT_FREE_FAILURES - 1):
        node = node_a if i % 2 else node_b
        r = node.post(LOGIN, {"username": "ws.relawan", "password": "wrong-password-1"})
        assert r.status_code == 200
    r = node_a.post(LOGIN, {"username": "ws.relawan", "password": "wrong-password-1"})
    assert r.status_code == 429
    r = node_b.post(LOGIN, {"username": "ws.relawan", "password": personas.password})
    assert r.status_code == 429
    assert _redis_keys(redis_cache, "posko-test:*lockout:acct*")
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM lbk_cache")
        assert cur.fetchone()[0] == 0
    # The account is slowed wherever the next attempt comes from (spreading guesses over
    # addresses gains nothing).
    other = Client(REMOTE_ADDR="10.1.1.1")
    r = other.post(LOGIN, {"username": "ws.relawan", "password": personas.password})
    assert r.status_code == 429


def test_verification_rate_limit_counted_in_redis(redis_cache, master, personas, settings):
    from referrals.views import VERIFY_LIMIT

    settings.SITE_URL = "https://posko.example.id"
    referral = make_referral(personas, "sent")
    url = reverse("referrals:verify", args=[referral.verify_token])
    node_a, node_b = Client(REMOTE_ADDR="10.2.2.2"), Client(REMOTE_ADDR="10.2.2.2")
    for i in range(VERIFY_LIMIT):
        assert (node_a if i % 2 else node_b).get(url).status_code == 200
    assert node_a.get(url).status_code == 429
    assert node_b.get(url).status_code == 429
    assert _redis_keys(redis_cache, "posko-test:*verify-rate*")
    assert Client(REMOTE_ADDR="10.3.3.3").get(url).status_code == 200
