"""Sessions in the database (the default without Redis), with the per-user index."""

from django.contrib.sessions.backends import db

from . import IndexedSessionMixin


class SessionStore(IndexedSessionMixin, db.SessionStore):
    pass
