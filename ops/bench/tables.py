"""The tables the generator fills: one function per table, yielding its rows (dicts keyed by
attname) from a chunk of stories (story.Story), and the writers that put them in the database.

To fill one more table, add a function decorated with @table(model getter) that yields its rows
(story.py has each case's steps with their times); parents come before children in TABLES.
Missing attnames take the model field's default; keys that are not columns are ignored.
"""

import json
from dataclasses import dataclass

from django.core.management.color import no_style
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models


@dataclass(frozen=True)
class Table:
    name: str
    get_model: object  # a function returning the model (models load after the app registry)
    rows: object  # function(stories) -> iterable of dicts
    # The rows carry no id: the database numbers them (derived rows nothing else points at).
    auto_id: bool = False

    @property
    def model(self):
        return self.get_model()


TABLES = []


def table(get_model, *, auto_id=False):
    def register(fn):
        TABLES.append(Table(fn.__name__, get_model, fn, auto_id))
        return fn

    return register


def _case_models():
    from cases import models as m

    return m


def _each(stories, attr):
    for s in stories:
        yield from getattr(s, attr)


@table(lambda: _case_models().Case)
def cases(stories):
    return _each(stories, "cases")


@table(lambda: _case_models().Case.history.model)
def case_history(stories):
    return _each(stories, "case_history")


@table(lambda: _case_models().Victim)
def victims(stories):
    return _each(stories, "victims")


@table(lambda: _case_models().Victim.history.model)
def victim_history(stories):
    return _each(stories, "victim_history")


@table(lambda: _case_models().Perpetrator)
def perpetrators(stories):
    return _each(stories, "perpetrators")


@table(lambda: _case_models().Perpetrator.history.model)
def perpetrator_history(stories):
    return _each(stories, "perpetrator_history")


@table(lambda: _case_models().PerpetratorLink)
def links(stories):
    return _each(stories, "links")


@table(lambda: _case_models().PerpetratorLink.history.model)
def link_history(stories):
    return _each(stories, "link_history")


@table(lambda: _case_models().CaseEvent)
def events(stories):
    return _each(stories, "events")


@table(lambda: _case_models().AccessLog)
def access_logs(stories):
    return _each(stories, "access_logs")


@table(lambda: _case_models().DuplicateFlag)
def duplicate_flags(stories):
    return _each(stories, "duplicate_flags")


@table(lambda: _case_models().Assessment)
def assessments(stories):
    return _each(stories, "assessments")


@table(lambda: _case_models().Consent)
def consents(stories):
    return _each(stories, "consents")


@table(lambda: _case_models().Consent.history.model)
def consent_history(stories):
    return _each(stories, "consent_history")


@table(lambda: _case_models().PlannedAction)
def actions(stories):
    return _each(stories, "actions")


@table(lambda: _case_models().PlannedAction.history.model)
def action_history(stories):
    return _each(stories, "action_history")


@table(lambda: _case_models().Visit)
def visits(stories):
    return _each(stories, "visits")


@table(lambda: __import__("referrals.models", fromlist=["Referral"]).Referral)
def referrals(stories):
    return _each(stories, "referrals")


@table(lambda: __import__("notifications.models", fromlist=["Notification"]).Notification)
def notifications(stories):
    return _each(stories, "notifications")


@table(lambda: __import__("attachments.models", fromlist=["Attachment"]).Attachment)
def attachments(stories):
    return _each(stories, "attachments")


@table(lambda: _case_models().ClockRun)
def clock_runs(stories):
    """Every run of a deadline clock: stopped ones with their reason, running ones as
    running_clocks(case) / wanted_for(referral) give them at the end (story_clocks.py)."""
    return _each(stories, "clock_runs")


@table(lambda: __import__("reports.models", fromlist=["CaseFigure"]).CaseFigure, auto_id=True)
def case_figures(stories):
    """What each case counts for in the reports (reports.figures.contributions, the engine's
    own function), computed from the rows in memory instead of read back and recomputed after
    the load; the MonthlyCount rows are then summed from these in SQL (generate.py)."""
    from reports.figures import contributions

    shapes = _Shapes()
    for s in stories:
        case = shapes.case(s)
        kel = case.kelurahan_id
        for (month, metric, category, agency), n in contributions(case).items():
            yield {
                "case_id": case.pk,
                "kelurahan_id": kel,
                "month": month,
                "metric": metric,
                "category": category,
                "agency_key": agency,
                "n": n,
            }


