"""Demo: move some demo cases along the procedure, through the same service the app uses, so
the demo shows cases in every state, tasks and a dashboard. Idempotent: only cases still in
"received" that were never assigned are moved, so a rerun changes nothing."""

from django.db import transaction

from accounts.models import User
from cases import vocab
from cases.models import Case
from cases.services.procedure import case_advance
from cases.workflow import SUPPORTED_DECISION_DISABILITIES, TransitionRefused

# Position of a case among its kelurahan's demo cases (by number) -> state to reach.
PLAN = {
    1: "assessment",
    2: "handling",
    3: "monitoring",
    4: "closure_requested",
    5: "closed",
    6: "assessment",
    7: "not_pursued",
}
ORDER = ["assessment", "handling", "monitoring", "closure_requested", "closed"]


def _consent(victim):
    data = {
        "victim": victim,
        "purpose": vocab.ConsentPurpose.SERVICES,
        "given_by": vocab.ConsentGiver.VICTIM,
        "how": vocab.ConsentHow.WRITTEN,
    }
    if victim.is_child:
        data |= {
            "given_by": vocab.ConsentGiver.GUARDIAN,
            "giver_name": "Orang tua/wali (demo)",
            "child_view": "Anak setuju didampingi.",
        }
    elif set(victim.disability_types or []) & SUPPORTED_DECISION_DISABILITIES:
        data |= {"given_by": vocab.ConsentGiver.SUPPORTED, "giver_name": "Pendukung (demo)"}
    return data


def _advance(case, target, people):
    koor, pend, kasi = people
    if target == "not_pursued":
        case_advance(
            case=case,
            action="decline",
            actor=koor,
            data={"not_pursued_reason": vocab.NotPursuedReason.DUPLICATE, "note": "Demo"},
        )
        return
    reach = ORDER.index(target)
    case_advance(
        case=case, action="assign", actor=koor, data={"companion": pend, "no_conflict": True}
    )
    if reach < 1:
        return
    case_advance(case=case, action="first_contact", actor=pend, data={"how": "home_visit"})
    for victim in case.victims.all():
        case_advance(
            case=case,
            action="assess",
            actor=pend,
            data={
                "victim": victim,
                "answers": {"perpetrator_access": True},
                "needs": ["psychosocial"],
            },
        )
        case_advance(case=case, action="consent", actor=pend, data=_consent(victim))
        case_advance(
            case=case,
            action="plan_action",
            actor=pend,
            data={"victim": victim, "service_type": vocab.ServiceType.ACCOMPANIMENT},
        )
    case_advance(case=case, action="complete_assessment", actor=pend)
    if reach >= 2:
        case_advance(case=case, action="start_monitoring", actor=pend)
        case_advance(
            case=case,
            action="visit",
            actor=pend,
            data={"kind": vocab.VisitKind.HOME, "text": "Kunjungan rumah (demo)."},
        )
    if reach >= 3:
        case_advance(
            case=case,
            action="propose_closure",
            actor=pend,
            data={"closure_reason": vocab.ClosureReason.NEEDS_MET},
        )
    if reach >= 4:
        case_advance(case=case, action="approve_closure", actor=kasi)


@transaction.atomic
def advance_demo_cases():
    """Returns how many cases were moved."""
    users = {u.username: u for u in User.objects.filter(username__regex=r"^w[sb]\.")}
    moved = 0
    for code in ("ws", "wb"):
        people = tuple(users.get(f"{code}.{n}") for n in ("koordinator", "pendamping", "kasikesra"))
        if None in people:
            continue
        cases = list(
            Case.objects.filter(kelurahan__code=code.upper(), is_roleplay=False).order_by("seq")
        )
        for pos, case in enumerate(cases, 1):
            target = PLAN.get(pos)
            if target is None or case.status != vocab.Status.RECEIVED or case.ever_assigned:
                continue
            try:
                with transaction.atomic():
                    _advance(case, target, people)
                moved += 1
            except TransitionRefused:
                continue  # a demo case the procedure does not let through stays where it is
    return moved
