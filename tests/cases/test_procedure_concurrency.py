"""Two people fire transitions on the same case at once: one wins, the other reads why."""

import threading

import pytest
from django.db import connection
from django.utils import translation

from cases.models import Case, CaseEvent
from cases.services.procedure import case_advance
from cases.vocab import Status as S
from cases.workflow import TransitionRefused
from tests.factories import make_case

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_approve_and_return_at_once(personas, master):
    case = make_case(personas, "closure_requested")
    barrier = threading.Barrier(2)
    results = {}

    def fire(name, action, data):
        try:
            barrier.wait()
            with translation.override("id"):
                case_advance(
                    case=Case.objects.get(pk=case.pk),
                    action=action,
                    actor=personas[name],
                    data=data,
                )
            results[name] = "ok"
        except TransitionRefused as refused:
            results[name] = refused.reasons
        finally:
            connection.close()

    threads = [
        threading.Thread(target=fire, args=("ws.kasikesra", "approve_closure", {})),
        threading.Thread(target=fire, args=("ws.lurah", "return", {"note": "cek lagi"})),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(r == "ok" for r in results.values()) == [False, True], results
    loser = next(r for r in results.values() if r != "ok")
    # The loser reads why: the case was returned meanwhile (reload), or it is now closed.
    assert (
        "Mungkin ada orang lain yang baru mengubah kasus ini" in loser[0]
        or "Kasus ini sudah ditutup" in loser[0]
    ), loser
    case.refresh_from_db()
    assert case.status in (S.CLOSED, S.MONITORING)
    decided = CaseEvent.objects.filter(case=case, action__in=["approve_closure", "return"])
    assert decided.count() == 1


def test_two_assignments_at_once_only_one_companion(personas, master):
    case = make_case(personas)
    barrier = threading.Barrier(2)
    results = []

    def fire(companion):
        try:
            barrier.wait()
            case_advance(
                case=Case.objects.get(pk=case.pk),
                action="assign",
                actor=personas["ws.koordinator"],
                data={"companion": personas[companion], "no_conflict": True},
            )
            results.append("ok")
        except TransitionRefused:
            results.append("refused")
        finally:
            connection.close()

    threads = [
        threading.Thread(target=fire, args=(n,)) for n in ("ws.pendamping", "ws.pendamping2")
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(results) == ["ok", "refused"]
    assert CaseEvent.objects.filter(case=case, action="assign").count() == 1