class _Shapes:
    """Unsaved model instances of a story's rows, with the related rows contributions() reads
    put where a prefetch would (no query)."""

    def __init__(self):
        from accounts.models import Agency, Kelurahan
        from cases import models as m
        from referrals.models import Referral

        self.models = {
            "case": m.Case,
            "victim": m.Victim,
            "perp": m.Perpetrator,
            "link": m.PerpetratorLink,
            "action": m.PlannedAction,
            "referral": Referral,
            "clock": m.ClockRun,
        }
        self.names = {
            k: {f.attname for f in model._meta.concrete_fields} for k, model in self.models.items()
        }
        self.agencies = {a.pk: a for a in Agency.objects.all()}
        # contributions() reckons months in the case's kelurahan's zone (case.kelurahan.tzinfo).
        self.kelurahan = {k.pk: k for k in Kelurahan.objects.all()}

    def make(self, kind, row):
        names = self.names[kind]
        return self.models[kind](**{k: v for k, v in row.items() if k in names})

    def case(self, s):
        case = self.make("case", s.case)
        case.kelurahan = self.kelurahan[case.kelurahan_id]
        victims = []
        links = {}
        for row in s.links:
            links.setdefault(row["victim_id"], []).append(self.make("link", row))
        for row in s.victims:
            v = self.make("victim", row)
            v._prefetched_objects_cache = {"perpetrator_links": links.get(v.pk, [])}
            victims.append(v)
        referrals = []
        for row in s.referrals:
            r = self.make("referral", row)
            r.agency = self.agencies[r.agency_id]
            referrals.append(r)
        case._prefetched_objects_cache = {
            "victims": victims,
            "perpetrators": [self.make("perp", row) for row in s.perpetrators],
            "actions": [self.make("action", row) for row in s.actions],
            "referrals": referrals,
            "clock_runs": [self.make("clock", row) for row in s.clock_runs],
        }
        return case


# ---------------------------------------------------------------------------------------------
# Writers


_ESCAPE = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_dumps = json.JSONEncoder(ensure_ascii=False, default=DjangoJSONEncoder().default).encode


def _text(v):
    return "\\N" if v is None else str(v).translate(_ESCAPE)


def _number(v):
    return "\\N" if v is None else str(v)


def _bool(v):
    return "\\N" if v is None else ("t" if v else "f")


def _iso(v):
    return "\\N" if v is None else v.isoformat()


def _json(v):
    return "\\N" if v is None else _dumps(v).translate(_ESCAPE)


def _formatter(field):
    """How one field's value is written in COPY's text format."""
    if isinstance(field, models.JSONField):
        return _json
    if isinstance(field, models.BooleanField):
        return _bool
    if isinstance(field, models.DateTimeField | models.DateField):
        return _iso
    if isinstance(field, models.IntegerField | models.AutoField | models.ForeignKey):
        return _number
    return _text


def _line_function(model, auto_id=False):
    """A compiled function row dict -> one COPY text line, for speed (millions of rows).
    auto_id: without the primary key column (the database numbers the rows).

    A value that is the very object of the previous row (history rows copy the row they
    snapshot) reuses its formatted text."""
    fields = [f for f in model._meta.concrete_fields if not (auto_id and f.primary_key)]
    env = {"L": [object()] * len(fields), "S": [None] * len(fields)}
    body = ["def line(row):", "    g = row.get"]
    for i, f in enumerate(fields):
        fmt = _formatter(f)
        env[f"F{i}"] = fmt
        env[f"D{i}"] = None if f.primary_key else f.get_default()
        body.append(f"    v = g({f.attname!r}, D{i})")
        if fmt in (_text, _json, _iso):
            body.append(f"    if v is L[{i}]:")
            body.append(f"        s{i} = S[{i}]")
            body.append("    else:")
            body.append(f"        s{i} = S[{i}] = F{i}(v)")
            body.append(f"        L[{i}] = v")
        else:
            body.append(f"    s{i} = F{i}(v)")
    body.append(
        "    return '\\t'.join((" + ", ".join(f"s{i}" for i in range(len(fields))) + ",)) + '\\n'"
    )
    exec("\n".join(body) + "\n", env)  # noqa: S102  # nosec B102: our own field names, no input
    return [f.column for f in fields], env["line"]


