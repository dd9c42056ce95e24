"""The place hierarchy of Indonesia by the Kemendagri region codes (kode wilayah): province >
kota/kabupaten > kecamatan > kelurahan/desa. Each row's primary key is its official code, so a
report rolls a kelurahan up to its kecamatan and kota by following keys, never by matching names
or cutting strings. This issue loads Kota Parepare (migration 0002); the whole country is the
mechanism issue's.

Codes follow Kepmendagri 300.2.2-2138/2025 (README, "Places and region codes")."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Province(models.Model):
    code = models.CharField(_("region code"), max_length=2, primary_key=True)
    name = models.CharField(_("name"), max_length=120)

    class Meta:
        verbose_name = _("province")
        verbose_name_plural = _("provinces")
        ordering = ["code"]

    def __str__(self):
        return f"{self.code} {self.name}"


class Kota(models.Model):
    class Kind(models.TextChoices):
        KOTA = "kota", _("Kota")
        KABUPATEN = "kabupaten", _("Kabupaten")

    code = models.CharField(_("region code"), max_length=5, primary_key=True)
    province = models.ForeignKey(
        Province, on_delete=models.PROTECT, related_name="kota", verbose_name=_("province")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=120)

    class Meta:
        verbose_name = _("kota / kabupaten")
        verbose_name_plural = _("kota / kabupaten")
        ordering = ["code"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.name}"


class Kecamatan(models.Model):
    code = models.CharField(_("region code"), max_length=8, primary_key=True)
    kota = models.ForeignKey(
        Kota, on_delete=models.PROTECT, related_name="kecamatan", verbose_name=_("kota/kabupaten")
    )
    name = models.CharField(_("name"), max_length=120)

    class Meta:
        verbose_name = _("kecamatan")
        verbose_name_plural = _("kecamatan")
        ordering = ["code"]

    def __str__(self):
        return f"Kecamatan {self.name}"


class Village(models.Model):
    """A kelurahan or desa of the official list (not every one runs a posko: those are
    accounts.Kelurahan, which point here)."""

    class Kind(models.TextChoices):
        KELURAHAN = "kelurahan", _("Kelurahan")
        DESA = "desa", _("Desa")

    code = models.CharField(_("region code"), max_length=13, primary_key=True)
    kecamatan = models.ForeignKey(
        Kecamatan, on_delete=models.PROTECT, related_name="villages", verbose_name=_("kecamatan")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=120)

    class Meta:
        verbose_name = _("kelurahan / desa (official list)")
        verbose_name_plural = _("kelurahan / desa (official list)")
        ordering = ["code"]

    def __str__(self):
        return f"{self.code} {self.get_kind_display()} {self.name}"
