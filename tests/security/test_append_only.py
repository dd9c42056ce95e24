"""Append-only logs: the database itself refuses to change the access log and the timeline."""

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.urls import reverse

from cases.models import AccessLog, CaseEvent, append_only_tables
from tests.factories import advance_case, make_case


@pytest.fixture
def rows(personas, master):
    case = make_case(personas, "assessment")
    log = AccessLog.objects.create(
        user=personas["ws.pendamping"], case=case, kelurahan=master["ws"], action="view"
    )
    event = CaseEvent.objects.get(case=case, kind=CaseEvent.Kind.REGISTERED)
    return case, log, event


@pytest.mark.postgres
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE cases_accesslog SET action = 'forged' WHERE id = %s",
        "DELETE FROM cases_accesslog WHERE id = %s",
        "UPDATE cases_caseevent SET note = 'forged' WHERE id = %s",
        "DELETE FROM cases_caseevent WHERE id = %s",
    ],
)
def test_trigger_refuses_update_and_delete_in_raw_sql(rows, sql):
    case, log, event = rows
    pk = log.pk if "accesslog" in sql else event.pk
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cur,
    ):
        cur.execute(sql, [pk])
    assert AccessLog.objects.get(pk=log.pk).action == "view"
    assert CaseEvent.objects.get(pk=event.pk).note == ""


@pytest.mark.postgres
def test_trigger_refuses_queryset_update_and_delete(rows):
    case, log, event = rows
    with pytest.raises(DatabaseError), transaction.atomic():
        AccessLog.objects.filter(pk=log.pk).update(action="forged")
    with pytest.raises(DatabaseError), transaction.atomic():
        CaseEvent.objects.filter(pk=event.pk)._raw_delete(CaseEvent.objects.db)
    # Inserting stays possible.
    logged = AccessLog.objects.filter(case=case).count()
    AccessLog.objects.create(user=log.user, case=case, kelurahan=case.kelurahan, action="view")
    assert AccessLog.objects.filter(case=case).count() == logged + 1


def test_trigger_exists_only_on_postgresql(db):
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute(
                "SELECT tgname FROM pg_trigger WHERE tgname LIKE %s ORDER BY tgname",
                ["%_append_only"],
            )
            assert [r[0] for r in cur.fetchall()] == [
                f"{table}_append_only" for table in append_only_tables()
            ]
            assert append_only_tables() == [
                "cases_accesslog",
                "cases_assessment",
                "cases_caseevent",
                "cases_visit",
            ]
        else:
            assert connection.vendor == "sqlite"


def test_model_refuses_change_on_every_database(rows):
    case, log, event = rows
    log.action = "forged"
    with pytest.raises(ValidationError):
        log.save()
    with pytest.raises(ValidationError):
        log.delete()
    with pytest.raises(ValidationError):
        event.delete()


def test_log_rows_survive_deactivated_user_and_closed_case(rows, personas):
    case, log, event = rows
    advance_case(case, "closed", personas)
    user = personas["ws.pendamping"]
    user.is_active = False
    user.save()
    with pytest.raises(ValidationError):
        user.delete()
    got = AccessLog.objects.select_related("user", "case").get(pk=log.pk)
    assert got.user.username == "ws.pendamping" and not got.user.is_active
    assert got.case.number == case.number
    # New reads of the closed case are still logged.
    logged = AccessLog.objects.filter(case=case).count()
    AccessLog.objects.create(user=personas["ws.koordinator"], case=case, action="view")
    assert AccessLog.objects.filter(case=case).count() == logged + 1
    # The deactivated user cannot log in any more (same answer as a wrong password).
    r = Client().post(
        reverse("login"), {"username": "ws.pendamping", "password": personas.password}
    )
    assert r.status_code == 200 and "Nama pengguna atau kata sandi salah" in r.content.decode()


def test_the_trigger_migration_covers_every_immutable_model():
    import importlib

    migration = importlib.import_module("cases.migrations.0004_append_only_triggers")
    assert append_only_tables() == migration.TABLES
