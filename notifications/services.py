"""Create notifications and send their e-mail copies (the one seam a task queue can take over).

The recipients invariant (cases/invariants.py RECIPIENTS): whoever receives a message about a
case or a referral can see it when the message is delivered. `notify` keeps only the users the
subject's access rule admits (each app registers the rule for its model); the e-mail copy asks
the rule again when it is sent, and a copy to someone who has lost access is dropped and
recorded on the notification (email_state "dropped").
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, TypeVar

from django.apps import apps
from django.conf import settings
from django.core.mail import send_mail
from django.db import models, transaction
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User as UserModel

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
    pending = [n.pk for n in made if n.email_state == "pending"]
    if pending:
        transaction.on_commit(lambda: send_action_emails(pending), robust=True)
    return made


def send_action_emails(notification_ids: Iterable[int]) -> None:
    """Send the e-mail copies, asking the subject's access rule again for each recipient."""
    for n in Notification.objects.filter(pk__in=notification_ids, email_state="pending"):
        n.email_state = "sent" if _still_allowed(n) else "dropped"
        if n.email_state == "sent":
            send_action_email(n.user.email)
        else:
            log.info("e-mail dropped notification=%s: recipient lost access", n.pk)
        Notification.objects.filter(pk=n.pk).update(email_state=n.email_state)


def _still_allowed(n: Notification) -> bool:
    model = apps.get_model(n.subject_type)
    subject = model.objects.filter(pk=n.subject_id).first()
    return subject is not None and may_receive(n.user, subject)


def send_action_email(to: str) -> None:
    with translation.override("id"):
        subject = _("Posko LBK: a referral needs your action")
        body = _(
            "A referral in Posko LBK needs your action.\n\nLog in to see it: %(url)s\n\n"
            "This message holds no case data on purpose."
        ) % {"url": f"{settings.SITE_URL}/notifications/"}
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [to], fail_silently=True)


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
    return user.unread_notifications
