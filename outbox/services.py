"""The outbox's rules: work is added in the transaction of the event that causes it, handed to
the task queue after the commit, and done by one worker at a time under a lease.

- `add` writes the row (in the caller's transaction) and enqueues its task once that commits.
- `process` (the task's body) claims the row with one conditional UPDATE (waiting and due, or
  running with its lease run out), runs the kind's handler and marks the row done: for work
  that only writes to the database (reminders) in one transaction, so a row whose lease was
  taken over meanwhile is not marked and its work rolls back; work that talks to the outside
  or takes time (sending an e-mail, rendering a letter) runs outside any transaction (a SQLite
  write lock or PostgreSQL row locks are never held while a mail server answers) and is
  idempotent instead: an e-mail keeps its Message-ID, a stored letter is not stored again.
- A failure sets the next attempt 1, 2, 4 ... minutes later; after OUTBOX_MAX_ATTEMPTS the row
  is "failed" (the admin's outbox page shows it). The error is stored as its class and its
  message through the log redaction: no traceback, no address, no number.
- `requeue` (the periodic run) hands to the queue again the rows it lost: waiting rows due that
  were not enqueued since they became due, running rows whose lease expired (a killed worker).
- `work_due` does every due row in this process (tests, the demo data, `run_periodic --work`).

The tasks library (django-tasks) has no retries and does not recover a task whose worker was
killed: both are ours, here, whatever backend runs the tasks.
"""

from __future__ import annotations

import datetime
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.security import redact

from .models import OutboxItem

log = logging.getLogger("lbk.outbox")

S = OutboxItem.State
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


class LeaseLost(Exception):  # noqa: N818
    """Another worker took the row over (our lease expired): our work is rolled back."""


@dataclass(frozen=True)
class Kind:
    """How the rows of one kind are done: `handle(item)` returns a result word (raises to retry)."""

    key: str
    handle: Callable[[OutboxItem], str]
    retry: str  # the retry rule in words (README, the closing note of issue 13)
    # The handler and the "done" mark in one transaction (database work only).
    atomic: bool = True


KINDS: dict[str, Kind] = {}


def register(kind: Kind) -> Kind:
    KINDS[kind.key] = kind
    return kind


def lease() -> datetime.timedelta:
    return datetime.timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)


def backoff(attempts: int) -> datetime.timedelta:
    """Wait after the n-th failed attempt: 1, 2, 4, 8 ... minutes."""
    return datetime.timedelta(minutes=2 ** max(attempts - 1, 0))


def add(
    kind: str,
    target_id: int,
    *,
    kelurahan_id: int | None = None,
    message_id: str = "",
    at: datetime.datetime | None = None,
) -> OutboxItem:
    """A row of work, in the caller's transaction; its task is enqueued once that commits."""
    assert kind in KINDS, kind
    now = at or timezone.now()
    item = OutboxItem.objects.create(
        kind=kind,
        target_id=target_id,
        kelurahan_id=kelurahan_id,
        message_id=message_id,
        created_at=now,
        next_attempt_at=now,
    )
    transaction.on_commit(lambda: enqueue(item.pk, kind), robust=True)
    return item


def enqueue(item_id: int, kind: str, *, run_after: datetime.datetime | None = None) -> None:
    """Hand the row to the task queue (the task carries the row's id, nothing else)."""
    from .tasks import TASKS

    task = TASKS[kind]
    if run_after is not None and task.get_backend().supports_defer:
        task = task.using(run_after=run_after)
        mark = run_after
    else:
        mark = timezone.now()
    OutboxItem.objects.filter(pk=item_id).update(enqueued_at=mark)
    task.enqueue(item_id)


def _claim(item_id: int, now: datetime.datetime) -> str | None:
    token = OutboxItem.new_token()
    claimed = (
        OutboxItem.objects.filter(pk=item_id, attempts__lt=settings.OUTBOX_MAX_ATTEMPTS)
        .filter(
            Q(state=S.PENDING, next_attempt_at__lte=now) | Q(state=S.RUNNING, lease_until__lt=now)
        )
        .update(
            state=S.RUNNING,
            lease_until=now + lease(),
            lease_token=token,
            attempts=F("attempts") + 1,
        )
    )
    return token if claimed else None


def process(item_id: int) -> str | None:
    """Do one row if it is due and nobody holds it; returns its result word, or None when the
    row was not ours to do (done, failed, held by another worker, not due yet) or failed now."""
    now = timezone.now()
    token = _claim(item_id, now)
    if token is None:
        return None
    item = OutboxItem.objects.get(pk=item_id)
    kind = KINDS[item.kind]
    try:
        if kind.atomic:
            with transaction.atomic():
                result = kind.handle(item)
                _mark_done(item_id, token, result)
        else:
            result = kind.handle(item)
            _mark_done(item_id, token, result)
    except LeaseLost:
        log.warning("outbox item=%s kind=%s: lease taken over meanwhile", item_id, kind.key)
        return None
    except Exception as exc:  # noqa: BLE001 - any failure is retried; its summary is kept
        _failed(item, token, exc)
        return None
    log.info("outbox item=%s kind=%s attempt=%s: %s", item_id, kind.key, item.attempts, result)
    return result


