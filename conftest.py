"""Fixtures shared by every app's tests: stores, staff of each role, logged-in clients."""

import decimal

import pytest

PLAIN_STATIC = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}


@pytest.fixture(autouse=True)
def _no_floats_in_money():
    """A float that meets a Decimal raises instead of silently rounding (STYLE.md)."""
    context = decimal.getcontext()
    context.traps[decimal.FloatOperation] = True
    yield
    context.traps[decimal.FloatOperation] = False


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    # Tests do not run collectstatic: serve static files by name, keep uploads in a temp dir.
    settings.STORAGES = PLAIN_STATIC
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def store_a(db):
    from pitstop.accounts.tests.factories import StoreFactory

    return StoreFactory(code="BJ01", name="北京朝阳店")


@pytest.fixture
def store_b(db):
    from pitstop.accounts.tests.factories import StoreFactory

    return StoreFactory(code="SH01", name="上海浦东店")


@pytest.fixture
def hq_store(db):
    from pitstop.accounts.tests.factories import StoreFactory

    return StoreFactory(code="HQ", name="总部", is_headquarters=True)


@pytest.fixture
def make_staff(db):
    """make_staff("advisor", store) -> a user holding that role in that store."""
    from pitstop.accounts.tests.factories import staff

    return staff


@pytest.fixture
def advisor(make_staff, store_a):
    return make_staff("advisor", store_a)


@pytest.fixture
def care_agent(make_staff, store_a):
    return make_staff("care_agent", store_a)


@pytest.fixture
def manager(make_staff, store_a):
    return make_staff("store_manager", store_a)


@pytest.fixture
def advisor_b(make_staff, store_b):
    return make_staff("advisor", store_b)


@pytest.fixture
def login(client):
    def _login(user):
        client.force_login(user)
        return client

    return _login
