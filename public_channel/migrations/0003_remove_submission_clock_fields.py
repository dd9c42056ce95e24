from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("public", "0002_submission_clock_rows"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="submission",
            options={"ordering": ["-danger_now", "received_at", "pk"]},
        ),
        migrations.RemoveIndex(model_name="submission", name="public_sub_open_queue"),
        migrations.RemoveField(model_name="submission", name="clock_hours"),
        migrations.RemoveField(model_name="submission", name="clock_stopped_at"),
        migrations.RemoveField(model_name="submission", name="due_at"),
        migrations.RemoveField(model_name="submission", name="escalated_at"),
        migrations.RemoveField(model_name="submission", name="reminded_at"),
        migrations.AddIndex(
            model_name="submission",
            index=models.Index(
                condition=models.Q(("state__in", ["received", "read"])),
                fields=["kelurahan", "-danger_now", "received_at"],
                name="public_sub_open_queue",
            ),
        ),
    ]
