"""On PostgreSQL, the access log and the case timeline refuse UPDATE and DELETE (append-only).

The app already refuses to change these rows (cases.models.ImmutableModel); the trigger makes the
database refuse it too, so neither a bug, a shell session nor an SQL console can rewrite who read
what. TRUNCATE is not blocked: restoring a backup and the test suite's flush need it, and only the
database owner can truncate. SQLite (development) has no such trigger.
"""

from django.db import migrations

TABLES = ["cases_accesslog", "cases_caseevent"]

CREATE = """
CREATE OR REPLACE FUNCTION lbk_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'lbk: % on % is refused: this table is append-only', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(CREATE, params=None)
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        schema_editor.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION lbk_refuse_change()"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
    schema_editor.execute("DROP FUNCTION IF EXISTS lbk_refuse_change()")


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
