"""In-app notifications of events that need someone's action. The text never holds personal data
of a victim (a case or letter number at most); the e-mail copy says even less."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Kelurahan


class NotificationQuerySet(models.QuerySet):
    def unread(self):
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="notifications"
    )
    # The kelurahan the event belongs to (tenant key); empty for events outside any kelurahan.
    kelurahan = models.ForeignKey(
        Kelurahan, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=40)
    text = models.CharField(_("text"), max_length=255)
    url = models.CharField(max_length=255, blank=True)
    # What the message is about ("cases.case" or "referrals.referral" and its id): the
    # recipient must be able to see it when the message is made and when its e-mail is sent.
    subject_type = models.CharField(max_length=40, blank=True)
    subject_id = models.PositiveBigIntegerField(null=True, blank=True)
    # The e-mail copy: "" (none), "pending", "sent", or "dropped" (the recipient had lost
    # access to the subject by the time it was to be sent).
    email_state = models.CharField(max_length=10, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self):
        return self.text
