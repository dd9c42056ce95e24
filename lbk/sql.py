"""Small SQL helpers that read the same on PostgreSQL and SQLite."""

from __future__ import annotations

from django.db.models import Aggregate, JSONField, OuterRef, Subquery
from django.db.models.functions import JSONObject


class JSONList(Aggregate):
    """A JSON array of the grouped values: jsonb_agg on PostgreSQL, json_group_array on
    SQLite. No order inside the array: callers sort what they read."""

    function = "JSONB_AGG"
    output_field = JSONField()

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, function="JSON_GROUP_ARRAY", **extra)


def rows_of(qs, fk: str, **fields) -> Subquery:
    """A correlated subquery giving, for each outer row, the rows of `qs` whose `fk` points at
    it, as a JSON list of objects with these fields ({name: field or expression}); NULL when
    there are none. One query for a page's rows and their children, instead of a prefetch."""
    return Subquery(
        qs.filter(**{fk: OuterRef("pk")})
        .order_by()
        .values(fk)
        .annotate(_rows=JSONList(JSONObject(**fields)))
        .values("_rows")
    )
