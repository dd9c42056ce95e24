"""Create notifications and send their e-mail copies (the one seam a task queue can take over)."""

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .models import Notification


def notify(users, *, kind, text, url="", kelurahan_id=None, email=True):
    """One notification per user (deduplicated); e-mail after the transaction commits.

    The e-mail never carries the text (which may name a case): only that something needs the
    person's action, and a link to log in and see it.
    """
    seen = set()
    made = []
    for user in users:
        if user is None or user.pk in seen or not user.is_active:
            continue
        seen.add(user.pk)
        made.append(
            Notification.objects.create(
                user=user, kelurahan_id=kelurahan_id, kind=kind, text=str(text)[:255], url=url
            )
        )
    if email:
        recipients = [n.user.email for n in made if n.user.email]
        if recipients:
            transaction.on_commit(lambda: send_action_email(recipients), robust=True)
    return made


def send_action_email(recipients):
    with translation.override("id"):
        subject = _("Posko LBK: a referral needs your action")
        body = _(
            "A referral in Posko LBK needs your action.\n\nLog in to see it: %(url)s\n\n"
            "This message holds no case data on purpose."
        ) % {"url": f"{settings.SITE_URL}/notifications/"}
    for to in recipients:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [to], fail_silently=True)


def mark_read(notification):
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])


def unread_count(user):
    if not getattr(user, "is_authenticated", False):
        return 0
    cached = getattr(user, "_lbk_unread", None)
    if cached is None:
        cached = user._lbk_unread = Notification.objects.filter(
            user=user, read_at__isnull=True
        ).count()
    return cached
