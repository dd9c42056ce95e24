"""The kinds of outbox rows and how each is done (outbox/services.py runs them under a lease).

kind        target           done by                                  retry rule
email       a notification   notifications.services.deliver_email     RETRY below
letter      a referral       referrals.services.store_letter_item     RETRY below
reminder    a clock run      outbox.reminders.deliver                 RETRY below
escalation  a clock run      outbox.reminders.deliver                 RETRY below
"""

from __future__ import annotations

from .models import OutboxItem
from .services import Kind, register

RETRY = "1, 2, 4 ... minutes apart, at most 8 attempts, then failed (shown in the admin)"


def _email(item: OutboxItem) -> str:
    from notifications.services import deliver_email

    return deliver_email(item.target_id, message_id=item.message_id)


def _letter(item: OutboxItem) -> str:
    from referrals.services import store_letter_item

    return store_letter_item(item.target_id, token=f"outbox-{item.pk}")


def _reminder(item: OutboxItem) -> str:
    from .reminders import deliver

    return deliver(item.target_id, escalation=item.kind == OutboxItem.Kind.ESCALATION)


# Outside any transaction: a mail server's answer or a render never holds a database lock.
EMAIL = register(Kind("email", _email, RETRY, atomic=False))
LETTER = register(Kind("letter", _letter, RETRY, atomic=False))
REMINDER = register(Kind("reminder", _reminder, RETRY))
ESCALATION = register(Kind("escalation", _reminder, RETRY))
