"""The case procedure's guards see referrals (referrals.api): open referrals block closure and
monitoring; a completed handover lets the case close as "ditangani tuntas oleh instansi"."""

import pytest

from cases.services.procedure import case_advance
from cases.workflow import TransitionRefused as CaseRefused
from referrals import services
from referrals.models import State
from tests.factories import make_referral, worked

pytestmark = pytest.mark.django_db


def advance(r, action, user, **data):
    """Fire the step; after an approval or a ratification the letter task runs, as the worker
    would after the commit."""
    r = services.referral_advance(referral=r, action=action, actor=user, data=data)
    return worked(r) if action in ("approve", "ratify") else r


def test_open_referral_blocks_monitoring_and_closure(master, personas):
    r = make_referral(personas, "requested")
    comp = personas["ws.pendamping"]
    with pytest.raises(CaseRefused) as exc:
        case_advance(case=r.case, action="start_monitoring", actor=comp)
    assert "rujukan" in " ".join(exc.value.reasons).lower()
    with pytest.raises(CaseRefused):
        case_advance(
            case=r.case,
            action="propose_closure",
            actor=comp,
            data={"closure_reason": "needs_met"},
        )


def test_completed_handover_lets_the_case_close_as_handled_by_agency(master, personas):
    r = make_referral(personas, "requested", kind="pelimpahan")
    comp = personas["ws.pendamping"]
    data = {"closure_reason": "handled_by_agency"}
    r = advance(r, "approve", personas["ws.kasikesra"])
    officer = personas["uptdppa.petugas"]
    r = advance(r, "acknowledge", officer)
    with pytest.raises(CaseRefused):
        case_advance(case=r.case, action="propose_closure", actor=comp, data=data)
    advance(r, "complete", officer, note="Penanganan diambil alih UPTD PPA")
    case = r.case
    case.refresh_from_db()
    case_advance(case=case, action="propose_closure", actor=comp, data=data)
    case.refresh_from_db()
    assert case.status == "closure_requested"


def test_closing_the_case_cancels_draft_referrals(master, personas):
    d = make_referral(personas, "draft")
    case = d.case
    comp = personas["ws.pendamping"]
    case_advance(
        case=case, action="propose_closure", actor=comp, data={"closure_reason": "needs_met"}
    )
    case.refresh_from_db()
    case_advance(case=case, action="approve_closure", actor=personas["ws.koordinator"])
    d.refresh_from_db()
    assert d.state == State.CANCELLED and d.cancelled_by == personas["ws.koordinator"]
