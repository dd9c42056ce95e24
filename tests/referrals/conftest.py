import pytest
from django.core.management import call_command


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "files"
    settings.SITE_URL = "https://posko.example.id"


@pytest.fixture
def cache_table(db):
    """The shared DB cache (rate limits) needs its table in the test database."""
    call_command("createcachetable", verbosity=0)
    from django.core.cache import cache

    cache.clear()
