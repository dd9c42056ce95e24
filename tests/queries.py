"""Counting SQL queries (zulip's queries_captured): a page must make as many queries with much data
as with little (no query per row), and some code must make none at all.

    with queries() as q:                       the captured queries, to read or count
        ...
    n = count_get(client, url)                 queries of one GET (asserting its status)
    assert_queries_constant(measure, grow)     measure(), grow the data, measure() again: equal
"""

from contextlib import contextmanager

from django.db import connections
from django.test.utils import CaptureQueriesContext


@contextmanager
def queries(using="default"):
    """The queries run inside the block on the `using` database (len(q), q.captured_queries)."""
    with CaptureQueriesContext(connections[using]) as captured:
        yield captured


def count_get(client, url, params=None, *, status=200):
    """How many queries one GET of `url` makes."""
    with queries() as q:
        response = client.get(url, params or {})
    assert response.status_code == status, (url, response.status_code)
    return len(q)


def assert_queries_constant(measure, grow):
    """measure() returns a count (or a tuple of counts); grow() adds data. Asserts the counts do
    not change with the data, and returns them (for a printout)."""
    before = measure()
    grow()
    after = measure()
    assert after == before, f"queries grew with the data: {before} -> {after}"
    return before
