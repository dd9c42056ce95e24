"""Referrals (rujukan) of one victim of a case to one agency (PROCEDURE.md, DATA.md "Referral").

Models hold data and read-only derived properties; every write goes through referrals/services.py.
"""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts import letter_numbers
from accounts.models import Agency, Kelurahan
from cases import vocab
from cases.models import Case, PlannedAction, Victim


class State(models.TextChoices):
    DRAFT = "draft", _("Draft")
    REQUESTED = "requested", _("Requested")
    RETURNED = "returned", _("Returned")
    APPROVED = "approved", _("Approved")
    SENT = "sent", _("Sent")
    ACKNOWLEDGED = "acknowledged", _("Received by the agency")
    COMPLETED = "completed", _("Completed")
    DECLINED = "declined", _("Declined by the agency")
    CANCELLED = "cancelled", _("Cancelled")


# PROCEDURE.md: an open referral is requested, approved, sent or acknowledged.
OPEN_STATES = frozenset({State.REQUESTED, State.APPROVED, State.SENT, State.ACKNOWLEDGED})
FINAL_STATES = frozenset({State.COMPLETED, State.DECLINED, State.CANCELLED})


class Kind(models.TextChoices):
    SERVICE = "layanan", _("Service (layanan)")
    HANDOVER = "pelimpahan", _("Handover (pelimpahan)")


class Outcome(models.TextChoices):
    SERVED = "served", _("Service given")
    SERVED_ELSEWHERE = "served_elsewhere", _("Already served elsewhere")
    NOT_ELIGIBLE = "not_eligible", _("Not eligible")
    REFUSED = "refused", _("Refused by the victim")
    UNAVAILABLE = "unavailable", _("Service not available")


# DATA.md: the outcome sets the referral's state and its planned action's status.
OUTCOME_TABLE = {
    Outcome.SERVED: (State.COMPLETED, vocab.ActionStatus.DONE),
    Outcome.SERVED_ELSEWHERE: (State.DECLINED, vocab.ActionStatus.NOT_NEEDED),
    Outcome.NOT_ELIGIBLE: (State.DECLINED, vocab.ActionStatus.UNAVAILABLE),
    Outcome.REFUSED: (State.DECLINED, vocab.ActionStatus.REFUSED),
    Outcome.UNAVAILABLE: (State.DECLINED, vocab.ActionStatus.UNAVAILABLE),
}


class EmergencyGround(models.TextChoices):
    DANGER = "danger", _("The victim is in danger now")
    INJURY = "injury", _("The victim is injured and needs care now")


class SendHow(models.TextChoices):
    APP = "app", _("In the app (agency inbox)")
    HAND = "hand", _("Delivered by hand")
    EMAIL = "email", _("E-mail")
    WHATSAPP = "whatsapp", _("WhatsApp")
    PHONE = "phone", _("By phone")
    ACCOMPANIED = "accompanied", _("Accompanying the victim")


class ReferralQuerySet(models.QuerySet):
    # What the case procedure asks of a case's referrals (case.referrals.<method>()): the cases
    # app reads referrals only through this related manager.
    def open(self):
        return self.filter(state__in=OPEN_STATES)

    def waiting_approval(self):
        return self.filter(state=State.REQUESTED)

    def completed_handovers(self):
        return self.filter(kind=Kind.HANDOVER, state=State.COMPLETED)


