"""The pilots' region codes corrected (Kepmendagri 300.2.2-2138/2025: Watang Soreang
73.72.03.1003, Watang Bacukiki 73.72.01.1005), then every kelurahan points to the official list
(places.Village) by its code, so an unknown code cannot be saved; memberships at kota level
(the kota analyst): exactly one of kelurahan, agency, kota."""

import django.db.models.deletion
from django.db import migrations, models


def correct_codes(apps, schema_editor):
    from places import parepare

    Kelurahan = apps.get_model("accounts", "Kelurahan")
    Village = apps.get_model("places", "Village")
    names = {code: name for code, _kind, name in parepare.VILLAGES}
    for kel in Kelurahan.objects.all():
        right = parepare.CORRECTIONS.get(kel.region_code)
        # Only a pilot that carries its old wrong code (Kampung Pisang keeps 73.72.03.1004).
        if right and names.get(right) == kel.name:
            kel.region_code = right
            kel.save(update_fields=["region_code"])
    known = set(Village.objects.values_list("code", flat=True))
    unknown = sorted(
        f"{k.name} ({k.region_code})" for k in Kelurahan.objects.all() if k.region_code not in known
    )
    if unknown:
        raise RuntimeError(
            "Region codes not in the official list (places.Village): "
            + ", ".join(unknown)
            + ". Load the list of their kota first, or correct the codes."
        )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_unread_notifications"),
        ("places", "0002_kota_parepare"),
    ]

    operations = [
        migrations.RunPython(correct_codes, migrations.RunPython.noop),
        migrations.RenameField("kelurahan", "region_code", "region"),
        migrations.AlterField(
            model_name="kelurahan",
            name="region",
            field=models.OneToOneField(
                db_column="region_code",
                on_delete=django.db.models.deletion.PROTECT,
                related_name="posko",
                to="places.village",
                verbose_name="region code (kode wilayah)",
            ),
        ),
        migrations.RemoveConstraint(model_name="membership", name="membership_exactly_one_place"),
        migrations.RemoveConstraint(model_name="membership", name="membership_role_fits_place"),
    ]
