"""Who sees and records outreach activities: the members of the kelurahan (never kota-level
users or agencies); coordinators and volunteers record them."""

from django.http import Http404

from accounts.models import KELURAHAN_ROLES, Role
from accounts.roles import roles_of

RECORDERS = frozenset({Role.KOORDINATOR, Role.RELAWAN})


def readable_kelurahan(user) -> list[int]:
    return roles_of(user).kelurahan_with(*KELURAHAN_ROLES)


def recording_kelurahan(user) -> list[int]:
    return roles_of(user).kelurahan_with(*RECORDERS)


def get_activity(user, pk, *, record=False):
    from .models import Activity

    ids = recording_kelurahan(user) if record else readable_kelurahan(user)
    try:
        return Activity.objects.select_related("kelurahan").get(pk=pk, kelurahan_id__in=ids)
    except (Activity.DoesNotExist, ValueError):
        raise Http404 from None
