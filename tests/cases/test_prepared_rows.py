"""lbk.sql.Prepared: SQL compiled once per shape and run with fresh ids gives what the ORM gives;
the navigation kept per role, language and page follows what changes; the list's registration
day is the kelurahan's (issue 12)."""

import datetime

import pytest
import time_machine
from django.db.models import Count

from accounts import nav
from cases.models import Case, Victim
from lbk.sql import Prepared, rows_of
from tests.factories import make_case
from tests.queries import queries

pytestmark = pytest.mark.django_db


def _query(ids):
    return (
        Case.objects.filter(pk__in=ids)
        .order_by()
        .values("id", "number", "registered_at", "kelurahan__name")
        .annotate(
            victim_list=rows_of(
                Victim.objects.all(), "case_id", name="full_name", born="birth_date"
            ),
            n=Count("victims", distinct=True),
        )
    )


def test_prepared_rows_match_the_orm_and_compile_once(personas, master):
    cases = [make_case(personas, victims=n) for n in (1, 2, 3)]
    prepared = Prepared(_query)
    ids = [c.pk for c in cases]
    got = sorted(prepared.rows(ids), key=lambda r: r["id"])
    want = sorted(_query(ids), key=lambda r: r["id"])
    assert got == want  # the same values and types (aware datetimes, parsed JSON)
    assert isinstance(got[0]["registered_at"], datetime.datetime)
    assert got[0]["registered_at"].tzinfo is not None
    assert [len(r["victim_list"]) for r in got] == [1, 2, 3] == [r["n"] for r in got]
    # Kept per number of ids: other ids of the same number reuse the SQL.
    assert len(prepared._kept) == 1
    again = prepared.rows(list(reversed(ids)))
    assert sorted(r["id"] for r in again) == sorted(ids) and len(prepared._kept) == 1
    assert [r["id"] for r in prepared.rows(ids[:1])] == ids[:1] and len(prepared._kept) == 2
    # One query per call, and none for no ids.
    with queries() as q:
        prepared.rows(ids)
        assert prepared.rows([]) == []
    assert len(q) == 1


def test_prepared_refuses_sql_without_its_ids(personas, master):
    prepared = Prepared(lambda ids: Case.objects.filter(pk__in=[1]).values("id"))
    with pytest.raises(ValueError):
        prepared.rows([1])


def test_navigation_kept_per_shape_follows_badges_language_and_page(personas, master):
    from django.test import Client

    nav._kept.clear()
    c = personas.client("ws.koordinator")
    body = c.get("/cases/").content.decode()
    assert '<a href="/cases/" aria-current="page">Kasus</a>' in body
    assert "Navigasi utama" in body
    home = c.get("/home/").content.decode()
    assert '<a href="/home/" aria-current="page">Beranda</a>' in home
    assert '<a href="/cases/">Kasus</a>' in home
    # A new unread notification shows in the badge at once (the badge is part of the shape).
    user = personas["ws.koordinator"]
    type(user).objects.filter(pk=user.pk).update(unread_notifications=3)
    assert '<span class="badge text-bg-danger">3</span>' in c.get("/cases/").content.decode()
    # Another language, another navigation.
    c.post("/i18n/setlang/", {"language": "en", "next": "/cases/"})
    english = c.get("/cases/").content.decode()
    assert "Main navigation" in english and ">Cases</a>" in english
    # A volunteer sees fewer entries than the coordinator.
    volunteer = personas.client("ws.relawan").get("/cases/").content.decode()
    assert "/cases/dashboard/" not in volunteer and "/cases/dashboard/" in body
    # Nobody logged in: no navigation.
    assert "main-nav" not in Client().get("/accounts/login/").content.decode()


def test_list_shows_the_registration_day_in_the_kelurahans_zone(personas, master):
    # 23:30 UTC on 4 January is 07:30 WITA on 5 January.
    with time_machine.travel(
        datetime.datetime(2026, 1, 4, 23, 30, tzinfo=datetime.UTC), tick=False
    ):
        case = make_case(personas)
    body = personas.client("ws.koordinator").get("/cases/").content.decode()
    row = body.split(f">{case.number}</a>", 1)[1].split("</tr>", 1)[0]
    assert "5 Jan 2026" in row and "4 Jan 2026" not in row
