"""What the case procedure asks of referrals (its guards call these)."""


def open_referrals(case):
    """Open referrals of the case (PROCEDURE.md): requested, approved, sent, acknowledged."""
    from .models import Referral

    return Referral.objects.filter(case=case).open()


def handover_completed(case):
    """True when a handover (pelimpahan) of this case has its outcome recorded as completed."""
    from .models import Kind, Referral, State

    return Referral.objects.filter(case=case, kind=Kind.HANDOVER, state=State.COMPLETED).exists()


def cancel_unsent(case, actor, reason):
    """Cancel drafts and returned referrals of a case that closes or is not pursued."""
    from .services import cancel_unsent_for_case

    return cancel_unsent_for_case(case=case, actor=actor, reason=reason)


def is_referred(case):
    """The "Dirujuk" badge: the case has an open referral."""
    return open_referrals(case).exists()


def annotate_referred(qs):
    """Case queryset with `has_open_referral` (the "Dirujuk" badge) in the same query."""
    from django.db.models import Exists, OuterRef

    from .models import OPEN_STATES, Referral

    return qs.annotate(
        has_open_referral=Exists(
            Referral.objects.filter(case=OuterRef("pk"), state__in=list(OPEN_STATES))
        )
    )
