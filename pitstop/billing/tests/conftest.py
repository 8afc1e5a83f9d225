"""Shared fixtures of the billing tests: a work order that is ready, with labour done, parts
issued to it through the stock ledger (one returned) and a part the customer brought."""

from decimal import Decimal

import pytest

from pitstop.customers.tests.factories import CustomerFactory, TierFactory, VehicleFactory
from pitstop.parts.services import Reference, stock_issue, stock_receive, stock_return
from pitstop.parts.tests.factories import PartFactory, WarehouseFactory
from pitstop.service.models import Approval
from pitstop.service.tests.factories import OrderLabourFactory, OrderPartFactory, RepairOrderFactory


@pytest.fixture
def job(db, store_a, advisor, manager):
    tier = TierFactory(store=store_a, parts_discount_pct=Decimal("5"), labour_discount_pct=Decimal("10"))
    owner = CustomerFactory(store=store_a, tier=tier)
    order = RepairOrderFactory(vehicle=VehicleFactory(owner=owner), advisor=advisor, status="ready")
    warehouse = WarehouseFactory(store=store_a)
    pads, filter_, wipers = (
        PartFactory(name="前刹车片", sale_price=Decimal("420.00")),
        PartFactory(name="机油滤清器", sale_price=Decimal("58.00")),
        PartFactory(name="雨刮片", sale_price=Decimal("88.00")),
    )
    stock_receive(
        actor=manager, warehouse=warehouse, lines=[(p, "10", "20") for p in (pads, filter_, wipers)]
    )
    reference = Reference("repair_order", order.pk, order.number)
    OrderLabourFactory(
        order=order,
        name="更换前刹车片",
        hours=Decimal("1.5"),
        rate=Decimal("120.00"),
        price=Decimal("180.00"),
        discount_pct=Decimal("10"),
    )
    OrderLabourFactory(order=order, name="追加：四轮定位", is_addon=True, approval=Approval.DECLINED)
    OrderPartFactory(order=order, part=pads, quantity=Decimal("2"), unit_price=Decimal("400.00"))
    OrderPartFactory(
        order=order, part=None, name="车主自带机油", customer_supplied=True, unit_price=Decimal("0")
    )
    stock_issue(
        actor=manager,
        warehouse=warehouse,
        lines=[(pads, "2"), (filter_, "1"), (wipers, "1")],
        reference=reference,
    )
    stock_return(actor=manager, warehouse=warehouse, part=pads, quantity="1", reference=reference)
    return order
