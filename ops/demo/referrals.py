"""Demo referrals, so that `make run` shows letters, the approval queue and an agency's inbox.

Made through the same services the pages use (story.py: consent and plan through the case
procedure, then request, approve, acknowledge). Idempotent: a case that already has a referral is
skipped.
"""

from django.db import transaction

from accounts.models import Agency, User
from cases import vocab
from cases.models import Case
from cases.workflow import TransitionRefused
from referrals.models import Referral, State

from .cases import DEMO_WORK, demo_crew
from .story import Desk, refer, walk_referral


@transaction.atomic
def seed_referrals():
    """Returns how many referrals were created."""
    users = {u.username: u for u in User.objects.filter(username__contains=".")}
    uptd = Agency.objects.filter(kind=Agency.Kind.UPTD_PPA).first()
    dinsos = Agency.objects.filter(kind=Agency.Kind.DINSOS).first()
    officer = users.get("uptdppa.petugas")
    if not (uptd and dinsos and officer):
        return 0
    created = 0
    for code in ("ws", "wb"):
        crew = demo_crew(code, users)
        if crew is None:
            continue
        desk = Desk(companion=crew.companion, signer=crew.closer, officer=officer)
        cases = Case.objects.filter(
            kelurahan__code=code.upper(),
            is_roleplay=False,
            companion=crew.companion,
            status__in=[vocab.Status.HANDLING, vocab.Status.MONITORING],
        ).order_by("seq")
        plan = [(uptd, State.ACKNOWLEDGED), (dinsos, State.REQUESTED)]
        for case, (agency, state) in zip(cases, plan, strict=False):
            if Referral.objects.filter(case=case).exists():
                continue
            victim = case.victims.order_by("position", "pk").first()
            try:
                with transaction.atomic():
                    r = refer(
                        case,
                        victim,
                        agency,
                        crew.companion,
                        services_requested="Penguatan psikologis\nPendampingan hukum",
                        summary=(
                            "Korban membutuhkan penguatan psikologis dan pendampingan (data demo)."
                        ),
                        share=[vocab.SharedField.NARRATIVE],
                        work=DEMO_WORK,
                    )
                    walk_referral(r, state, desk)
                created += 1
            except TransitionRefused:
                continue
    return created
