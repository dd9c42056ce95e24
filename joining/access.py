"""Who may add a place and who completes its setup: the one place these rules live, used by
every view of the app (and by the services, whatever door a request came through).

- adding a kelurahan or desa (joining): an application admin whose scope covers its kota
  (User.admin_scope empty: every kota), ROLES.md;
- its guided setup: the place's own coordinator, kasi kesra or lurah (404 for anyone else,
  the admin included: the setup names the place's signers);
- the kota's emblem: an admin whose scope covers the kota, or, while the kota has none yet, the
  setup people of a place of that kota (replacing it is the admin's).
"""

from __future__ import annotations

from django.http import Http404

from accounts.models import Kelurahan, Role
from accounts.roles import roles_of

SETUP_ROLES = frozenset({Role.KOORDINATOR, Role.KASI_KESRA, Role.LURAH})


def is_joiner(user) -> bool:
    return roles_of(user).is_admin


def covers_kota(user, kota_code: str) -> bool:
    """An application admin whose scope is every kota or this one."""
    if not roles_of(user).is_admin:
        return False
    scope = (user.admin_scope or "").strip()
    return not scope or scope == kota_code


def setup_kelurahan_ids(user) -> list[int]:
    return roles_of(user).kelurahan_with(*SETUP_ROLES)


def get_setup_kelurahan(user, pk) -> Kelurahan:
    """The place whose setup `user` completes, or 404."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404 from None
    if pk not in setup_kelurahan_ids(user):
        raise Http404
    return Kelurahan.objects.get(pk=pk)


def sees_emblem(user, kota_code: str) -> bool:
    if covers_kota(user, kota_code):
        return True
    ids = setup_kelurahan_ids(user)
    return bool(ids) and Kelurahan.objects.filter(pk__in=ids, kota_code=kota_code).exists()


def may_upload_emblem(user, kota_code: str) -> bool:
    from places.models import KotaEmblem

    if covers_kota(user, kota_code):
        return True
    return (
        sees_emblem(user, kota_code) and not KotaEmblem.objects.filter(kota_id=kota_code).exists()
    )
