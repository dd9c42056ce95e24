"""What the case procedure asks of referrals. Implemented by the referrals app."""


def open_referrals(case):
    """Referrals of the case that are open (PROCEDURE.md): requested, approved, sent, acknowledged.

    Returns a queryset (or list). Until the referral model exists: none.
    """
    return []


def handover_completed(case):
    """True when a handover (pelimpahan) of this case has its outcome recorded as completed."""
    return False
