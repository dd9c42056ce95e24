"""Pages of a list without counting every row: the work of a page depends on the page, not on
the size of the table (a COUNT(*) over 100,000 cases on every request is what made lists slow).
A page fetches one row more than it shows to know whether a next page exists."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models.expressions import RawSQL


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
    """(the page of ids, count, more) of a filtered queryset in one query: the page's ids, each
    row carrying the bounded count of the whole list as an uncorrelated subquery (computed once
    by the database: COUNT(*) over the first `limit` + 1 matching rows). One round trip, and
    only the page's ids come back, whatever the table holds; the caller fetches the page's
    rows by these ids. A page past the end has no row to carry the count: it is counted on its
    own."""
    n = _page_number(number)
    start = (n - 1) * per_page
    if start == 0 and per_page >= limit:
        # The first page reads past the bound already: it is the count (a search's first page).
        ids = list(qs.values_list("pk", flat=True)[: per_page + 1])
        page = Page(ids[:per_page], n, len(ids) > per_page, per_page)
        return page, min(len(ids), limit), len(ids) > limit
    bounded = qs.order_by().values("pk")[: limit + 1]
    sql, params = bounded.query.get_compiler(qs.db).as_sql()
    counted = qs.annotate(
        _found=RawSQL(f"SELECT COUNT(*) FROM ({sql}) _bounded", params)  # noqa: S608, S611  # nosec
    ).values_list("pk", "_found")
    rows = list(counted[start : start + per_page + 1])
    total = rows[0][1] if rows else bounded.count()
    ids = [pk for pk, _found in rows]
    page = Page(ids[:per_page], n, len(ids) > per_page, per_page)
    return page, min(total, limit), total > limit
