"""Sessions in the cache only (Redis, shared by every web node), with the per-user index (which
is in the database, so ending a user's sessions never needs to scan Redis)."""

from django.contrib.sessions.backends import cache

from . import IndexedSessionMixin


class SessionStore(IndexedSessionMixin, cache.SessionStore):
    pass
