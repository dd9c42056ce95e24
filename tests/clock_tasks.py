"""Tugas Saya as one list, for tests: every running clock row waiting on the user (most urgent
first) followed by the work without a deadline, as cases.clocks.Task."""

from django.utils import timezone

from cases import clocks


def tasks_for(user, now=None):
    now = now or timezone.now()
    out = []
    for r in clocks.clock_tasks(user, now):
        clocks.present(r, now)
        out.append(clocks.Task(r.case, r.label, r.due, r.overdue, r.key, r.url))
    return out + clocks.other_tasks(user, now)
