"""A public submission is not a case (DATA.md's one exception): it waits in the coordinator's
"Masuk dari publik" queue until it is registered as a case (linked) or declined. A declined one
keeps its counts and reason; its text and contact data are erased after 90 days."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from accounts.models import Kelurahan

TEXT_MAX = 1000
SHORT_MAX = 200


class Submission(models.Model):
    class Kind(models.TextChoices):
        VIOLENCE = "violence", _("Violence")
        SOCIAL = "social", _("Social protection (help with living needs, aid, documents)")

    class Affected(models.TextChoices):
        SELF = "self", _("Myself")
        CHILD = "child", _("A child")
        OTHER = "other", _("Someone else")

    class AgeGroup(models.TextChoices):
        CHILD = "child", _("Child (under 18)")
        ADULT = "adult", _("Adult")
        ELDERLY = "elderly", _("Elderly (60 or over)")
        UNKNOWN = "unknown", _("Don't know")

    class ContactHow(models.TextChoices):
        NONE = "none", _("Do not contact me (anonymous)")
        CALL = "call", _("Phone call")
        WHATSAPP = "whatsapp", _("WhatsApp message")
        SMS = "sms", _("SMS")
        VISIT = "visit", _("I will come to the posko myself")

    class State(models.TextChoices):
        RECEIVED = "received", _("Received")
        READ = "read", _("Read by the posko")
        REGISTERED = "registered", _("Registered as a case")
        DECLINED = "declined", _("Declined")

    class Decline(models.TextChoices):
        SPAM = "spam", _("Spam or not a real report")
        OUTSIDE = "outside", _("Outside the posko's remit")

    kelurahan = models.ForeignKey(Kelurahan, on_delete=models.PROTECT, related_name="+")
    # The follow-up code (8 characters, no 0/O/1/I/L) and the PIN, stored only as a hash.
    code = models.CharField(max_length=8, unique=True)
    pin_hash = models.CharField(max_length=200)
    # The nonce of the signed form token: the same form sent twice makes one submission.
    form_nonce = models.CharField(max_length=40, unique=True)
    received_at = models.DateTimeField(default=timezone.now, db_index=True)

    kind = models.CharField(_("what happened"), max_length=10, choices=Kind.choices)
    text = models.TextField(_("in a few words"), max_length=TEXT_MAX, blank=True)
    place = models.CharField(_("where (RT/RW or a landmark)"), max_length=SHORT_MAX, blank=True)
    affected = models.CharField(_("who is affected"), max_length=10, choices=Affected.choices)
    age_group = models.CharField(
        _("age group"), max_length=10, choices=AgeGroup.choices, default=AgeGroup.UNKNOWN
    )
    danger_now = models.BooleanField(_("someone is in danger now"), default=False)
    contact_how = models.CharField(
        _("how to contact you"), max_length=10, choices=ContactHow.choices
    )
    contact_value = models.CharField(_("number"), max_length=40, blank=True)
    contact_when = models.CharField(_("when it is safe"), max_length=SHORT_MAX, blank=True)

    state = models.CharField(max_length=12, choices=State.choices, default=State.RECEIVED)
    # Above the kelurahan's daily volume: accepted, never refused, but marked.
    possible_flood = models.BooleanField(default=False)
    read_at = models.DateTimeField(null=True, blank=True)
    read_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decline_reason = models.CharField(max_length=10, choices=Decline.choices, blank=True)
    decline_note = models.CharField(max_length=SHORT_MAX, blank=True)
    # The case it became (registered through the normal intake, channel "formulir publik").
    case = models.OneToOneField(
        "cases.Case",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="public_submission",
    )
    # Given to the intake form when the coordinator starts registering it: the case saved with
    # this intake token is the one linked.
    intake_token = models.UUIDField(null=True, blank=True, unique=True)
    # The free-text message is allowed only when the sender is the person affected and the
    # coordinator confirmed it.
    free_text_confirmed = models.BooleanField(default=False)

    # The mechanism version that governed the kelurahan when it was received: the
    # verify_public clock's deadline and reminder lead come from it (else the defaults). The
    # clock itself is a cases.ClockRun row (submission set, no case), started in the same
    # transaction as the submission is stored and stopped when it is registered or declined.
    mechanism = models.ForeignKey(
        "mechanism.Version", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    # The status check: after 5 wrong PINs the code is locked for 24 hours, whatever the address.
    pin_failures = models.PositiveSmallIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)
    erased_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-danger_now", "received_at", "pk"]
        indexes = [
            models.Index(
                fields=["kelurahan", "-danger_now", "received_at"],
                condition=models.Q(state__in=["received", "read"]),
                name="public_sub_open_queue",
            ),
            models.Index(fields=["kelurahan", "received_at"], name="public_sub_kel_received"),
        ]

    def __str__(self):
        return f"#{self.pk}"

    @property
    def is_open(self):
        return self.state in (self.State.RECEIVED, self.State.READ)

    @property
    def is_anonymous(self):
        return self.contact_how == self.ContactHow.NONE

    @cached_property
    def clock_due(self):
        """The due time of the running verify_public clock (None once it stopped); the queue
        annotates it in its one query."""
        return (
            self.clock_runs.filter(stopped_at__isnull=True).values_list("due_at", flat=True).first()
        )

    @property
    def overdue(self):
        due = self.clock_due
        return due is not None and timezone.now() > due

    @property
    def locked(self):
        return self.locked_until is not None and self.locked_until > timezone.now()

    def public_status(self):
        """What the sender may know: received, read, followed up (nothing changes after it)."""
        if self.state == self.State.RECEIVED:
            return "received"
        if self.state == self.State.READ:
            return "read"
        return "followed_up"


class Message(models.Model):
    """A short message the sender reads with the status: a neutral template, or (sender is the
    person affected and the coordinator confirmed it) free text."""

    class Template(models.TextChoices):
        RECEIVED = "received", _("The posko has received your report.")
        WILL_CONTACT = (
            "will_contact",
            _("The posko will contact you in the way and at the time you chose."),
        )
        NO_ANSWER = (
            "no_answer",
            _(
                "The posko tried to contact you but could not reach you. You may come to the "
                "kelurahan office during service hours."
            ),
        )
        VISIT = "visit", _("Please come to the kelurahan office during service hours.")
        FOLLOWED = "followed", _("Your report has been followed up. Thank you.")
        FREE = "free", _("Message from the posko")

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="messages")
    template = models.CharField(max_length=20, choices=Template.choices)
    text = models.CharField(max_length=300, blank=True)
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["at", "pk"]

    def shown_text(self):
        if self.template == self.Template.FREE:
            return self.text
        return str(self.Template(self.template).label)


class PublicSettings(models.Model):
    """Per kelurahan: the daily volume above which new submissions are marked as a possible
    flood (still accepted, never refused)."""

    kelurahan = models.OneToOneField(
        Kelurahan, on_delete=models.CASCADE, related_name="public_settings"
    )
    flood_per_day = models.PositiveIntegerField(_("submissions per day before marking"), default=30)

    class Meta:
        verbose_name = _("public channel settings")
        verbose_name_plural = _("public channel settings")


class KotaEmergencyNumbers(models.Model):
    """The emergency numbers shown on the public pages of a kota's kelurahan."""

    kota = models.OneToOneField("places.Kota", on_delete=models.CASCADE, related_name="+")
    runs_112 = models.BooleanField(_("the kota runs 112"), default=True)
    police = models.CharField(_("police"), max_length=20, default="110")
    ambulance = models.CharField(_("ambulance"), max_length=20, default="119")
    sapa_phone = models.CharField(_("SAPA phone"), max_length=20, default="129")
    sapa_whatsapp = models.CharField(_("SAPA WhatsApp"), max_length=20, default="08111129129")
    police_ppa = models.CharField(_("police PPA unit"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("emergency numbers of a kota")
        verbose_name_plural = _("emergency numbers of a kota")
