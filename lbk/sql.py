"""Small SQL helpers that read the same on PostgreSQL and SQLite."""

from __future__ import annotations

from django.db import DEFAULT_DB_ALIAS, connections
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


class Prepared:
    """A list's rows by id, with SQL compiled once per process instead of on every request.

    `build(ids)` returns a values() queryset in which only the integers `ids` change from one
    request to the next (no clock, no user, no language in its SQL otherwise): `pk__in=ids`, or
    `user_id=ids[0]` used as often as needed. Its SQL is compiled once per database and number
    of ids, from stand-in integers that no table holds; each call puts the real ones in their
    places and runs it with a plain cursor, applying the fields' converters as the ORM does.
    Rows come back as dicts, as values() gives them. Compiling the case list's row query (four
    subqueries, a join) cost more than running it (issue 12)."""

    def __init__(self, build):
        self._build = build
        self._kept: dict = {}

    def _compile(self, using: str, n: int):
        stand_ins = [STAND_IN - i for i in range(n)]
        query = self._build(stand_ins).query
        compiler = query.get_compiler(using)
        sql, params = compiler.as_sql()
        params = list(params)
        slots = []  # (position in the parameters, index of the id)
        for n_id, stand_in in enumerate(stand_ins):
            at = [i for i, p in enumerate(params) if type(p) is int and p == stand_in]
            if not at:
                raise ValueError("each id must be a parameter of the SQL")
            slots.extend((i, n_id) for i in at)
        fields = [s[0] for s in compiler.select[: compiler.col_count]]
        converters = list(compiler.get_converters(fields).items())
        if query.selected:
            names = list(query.selected)
        else:
            names = [*query.extra_select, *query.values_select, *query.annotation_select]
        return sql, params, slots, converters, names

    def rows(self, ids, using: str = DEFAULT_DB_ALIAS) -> list[dict]:
        if not ids:
            return []
        key = (using, len(ids))
        kept = self._kept.get(key)
        if kept is None:
            kept = self._kept[key] = self._compile(using, len(ids))
        sql, params, slots, converters, names = kept
        values = list(params)
        for slot, n_id in slots:
            values[slot] = int(ids[n_id])
        connection = connections[using]
        with connection.cursor() as cursor:
            cursor.execute(sql, values)
            fetched = cursor.fetchall()
        out = []
        for row in fetched:
            row = list(row)
            for pos, (convs, expression) in converters:
                value = row[pos]
                for convert in convs:
                    value = convert(value, expression, connection)
                row[pos] = value
            out.append(dict(zip(names, row, strict=True)))
        return out


# Ids no table holds (bigint range), standing in for the real ones while compiling.
STAND_IN = -(2**62)
