import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = []

    operations = [
        migrations.CreateModel(
            name="Province",
            fields=[
                (
                    "code",
                    models.CharField(
                        max_length=2, primary_key=True, serialize=False, verbose_name="region code"
                    ),
                ),
                ("name", models.CharField(max_length=120, verbose_name="name")),
            ],
            options={
                "verbose_name": "province",
                "verbose_name_plural": "provinces",
                "ordering": ["code"],
            },
        ),
        migrations.CreateModel(
            name="Kota",
            fields=[
                (
                    "code",
                    models.CharField(
                        max_length=5, primary_key=True, serialize=False, verbose_name="region code"
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[("kota", "Kota"), ("kabupaten", "Kabupaten")],
                        max_length=10,
                        verbose_name="kind",
                    ),
                ),
                ("name", models.CharField(max_length=120, verbose_name="name")),
                (
                    "province",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="kota",
                        to="places.province",
                        verbose_name="province",
                    ),
                ),
            ],
            options={
                "verbose_name": "kota / kabupaten",
                "verbose_name_plural": "kota / kabupaten",
                "ordering": ["code"],
            },
        ),
        migrations.CreateModel(
            name="Kecamatan",
            fields=[
                (
                    "code",
                    models.CharField(
                        max_length=8, primary_key=True, serialize=False, verbose_name="region code"
                    ),
                ),
                ("name", models.CharField(max_length=120, verbose_name="name")),
                (
                    "kota",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="kecamatan",
                        to="places.kota",
                        verbose_name="kota/kabupaten",
                    ),
                ),
            ],
            options={
                "verbose_name": "kecamatan",
                "verbose_name_plural": "kecamatan",
                "ordering": ["code"],
            },
        ),
        migrations.CreateModel(
            name="Village",
            fields=[
                (
                    "code",
                    models.CharField(
                        max_length=13, primary_key=True, serialize=False, verbose_name="region code"
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[("kelurahan", "Kelurahan"), ("desa", "Desa")],
                        max_length=10,
                        verbose_name="kind",
                    ),
                ),
                ("name", models.CharField(max_length=120, verbose_name="name")),
                (
                    "kecamatan",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="villages",
                        to="places.kecamatan",
                        verbose_name="kecamatan",
                    ),
                ),
            ],
            options={
                "verbose_name": "kelurahan / desa (official list)",
                "verbose_name_plural": "kelurahan / desa (official list)",
                "ordering": ["code"],
            },
        ),
    ]
