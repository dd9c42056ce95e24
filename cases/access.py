"""Who may see a case: the one place every view, export, PDF and download asks (ROLES.md).

The rule of which cases a user may open at all is Case.objects.visible_to (cases/models.py);
this module adds the level (the full record, or the volunteer's intake data), who counts as the
case's companion, and the read log. An outsider gets 404, never 403, so they cannot learn that
a record exists.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import Http404, HttpRequest

from accounts.models import KELURAHAN_WIDE_ROLES, Role
from accounts.roles import RequestUser, roles_of
from accounts.security import client_ip

if TYPE_CHECKING:
    from accounts.models import User

    from .models import AccessLog, Case, CaseQuerySet

# Who reads a case in full: the kelurahan-wide roles; on a role-play session's case also its
# facilitator (a session role only: a real facilitator membership reaches no case).
SIM_READERS = KELURAHAN_WIDE_ROLES | {Role.FASILITATOR}

FULL = "full"  # the whole record
INTAKE = "intake"  # the intake data and status (the volunteer who registered it)


def _held(user: RequestUser, case: Case, held: set[str] | None) -> set[str]:
    return held if held is not None else roles_of(user).on(case)


def is_assigned_companion(user: RequestUser, case: Case, held: set[str] | None = None) -> bool:
    """The pendamping assigned to the case (and still a pendamping of its kelurahan)."""
    return (
        case.companion_id is not None
        and case.companion_id == user.pk
        and Role.PENDAMPING in _held(user, case, held)
    )


def acts_as_companion(user: RequestUser, case: Case, held: set[str] | None = None) -> bool:
    """Whoever may do the companion's work on the case: the assigned pendamping, or the
    kelurahan's koordinator ("whatever the companion may do the coordinator may do too")."""
    held = _held(user, case, held)
    return Role.KOORDINATOR in held or is_assigned_companion(user, case, held)


def companion_work_waits_on(user: RequestUser, case: Case, held: set[str] | None = None) -> bool:
    """The companion's work waits on the assigned pendamping, or on the koordinator while
    nobody is assigned (Tugas Saya, reminders)."""
    held = _held(user, case, held)
    if case.companion_id:
        return is_assigned_companion(user, case, held)
    return Role.KOORDINATOR in held


def access_level(user: RequestUser, case: Case) -> str | None:
    """FULL, INTAKE or None for this user on this case."""
    held = roles_of(user).on(case)
    if held & SIM_READERS or is_assigned_companion(user, case, held):
        return FULL
    if held & {Role.RELAWAN, Role.PENDAMPING} and case.registered_by_id == user.pk:
        return INTAKE
    return None


def sees_in_full(user: RequestUser, case: Case) -> bool:
    return getattr(user, "is_active", False) and access_level(user, case) == FULL


def can_see_confidential(user: RequestUser, case: Case) -> bool:
    """Confidential notes: the assigned companion and the kelurahan's coordinator only."""
    return acts_as_companion(user, case)


def companion_and_coordinators(case: Case) -> list[User]:
    """Who is told about the companion's work: the assigned companion and the coordinators."""
    from roleplay.roles import members

    users = list(members([Role.KOORDINATOR], case=case))
    if case.companion_id and all(u.pk != case.companion_id for u in users):
        users.append(case.companion)
    return users


def log_access(
    request: HttpRequest,
    action: str,
    *,
    case: Case | None = None,
    kelurahan_id: int | None = None,
    detail: str = "",
) -> AccessLog:
    from .models import AccessLog

    user = request.user
    # Every door that logs a read requires login; an anonymous visitor is refused (404) earlier.
    assert user.is_authenticated, "the read log names a logged-in user"
    return AccessLog.objects.create(
        user=user,
        case=case,
        kelurahan_id=case.kelurahan_id if case is not None else kelurahan_id,
        action=action,
        ip=client_ip(request),
        detail=detail[:255],
    )


def get_case_for_user(
    request: HttpRequest,
    pk: int | str,
    *,
    action: str = "view",
    need: str = INTAKE,
    queryset: CaseQuerySet | None = None,
    log: bool = True,
) -> Case:
    """Fetch a case the user may see at the needed level, log the read, or raise Http404.

    Every view, export, PDF and attachment download goes through here.
    """
    from .models import Case

    qs = queryset if queryset is not None else Case.objects.select_related("kelurahan")
    try:
        case = qs.visible_to(request.user).get(pk=pk)
    except (Case.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    level = access_level(request.user, case)
    if level is None or (need == FULL and level != FULL):
        raise Http404
    case.access_level = level
    if log:
        log_access(request, action, case=case)
    return case
