"""The verify_public clock moves from the submission row to cases.ClockRun rows (submission
set, no case): every submission gets its run, with the due time, reminder and escalation it
had, stopped (with the step as reason) when it was registered or declined."""

import django.db.models.deletion
from django.db import migrations, models


def to_rows(apps, schema_editor):
    Submission = apps.get_model("public", "Submission")
    ClockRun = apps.get_model("cases", "ClockRun")
    reasons = {"registered": "public.register", "declined": "public.decline"}
    rows = []
    for sub in Submission.objects.all().iterator():
        stopped = sub.clock_stopped_at
        rows.append(
            ClockRun(
                kelurahan_id=sub.kelurahan_id,
                submission_id=sub.pk,
                key="verify_public",
                waits_on="coordinator",
                is_roleplay=False,
                hours=sub.clock_hours,
                started_at=sub.received_at,
                due_at=sub.due_at,
                stopped_at=stopped,
                stop_reason=reasons.get(sub.state, "") if stopped else "",
                reminded_at=sub.reminded_at,
                escalated_at=sub.escalated_at,
            )
        )
    ClockRun.objects.bulk_create(rows, batch_size=500)


def to_fields(apps, schema_editor):
    Submission = apps.get_model("public", "Submission")
    ClockRun = apps.get_model("cases", "ClockRun")
    for run in ClockRun.objects.filter(submission__isnull=False).iterator():
        Submission.objects.filter(pk=run.submission_id).update(
            due_at=run.due_at,
            clock_hours=run.hours,
            clock_stopped_at=run.stopped_at,
            reminded_at=run.reminded_at,
            escalated_at=run.escalated_at,
        )
    ClockRun.objects.filter(submission__isnull=False).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0015_clockrun_submission"),
        ("mechanism", "0002_initial_versions"),
        ("public", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="submission",
            name="mechanism",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="mechanism.version",
            ),
        ),
        migrations.RunPython(to_rows, to_fields),
    ]
