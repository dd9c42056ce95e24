"""The outbox kinds of accounts (registered with outbox/kinds.py's registry at start-up):

kind            target                 done by                                retry rule
reset_email     a ResetToken           accounts.passwords.send_reset_email    outbox RETRY
account_notice  an AccountAudit row    accounts.passwords.send_account_notice outbox RETRY
invitation_email an Invitation         accounts.people_service.send_invitation_email  RETRY

An e-mail carrying a secret keeps no body anywhere: the row names the token, the worker derives
the link from SECRET_KEY and the token's nonce when it sends (the token row holds a hash only).
"""

from __future__ import annotations

from django_tasks import task

from outbox import services
from outbox.kinds import RETRY
from outbox.models import OutboxItem
from outbox.services import Kind, register
from outbox.tasks import TASKS


def _reset_email(item: OutboxItem) -> str:
    from .passwords import send_reset_email

    return send_reset_email(item.target_id, message_id=item.message_id)


def _account_notice(item: OutboxItem) -> str:
    from .passwords import send_account_notice

    return send_account_notice(item.target_id, message_id=item.message_id)


def _invitation_email(item: OutboxItem) -> str:
    from .people_service import send_invitation_email

    return send_invitation_email(item.target_id, message_id=item.message_id)


@task()
def send_invitation_email(item_id: int) -> None:
    services.process(item_id)


@task()
def send_reset_email(item_id: int) -> None:
    services.process(item_id)


@task()
def send_account_notice(item_id: int) -> None:
    services.process(item_id)


RESET_EMAIL = register(Kind("reset_email", _reset_email, RETRY))
ACCOUNT_NOTICE = register(Kind("account_notice", _account_notice, RETRY))
TASKS["reset_email"] = send_reset_email
TASKS["account_notice"] = send_account_notice
INVITATION_EMAIL = register(Kind("invitation_email", _invitation_email, RETRY))
TASKS["invitation_email"] = send_invitation_email
