"""Create notifications and send their e-mail copies through the outbox (outbox/).

The recipients invariant (cases/invariants.py RECIPIENTS): whoever receives a message about a
case or a referral can see it when the message is delivered. `notify` keeps only the users the
subject's access rule admits (each app registers the rule for its model) and writes, in the
same transaction, one outbox row per e-mail copy; the worker that sends it asks the invariant
again (`deliver_email`), and a copy to someone who has lost access is dropped and recorded on
the notification (email_state "dropped"). A copy that cannot be sent is retried with backoff by
the outbox, always with the Message-ID its row fixed, so a retry never makes a second message.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from email.utils import make_msgid
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

from django.apps import apps
from django.conf import settings
from django.core.mail import EmailMessage
from django.db import models
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User as UserModel
from outbox import services as outbox

from .models import Notification

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from accounts.models import User
    from accounts.roles import RequestUser

log = logging.getLogger("lbk.notifications")

SubjectT = TypeVar("SubjectT", bound=models.Model)

# model label -> may_receive(user, obj): the access rule of the subject's app (its argument is
# an instance of the model under that label: cases.access.sees_in_full takes a Case...).
RECEIVERS: dict[str, Callable[[User, Any], bool]] = {}


def register_receiver(
    model_label: str, rule: Callable[[User, SubjectT], bool]
) -> Callable[[User, SubjectT], bool]:
    RECEIVERS[model_label] = rule
    return rule


def may_receive(user: User | None, subject: models.Model) -> bool:
    rule = RECEIVERS[subject._meta.label_lower]
    return bool(user is not None and user.is_active and rule(user, subject))


def notify(
    users: Iterable[User | None],
    *,
    subject: models.Model,
    kind: str,
    text: StrOrPromise,
    url: str = "",
    kelurahan_id: int | None = None,
    email: bool = True,
) -> list[Notification]:
    """One notification per user who may see `subject` now (deduplicated); e-mail after the
    transaction commits, to those who still may then.

    The e-mail never carries the text (which may name a case): only that something needs the
    person's action, and a link to log in and see it.
    """
    seen = set()
    made = []
    label = subject._meta.label_lower
    # Role play never leaves the app: no e-mail about a SIM case or referral.
    if getattr(subject, "is_roleplay", False):
        email = False
    for user in users:
        if user is None or user.pk in seen:
            continue
        seen.add(user.pk)
        if not may_receive(user, subject):
            log.info("notification not made kind=%s user_id=%s: no access", kind, user.pk)
            continue
        made.append(
            Notification.objects.create(
                user=user,
                kelurahan_id=kelurahan_id,
                kind=kind,
                text=str(text)[:255],
                url=url,
                subject_type=label,
                subject_id=subject.pk,
                email_state="pending" if email and user.email else "",
            )
        )
    _count([n.user_id for n in made], +1)
    for n in made:
        if n.email_state == "pending":
            outbox.add(
                "email",
                n.pk,
                kelurahan_id=kelurahan_id,
                message_id=new_message_id(),
                at=n.created_at,
            )
    return made


def new_message_id() -> str:
    """A Message-ID of our own domain (the site's host), fixed once per e-mail copy."""
    host = urlsplit(settings.SITE_URL).hostname or "localhost"
    return make_msgid(idstring="posko", domain=host)


def deliver_email(notification_id: int, *, message_id: str = "") -> str:
    """Send one e-mail copy (the outbox's worker): "sent", "dropped" when the recipient lost
    access meanwhile (the recipients invariant, asked now), or "nothing" when there is nothing
    left to send. Raises when the mail server refuses, so that the outbox retries."""
    from cases.invariants import deliverable

    n = Notification.objects.select_related("user").filter(pk=notification_id).first()
    if n is None or n.email_state != "pending":
        return "nothing"
    if not (n.user.email and deliverable(n)):
        Notification.objects.filter(pk=n.pk).update(email_state="dropped")
        log.info("e-mail dropped notification=%s: recipient lost access", n.pk)
        return "dropped"
    send_action_email(n.user.email, kind=n.kind, message_id=message_id)
    Notification.objects.filter(pk=n.pk).update(email_state="sent")
    return "sent"


def still_allowed(n: Notification) -> bool:
    """The recipient may see the notification's subject now (RECIPIENTS, cases/invariants.py)."""
    model = apps.get_model(n.subject_type)
    subject = model.objects.filter(pk=n.subject_id).first()
    return subject is not None and may_receive(n.user, subject)


def email_text(kind: str) -> tuple[str, str]:
    """Subject and body of the e-mail copy of a notification of this kind, in Indonesian: only
    that something needs the person, and where to log in; never the case or the person."""
    url = f"{settings.SITE_URL}/notifications/"
    with translation.override("id"):
        if kind == "reminder":
            subject = _("Posko LBK: a deadline is near")
            body = _(
                "A task in Posko LBK waiting for you is due soon.\n\nLog in to see it: %(url)s"
                "\n\nThis message holds no case data on purpose."
            ) % {"url": url}
        elif kind == "escalation":
            subject = _("Posko LBK: a deadline has passed")
            body = _(
                "A deadline in Posko LBK has passed and needs your attention.\n\n"
                "Log in to see it: %(url)s\n\nThis message holds no case data on purpose."
            ) % {"url": url}
        elif kind == "public_submission":
            subject = _("Posko LBK: a submission from the public is waiting")
            body = _(
                "A submission from the public page waits for verification in Posko LBK.\n\n"
                "Log in to see it: %(url)s\n\nThis message holds no case data on purpose."
            ) % {"url": url}
        else:
            subject = _("Posko LBK: a referral needs your action")
            body = _(
                "A referral in Posko LBK needs your action.\n\nLog in to see it: %(url)s\n\n"
                "This message holds no case data on purpose."
            ) % {"url": url}
    return str(subject), str(body)


def send_action_email(to: str, *, kind: str = "", message_id: str = "") -> None:
    subject, body = email_text(kind)
    headers = {"Message-ID": message_id} if message_id else {}
    EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [to], headers=headers).send(
        fail_silently=False
    )


def mark_read(notification: Notification) -> None:
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
        _count(notification.user_id, -1)


def mark_all_read(user: User) -> None:
    Notification.objects.filter(user=user, read_at__isnull=True).update(read_at=timezone.now())
    UserModel.objects.filter(pk=user.pk).update(unread_notifications=0)


def _count(user_ids: int | Iterable[int], delta: int) -> None:
    ids = [user_ids] if isinstance(user_ids, int) else list(user_ids)
    if ids:
        UserModel.objects.filter(pk__in=ids).update(
            unread_notifications=Greatest(F("unread_notifications") + delta, 0)
        )


def unread_count(user: RequestUser) -> int:
    """The user's unread notifications: a column of the user row (no query of its own)."""
    if not isinstance(user, UserModel) or not user.is_authenticated:
        return 0
    return int(getattr(user, "unread_notifications", 0))
