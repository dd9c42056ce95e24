"""An initial mechanism version per kelurahan, from what was kept elsewhere until now: the
deadline settings (cases.ClockSetting, hours per clock, and "reminder_lead") and the SK's number
and date on the kelurahan. With an SK number the version is enacted (its signer unknown);
without, it is on trial, so it governs real cases as the settings did."""

from django.db import migrations
from django.utils import timezone


def forwards(apps, schema_editor):
    Kelurahan = apps.get_model("accounts", "Kelurahan")
    ClockSetting = apps.get_model("cases", "ClockSetting")
    Version = apps.get_model("mechanism", "Version")
    ChangeLog = apps.get_model("mechanism", "ChangeLog")
    now = timezone.now()
    for kel in Kelurahan.objects.all():
        deadlines, lead = {}, None
        for key, hours in ClockSetting.objects.filter(kelurahan=kel).values_list("key", "hours"):
            if key == "reminder_lead":
                lead = hours
            else:
                deadlines[key] = {"amount": hours, "unit": "hours"}
        enacted = bool(kel.sk_number)
        v = Version.objects.create(
            kelurahan=kel,
            number=1,
            state="enacted" if enacted else "trial",
            deadlines=deadlines,
            reminder_lead_hours=lead,
            sk_number=kel.sk_number,
            sk_date=kel.sk_date,
            created_at=now,
            trial_at=now,
            enacted_at=now if enacted else None,
        )
        ChangeLog.objects.create(
            version=v,
            at=now,
            field="state",
            old="",
            new=v.state + " (from the earlier deadline settings and SK fields)",
        )


class Migration(migrations.Migration):
    dependencies = [
        ("mechanism", "0001_initial"),
        ("cases", "0011_victim_age_group"),
        ("accounts", "0009_kelurahan_time_zone"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
