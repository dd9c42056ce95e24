"""The referral procedure table and its service: transitions, guards, timeline, outcomes."""

import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from cases import vocab
from cases.engine import AGENCY, COMPANION, STAFF, SYSTEM
from cases.models import Case, CaseEvent
from cases.services.procedure import case_advance
from notifications.models import Notification
from referrals import services
from referrals import workflow as wf
from referrals.models import OUTCOME_TABLE, Outcome, Referral, State
from tests.factories import give_consent, make_case, make_referral, worked

pytestmark = pytest.mark.django_db


def advance(r, action, user, **data):
    """Fire the step; after an approval or a ratification the letter task runs, as the worker
    would after the commit."""
    r = services.referral_advance(referral=r, action=action, actor=user, data=data)
    return worked(r) if action in ("approve", "ratify") else r


def refused(r, action, user, **data):
    with pytest.raises(wf.TransitionRefused) as exc:
        advance(r, action, user, **data)
    return " ".join(exc.value.reasons)


# The table itself


def test_every_state_is_reachable_and_only_final_states_are_dead_ends():
    reachable = {State.DRAFT, State.SENT}  # created as draft, or as sent (emergency)
    changed = True
    while changed:
        changed = False
        for s in wf.STEPS:
            if s.source & reachable and s.target and s.target not in reachable:
                reachable.add(s.target)
                changed = True
    reachable |= {t for t, _a in OUTCOME_TABLE.values()}
    assert reachable == set(State.values)
    for state in State.values:
        outgoing = [s for s in wf.STEPS if state in s.source]
        if state in (State.COMPLETED, State.DECLINED, State.CANCELLED):
            assert not outgoing, state
        else:
            assert outgoing, state


def test_each_actor_gets_exactly_its_steps():
    by_role = {
        COMPANION: {
            "create",
            "emergency",
            "edit",
            "request",
            "send",
            "acknowledge",
            "complete",
            "decline",
            "withdraw",
        },
        STAFF: {"approve", "return", "ratify", "refuse", "cancel"},
        AGENCY: {"acknowledge", "complete", "decline"},
        # The app itself: sending to an agency with users, and the cascades (drafts withdrawn
        # when a case closes, referrals of a mediation stopped by UU 12/2022 art. 23).
        # The letter is stored by the app (the outbox's letter task) after approval.
        SYSTEM: {"send", "refuse", "withdraw", "cancel", "store_letter"},
    }
    for role, actions in by_role.items():
        assert {s.action for s in wf.STEPS if role in s.roles} == actions, role


def test_clocks_have_procedure_defaults():
    assert {c.key: c.default_hours for c in wf.CLOCKS} == {
        "referral_decision": 24,
        "ratify": 24,
        "agency_ack": 72,
    }
    assert all(s.requires for s in wf.STEPS)


def test_outcome_table_matches_data_md():
    assert OUTCOME_TABLE == {
        Outcome.SERVED: (State.COMPLETED, vocab.ActionStatus.DONE),
        Outcome.SERVED_ELSEWHERE: (State.DECLINED, vocab.ActionStatus.NOT_NEEDED),
        Outcome.NOT_ELIGIBLE: (State.DECLINED, vocab.ActionStatus.UNAVAILABLE),
        Outcome.REFUSED: (State.DECLINED, vocab.ActionStatus.REFUSED),
        Outcome.UNAVAILABLE: (State.DECLINED, vocab.ActionStatus.UNAVAILABLE),
    }


# Request, approval, return


def test_request_needs_consent_for_that_agency(master, personas):
    r = make_referral(personas, "draft", with_consent=False)
    msg = refused(r, "request", personas["ws.pendamping"])
    assert "persetujuan" in msg.lower() or "consent" in msg.lower()
    # Consent to share with another agency does not count.
    give_consent(r.victim, "services")
    give_consent(r.victim, "share", agency="dinsos")
    msg = refused(r, "request", personas["ws.pendamping"])
    assert master["uptd"].name in msg
    r.refresh_from_db()
    assert r.state == State.DRAFT
    give_consent(r.victim, "share", agency="uptd")
    r = advance(r, "request", personas["ws.pendamping"])
    assert r.state == State.REQUESTED


def test_withdrawn_consent_does_not_count(master, personas):
    r = make_referral(personas, "draft")
    r.victim.consents.filter(purpose="share").update(withdrawn_at=timezone.now())
    assert "UPTD" in refused(r, "request", personas["ws.pendamping"])


