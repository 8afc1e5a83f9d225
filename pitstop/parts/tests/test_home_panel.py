"""The parts department's box on the home page: counts of what waits, for the roles that act."""

import re
from decimal import Decimal

from django.urls import reverse

from pitstop.parts import sales
from pitstop.parts.services import stock_receive

from .factories import PartFactory, WarehouseFactory


def _todo(client, user) -> dict[str, str]:
    """{line: count} of the parts box on the user's home page."""
    client.force_login(user)
    response = client.get(reverse("accounts:home"))
    assert response.status_code == 200
    return dict(re.findall(r'data-todo="(\w+)">.*?<span[^>]*>(\d+)</span>', response.content.decode(), re.S))


def test_the_keeper_sees_low_stock_and_the_cashier_sees_sales_waiting(client, store_a, store_b, make_staff):
    keeper, cashier = make_staff("warehouse", store_a), make_staff("cashier", store_a)
    warehouse = WarehouseFactory(store=store_a)
    low, fine = PartFactory(), PartFactory()
    stock_receive(actor=keeper, warehouse=warehouse, lines=[(low, "1", "10"), (fine, "9", "10")])
    low.levels.update(min_level=Decimal(5))
    fine.levels.update(min_level=Decimal(5))
    # Store B's shortage is not store A's business.
    other = WarehouseFactory(store=store_b)
    stock_receive(actor=keeper, warehouse=other, lines=[(fine, "1", "10")])
    fine.levels.filter(warehouse=other).update(min_level=Decimal(5))
    sale = sales.counter_sale_create(
        actor=keeper, store=store_a, warehouse=warehouse, lines=[sales.SaleLine(fine, "1")]
    )
    sales.counter_sale_post(actor=keeper, sale=sale)

    assert _todo(client, keeper)["low"] == "1"  # one part below minimum in store A, not two
    assert _todo(client, keeper)["sales"] == "1"
    cashier_sees = _todo(client, cashier)
    assert cashier_sees["sales"] == "1"
    assert "old_parts" not in cashier_sees and "stocktakes" not in cashier_sees
