"""Session stores with a per-user index of session keys (accounts.models.SessionIndex).

SESSION_ENGINE is one of `accounts.sessions.db`, `accounts.sessions.cached_db` or
`accounts.sessions.cache` (SESSION_STORE in settings): Django's own stores, plus the index, which
follows the key when it changes (login, password change) and forgets it when the session is
deleted (logout, expiry seen by the middleware). `end_sessions_of()` reads the index and deletes
each session from every place a session may live (the configured store, the session table and
both cache key spaces), so it works the same after a store was switched.

No code reads the session table to find out who a session belonged to: the index says it.
"""

import datetime as dt
import logging
from importlib import import_module

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.core.cache import caches
from django.utils import timezone

log = logging.getLogger("lbk.security")


def _index():
    from accounts.models import SessionIndex

    return SessionIndex.objects


def record(session_key, user_id):
    """The session `session_key` is now user `user_id`'s (idempotent)."""
    if not session_key or user_id is None:
        return
    _index().update_or_create(session_key=session_key, defaults={"user_id": int(user_id)})


def forget(session_key):
    if session_key:
        _index().filter(session_key=session_key).delete()


def purge_dead():
    """Index rows older than the absolute limit name sessions that can no longer be used."""
    limit = timezone.now() - dt.timedelta(
        seconds=settings.SESSION_ABSOLUTE_SECONDS + settings.SESSION_COOKIE_AGE
    )
    return _index().filter(created_at__lt=limit).delete()[0]


def end_sessions_of(user_id, *, keep=None):
    """Delete every session of a user (except `keep`, the current one after a password change)
    from the store, the session table and the cache alike. Returns how many were ended."""
    from django.contrib.sessions.models import Session

    keys = list(
        _index()
        .filter(user_id=user_id)
        .exclude(session_key=keep or "")
        .values_list("session_key", flat=True)
    )
    if not keys:
        return 0
    store = import_module(settings.SESSION_ENGINE).SessionStore
    for key in keys:
        store().delete(key)
    # Wherever else a session of this user may still be (a store switched since it was made).
    Session.objects.filter(session_key__in=keys).delete()
    cache = caches[settings.SESSION_CACHE_ALIAS]
    cache.delete_many(
        [f"{prefix}{key}" for key in keys for prefix in (CACHE_PREFIX, CACHED_DB_PREFIX)]
    )
    _index().filter(session_key__in=keys).delete()
    return len(keys)


# Django's cache key prefixes of the cache and cached_db stores.
CACHE_PREFIX = "django.contrib.sessions.cache"
CACHED_DB_PREFIX = "django.contrib.sessions.cached_db"


class IndexedSessionMixin:
    """Keeps accounts.models.SessionIndex in step with the store."""

    def cycle_key(self):
        super().cycle_key()
        # The old key was deleted (and forgotten) by cycle_key; an authenticated session keeps
        # its owner under the new key. At login the user id is set after this: the
        # user_logged_in receiver records it (accounts.security.on_logged_in).
        record(self.session_key, self.get(SESSION_KEY))

    def delete(self, session_key=None):
        key = session_key or self.session_key
        super().delete(session_key)
        forget(key)
