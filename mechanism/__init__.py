"""The kelurahan's handling mechanism (issue 17): versioned records of what the SK may vary.

The small API other code calls:

    mechanism.current(kelurahan, for_sim=False)  the governing Version, or None (defaults)
    mechanism.enacted(kelurahan)                 the enacted Version, or None
    mechanism.service_hours(kelurahan)           {weekday 0-6: (open, close)} in local time
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import datetime

    from accounts.models import Kelurahan

    from .models import Version


def current(kelurahan: Kelurahan | int, *, for_sim: bool = False) -> Version | None:
    """The version that governs new cases of the place: for real cases the enacted one, else
    the latest on trial; for role play (for_sim) the latest on trial, else the enacted one.
    None: PROCEDURE.md's defaults."""
    from .models import Version

    kel_id = getattr(kelurahan, "pk", kelurahan)
    rows = list(
        Version.objects.governing()
        .filter(kelurahan_id=kel_id)
        .select_related("kelurahan")
        .order_by("-number")
    )
    enacted_ = [v for v in rows if v.state == Version.State.ENACTED]
    trials = [v for v in rows if v.state == Version.State.TRIAL]
    order = (trials, enacted_) if for_sim else (enacted_, trials)
    for group in order:
        if group:
            return group[0]
    return None


def enacted(kelurahan: Kelurahan | int) -> Version | None:
    from .models import Version

    kel_id = getattr(kelurahan, "pk", kelurahan)
    return (
        Version.objects.filter(kelurahan_id=kel_id, state=Version.State.ENACTED)
        .select_related("kelurahan", "signed_by")
        .first()
    )


def service_hours(
    kelurahan: Kelurahan | int,
) -> dict[int, tuple[datetime.time, datetime.time]]:
    """The service hours of the governing version, per weekday (0 = Monday), in the place's
    local time; a weekday without hours is closed. Empty when no version sets them."""
    version = current(kelurahan)
    if version is None:
        return {}
    out = {}
    for day in range(7):
        pair = version.hours_on(day)
        if pair:
            out[day] = pair
    return out
