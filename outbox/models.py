"""The outbox: one row per piece of work that must not wait for a page view or get lost (an
e-mail, a letter to render and store, a deadline reminder), written in the same transaction as
the event that causes it. A task of the Django tasks API carries only the row's id; the row
keeps the state, the attempts, the next attempt and the lease (outbox/services.py).

A row holds ids and times, never a body, an address or a case's data: what is sent is rendered
when it is sent, from the records the ids name (and the access rules of that moment)."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class OutboxItem(models.Model):
    class Kind(models.TextChoices):
        EMAIL = "email", _("E-mail copy of a notification")
        LETTER = "letter", _("Render and store a referral letter")
        REMINDER = "reminder", _("Deadline reminder")
        ESCALATION = "escalation", _("Deadline escalation")

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    kind = models.CharField(_("task"), max_length=20, choices=Kind.choices)
    # The record the work is about: a notification (e-mail), a referral (letter), a clock run
    # (reminder, escalation). Ids only.
    target_id = models.PositiveBigIntegerField()
    # The tenant key (cases.models.Case.kelurahan); empty for work outside any kelurahan.
    kelurahan_id = models.PositiveBigIntegerField(null=True, blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    # Set when the row was last handed to the task queue (the periodic run hands it again when
    # the queue lost it).
    enqueued_at = models.DateTimeField(_("enqueued"), null=True, blank=True)
    # While a worker holds the row: until when, and the holder's token (a late worker whose
    # lease was taken over cannot mark the row).
    lease_until = models.DateTimeField(_("lease until"), null=True, blank=True)
    lease_token = models.CharField(max_length=32, blank=True)
    done_at = models.DateTimeField(_("finished"), null=True, blank=True)
    # The last failure: the exception's class and its message through the log redaction
    # (accounts.security), never a traceback or a body.
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    # What the work came to (e.g. "sent", "dropped", "stopped"), a word.
    result = models.CharField(_("result"), max_length=20, blank=True)
    # The Message-ID of an e-mail, fixed when the row is made: a retry sends the same message.
    message_id = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("outbox item")
        verbose_name_plural = _("outbox")
        ordering = ["-created_at", "-pk"]
        indexes = [
            # What the periodic run hands to the queue again: waiting rows due, running rows
            # whose lease ran out.
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(state="pending"),
                name="outbox_pending_due",
            ),
            models.Index(
                fields=["lease_until"],
                condition=models.Q(state="running"),
                name="outbox_running_lease",
            ),
            # The rows not done (the health endpoint's counts, the admin's default view).
            models.Index(
                fields=["state"], condition=~models.Q(state="done"), name="outbox_not_done"
            ),
            models.Index(fields=["kind", "target_id"], name="outbox_target"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

    @staticmethod
    def new_token() -> str:
        return uuid.uuid4().hex
