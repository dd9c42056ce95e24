"""The one gapless counter of the project (django-sequences): case numbers and letter numbers,
per kelurahan, year and series (real or role play). A number is taken inside the transaction
that uses it: the sequence row stays locked until commit, so two concurrent registrations (or
approvals) wait for each other, and a rolled-back transaction gives its number back. Numbers are
never reused (a cancelled letter keeps its number).
"""

from __future__ import annotations

from sequences import get_last_value, get_next_value

CASE = "case"
LETTER = "letter"


def series(kind: str, kelurahan_id: int, year: int, roleplay: bool) -> str:
    return f"{kind}{'-sim' if roleplay else ''}:{kelurahan_id}:{year}"


def take_next(kind: str, kelurahan_id: int, year: int, roleplay: bool) -> int:
    """The next number of the series; call inside the transaction that uses it."""
    return get_next_value(series(kind, kelurahan_id, year, roleplay))


def last_taken(kind: str, kelurahan_id: int, year: int, roleplay: bool) -> int:
    return get_last_value(series(kind, kelurahan_id, year, roleplay)) or 0


def set_last(kind: str, kelurahan_id: int, year: int, roleplay: bool, last: int) -> None:
    """Move a series past numbers written by other means (the benchmark's data generator)."""
    from sequences.models import Sequence

    Sequence.objects.update_or_create(
        name=series(kind, kelurahan_id, year, roleplay), defaults={"last": last}
    )


def all_series(kind: str) -> dict[tuple[int, int, bool], int]:
    """{(kelurahan id, year, roleplay): last} of every series of this kind."""
    from sequences.models import Sequence

    out = {}
    for s in Sequence.objects.filter(name__regex=rf"^{kind}(-sim)?:"):
        head, kel, year = s.name.split(":")
        out[(int(kel), int(year), head.endswith("-sim"))] = s.last
    return out