class Referral(models.Model):
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="referrals")
    kelurahan = models.ForeignKey(
        Kelurahan, on_delete=models.PROTECT, related_name="+", verbose_name=_("kelurahan")
    )
    victim = models.ForeignKey(
        Victim, on_delete=models.PROTECT, related_name="referrals", verbose_name=_("victim")
    )
    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="referrals", verbose_name=_("agency")
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.SERVICE)
    action = models.ForeignKey(
        PlannedAction,
        on_delete=models.PROTECT,
        related_name="referrals",
        verbose_name=_("planned action"),
    )
    services_requested = models.TextField(
        _("services requested"), blank=True, help_text=_("One per line.")
    )
    summary = models.TextField(_("summary for the agency"), blank=True)
    shared_fields = models.JSONField(_("data shared"), default=list, blank=True)
    state = models.CharField(
        _("state"), max_length=15, choices=State.choices, default=State.DRAFT, db_index=True
    )
    state_changed_at = models.DateTimeField(default=timezone.now)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    requested_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    return_note = models.TextField(_("return note"), blank=True)

    # Emergency route: made at once by phone or by accompanying the victim, ratified later.
    is_emergency = models.BooleanField(_("emergency referral"), default=False)
    # Why the emergency route was taken without waiting for consent (PROCEDURE.md).
    emergency_ground = models.CharField(
        _("emergency because"), max_length=10, choices=EmergencyGround.choices, blank=True
    )
    emergency_at = models.DateTimeField(_("referral made at"), null=True, blank=True)
    ratified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    ratified_at = models.DateTimeField(null=True, blank=True)
    ratification_refused = models.BooleanField(default=False)

    # The letter: numbered per kelurahan per year (and series), signer copied from membership.
    letter_number = models.CharField(
        _("letter number"), max_length=letter_numbers.MAX_LENGTH, blank=True, db_index=True
    )
    letter_year = models.PositiveSmallIntegerField(null=True, blank=True)
    letter_seq = models.PositiveIntegerField(null=True, blank=True)
    letter_roleplay = models.BooleanField(default=False)
    issued_at = models.DateTimeField(_("issued at"), null=True, blank=True)
    signer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    signer_name = models.CharField(max_length=160, blank=True)
    signer_title = models.CharField(max_length=120, blank=True)
    signer_rank = models.CharField(max_length=120, blank=True)
    signer_nip = models.CharField(max_length=18, blank=True)
    signer_on_behalf = models.BooleanField(default=False)
    # "plh" or "plt" when the signer was the head's acting official that day (joining.ActingHead):
    # the block then reads "Plh. LURAH ...".
    signer_acting = models.CharField(max_length=3, blank=True, default="")
    letter_shared_fields = models.JSONField(default=list, blank=True)
    # Whether consent in force covered the letter when it was issued (cases/invariants.py): if it
    # did and is later withdrawn, the agency can no longer download it.
    letter_with_consent = models.BooleanField(default=False)
    pdf = models.FileField(upload_to="letters/%Y/", blank=True)
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    verify_token = models.CharField(max_length=64, unique=True, null=True, blank=True)

    # Delivery and the agency's answer (or the companion's record of it, with the proof).
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    sent_how = models.CharField(_("how"), max_length=15, choices=SendHow.choices, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    acknowledged_at = models.DateTimeField(_("received by the agency at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    acknowledged_proof = models.TextField(_("proof of receipt"), blank=True)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices, blank=True)
    service_given = models.CharField(
        _("service given"), max_length=20, choices=vocab.ServiceType.choices, blank=True
    )
    outcome_note = models.TextField(_("what was done"), blank=True)
    outcome_at = models.DateTimeField(null=True, blank=True)
    outcome_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    outcome_proof = models.TextField(_("proof of the answer"), blank=True)

    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    cancel_reason = models.TextField(_("reason"), blank=True)

    version = models.PositiveIntegerField(default=1, editable=False)

    objects = ReferralQuerySet.as_manager()

    # Not a column: the reader's roles on the referral (cases.engine pseudo-roles), set on a
    # referral fetched by referrals.access.get_referral_for_user.
    user_roles: frozenset[str]

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["kelurahan", "state"]),
            models.Index(fields=["agency", "state"]),
            # The agency inbox: newest first, a page at a time.
            models.Index(
                fields=["agency", "-sent_at", "-id"],
                condition=models.Q(sent_at__isnull=False),
                name="referral_inbox",
            ),
            models.Index(fields=["kelurahan", "letter_year"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["kelurahan", "letter_year", "letter_roleplay", "letter_seq"],
                name="referral_letter_seq_unique",
            )
        ]

    def __str__(self):
        return self.letter_number or f"#{self.pk}"

    def get_absolute_url(self):
        return reverse("referrals:detail", args=[self.pk])

    @property
    def is_open(self):
        return self.state in OPEN_STATES

    @property
    def waits_for_approval(self):
        return self.state == State.REQUESTED

    @property
    def is_completed_handover(self):
        return self.kind == Kind.HANDOVER and self.state == State.COMPLETED

    @property
    def awaits_ratification(self):
        return self.is_emergency and self.state == State.SENT and self.ratified_at is None

    @property
    def has_letter(self):
        return bool(self.letter_number)

    @property
    def is_roleplay(self):
        return self.case.is_roleplay

    def services_list(self):
        return [s.strip() for s in (self.services_requested or "").splitlines() if s.strip()]
