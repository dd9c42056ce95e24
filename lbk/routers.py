"""Reads that may come from the read replica, and only those.

Everything goes to the primary ("default") unless the code runs inside `replica_reads()`: then
reads go to the "replica" alias when REPLICA_DATABASE_URL configures one (and REPLICA_READS is
on). A replica lags the primary by a little, so only pages that show counts and aggregates use
it (the dashboard; the reports pages later), never access checks, forms or anything followed by
a write: the membership a user lost a second ago must not still open a case.
"""

import contextvars
from contextlib import contextmanager

from django.conf import settings

REPLICA = "replica"
_replica_wanted = contextvars.ContextVar("lbk_replica_reads", default=False)


@contextmanager
def replica_reads():
    """Within this block, model reads go to the replica when one is configured."""
    token = _replica_wanted.set(True)
    try:
        yield
    finally:
        _replica_wanted.reset(token)


def replica_alias():
    """The alias reads of a `replica_reads()` block use now."""
    if (
        _replica_wanted.get()
        and REPLICA in settings.DATABASES
        and getattr(settings, "REPLICA_READS", True)
    ):
        return REPLICA
    return "default"


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        return replica_alias()

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        # Both aliases hold the same data.
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        # The replica follows the primary by streaming replication, never by migrate.
        return db != REPLICA