def test_shared_fields_beyond_consent_are_refused(master, personas):
    r = make_referral(
        personas, "draft", fields=["full_name", "address"], consent_fields=["full_name"]
    )
    msg = refused(r, "request", personas["ws.pendamping"])
    assert str(vocab.SharedField.ADDRESS.label) in msg or "Alamat" in msg


def test_case_state_guard(master, personas):
    r = make_referral(personas, "draft")
    case_advance(
        case=r.case,
        action="propose_closure",
        actor=personas["ws.pendamping"],
        data={"closure_reason": vocab.ClosureReason.NEEDS_MET},
    )
    assert r.case.status == vocab.Status.CLOSURE_REQUESTED
    assert refused(r, "request", personas["ws.pendamping"])


def test_only_the_companion_requests(master, personas):
    r = make_referral(personas, "draft")
    for name in (
        "ws.pendamping2",
        "ws.relawan",
        "ws.kasikesra",
        "uptdppa.petugas",
        "wb.koordinator",
    ):
        refused(r, "request", personas[name])
    # The coordinator may do what the companion may.
    assert advance(r, "request", personas["ws.koordinator"]).state == State.REQUESTED


def test_four_eyes_requester_cannot_approve(master, personas):
    """A coordinator who is also kasi kesra requested: they cannot approve it."""
    from accounts.models import Membership

    Membership.objects.create(
        user=personas["ws.kasikesra"], kelurahan=master["ws"], role="koordinator"
    )
    personas["ws.kasikesra"].__dict__.pop("_lbk_roles", None)
    r = make_referral(personas, "draft")
    r = advance(r, "request", personas["ws.kasikesra"])
    msg = refused(r, "approve", personas["ws.kasikesra"])
    assert "four eyes" in msg or "empat mata" in msg
    r.refresh_from_db()
    assert r.state == State.REQUESTED and not r.letter_number
    assert advance(r, "approve", personas["ws.lurah"]).state == State.SENT


def test_approval_only_by_staff_of_that_kelurahan(master, personas):
    r = make_referral(personas, "requested")
    for name in ("ws.koordinator", "ws.pendamping", "wb.kasikesra", "wb.lurah", "uptdppa.petugas"):
        refused(r, "approve", personas[name])


def test_return_needs_a_note_then_companion_fixes_and_requests_again(master, personas):
    r = make_referral(personas, "requested")
    staff = personas["ws.kasikesra"]
    assert refused(r, "return", staff, note="  ")
    r = advance(r, "return", staff, note="Lengkapi ringkasan.")
    assert r.state == State.RETURNED and r.return_note == "Lengkapi ringkasan."
    n = Notification.objects.get(user=personas["ws.pendamping"], kind="referral_returned")
    assert r.case.number in n.text
    r = advance(r, "request", personas["ws.pendamping"])
    assert r.state == State.REQUESTED


def test_approve_issues_letter_and_sends_to_agency_with_users(master, personas):
    r = make_referral(personas, "sent")
    assert r.state == State.SENT
    assert r.letter_number.startswith("001/LBK-KK/WS/")
    assert r.pdf_sha256 and r.verify_token and r.sent_at
    assert r.signer_nip == "198504122010011007" and r.signer_on_behalf
    r.action.refresh_from_db()
    assert r.action.status == vocab.ActionStatus.IN_PROGRESS
    events = CaseEvent.objects.filter(case=r.case, kind="referral").order_by("pk")
    assert [e.action for e in events] == ["create", "request", "approve", "store_letter", "send"]
    assert all(e.data["referral"] == r.pk for e in events)
    assert events[2].actor == personas["ws.kasikesra"]
    assert Notification.objects.filter(user=personas["uptdppa.petugas"]).count() == 1
    assert not Notification.objects.filter(user=personas["dinsos.petugas"]).exists()


def test_timeline_entries_are_immutable(master, personas):
    r = make_referral(personas, "requested")
    e = CaseEvent.objects.filter(case=r.case).last()
    e.note = "changed"
    with pytest.raises(ValidationError):
        e.save()
    with pytest.raises(ValidationError):
        e.delete()


def test_stale_state_is_refused_with_a_message(master, personas):
    r = make_referral(personas, "requested")
    stale = Referral.objects.get(pk=r.pk)
    advance(r, "approve", personas["ws.kasikesra"])
    msg = refused(stale, "return", personas["ws.lurah"], note="x")
    assert "no longer possible" in msg or "tidak lagi" in msg


# Agency answers and the outcome table


