"""Letter numbers under concurrent approvals (PostgreSQL: real row locks, real threads)."""

import threading

import pytest
from django.db import connection

from cases import numbering
from referrals import services
from referrals.models import Referral
from referrals.workflow import TransitionRefused
from tests.factories import make_referral

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_threads(fns):
    barrier = threading.Barrier(len(fns))
    errors, results = [], []

    def wrap(fn):
        try:
            barrier.wait()
            results.append(fn())
        except Exception as exc:  # noqa: BLE001 (collected and asserted)
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=wrap, args=(fn,)) for fn in fns]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results, errors


def test_concurrent_approvals_get_gapless_unique_numbers(master, personas):
    refs = [make_referral(personas, "requested") for _ in range(6)]
    signers = [personas["ws.kasikesra"], personas["ws.lurah"]]

    def approve(r, who):
        return lambda: services.referral_advance(referral=r, action="approve", actor=who).pk

    results, errors = run_threads([approve(r, signers[i % 2]) for i, r in enumerate(refs)])
    assert not errors, errors
    seqs = sorted(Referral.objects.filter(pk__in=results).values_list("letter_seq", flat=True))
    assert seqs == [1, 2, 3, 4, 5, 6]
    numbers = set(Referral.objects.values_list("letter_number", flat=True))
    assert len(numbers) == 6
    year = Referral.objects.get(pk=results[0]).letter_year
    assert numbering.last_taken(numbering.LETTER, master["ws"].pk, year, False) == 6


def test_two_staff_deciding_the_same_referral_one_wins(master, personas):
    r = make_referral(personas, "requested")
    results, errors = run_threads(
        [
            lambda: (
                services.referral_advance(
                    referral=r, action="approve", actor=personas["ws.kasikesra"]
                ).state
            ),
            lambda: (
                services.referral_advance(
                    referral=r, action="return", actor=personas["ws.lurah"], data={"note": "x"}
                ).state
            ),
        ]
    )
    assert len(results) == 1 and len(errors) == 1
    assert isinstance(errors[0], TransitionRefused)
    r.refresh_from_db()
    assert all(last <= 1 for last in numbering.all_series(numbering.LETTER).values())
