"""The last parts, issued by many people at the same moment (PostgreSQL row locks)."""

import threading
from decimal import Decimal

import pytest
from django.db import connection, connections

from pitstop.core.exceptions import ApplicationError
from pitstop.parts import services
from pitstop.parts.models import StockLevel, StockMovement

from .factories import PartFactory, WarehouseFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_fifty_people_issue_the_last_ten(store_a):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks; runs in `make test-postgres`")
    warehouse, part = WarehouseFactory(store=store_a), PartFactory()
    services.stock_receive(actor=None, warehouse=warehouse, lines=[(part, "10", "30")])
    barrier = threading.Barrier(50)
    done, refused, failed = [], [], []

    def take_one():
        try:
            barrier.wait()
            services.stock_issue(actor=None, warehouse=warehouse, lines=[(part, "1")])
            done.append(1)
        except ApplicationError as error:
            refused.append(error.code)
        except Exception as error:  # anything else is a bug the test must show
            failed.append(repr(error))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=take_one) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failed
    assert len(done) == 10 and len(refused) == 40 and set(refused) == {"insufficient_stock"}
    level = StockLevel.objects.get(part=part, warehouse=warehouse)
    assert level.on_hand == 0 and level.value == 0
    assert sum(m.quantity for m in StockMovement.objects.filter(part=part)) == Decimal(0)
