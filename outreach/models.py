"""The outreach-activities log (sosialisasi, edukasi, pelatihan, simulasi, rapat koordinasi): no
case data, but photos of people, so it is seen by the kelurahan's own members only, never by
kota-level users (who get its counts in the reports)."""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Kelurahan


class Kind(models.TextChoices):
    SOSIALISASI = "sosialisasi", _("Socialisation (sosialisasi)")
    EDUKASI = "edukasi", _("Education (edukasi)")
    PELATIHAN = "pelatihan", _("Training (pelatihan)")
    SIMULASI = "simulasi", _("Simulation / role play")
    RAPAT = "rapat", _("Coordination meeting")


class Activity(models.Model):
    kelurahan = models.ForeignKey(Kelurahan, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    held_on = models.DateField(_("date"), default=timezone.localdate)
    place = models.CharField(_("place"), max_length=160)
    topic = models.CharField(_("topic"), max_length=200)
    facilitator = models.CharField(_("facilitator"), max_length=160, blank=True)
    women = models.PositiveIntegerField(_("women and girls"), default=0)
    men = models.PositiveIntegerField(_("men and boys"), default=0)
    children = models.PositiveIntegerField(_("of whom children (under 18)"), default=0)
    elderly = models.PositiveIntegerField(_("of whom elderly (60+)"), default=0)
    with_disability = models.PositiveIntegerField(_("of whom persons with disabilities"), default=0)
    partners = models.CharField(_("partners"), max_length=255, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("outreach activity")
        verbose_name_plural = _("outreach activities")
        ordering = ["-held_on", "-pk"]
        indexes = [models.Index(fields=["kelurahan", "held_on"])]

    def __str__(self):
        return f"{self.held_on} {self.get_kind_display()}"

    @property
    def participants(self):
        return self.women + self.men

    def clean(self):
        total = self.women + self.men
        for f in ("children", "elderly", "with_disability"):
            if getattr(self, f) > total:
                raise ValidationError({f: _("More than the participants (women plus men).")})
        if self.children + self.elderly > total:
            raise ValidationError(
                {"elderly": _("Children and elderly together are more than the participants.")}
            )


def photo_path(instance, filename):
    ext = filename.rsplit(".", 1)[-1]
    return f"outreach/{instance.kelurahan_id}/{uuid.uuid4().hex}.{ext}"


class Photo(models.Model):
    """A photo of an activity (not of a case), through the attachments' upload checks."""

    activity = models.ForeignKey(Activity, on_delete=models.PROTECT, related_name="photos")
    kelurahan = models.ForeignKey(Kelurahan, on_delete=models.PROTECT, related_name="+")
    file = models.FileField(upload_to=photo_path, max_length=200)
    original_name = models.CharField(max_length=120)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    caption = models.CharField(_("caption"), max_length=255, blank=True)
    # The people shown agreed (for children: a parent or the school).
    consent_confirmed = models.BooleanField(default=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["uploaded_at", "pk"]
        constraints = [
            models.CheckConstraint(
                name="outreach_photo_consent", condition=models.Q(consent_confirmed=True)
            )
        ]
