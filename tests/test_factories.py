"""The test factories reach every state they promise, through the services (tests/factories.py)."""

import pytest

from referrals.models import State
from tests.factories import CASE_STATES, REFERRAL_STATES, make_case, make_referral

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("state", CASE_STATES)
def test_a_case_in_every_state(personas, state):
    case = make_case(personas, state)
    assert case.status == state
    assert case.events.filter(kind="registered").exists()


@pytest.mark.parametrize("state", REFERRAL_STATES)
@pytest.mark.parametrize("agency", ["uptd", "police"])
def test_a_referral_in_every_state(personas, state, agency):
    if state == State.APPROVED and agency == "uptd":
        with pytest.raises(ValueError, match="receives it when approved"):
            make_referral(personas, state, agency=agency)
        return
    r = make_referral(personas, state, agency=agency)
    if state == "emergency":
        assert r.state == State.SENT and r.awaits_ratification
    else:
        assert r.state == state
