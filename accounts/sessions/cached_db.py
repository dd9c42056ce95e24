"""Sessions in the cache, written through to the database, with the per-user index."""

from django.contrib.sessions.backends import cached_db

from . import IndexedSessionMixin


class SessionStore(IndexedSessionMixin, cached_db.SessionStore):
    pass