@pytest.mark.parametrize("outcome", list(Outcome))
def test_outcome_sets_referral_state_and_action_status(master, personas, outcome):
    r = make_referral(personas, "sent")
    officer = personas["uptdppa.petugas"]
    r = advance(r, "acknowledge", officer)
    assert r.state == State.ACKNOWLEDGED
    if outcome == Outcome.SERVED:
        r = advance(r, "complete", officer, note="Konseling 2 sesi", service_given="psychological")
    else:
        r = advance(r, "decline", officer, outcome=outcome, note="alasan")
    state, action_status = OUTCOME_TABLE[outcome]
    assert r.state == state
    r.action.refresh_from_db()
    assert r.action.status == action_status
    assert (
        Notification.objects.filter(
            user=personas["ws.pendamping"], kind="referral_answered"
        ).count()
        == 2
    )


def test_other_agency_officer_cannot_answer(master, personas):
    r = make_referral(personas, "sent")
    for name in ("dinsos.petugas", "dp3a.petugas"):
        refused(r, "acknowledge", personas[name])
    # The companion cannot answer for an agency that has users.
    refused(r, "acknowledge", personas["ws.pendamping"], proof="telepon")


def test_decline_needs_outcome_and_reason(master, personas):
    r = make_referral(personas, "sent")
    officer = personas["uptdppa.petugas"]
    r = advance(r, "acknowledge", officer)
    assert refused(r, "decline", officer, outcome="", note="")


def test_agency_without_users_companion_records_sending_receipt_outcome(master, personas):
    r = make_referral(personas, "approved", agency="police")
    assert r.state == State.APPROVED  # nobody at the police uses the app
    assert Notification.objects.filter(
        user=personas["ws.pendamping"], kind="referral_approved"
    ).exists()
    comp = personas["ws.pendamping"]
    assert refused(r, "send", comp, how="", when=None)
    sent_when = timezone.now() - datetime.timedelta(hours=1)
    r = advance(r, "send", comp, how="hand", when=sent_when)
    assert r.state == State.SENT and r.sent_how == "hand" and r.sent_at == sent_when
    assert refused(r, "acknowledge", comp, proof="")
    r = advance(r, "acknowledge", comp, proof="Tanda terima ditandatangani Bripka X")
    assert r.acknowledged_proof.startswith("Tanda terima")
    r = advance(r, "complete", comp, note="Laporan polisi dibuat", proof="Telepon Unit PPA")
    assert r.state == State.COMPLETED and r.outcome_proof == "Telepon Unit PPA"


def test_cancel_keeps_number_and_is_not_reused(master, personas):
    r1 = make_referral(personas, "sent")
    assert refused(r1, "cancel", personas["ws.lurah"], reason="")
    r1 = advance(r1, "cancel", personas["ws.lurah"], reason="Salah instansi")
    assert r1.state == State.CANCELLED and r1.letter_number.startswith("001/")
    r2 = make_referral(personas, "sent")
    assert r2.letter_number.startswith("002/")


def test_companion_withdraws_before_approval_only(master, personas):
    r = make_referral(personas, "requested")
    r = advance(r, "withdraw", personas["ws.pendamping"], reason="Korban menolak")
    assert r.state == State.CANCELLED
    r2 = make_referral(personas, "sent")
    refused(r2, "withdraw", personas["ws.pendamping"], reason="x")
    refused(r2, "cancel", personas["ws.pendamping"], reason="x")


# Emergency route


def emergency(personas, *, actor="ws.pendamping", state="handling"):
    return make_referral(personas, "emergency", actor=actor, case_state=state)


def test_emergency_in_received_state_by_coordinator_creates_action(master, personas):
    r = emergency(personas, actor="ws.koordinator", state="received")
    assert r.state == State.SENT and r.is_emergency and r.awaits_ratification
    assert r.action.agency == master["uptd"] and r.action.service_type == "health"
    assert not r.letter_number
    assert r.pk in {x.pk for x in r.case.referrals.open()}
    staff_notes = Notification.objects.filter(kind="referral_ratify")
    assert {n.user.username for n in staff_notes} == {"ws.kasikesra", "ws.lurah"}


def test_emergency_refused_for_volunteer_and_closed_case(master, personas):
    with pytest.raises(wf.TransitionRefused):
        emergency(personas, actor="ws.relawan")
    with pytest.raises(wf.TransitionRefused):
        emergency(personas, actor="ws.koordinator", state="closed")


