"""The case list's page and count from one query of ids (lbk.paging.counted_ids), and its rows
read with their victims and overdue clocks in one more query (issue 12)."""

import datetime
import re

import pytest
import time_machine

from cases.models import Case
from lbk.paging import counted_ids
from tests.factories import make_case
from tests.queries import count_get

pytestmark = pytest.mark.django_db


def numbers(body):
    return re.findall(r'<a href="/cases/\d+/">([^<]+)</a>', body)


def test_counted_ids_pages_within_and_past_the_ids_read(personas, master):
    for _ in range(7):
        make_case(personas)
    qs = Case.objects.order_by("-registered_at", "-pk")
    every = list(qs.values_list("pk", flat=True))
    assert len(every) == 7
    # Within the first limit + 1 ids: the page comes from them.
    page, found, more = counted_ids(qs, 1, 2, limit=5)
    assert (list(page.object_list), found, more, page.has_next) == (every[:2], 5, True, True)
    # Past them: the page reads its own ids with an offset, and knows whether more follow.
    page, found, more = counted_ids(qs, 3, 2, limit=5)
    assert (list(page.object_list), found, more, page.has_next) == (every[4:6], 5, True, True)
    page, _found, _more = counted_ids(qs, 4, 2, limit=5)
    assert (list(page.object_list), page.has_next) == (every[6:], False)
    # Everything read: the count is exact, the last page has no next one.
    page, found, more = counted_ids(qs, 4, 2, limit=100)
    assert (list(page.object_list), found, more, page.has_next) == (every[6:], 7, False, False)
    # Nonsense page numbers give page 1; a page past the end is empty.
    assert counted_ids(qs, "x", 2, limit=100)[0].number == 1
    assert list(counted_ids(qs, 9, 2, limit=100)[0].object_list) == []


def test_list_pages_counts_and_rows(personas, master, monkeypatch):
    from cases.views import records

    monkeypatch.setattr(records, "PAGE_SIZE", 2)
    monkeypatch.setattr(records, "COUNT_LIMIT", 4)
    p = personas
    with time_machine.travel(datetime.datetime(2026, 1, 5, 8, 0), tick=False):
        late = make_case(p)  # its "assign" clock is long overdue
    two = make_case(
        p,
        victims=[
            {"full_name": "Alfa Pertama", "phone": "081234567890", "sex": "F"},
            {"full_name": "Beta Kedua", "nik": "7372010101010002", "sex": "F"},
        ],
    )
    for _ in range(3):
        make_case(p)
    make_case(p, kel="wb")  # another kelurahan: never in this list
    expected = list(
        Case.objects.filter(kelurahan=master["ws"])
        .order_by("-registered_at", "-pk")
        .values_list("number", flat=True)
    )
    c = p.client("ws.koordinator")
    first = c.get("/cases/").content.decode()
    assert numbers(first) == expected[:2]
    assert "Lebih dari 4 kasus ditemukan" in first
    assert "page=2" in first
    last = c.get("/cases/?page=3").content.decode()
    assert numbers(last) == expected[4:]
    assert "page=4" not in last and "page=2" in last
    # The rows: victims in their order with masked NIK and phone, the overdue mark.
    body = c.get("/cases/?page=1").content.decode() + c.get("/cases/?page=2").content.decode()
    row = body.split(f">{two.number}</a>", 1)[1].split("</tr>", 1)[0]
    assert row.index("Alfa Pertama") < row.index("Beta Kedua")
    assert "••••••••7890" in row and "••••••••••••0002" in row
    assert "7372010101010002" not in body and "081234567890" not in body
    late_row = last.split(f">{late.number}</a>", 1)[1].split("</tr>", 1)[0]
    assert "TERLAMBAT" in late_row
    # A search counts to its own, smaller limit and names the cases it found.
    found = c.get("/cases/?q=Alfa+Pertama").content.decode()
    assert numbers(found) == [two.number] and "1 kasus ditemukan" in found


def test_list_queries_do_not_grow_with_the_rows(personas, master):
    """Six queries (session, user, memberships, session involvement, ids, rows) for a page of
    one case or of twenty-five with several victims each."""
    p = personas
    make_case(p)
    c = p.client("ws.koordinator")
    small = count_get(c, "/cases/")
    for _ in range(30):
        make_case(p, victims=3)
    assert count_get(c, "/cases/") == small
    assert small <= 7, small


def test_a_search_counts_up_to_one_page(personas, master, monkeypatch):
    from cases.views import records

    assert records.SEARCH_COUNT_LIMIT == records.PAGE_SIZE
    monkeypatch.setattr(records, "PAGE_SIZE", 2)
    monkeypatch.setattr(records, "SEARCH_COUNT_LIMIT", 2)
    for i in range(3):
        make_case(personas, victims=[{"full_name": f"Nurhayati Uji{i}", "sex": "F"}])
    c = personas.client("ws.koordinator")
    body = c.get("/cases/?q=nurhayati").content.decode()
    assert "Lebih dari 2 kasus ditemukan" in body and len(numbers(body)) == 2
    assert len(numbers(c.get("/cases/?q=nurhayati&page=2").content.decode())) == 1
