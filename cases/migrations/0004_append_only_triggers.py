"""The append-only triggers of the immutable models (cases.models.ImmutableModel): the access
log, the timeline, assessments and visits. They used to be installed by ops/migrations/0001 for
the first two only; this migration (re)installs them for every immutable model, idempotently."""

from django.db import migrations

TABLES = ["cases_accesslog", "cases_assessment", "cases_caseevent", "cases_visit"]


def forwards(apps, schema_editor):
    from cases.models import install_append_only_triggers

    install_append_only_triggers(schema_editor, TABLES)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
    schema_editor.execute("DROP FUNCTION IF EXISTS lbk_refuse_change()")


class Migration(migrations.Migration):
    dependencies = [("cases", "0003_submittedform")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
