"""Search that stays fast: victims are found by a normalised copy of their name, cases by their
number, with PostgreSQL trigram (pg_trgm) GIN indexes serving `LIKE '%...%'` whatever the size of
the table (migration 0007_search); on SQLite the same query without the index.

Indonesian names are written many ways: "Hj. Sitti Aminah", "HJ SITTI AMINAH", "Ma'ruf" and
"Maruf". The normalised form is lower case, without apostrophes, with every other punctuation
mark a space and runs of spaces collapsed, so each of those finds the others.
"""

from __future__ import annotations

import re

_APOSTROPHES = re.compile(r"['’`´]")
_NOT_WORD = re.compile(r"[^\w]+", re.UNICODE)


def normalize_name(text: str) -> str:
    text = _APOSTROPHES.sub("", (text or "").casefold())
    return " ".join(_NOT_WORD.sub(" ", text).split())


def normalize_number(text: str) -> str:
    """Case and letter numbers are stored upper case (WS-2026-0007): match them as typed."""
    return (text or "").strip().upper()


def search_condition(q: str):
    """The case-list filter for what was typed in the search box: a case number when it holds
    a digit (names do not), otherwise a victim's name. One condition at a time and an EXISTS,
    not an OR with `IN (...)`: PostgreSQL then either walks the newest cases and probes each
    one's victims (a frequent fragment: it stops when the page is full) or starts from the
    trigram index (a rare name), whichever is cheaper, instead of collecting every match."""
    from django.db.models import Exists, OuterRef, Q

    from .models import Victim

    if any(ch.isdigit() for ch in q):
        return Q(number__contains=normalize_number(q))
    return Exists(
        Victim.objects.filter(case_id=OuterRef("pk"), search_name__contains=normalize_name(q))
    )
