"""The tasks of the Django tasks API (django-tasks now, django.tasks from Django 6 on): one per
kind of outbox row, each taking the row's id and nothing else, so that neither the queue's
tables nor its admin ever hold a body, an address or a case's data."""

from __future__ import annotations

from django_tasks import task
from django_tasks.base import Task

from . import services


@task()
def send_email(item_id: int) -> None:
    services.process(item_id)


@task()
def store_letter(item_id: int) -> None:
    services.process(item_id)


@task()
def send_reminder(item_id: int) -> None:
    services.process(item_id)


@task()
def send_escalation(item_id: int) -> None:
    services.process(item_id)


TASKS: dict[str, Task[[int], None]] = {
    "email": send_email,
    "letter": store_letter,
    "reminder": send_reminder,
    "escalation": send_escalation,
}