def _close_thread_connection():
    from django.db import connection as thread_connection

    thread_connection.close()


def _copy(cursor, sql):
    # A queued writer sends in a thread while Python formats the next lines.
    from psycopg.copy import QueuedLibpqWriter

    return cursor.copy(sql, writer=QueuedLibpqWriter(cursor))


class CopyWriter:
    """PostgreSQL: COPY ... FROM STDIN in text format, the lines built by compiled functions.

    With background=True, write() only formats; the text goes over a second connection in a
    thread (waiting on the socket releases the GIL), so PostgreSQL ingests one chunk while
    Python builds the next. flush() waits for the chunk being sent."""

    def __init__(self, connection, *, background=False, session_sql=()):
        self.connection = connection
        self._lines = {}
        self.background = background
        self.session_sql = list(session_sql)
        self._parts = []
        self._pool = None
        self._pending = None

    def _format(self, model, rows, auto_id):
        spec = self._lines.get(model)
        if spec is None:
            spec = self._lines[model] = _line_function(model, auto_id)
        columns, line = spec
        quote = self.connection.ops.quote_name
        sql = "COPY {} ({}) FROM STDIN".format(
            quote(model._meta.db_table), ", ".join(quote(c) for c in columns)
        )
        lines = [line(row) for row in rows]
        return sql, "".join(lines), len(lines)

    def write(self, model, rows, auto_id=False):
        sql, text, n = self._format(model, rows, auto_id)
        if self.background:
            self._parts.append((sql, text))
            return n
        if n:
            with self.connection.cursor() as cur, _copy(cur.cursor, sql) as copy:
                copy.write(text)
        return n

    def commit_chunk(self):
        """Background mode: send the chunk's tables in one transaction (after the last one)."""
        if not self.background:
            return
        if self._pool is None:
            from concurrent.futures import ThreadPoolExecutor

            self._pool = ThreadPoolExecutor(1, thread_name_prefix="bench-copy")
        self.flush()
        parts, self._parts = self._parts, []
        self._pending = self._pool.submit(self._send, parts)

    def flush(self):
        if self._pending is not None:
            self._pending.result()
            self._pending = None

    def close(self):
        self.flush()
        if self._pool is not None:
            self._pool.submit(_close_thread_connection).result()
            self._pool.shutdown()
            self._pool = None

    def _send(self, parts):
        from django.db import connection as thread_connection
        from django.db import transaction

        if not getattr(self, "_session_ready", False):
            with thread_connection.cursor() as cur:
                for statement in self.session_sql:
                    cur.execute(statement)
            self._session_ready = True
        with transaction.atomic(), thread_connection.cursor() as cur:
            for sql, text in parts:
                if text:
                    with cur.cursor.copy(sql) as copy:
                        copy.write(text)

    def finish(self, model_list):
        """Sequences past the ids written (as loaddata does)."""
        self.close()
        sql = self.connection.ops.sequence_reset_sql(no_style(), model_list)
        with self.connection.cursor() as cur:
            for statement in sql:
                cur.execute(statement)


class OrmWriter:
    """Any other database (SQLite): bulk_create in batches."""

    BATCH = 500

    def __init__(self, connection):
        self.connection = connection
        self._names = {}

    def write(self, model, rows, auto_id=False):
        names = self._names.get(model)
        if names is None:
            names = self._names[model] = [f.attname for f in model._meta.concrete_fields]
        batch, n = [], 0
        for row in rows:
            batch.append(model(**{k: row[k] for k in names if k in row}))
            if len(batch) >= self.BATCH:
                model._default_manager.bulk_create(batch)
                n += len(batch)
                batch = []
        if batch:
            model._default_manager.bulk_create(batch)
            n += len(batch)
        return n

    def commit_chunk(self):
        pass

    def close(self):
        pass

    def finish(self, model_list):
        sql = self.connection.ops.sequence_reset_sql(no_style(), model_list)
        with self.connection.cursor() as cur:
            for statement in sql:
                cur.execute(statement)


def writer_for(connection, *, background=False, session_sql=()):
    if connection.vendor == "postgresql":
        return CopyWriter(connection, background=background, session_sql=session_sql)
    return OrmWriter(connection)
