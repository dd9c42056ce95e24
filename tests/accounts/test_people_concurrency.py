"""The last coordinator stays under concurrency (PostgreSQL: real row locks, real threads): two
people ending the kelurahan's two coordinators at the same moment cannot both succeed."""

import pytest

from accounts import people_service as svc
from accounts.models import Membership, Role, User
from tests.referrals.test_concurrency import run_threads

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_coordinators_ended_at_once_one_stays(master, personas):
    ws = master["ws"]
    second = personas["ws.pendamping2"]
    svc.give(actor=personas["ws.lurah"], subject=second, role=Role.KOORDINATOR, place=ws)
    first_m = Membership.objects.get(user=personas["ws.koordinator"], role=Role.KOORDINATOR)
    second_m = Membership.objects.get(user=second, role=Role.KOORDINATOR)

    def end(actor_name, m):
        # Each thread reads its actor afresh (the roles cache lives on the instance).
        return lambda: svc.end(actor=User.objects.get(username=actor_name), membership=m).pk

    results, errors = run_threads([end("ws.lurah", first_m), end("ws.kasikesra", second_m)])
    assert len(results) == 1 and len(errors) == 1, (results, errors)
    assert isinstance(errors[0], svc.Refused)
    assert "last coordinator" in str(errors[0]) or "koordinator terakhir" in str(errors[0])
    coordinators = Membership.objects.active().filter(kelurahan=ws, role=Role.KOORDINATOR)
    assert coordinators.count() == 1
