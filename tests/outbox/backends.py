"""E-mail backends of the outbox tests: a mail server that refuses, and one that refuses a few
times and then accepts (each records what it was handed, with its Message-ID)."""

import smtplib

from django.core.mail.backends.base import BaseEmailBackend

# Every message handed to a backend below: (accepted, Message-ID, recipients).
HANDED: list[tuple[bool, str, list[str]]] = []
# How many more messages FlakyBackend refuses before it accepts.
REFUSE = {"left": 0}


def _refuse(message):
    # An SMTP error that names the recipient and a phone number: the outbox must not keep them.
    raise smtplib.SMTPServerDisconnected(
        f"Connection unexpectedly closed while sending to {message.to[0]} (081234567890)"
    )


class RefusingBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        for m in email_messages:
            HANDED.append((False, m.extra_headers.get("Message-ID", ""), list(m.to)))
            _refuse(m)
        return 0


class FlakyBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        for m in email_messages:
            if REFUSE["left"] > 0:
                REFUSE["left"] -= 1
                HANDED.append((False, m.extra_headers.get("Message-ID", ""), list(m.to)))
                _refuse(m)
            HANDED.append((True, m.extra_headers.get("Message-ID", ""), list(m.to)))
        return len(email_messages)
