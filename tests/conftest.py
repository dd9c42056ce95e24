"""Fixtures shared by the whole suite: master data and the personas of ROLES.md."""

import pytest
from django.core.management import call_command

from accounts.management.commands.seed_demo import DEMO_PASSWORD, ensure_personas
from accounts.models import Agency, Kelurahan, User

PERSONA_NAMES = [
    "ws.relawan",
    "ws.pendamping",
    "ws.pendamping2",
    "ws.koordinator",
    "ws.kasikesra",
    "ws.lurah",
    "wb.relawan",
    "wb.pendamping",
    "wb.pendamping2",
    "wb.koordinator",
    "wb.kasikesra",
    "wb.lurah",
    "dp3a.petugas",
    "uptdppa.petugas",
    "dinsos.petugas",
    "admin",
]


@pytest.fixture(autouse=True)
def _fast_settings(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    # The replica alias mirrors the test database; only tests/ops/test_replica.py reads from it.
    settings.REPLICA_READS = False


@pytest.fixture
def master(db):
    call_command("loaddata", "fixtures/master.json", verbosity=0)
    return {
        "ws": Kelurahan.objects.get(code="WS"),
        "wb": Kelurahan.objects.get(code="WB"),
        "dp3a": Agency.objects.get(kind="dp3a"),
        "uptd": Agency.objects.get(kind="uptd_ppa"),
        "dinsos": Agency.objects.get(kind="dinsos"),
        "police": Agency.objects.get(kind="police"),
    }


class Personas(dict):
    """personas["ws.koordinator"] -> User; personas.client("ws.koordinator") -> logged-in Client."""

    password = DEMO_PASSWORD

    def client(self, name):
        from django.test import Client

        c = Client()
        if name is not None:
            c.force_login(self[name])
        return c


@pytest.fixture
def personas(master):
    ensure_personas()
    return Personas({u.username: u for u in User.objects.filter(username__in=PERSONA_NAMES)})


def pytest_collection_modifyitems(config, items):
    """Tests marked `postgres` are skipped on SQLite (CI runs PostgreSQL and fails on a skip)."""
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"]
    if "postgresql" in engine:
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)
