"""The health endpoint (/health/): can this node serve? For load balancers and monitoring.

It answers JSON with one word per component (database, each replica, cache, storage, queue) and
the outbox's counts (rows waiting, running and failed: the queue depth), and nothing else: no
version, no host name, no error text, no data. 200 when every configured
component answers, 503 otherwise. Only addresses in HEALTH_ALLOWED_IPS (default: loopback) get
an answer; everyone else, logged in or not, gets the ordinary 404 page, as for a page that does
not exist.
"""

import ipaddress
import logging
import os
import secrets

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.db import connections
from django.http import Http404, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accounts.security import client_ip

log = logging.getLogger("lbk.health")
OK, ERROR, NOT_CONFIGURED = "ok", "error", "not configured"


def allowed(address):
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    for entry in settings.HEALTH_ALLOWED_IPS:
        try:
            if ip in ipaddress.ip_network(entry.strip(), strict=False):
                return True
        except ValueError:
            continue
    return False


def _database(alias):
    with connections[alias].cursor() as cur:
        cur.execute("SELECT 1")
        return cur.fetchone()[0] == 1


def _cache():
    key, value = f"health:{secrets.token_hex(8)}", secrets.token_hex(8)
    cache.set(key, value, 10)
    try:
        return cache.get(key) == value
    finally:
        cache.delete(key)


def _storage():
    location = getattr(default_storage, "location", None)
    if hasattr(default_storage, "bucket_name"):
        # A HEAD request in the bucket: the endpoint answers and the keys are accepted.
        default_storage.exists("health-probe")
        return True
    # The local folder (created at the first upload) or the folder that will hold it.
    path = os.path.abspath(location or settings.MEDIA_ROOT)
    while not os.path.exists(path):
        path = os.path.dirname(path)
    return os.access(path, os.W_OK)


def _queue():
    """The task backend answers (the RQ backend's Redis; the database backend is the database)."""
    if settings.TASKS_BACKEND == "rq":
        import django_rq

        return bool(django_rq.get_connection("default").ping())
    return True


def outbox_counts():
    from outbox.services import counts

    try:
        return counts()
    except Exception:  # noqa: BLE001 - reported as missing counts; the detail goes to the log
        log.exception("health check failed: outbox counts")
        return None


def run_checks():
    checks = {}
    # The replica only when reads go there (REPLICA_READS): otherwise no page depends on it.
    aliases = [
        a for a in settings.DATABASES if a == "default" or getattr(settings, "REPLICA_READS", True)
    ]
    probes = [(alias, lambda a=alias: _database(a)) for alias in aliases]
    probes += [("cache", _cache), ("storage", _storage), ("queue", _queue)]
    for name, probe in probes:
        label = "database" if name == "default" else name
        try:
            result = probe()
        except Exception:  # noqa: BLE001 - any failure is "error"; the detail goes to the log
            log.exception("health check failed: %s", label)
            result = False
        checks[label] = NOT_CONFIGURED if result is None else (OK if result else ERROR)
    return checks


@login_not_required
@never_cache
@require_GET
def health(request):
    if not allowed(client_ip(request) or ""):
        raise Http404
    checks = run_checks()
    healthy = all(v in (OK, NOT_CONFIGURED) for v in checks.values())
    # Failed rows do not make the node unhealthy (it still serves): monitoring reads the counts.
    return JsonResponse(
        {"status": OK if healthy else ERROR, "checks": checks, "outbox": outbox_counts()},
        status=200 if healthy else 503,
    )
