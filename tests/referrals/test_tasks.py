"""Referral clocks on "Tugas Saya": whoever must act sees the referral, with its deadline."""

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from cases import clocks
from referrals import services
from tests.clock_tasks import tasks_for
from tests.factories import make_referral, worked

pytestmark = pytest.mark.django_db


def actions_of(user, now=None):
    return [(t.action, t.overdue) for t in tasks_for(user, now)]


def test_request_waits_on_kelurahan_staff_and_becomes_overdue(master, personas):
    r = make_referral(personas, "requested")
    assert ("referral_decision", False) in actions_of(personas["ws.kasikesra"])
    assert ("referral_decision", False) in actions_of(personas["ws.lurah"])
    assert "referral_decision" not in dict(actions_of(personas["ws.pendamping"]))
    assert "referral_decision" not in dict(actions_of(personas["wb.kasikesra"]))
    later = timezone.now() + datetime.timedelta(hours=25)
    assert ("referral_decision", True) in actions_of(personas["ws.kasikesra"], later)
    task = next(t for t in tasks_for(personas["ws.kasikesra"]) if t.action.startswith("ref"))
    assert task.url == reverse("referrals:detail", args=[r.pk])


def test_returned_referral_waits_on_the_companion(master, personas):
    r = make_referral(personas, "requested")
    services.referral_advance(
        referral=r, action="return", actor=personas["ws.kasikesra"], data={"note": "Lengkapi"}
    )
    assert ("referral_returned", False) in actions_of(personas["ws.pendamping"])
    assert "referral_decision" not in dict(actions_of(personas["ws.kasikesra"]))


def test_unacknowledged_referral_is_a_follow_up_once_overdue(master, personas):
    r = make_referral(personas, "requested")
    services.referral_advance(referral=r, action="approve", actor=personas["ws.kasikesra"])
    r = worked(r)
    assert r.state == "sent"  # UPTD PPA has users: sent at once
    assert "agency_ack" not in dict(actions_of(personas["ws.pendamping"]))
    with time_machine.travel(timezone.now() + datetime.timedelta(hours=73), tick=False):
        assert ("agency_ack", True) in actions_of(personas["ws.pendamping"])


def test_tasks_page_links_to_the_referral(master, personas):
    r = make_referral(personas, "requested")
    html = personas.client("ws.kasikesra").get(reverse("cases:tasks")).content.decode()
    assert reverse("referrals:detail", args=[r.pk]) in html
    assert "Putuskan permintaan rujukan" in html


def test_dashboard_counts_overdue_referral_clocks(master, personas):
    make_referral(personas, "requested")
    later = timezone.now() + datetime.timedelta(hours=25)
    data = clocks.dashboard([master["ws"].pk], later)[master["ws"].pk]
    rows = {str(label): n for label, n in data["overdue_rows"]}
    from referrals.workflow import CLOCKS

    decision = next(c for c in CLOCKS if c.key == "referral_decision")
    assert rows[str(decision.label)] == 1
    assert data["overdue_total"] >= 1
    html = personas.client("ws.koordinator").get(reverse("cases:dashboard")).content.decode()
    assert str(decision.label) in html
