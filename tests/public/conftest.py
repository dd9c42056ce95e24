import pytest


@pytest.fixture(autouse=True)
def _public_settings(settings, db):
    # The time check waits 3 s by default; tests that check it set it back.
    settings.PUBLIC_FORM_MIN_SECONDS = 0
    settings.SITE_URL = "https://posko.example.id"
    from django.core.cache import caches

    caches["default"].clear()
