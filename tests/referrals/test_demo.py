import pytest

from ops.demo.cases import seed_cases
from ops.demo.referrals import seed_referrals
from referrals.models import Referral

pytestmark = pytest.mark.django_db


def test_demo_referrals_show_an_inbox_and_a_queue_and_rerun_adds_nothing(personas):
    seed_cases()
    assert seed_referrals() == 4
    states = sorted(Referral.objects.values_list("state", flat=True))
    assert states == ["acknowledged", "acknowledged", "requested", "requested"]
    assert all(
        r.letter_number and r.pdf_sha256 for r in Referral.objects.filter(state="acknowledged")
    )
    assert seed_referrals() == 0
    assert Referral.objects.count() == 4
