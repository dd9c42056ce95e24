"""Small ORM factories for the procedure tests (the intake branch brings the real intake)."""

import datetime
import itertools

from django.utils import timezone

from cases import vocab
from cases.models import Case, Victim
from cases.services.procedure import case_advance

_seq = itertools.count(1)


def make_case(kelurahan, registered_by, *, victims=1, child=False, **fields):
    seq = next(_seq)
    year = timezone.localdate().year
    now = timezone.now()
    case = Case.objects.create(
        kelurahan=kelurahan,
        number=f"{kelurahan.code}-{year}-{seq:04d}",
        year=year,
        seq=seq,
        registered_by=registered_by,
        registered_at=fields.pop("registered_at", now),
        status_changed_at=fields.pop("status_changed_at", now),
        violence_types=fields.pop("violence_types", [vocab.ViolenceType.PHYSICAL]),
        **fields,
    )
    for i in range(victims):
        Victim.objects.create(
            case=case,
            kelurahan=kelurahan,
            position=i + 1,
            full_name=f"Korban {seq} {i + 1}",
            sex=vocab.Sex.FEMALE,
            estimated_age=12 if child else 30,
        )
    # Written by hand: start the deadline clocks as registration does.
    from cases.clocks import sync_case

    sync_case(case, now=case.registered_at, reason="registered")
    return case


def assign(case, by, companion):
    return case_advance(
        case=case, action="assign", actor=by, data={"companion": companion, "no_conflict": True}
    )


def prepare_plan(case, companion, *, agency=None):
    """Assessment, consent to services and one planned action for every victim."""
    for v in case.victims.all():
        case_advance(
            case=case,
            action="assess",
            actor=companion,
            data={"victim": v, "answers": {"injury": True}, "needs": ["health"]},
        )
        case_advance(
            case=case,
            action="consent",
            actor=companion,
            data={
                "victim": v,
                "purpose": vocab.ConsentPurpose.SERVICES,
                "given_by": vocab.ConsentGiver.GUARDIAN
                if v.is_child
                else vocab.ConsentGiver.VICTIM,
                "giver_name": "Ibu Wali" if v.is_child else "",
                "child_view": "Setuju" if v.is_child else "",
                "how": vocab.ConsentHow.WRITTEN,
            },
        )
        case_advance(
            case=case,
            action="plan_action",
            actor=companion,
            data={
                "victim": v,
                "service_type": vocab.ServiceType.HEALTH,
                "agency": agency,
                "target_date": timezone.localdate() + datetime.timedelta(days=7),
            },
        )


def walk_to(case, state, p):
    """Move a case along the normal path (WS personas) up to `state`."""
    order = ["received", "assessment", "handling", "monitoring", "closure_requested", "closed"]
    koor, pend = p["ws.koordinator"], p["ws.pendamping"]
    target = order.index(state)
    if target >= 1:
        assign(case, koor, pend)
    if target >= 2:
        prepare_plan(case, pend)
        case_advance(case=case, action="complete_assessment", actor=pend)
    if target >= 3:
        case_advance(case=case, action="start_monitoring", actor=pend)
    if target >= 4:
        case_advance(
            case=case,
            action="propose_closure",
            actor=pend,
            data={"closure_reason": vocab.ClosureReason.NEEDS_MET},
        )
    if target >= 5:
        case_advance(case=case, action="approve_closure", actor=koor)
    case.refresh_from_db()
    return case
