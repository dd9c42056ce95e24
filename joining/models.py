"""A new kelurahan or desa joining (issue 17): the steps of its guided setup done, the dated
acting head (Plh./Plt.) who signs letters while the head is away, and the contact persons of the
agencies it works with."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Agency, Kelurahan, User


class SetupStep(models.Model):
    """A step of the guided setup saved at least once (the progress list)."""

    kelurahan = models.ForeignKey(Kelurahan, on_delete=models.PROTECT, related_name="+")
    step = models.CharField(max_length=20)
    done_at = models.DateTimeField(default=timezone.now)
    done_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kelurahan", "step"], name="setup_step_once")
        ]

    def __str__(self):
        return f"{self.kelurahan_id}:{self.step}"


class ActingHead(models.Model):
    """Pelaksana Harian (Plh.) or Pelaksana Tugas (Plt.) of the lurah or kepala desa for a period:
    while it runs, the letters this member approves read "Plh. LURAH ..." (referrals/services.py
    freezes it on the letter)."""

    class Kind(models.TextChoices):
        PLH = "plh", _("Plh. (Pelaksana Harian)")
        PLT = "plt", _("Plt. (Pelaksana Tugas)")

    kelurahan = models.ForeignKey(Kelurahan, on_delete=models.PROTECT, related_name="acting_heads")
    user = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("acting head")
    )
    kind = models.CharField(_("kind"), max_length=3, choices=Kind.choices, default=Kind.PLH)
    valid_from = models.DateField(_("from"))
    valid_until = models.DateField(_("until"))
    rank = models.CharField(_("rank/grade"), max_length=120, blank=True)
    nip = models.CharField(_("NIP"), max_length=18, blank=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-valid_from"]
        constraints = [
            models.CheckConstraint(
                name="acting_head_period_ordered",
                condition=Q(valid_until__gte=models.F("valid_from")),
            )
        ]

    def __str__(self):
        return f"{self.label} {self.kelurahan}"

    @property
    def label(self):
        return "Plh." if self.kind == self.Kind.PLH else "Plt."

    def clean(self):
        if self.valid_from and self.valid_until and self.valid_until < self.valid_from:
            raise ValidationError({"valid_until": _("The end date is before the start date.")})

    @classmethod
    def in_force(cls, kelurahan_id, day, user_id=None):
        qs = cls.objects.filter(
            kelurahan_id=kelurahan_id, valid_from__lte=day, valid_until__gte=day
        )
        if user_id is not None:
            qs = qs.filter(user_id=user_id)
        return qs.order_by("-valid_from", "-pk").first()


class AgencyContact(models.Model):
    """Who at an agency the kelurahan's people call (per kelurahan: each has its own contacts)."""

    kelurahan = models.ForeignKey(Kelurahan, on_delete=models.PROTECT, related_name="+")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="contacts")
    name = models.CharField(_("contact person"), max_length=160, blank=True)
    phone = models.CharField(_("contact phone"), max_length=30, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kelurahan", "agency"], name="agency_contact_once")
        ]

    def __str__(self):
        return f"{self.agency}: {self.name}"
