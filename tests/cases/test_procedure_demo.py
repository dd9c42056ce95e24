"""The demo data moves some cases along the procedure, through the service, idempotently."""

import pytest

from cases.models import Case, CaseEvent
from ops.demo.cases import seed_cases
from ops.demo.story import advance_demo_cases

pytestmark = pytest.mark.django_db


def test_demo_cases_in_every_state_and_rerun_changes_nothing(personas):
    seed_cases()
    states = set(Case.objects.values_list("status", flat=True))
    assert {"received", "assessment", "handling", "monitoring", "closure_requested"} <= states
    assert {"closed", "not_pursued"} <= states
    events = CaseEvent.objects.count()
    assert advance_demo_cases() == 0
    seed_cases()
    assert CaseEvent.objects.count() == events
