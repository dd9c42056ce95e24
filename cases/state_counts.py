"""Cases per kelurahan and state, kept up to date by the engine (cases.models.StateCount): the
dashboard reads a handful of rows instead of counting 100,000 cases on every request."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Count, F

from .models import Case, StateCount


def move(kelurahan_id: int, is_roleplay: bool, from_status: str, to_status: str) -> None:
    """One case left `from_status` ("" at registration) for `to_status`, in the caller's
    transaction."""
    if from_status == to_status:
        return
    keys = [s for s in (from_status, to_status) if s]
    StateCount.objects.bulk_create(
        [StateCount(kelurahan_id=kelurahan_id, is_roleplay=is_roleplay, status=s) for s in keys],
        ignore_conflicts=True,
    )
    rows = StateCount.objects.filter(kelurahan_id=kelurahan_id, is_roleplay=is_roleplay)
    if from_status:
        rows.filter(status=from_status).update(n=F("n") - 1)
    rows.filter(status=to_status).update(n=F("n") + 1)


def counts(kelurahan_ids, *, roleplay: bool = False) -> dict[int, dict[str, int]]:
    """{kelurahan id: {status: cases}} from the kept rows."""
    out: dict[int, dict[str, int]] = {}
    for row in StateCount.objects.filter(kelurahan_id__in=kelurahan_ids, is_roleplay=roleplay):
        out.setdefault(row.kelurahan_id, {})[row.status] = row.n
    return out


def rebuild() -> None:
    """Recount every kelurahan's cases per state (after a bulk load, or to check the rows)."""
    with transaction.atomic():
        StateCount.objects.all().delete()
        StateCount.objects.bulk_create(
            StateCount(kelurahan_id=kel, is_roleplay=sim, status=status, n=n)
            for kel, sim, status, n in Case.objects.values_list(
                "kelurahan_id", "is_roleplay", "status"
            )
            .annotate(n=Count("id"))
            .order_by()
        )
