"""Start the deadline clock rows (cases.models.ClockRun) of the cases and referrals already open
when the rows were introduced. A new database has none; an existing one gets the same rows the
engine would have written (manage.py recompute_clocks --rebuild does the same by hand)."""

from django.db import migrations


def forwards(apps, schema_editor):
    Case = apps.get_model("cases", "Case")
    if not Case.objects.exists():
        return
    # The rule lives in code (cases/clocks.py), run once over the open cases.
    from cases.management.commands.recompute_clocks import rebuild_rows

    rebuild_rows()


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0006_clock_runs"),
        ("referrals", "0003_counters_to_sequences"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