def _mark_done(item_id: int, token: str, result: str) -> None:
    marked = OutboxItem.objects.filter(pk=item_id, lease_token=token).update(
        state=S.DONE,
        done_at=timezone.now(),
        lease_until=None,
        result=result[:20],
        last_error="",
    )
    if not marked:
        raise LeaseLost


def error_summary(exc: BaseException) -> str:
    """What is kept of a failure: the class and the message, addresses and numbers masked."""
    text = f"{type(exc).__name__}: {exc}".replace("\n", " ")
    return redact(_EMAIL.sub("[address]", text))[:300]


def _failed(item: OutboxItem, token: str, exc: BaseException) -> None:
    now = timezone.now()
    error = error_summary(exc)
    if item.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
        fields = {"state": S.FAILED, "lease_until": None, "done_at": now}
        next_at = None
    else:
        next_at = now + backoff(item.attempts)
        fields = {"state": S.PENDING, "lease_until": None, "next_attempt_at": next_at}
    OutboxItem.objects.filter(pk=item.pk, lease_token=token).update(last_error=error, **fields)
    log.warning(
        "outbox item=%s kind=%s attempt=%s failed (%s)%s",
        item.pk,
        item.kind,
        item.attempts,
        error,
        f"; next attempt at {next_at.isoformat()}" if next_at else "; no attempts left",
    )
    if next_at is not None:
        pk, kind = item.pk, item.kind
        transaction.on_commit(lambda: _defer(pk, kind, next_at), robust=True)


def _defer(item_id: int, kind: str, when: datetime.datetime) -> None:
    """Schedule the retry on backends that can wait (the database and RQ backends); elsewhere
    the periodic run hands the row again when it is due."""
    from .tasks import TASKS

    if TASKS[kind].get_backend().supports_defer:
        enqueue(item_id, kind, run_after=when)


def lost(now: datetime.datetime | None = None) -> Q:
    """Rows the queue no longer holds: waiting and due but not enqueued since they became due
    (or enqueued more than a lease ago), or running with an expired lease (a killed worker)."""
    now = now or timezone.now()
    stale = Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=now - lease())
    waiting = Q(state=S.PENDING, next_attempt_at__lte=now) & (
        stale | Q(enqueued_at__lt=F("next_attempt_at"))
    )
    expired = Q(state=S.RUNNING, lease_until__lt=now) & (
        stale | Q(enqueued_at__lt=F("lease_until"))
    )
    return waiting | expired


def requeue(now: datetime.datetime | None = None, limit: int = 1000) -> int:
    """Hand again to the queue what it lost (the periodic run). A row that ran out of attempts
    while its worker was killed is marked failed. Returns how many rows were handed."""
    now = now or timezone.now()
    OutboxItem.objects.filter(
        state=S.RUNNING, lease_until__lt=now, attempts__gte=settings.OUTBOX_MAX_ATTEMPTS
    ).update(state=S.FAILED, lease_until=None, done_at=now, last_error="lease expired")
    rows = list(
        OutboxItem.objects.filter(lost(now))
        .order_by("next_attempt_at", "pk")
        .values_list("pk", "kind")[:limit]
    )
    for pk, kind in rows:
        enqueue(pk, kind)
    return len(rows)


def due_ids(now: datetime.datetime, kinds: Iterable[str] | None = None) -> list[int]:
    qs = OutboxItem.objects.filter(
        Q(state=S.PENDING, next_attempt_at__lte=now) | Q(state=S.RUNNING, lease_until__lt=now)
    )
    if kinds is not None:
        qs = qs.filter(kind__in=list(kinds))
    return list(qs.order_by("pk").values_list("pk", flat=True))


def work_due(kinds: Iterable[str] | None = None, *, rounds: int = 10) -> int:
    """Do every due row in this process, including the rows that work adds (a letter's sending
    adds e-mails), up to `rounds` times over. Returns how many rows were done."""
    done = 0
    kinds = list(kinds) if kinds is not None else None
    tried: set[int] = set()
    for _round in range(rounds):
        ids = [pk for pk in due_ids(timezone.now(), kinds) if pk not in tried]
        if not ids:
            break
        for pk in ids:
            tried.add(pk)
            if process(pk) is not None:
                done += 1
    return done


def counts() -> dict[str, int]:
    """Rows waiting (due or not), running and failed: the health endpoint's queue depth."""
    from django.db.models import Count

    by_state = dict(
        OutboxItem.objects.exclude(state=S.DONE)
        .values_list("state")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {state: by_state.get(state, 0) for state in (S.PENDING, S.RUNNING, S.FAILED)}
