"""The demo data of `make run` (ops/demo/): the personas, about 40 fictional cases over both
kelurahan, some moved along the procedure, a few referrals; all idempotent."""

import pytest
from django.core.management import call_command

from accounts.models import Membership, User
from cases.models import Case, CaseEvent, Perpetrator, Victim
from ops.demo.cases import advance_demo_cases, seed_cases
from ops.demo.personas import USERNAMES
from ops.demo.referrals import seed_referrals
from referrals.models import Referral

pytestmark = pytest.mark.django_db


def test_demo_seed_is_idempotent(personas):
    before = (User.objects.count(), Membership.objects.count())
    call_command("seed_demo", "--no-cases", verbosity=0)
    call_command("seed_demo", "--no-cases", verbosity=0)
    assert (User.objects.count(), Membership.objects.count()) == before
    assert len(before) and before[0] >= 16
    assert set(USERNAMES) <= set(User.objects.values_list("username", flat=True))


def test_seed_cases_is_realistic_and_idempotent(personas):
    assert seed_cases() == 40
    cases = Case.objects.all()
    assert cases.count() == 40
    assert {c.kelurahan.code for c in cases} == {"WS", "WB"}
    assert cases.filter(is_roleplay=True).count() == 3
    assert cases.filter(is_social_protection=True).exists()
    assert cases.filter(is_violence=True).exists()
    assert cases.filter(perpetrators__isnull=True).exists()
    assert Perpetrator.objects.exists()
    victims = list(Victim.objects.all())
    assert any(v.has_disability for v in victims)
    assert any(v.is_child for v in victims) and any(not v.is_child for v in victims)
    assert CaseEvent.objects.filter(kind="registered").count() == 40
    # Numbers are gapless per kelurahan and series.
    for code in ("WS", "WB"):
        seqs = sorted(
            cases.filter(kelurahan__code=code, is_roleplay=False).values_list("seq", flat=True)
        )
        assert seqs == list(range(1, len(seqs) + 1))
    assert seed_cases() == 0
    call_command("seed_demo", verbosity=0)
    assert Case.objects.count() == 40


def test_demo_role_play_session_is_planned_and_ready(personas):
    from accounts.models import Role
    from ops.demo.roleplay import TITLE, seed_roleplay
    from roleplay.models import Session

    assert seed_roleplay() == 1
    session = Session.objects.get(title=TITLE)
    assert session.state == Session.State.PLANNED
    assert session.facilitator.username == "ws.koordinator"
    assert session.version.kelurahan.code == "WS" and session.minutes_per_day == 10
    played = {(p.user.username, p.role) for p in session.participants.all()}
    assert played == {
        ("ws.relawan", Role.RELAWAN),
        ("ws.pendamping", Role.PENDAMPING),
        ("ws.kasikesra", Role.KASI_KESRA),
        ("uptdppa.petugas", Role.PETUGAS),
    }
    assert not Case.objects.filter(roleplay_session=session).exists()  # nothing runs yet
    # Its page opens for the coordinator and lists the participants.
    page = personas.client("ws.koordinator").get(f"/simulasi/{session.pk}/").content.decode()
    assert TITLE in page and "Syamsuddin" in page
    assert seed_roleplay() == 0


def test_demo_cases_in_every_state_and_rerun_changes_nothing(personas):
    seed_cases()
    states = set(Case.objects.values_list("status", flat=True))
    assert {"received", "assessment", "handling", "monitoring", "closure_requested"} <= states
    assert {"closed", "not_pursued"} <= states
    events = CaseEvent.objects.count()
    assert advance_demo_cases() == 0
    seed_cases()
    assert CaseEvent.objects.count() == events


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
