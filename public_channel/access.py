"""Who may see and act on public submissions: the one place every view of the queue, the
detail page, the steps and the poster ask.

- The coordinator of the submission's kelurahan acts (reads, verifies, registers, declines,
  writes messages, unlocks) and sees the sender's contact.
- The companion assigned to the case a submission became sees it (and the contact), read-only.
- Everyone else gets 404.
"""

from __future__ import annotations

from django.http import Http404

from accounts.models import KELURAHAN_WIDE_ROLES, Role
from accounts.roles import roles_of


def coordinator_kelurahan(user) -> list[int]:
    return roles_of(user).kelurahan_with(Role.KOORDINATOR)


def is_coordinator(user, kelurahan_id: int) -> bool:
    return Role.KOORDINATOR in roles_of(user).at(kelurahan_id)


def may_print_poster(user, kelurahan_id: int) -> bool:
    return bool(roles_of(user).at(kelurahan_id) & KELURAHAN_WIDE_ROLES)


def may_see(user, sub) -> bool:
    if is_coordinator(user, sub.kelurahan_id):
        return True
    case = sub.case
    return (
        case is not None
        and case.companion_id == user.pk
        and Role.PENDAMPING in roles_of(user).at(sub.kelurahan_id)
    )


def sees_contact(user, sub) -> bool:
    """Shown like confidential notes: the coordinator and the assigned companion only."""
    return may_see(user, sub)


def get_submission_for(request, pk, *, act=False, log=True):
    """The submission if the user may see it (act: may act on it), the read logged; else 404."""
    from cases.access import log_access

    from .models import Submission

    try:
        sub = Submission.objects.select_related("kelurahan", "case").get(pk=int(pk))
    except (Submission.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    allowed = is_coordinator(request.user, sub.kelurahan_id) if act else may_see(request.user, sub)
    if not allowed:
        raise Http404
    if log:
        log_access(
            request,
            "public_submission_view" if not act else "public_submission_act",
            case=sub.case,
            kelurahan_id=sub.kelurahan_id,
            detail=f"submission #{sub.pk}",
        )
    return sub