def test_ratify_issues_letter_without_consent_initials_only(master, personas):
    r = emergency(personas)
    assert refused(r, "ratify", personas["ws.pendamping"])  # not staff
    r = advance(r, "ratify", personas["ws.kasikesra"])
    assert r.state == State.SENT and r.ratified_at and r.letter_number.startswith("001/")
    assert r.letter_shared_fields == []
    assert not r.awaits_ratification
    assert refused(r, "ratify", personas["ws.lurah"])  # once only


def test_refusing_ratification_needs_reason_cancels_and_flags_coordinator(master, personas):
    r = emergency(personas)
    assert refused(r, "refuse", personas["ws.lurah"], reason="")
    r = advance(r, "refuse", personas["ws.lurah"], reason="Bukan keadaan darurat")
    assert r.state == State.CANCELLED and r.ratification_refused
    assert Notification.objects.filter(
        user=personas["ws.koordinator"], kind="referral_refused"
    ).exists()
    r.action.refresh_from_db()
    assert r.action.status == vocab.ActionStatus.PLANNED


def test_ratify_deadline_and_overdue(master, personas):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        r = emergency(personas)
    assert wf.running_clock(r)[0] == "ratify"
    assert wf.due_at(r) == r.emergency_at + datetime.timedelta(hours=24)
    # The case's mechanism version corrected with the ORM (versions on trial are not edited
    # through the app): due_at reads it at once, the running row when recomputed.
    from tests.factories import mechanism_version

    v = mechanism_version("ws", deadlines={"ratify": 12})
    Case.objects.filter(pk=r.case_id).update(mechanism=v)
    r = Referral.objects.get(pk=r.pk)
    assert wf.due_at(r) == r.emergency_at + datetime.timedelta(hours=12)
    from cases.clocks import recompute_running
    from referrals.clocks import mark_due_one

    assert recompute_running([master["ws"].pk]) >= 1
    with time_machine.travel(start + datetime.timedelta(hours=13), tick=False):
        assert mark_due_one(Referral.objects.get(pk=r.pk)).overdue
    with time_machine.travel(start + datetime.timedelta(hours=11), tick=False):
        assert not mark_due_one(Referral.objects.get(pk=r.pk)).overdue


def test_referral_decision_and_agency_ack_clocks(master, personas):
    r = make_referral(personas, "requested")
    assert wf.running_clock(r)[0] == "referral_decision"
    assert wf.due_at(r) == r.requested_at + datetime.timedelta(hours=24)
    r = advance(r, "approve", personas["ws.kasikesra"])
    assert wf.running_clock(r)[0] == "agency_ack"
    assert wf.due_at(r) == r.sent_at + datetime.timedelta(hours=72)
    r = advance(r, "acknowledge", personas["uptdppa.petugas"])
    assert wf.running_clock(r) is None


# What the case procedure asks of referrals


def test_case_reads_open_referrals_and_handover_through_the_related_manager(master, personas):
    r = make_referral(personas, "requested", kind="pelimpahan")
    case = r.case
    assert list(case.referrals.open()) == [r]
    assert not case.referrals.completed_handovers().exists()
    r = advance(r, "approve", personas["ws.kasikesra"])
    officer = personas["uptdppa.petugas"]
    r = advance(r, "acknowledge", officer)
    r = advance(r, "complete", officer, note="Ditangani UPTD PPA")
    assert case.referrals.completed_handovers().exists()
    assert not case.referrals.open().exists()


def test_handover_only_to_uptd_or_dinsos(master, personas):
    r = make_referral(personas, "draft", agency="dp3a", kind="pelimpahan")
    assert "UPTD PPA" in refused(r, "request", personas["ws.pendamping"])


def test_cancel_unsent_on_case_closure(master, personas):
    d = make_referral(personas, "draft")
    req = make_referral(personas, "requested", case=d.case, victim=d.victim, with_consent=False)
    services.cancel_unsent_for_case(
        case=d.case, actor=personas["ws.koordinator"], reason="Kasus ditutup"
    )
    d.refresh_from_db()
    req.refresh_from_db()
    assert d.state == State.CANCELLED and req.state == State.REQUESTED


def test_referred_badge_tag(master, personas):
    from django.template import Context, Template

    r = make_referral(personas, "requested")
    html = Template("{% load referrals %}{% referred_badge case %}").render(
        Context({"case": r.case})
    )
    assert "Dirujuk" in html or "Referred" in html
    other = make_case(personas, "handling")
    assert (
        Template("{% load referrals %}{% referred_badge case %}")
        .render(Context({"case": other}))
        .strip()
        == ""
    )
