"""Two people saving at the same moment, on PostgreSQL with real threads."""

import threading

import pytest
from django.db import connection, connections

from pitstop.core.exceptions import ApplicationError
from pitstop.core.numbering import next_code
from pitstop.customers import services
from pitstop.customers.models import Customer, Vehicle

from .factories import CustomerFactory, make_vin

pytestmark = [pytest.mark.django_db(transaction=True)]


def _in_threads(count, work):
    barrier = threading.Barrier(count)
    results, errors = [], []

    def run(index):
        try:
            barrier.wait()
            results.append(work(index))
        except Exception as error:  # collected and asserted by the test
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors


@pytest.fixture
def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks; runs in `make test-postgres`")


def test_two_advisors_file_the_same_vin_at_once(postgres_only, store_a, advisor):
    owner = CustomerFactory(store=store_a)
    vin = make_vin(31337)
    results, errors = _in_threads(
        6, lambda i: services.vehicle_create(actor=advisor, store=store_a, data={"vin": vin, "owner": owner})
    )
    assert len(results) == 1
    assert len(errors) == 5 and all(isinstance(e, ApplicationError) and e.field == "vin" for e in errors)
    assert Vehicle.objects.filter(vin=vin).count() == 1


def test_customer_codes_never_repeat_under_contention(postgres_only, store_a, advisor):
    results, errors = _in_threads(
        8,
        lambda i: (
            services.customer_create(
                actor=advisor, store=store_a, data={"name": f"客户{i}", "mobile": f"1390000{i:04d}"}
            ).code
        ),
    )
    assert not errors
    assert sorted(results) == [f"KHBJ01{n:06d}" for n in range(1, 9)]
    assert Customer.objects.count() == 8


def test_numbers_under_contention(postgres_only, db):
    results, errors = _in_threads(10, lambda i: next_code("T", "X"))
    assert not errors and len(set(results)) == 10
