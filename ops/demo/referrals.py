"""Demo referrals, so that `make run` shows letters, the approval queue and an agency's inbox.

Made through the same services the pages use (consent and plan through the case procedure,
then request, approve, acknowledge). Idempotent: a case that already has a referral is skipped.
"""

from django.db import transaction

from accounts.models import Agency, User
from cases import vocab
from cases.models import Case
from cases.services.procedure import case_advance
from cases.workflow import TransitionRefused
from ops.demo.story import _consent
from referrals import services
from referrals.models import Referral


def _refer(case, agency, people, *, stop_at):
    koor, pend, kasi, officer = people
    victim = case.victims.order_by("position", "pk").first()
    share = _consent(victim) | {
        "purpose": vocab.ConsentPurpose.SHARE,
        "agency": agency,
        "shared_fields": [vocab.SharedField.NARRATIVE],
    }
    case_advance(case=case, action="consent", actor=pend, data=share)
    case_advance(
        case=case,
        action="plan_action",
        actor=pend,
        data={
            "victim": victim,
            "service_type": vocab.ServiceType.PSYCHOLOGICAL,
            "agency": agency,
        },
    )
    action = case.actions.filter(agency=agency).latest("pk")
    r = services.referral_create(
        action=action,
        actor=pend,
        kind="layanan",
        services_requested="Penguatan psikologis\nPendampingan hukum",
        summary="Korban membutuhkan penguatan psikologis dan pendampingan (data demo).",
    )
    r = services.referral_advance(referral=r, action="request", actor=pend)
    if stop_at == "requested":
        return r
    r = services.referral_advance(referral=r, action="approve", actor=kasi)
    if stop_at == "approved" or r.state != "sent":
        return r
    return services.referral_advance(referral=r, action="acknowledge", actor=officer)


@transaction.atomic
def seed_referrals():
    """Returns how many referrals were created."""
    users = {u.username: u for u in User.objects.filter(username__contains=".")}
    uptd = Agency.objects.filter(kind=Agency.Kind.UPTD_PPA).first()
    dinsos = Agency.objects.filter(kind=Agency.Kind.DINSOS).first()
    if not (uptd and dinsos):
        return 0
    created = 0
    for code in ("ws", "wb"):
        people = tuple(
            users.get(f"{code}.{n}") for n in ("koordinator", "pendamping", "kasikesra")
        ) + (users.get("uptdppa.petugas"),)
        if None in people:
            continue
        cases = Case.objects.filter(
            kelurahan__code=code.upper(),
            is_roleplay=False,
            companion=people[1],
            status__in=[vocab.Status.HANDLING, vocab.Status.MONITORING],
        ).order_by("seq")
        plan = [(uptd, "acknowledged"), (dinsos, "requested")]
        for case, (agency, stop_at) in zip(cases, plan, strict=False):
            if Referral.objects.filter(case=case).exists():
                continue
            try:
                with transaction.atomic():
                    _refer(case, agency, people, stop_at=stop_at)
                created += 1
            except TransitionRefused:
                continue
    return created
