"""Case numbers: per kelurahan, year and series, gapless, given only when the intake is saved,
unique under concurrent registration (PostgreSQL, threads)."""

import threading
import uuid

import pytest
from django.db import connection
from django.utils import timezone

from cases import numbering
from cases.models import Case, CaseEvent
from cases.services.intake import case_register
from tests.factories import make_case


def test_numbers_are_sequential_per_kelurahan_and_series(personas, master):
    year = timezone.localdate().year
    ws = master["ws"]
    a = make_case(personas)
    b = make_case(personas)
    c = make_case(personas, kel="wb")
    s1 = make_case(personas, roleplay=True)
    d = make_case(personas)
    s2 = make_case(personas, roleplay=True)
    assert [x.number for x in (a, b, d)] == [f"WS-{year}-000{i}" for i in (1, 2, 3)]
    assert c.number == f"WB-{year}-0001"
    assert [s1.number, s2.number] == [f"WS-SIM-{year}-0001", f"WS-SIM-{year}-0002"]
    assert s1.is_roleplay and not a.is_roleplay
    assert numbering.last_taken(numbering.CASE, ws.pk, year, False) == 3


def test_registration_event_is_the_first_timeline_entry(personas, master):
    case = make_case(personas)
    ev = CaseEvent.objects.filter(case=case).first()
    assert ev.kind == CaseEvent.Kind.REGISTERED and ev.to_status == "received"


def test_same_token_twice_gives_one_case_and_uses_one_number(personas, master):
    token = uuid.uuid4()
    kw = dict(
        kelurahan=master["ws"],
        actor=personas["ws.relawan"],
        case_data={"narrative": "x"},
        victims=[{"full_name": "A"}],
        token=token,
    )
    r1 = case_register(**kw)
    r2 = case_register(**kw)
    assert r1.created and not r2.created and r1.case.pk == r2.case.pk
    assert Case.objects.count() == 1
    assert numbering.all_series(numbering.CASE) == {(master["ws"].pk, r1.case.year, False): 1}


def test_service_refuses_unknown_fields_and_no_victim(personas, master):
    with pytest.raises(ValueError):
        case_register(
            kelurahan=master["ws"], actor=personas["ws.relawan"], case_data={}, victims=[]
        )
    with pytest.raises(ValueError):
        case_register(
            kelurahan=master["ws"],
            actor=personas["ws.relawan"],
            case_data={"status": "closed"},
            victims=[{"full_name": "A"}],
        )
    assert Case.objects.count() == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_registrations_get_unique_gapless_numbers(personas, master):
    n_threads, per_thread = 8, 3
    barrier = threading.Barrier(n_threads)
    errors = []
    ws = master["ws"]
    actor = personas["ws.relawan"]

    def work():
        try:
            barrier.wait()
            for _ in range(per_thread):
                case_register(
                    kelurahan=ws,
                    actor=actor,
                    case_data={"narrative": "concurrent"},
                    victims=[{"full_name": "Korban"}],
                    token=uuid.uuid4(),
                )
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    seqs = sorted(Case.objects.filter(kelurahan=ws).values_list("seq", flat=True))
    assert seqs == list(range(1, n_threads * per_thread + 1))
    numbers = set(Case.objects.values_list("number", flat=True))
    assert len(numbers) == n_threads * per_thread


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_double_submit_creates_one_case(personas, master):
    token = uuid.uuid4()
    barrier = threading.Barrier(2)
    results, errors = [], []

    def work():
        try:
            barrier.wait()
            results.append(
                case_register(
                    kelurahan=master["ws"],
                    actor=personas["ws.relawan"],
                    case_data={},
                    victims=[{"full_name": "Korban"}],
                    token=token,
                )
            )
        except Exception as exc:  # pragma: no cover
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert Case.objects.count() == 1
    assert sorted(r.created for r in results) == [False, True]
    # The loser's number was rolled back: the next registration takes 2, no gap.
    assert make_case(personas).seq == 2
