import pytest

from .fakes import FakeGateway


@pytest.fixture
def gateway(settings):
    """The HTTP gateway configured and pointed at a fake server."""
    with FakeGateway() as fake:
        settings.SMS_GATEWAY_URL = fake.url
        settings.SMS_GATEWAY_TOKEN = "test-token-123"
        settings.SMS_GATEWAY_TIMEOUT = 0.5
        yield fake


@pytest.fixture
def owner(store_a):
    from pitstop.customers.tests.factories import CustomerFactory, VehicleFactory

    customer = CustomerFactory(store=store_a, name="张伟", gender="male", mobile="13812345678")
    vehicle = VehicleFactory(owner=customer, plate="京A12345")
    return customer, vehicle
