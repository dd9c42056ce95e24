"""Kota Parepare in the official list (places/parepare.py: the codes of Kepmendagri
300.2.2-2138/2025)."""

from django.db import migrations


def load(apps, schema_editor):
    from places import parepare

    Province = apps.get_model("places", "Province")
    Kota = apps.get_model("places", "Kota")
    Kecamatan = apps.get_model("places", "Kecamatan")
    Village = apps.get_model("places", "Village")
    code, name = parepare.PROVINCE
    Province.objects.update_or_create(code=code, defaults={"name": name})
    code, kind, name = parepare.KOTA
    Kota.objects.update_or_create(
        code=code, defaults={"province_id": parepare.PROVINCE[0], "kind": kind, "name": name}
    )
    for code, name in parepare.KECAMATAN:
        Kecamatan.objects.update_or_create(
            code=code, defaults={"kota_id": parepare.KOTA[0], "name": name}
        )
    for code, kind, name in parepare.VILLAGES:
        Village.objects.update_or_create(
            code=code, defaults={"kecamatan_id": code[:8], "kind": kind, "name": name}
        )


class Migration(migrations.Migration):
    dependencies = [("places", "0001_place_hierarchy")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
