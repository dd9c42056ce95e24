"""Who may see a case: the one place every view, export, PDF and download asks (ROLES.md).

An outsider gets 404, never 403, so they cannot learn that a record exists.
"""

from django.db.models import Q
from django.http import Http404

from accounts.models import KELURAHAN_WIDE_ROLES, Role
from accounts.roles import roles_of
from accounts.security import client_ip

FULL = "full"  # the whole record
INTAKE = "intake"  # the intake data and status (the volunteer who registered it)


def visible_cases(qs, user):
    roles = roles_of(user)
    q = Q(pk__in=[])
    for kel_id, held in roles.by_kelurahan.items():
        if held & KELURAHAN_WIDE_ROLES:
            q |= Q(kelurahan_id=kel_id)
            continue
        if Role.PENDAMPING in held:
            q |= Q(kelurahan_id=kel_id, companion_id=user.pk)
        if held & {Role.RELAWAN, Role.PENDAMPING}:
            q |= Q(kelurahan_id=kel_id, registered_by_id=user.pk)
    return qs.filter(q)


def access_level(user, case):
    """FULL, INTAKE or None for this user on this case."""
    roles = roles_of(user)
    held = roles.at(case.kelurahan_id)
    if held & KELURAHAN_WIDE_ROLES:
        return FULL
    if Role.PENDAMPING in held and case.companion_id == user.pk:
        return FULL
    if held & {Role.RELAWAN, Role.PENDAMPING} and case.registered_by_id == user.pk:
        return INTAKE
    return None


def can_see_confidential(user, case):
    """Confidential notes: the assigned companion and the kelurahan's coordinator only."""
    if case.companion_id == user.pk and Role.PENDAMPING in roles_of(user).at(case.kelurahan_id):
        return True
    return Role.KOORDINATOR in roles_of(user).at(case.kelurahan_id)


def log_access(request, action, *, case=None, kelurahan_id=None, detail=""):
    from .models import AccessLog

    return AccessLog.objects.create(
        user=request.user,
        case=case,
        kelurahan_id=case.kelurahan_id if case is not None else kelurahan_id,
        action=action,
        ip=client_ip(request),
        detail=detail[:255],
    )


def get_case_for_user(request, pk, *, action="view", need=INTAKE, queryset=None, log=True):
    """Fetch a case the user may see at the needed level, log the read, or raise Http404.

    Every view, export, PDF and attachment download goes through here.
    """
    from .models import Case

    qs = queryset if queryset is not None else Case.objects.select_related("kelurahan")
    try:
        case = visible_cases(qs, request.user).get(pk=pk)
    except (Case.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    level = access_level(request.user, case)
    if level is None or (need == FULL and level != FULL):
        raise Http404
    case.access_level = level
    if log:
        log_access(request, action, case=case)
    return case
