"""Who may read, edit and enact a kelurahan's mechanism: the one place every view asks.

ROLES.md: the coordinator, the kasi kesra and the lurah (the head of the place) of the kelurahan
read the versions, make and edit drafts and start a trial; only the head enacts. Anyone else
gets 404, as for every record of a place that is not theirs.
"""

from __future__ import annotations

from django.http import Http404

from accounts.models import KELURAHAN_WIDE_ROLES, Kelurahan, Role
from accounts.roles import roles_of

from .models import Version

EDITORS = KELURAHAN_WIDE_ROLES


def places(user) -> list[int]:
    """The kelurahan whose mechanism the user keeps."""
    return roles_of(user).kelurahan_with(*EDITORS)


def can_edit(user, kelurahan_id: int) -> bool:
    return bool(roles_of(user).at(kelurahan_id) & EDITORS)


def can_enact(user, kelurahan_id: int) -> bool:
    return Role.LURAH in roles_of(user).at(kelurahan_id)


def kelurahan_or_404(user, code: str) -> Kelurahan:
    kel = Kelurahan.objects.filter(code=code, is_active=True).first()
    if kel is None or not can_edit(user, kel.pk):
        raise Http404
    return kel


def version_or_404(user, code: str, number: int) -> Version:
    kel = kelurahan_or_404(user, code)
    version = (
        Version.objects.filter(kelurahan=kel, number=number)
        .select_related("kelurahan", "signed_by", "created_by")
        .first()
    )
    if version is None:
        raise Http404
    return version
