"""The read replica: the dashboard's counts are read from the "replica" alias, everything else
(access checks, pages, every write) from the primary. In tests the replica alias mirrors the test
database (TEST MIRROR, REPLICA_DATABASE_URL in pyproject.toml), so these tests commit their data
(transactional) for the second connection to see it."""

import pytest
from django.db import connections
from django.urls import reverse

from accounts.models import Kelurahan
from cases.models import Case
from lbk.routers import ReplicaRouter, replica_alias, replica_reads
from tests.factories import make_case
from tests.queries import queries

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "replica"])


@pytest.fixture
def replica_on(settings):
    settings.REPLICA_READS = True
    assert connections["replica"].settings_dict["TEST"]["MIRROR"] == "default"


def test_router_sends_reads_in_the_block_to_the_replica(replica_on, master):
    router = ReplicaRouter()
    assert router.db_for_read(Case) == "default"
    with replica_reads():
        assert router.db_for_read(Case) == "replica"
        assert router.db_for_write(Case) == "default"
        assert Case.objects.all().db == "replica"
        assert Kelurahan.objects.filter(code="WS").exists()  # read through the replica
    assert router.db_for_read(Case) == "default"
    assert router.allow_migrate("default", "cases") is True
    assert router.allow_migrate("replica", "cases") is False


def test_replica_reads_off_sends_everything_to_the_primary(settings, master):
    settings.REPLICA_READS = False
    with replica_reads():
        assert replica_alias() == "default"


def test_dashboard_counts_come_from_the_replica(replica_on, personas, master):
    make_case(personas, "assessment")
    c = personas.client("ws.koordinator")
    with (
        queries("replica") as on_replica,
        queries("default") as on_primary,
    ):
        r = c.get(reverse("cases:dashboard"))
    assert r.status_code == 200
    replica_sql = " ".join(q["sql"] for q in on_replica.captured_queries)
    primary_sql = " ".join(q["sql"] for q in on_primary.captured_queries)
    # The counts per state and the running clocks: on the replica.
    assert "COUNT(" in replica_sql and "cases_case" in replica_sql
    assert "COUNT(" not in primary_sql.split("cases_case")[0] or "cases_case" not in primary_sql
    # Who may see it (memberships) and the session: on the primary, never the replica.
    assert "accounts_membership" in primary_sql
    assert "accounts_membership" not in replica_sql
    assert "django_session" not in replica_sql
    # Another page reads nothing from the replica.
    with queries("replica") as other:
        assert c.get(reverse("cases:list")).status_code == 200
    assert other.captured_queries == []
