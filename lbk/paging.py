"""Pages of a list without counting every row: the work of a page depends on the page, not on
the size of the table (a COUNT(*) over 100,000 cases on every request is what made lists slow).
A page fetches one row more than it shows to know whether a next page exists."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass
class Page:
    object_list: Sequence[Any]
    number: int
    has_next: bool
    per_page: int

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_other_pages(self) -> bool:
        return self.has_next or self.has_previous

    def next_page_number(self) -> int:
        return self.number + 1

    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def start_index(self) -> int:
        return (self.number - 1) * self.per_page + 1 if self.object_list else 0

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self) -> int:
        return len(self.object_list)


MAX_PAGE = 10_000


def _page_number(number: Any) -> int:
    try:
        return max(1, min(int(number), MAX_PAGE))
    except (TypeError, ValueError):
        return 1


def page_of(qs, number: Any, per_page: int) -> Page:
    """The page `number` (1-based; anything else is page 1) of a queryset or list."""
    n = _page_number(number)
    start = (n - 1) * per_page
    rows = list(qs[start : start + per_page + 1])
    return Page(rows[:per_page], n, len(rows) > per_page, per_page)


COUNT_LIMIT = 1000


def bounded_count(qs, limit: int = COUNT_LIMIT) -> tuple[int, bool]:
    """(count, more): the exact count up to `limit`, and whether there are more rows (a list
    says "more than 1,000" instead of counting 100,000 rows on every request)."""
    n = qs[: limit + 1].count()
    return min(n, limit), n > limit


def counted_ids(qs, number: Any, per_page: int, limit: int = COUNT_LIMIT) -> tuple[Page, int, bool]:
    """(the page of ids, count, more) of a filtered queryset in one query: its first `limit` + 1
    ids, in its order, give both the bounded count and the ids of every page within them (a
    page past them reads its own ids with an offset). The list's filter is compiled and run
    once, not once for the count and again for the page; the caller fetches the page's rows by
    these ids (bounded work: at most `limit` + 1 ids, whatever the table holds)."""
    n = _page_number(number)
    start = (n - 1) * per_page
    ids = list(qs.values_list("pk", flat=True)[: limit + 1])
    more = len(ids) > limit
    if not more or start + per_page < len(ids):
        chunk = ids[start : start + per_page + 1]
    else:
        chunk = list(qs.values_list("pk", flat=True)[start : start + per_page + 1])
    page = Page(chunk[:per_page], n, len(chunk) > per_page, per_page)
    return page, min(len(ids), limit), more
