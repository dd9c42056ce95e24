"""The database cache (CACHES["default"] without Redis) with an atomic `incr`.

Django's DatabaseCache increments by get-then-set, so two processes counting at the same moment
lose one count. Here the row is locked (SELECT ... FOR UPDATE, on databases that have it) for
the read and the write, in one transaction: the login lockout's and the reset rate limit's
counters (accounts/lockout.py) hold under concurrency on PostgreSQL as they do in Redis.
"""

from django.core.cache.backends.db import DatabaseCache as DjangoDatabaseCache
from django.db import connections, router, transaction


class DatabaseCache(DjangoDatabaseCache):
    def incr(self, key, delta=1, version=None):
        db = router.db_for_write(self.cache_model_class)
        conn = connections[db]
        with transaction.atomic(using=db):
            if conn.features.has_select_for_update:
                table = conn.ops.quote_name(self._table)
                with conn.cursor() as cursor:
                    cursor.execute(
                        f"SELECT cache_key FROM {table} WHERE cache_key = %s FOR UPDATE",  # noqa: S608  # nosec B608
                        [self.make_and_validate_key(key, version=version)],
                    )
            return super().incr(key, delta, version)
