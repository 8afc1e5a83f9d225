from decimal import Decimal

import pytest

from pitstop.core.exceptions import ApplicationError
from pitstop.parts import purchasing, services
from pitstop.parts.models import (
    PurchaseOrder,
    StockLevel,
    StockMovement,
    Supplier,
    SupplierReturn,
    SupplierReturnLine,
)

from .factories import PartFactory, WarehouseFactory

D = Decimal


@pytest.fixture
def order(store_a, make_staff):
    keeper = make_staff("warehouse", store_a)
    supplier = Supplier.objects.create(code="HT", name="北京恒通汽配")
    warehouse = WarehouseFactory(store=store_a)
    oil, pads = PartFactory(code="06A115561B"), PartFactory(code="3Q0698151A")
    po = purchasing.purchase_order_create(
        actor=keeper,
        store=store_a,
        supplier=supplier,
        warehouse=warehouse,
        lines=[(oil, "20", "32.5"), (pads, "4", "310")],
    )
    return po, keeper, oil, pads, PartFactory(code="NOTORDERED")


def test_an_order_is_received_in_parts_and_its_state_follows(order):
    po, keeper, oil, pads, _other = order
    assert po.number == "CGBJ01000001" and po.status == "draft"
    with pytest.raises(ApplicationError) as error:  # not yet sent to the supplier
        purchasing.purchase_order_receive(actor=keeper, order=po, lines=[(oil, "1", None)])
    assert error.value.code == "transition"
    purchasing.purchase_order_transition(actor=keeper, order=po, to="ordered")
    movements = purchasing.purchase_order_receive(
        actor=keeper, order=po, lines=[(oil, "20", None), (pads, "1", "300")]
    )
    po.refresh_from_db()
    assert po.status == "partly_received"
    # Each delivery has its own receiving note number; the order is the reference's id.
    assert {(m.reference_type, m.reference_id, m.reference_no) for m in movements} == {
        ("purchase_order", po.pk, "RKBJ01000001")
    }
    assert StockLevel.objects.get(part=pads).average_cost == D("300.0000")
    (second,) = purchasing.purchase_order_receive(actor=keeper, order=po, lines=[(pads, "3", None)])
    assert second.reference_no == "RKBJ01000002" and second.unit_cost == D("310.0000")
    po.refresh_from_db()
    assert po.status == "received" and StockLevel.objects.get(part=oil).on_hand == D("20")
    assert [(d.number, d.lines, d.amount) for d in purchasing.deliveries(po)] == [
        ("RKBJ01000001", 2, D("950.00")),
        ("RKBJ01000002", 1, D("930.00")),
    ]
    assert [e.to_status for e in po.events.all()] == ["draft", "ordered", "partly_received", "received"]
    purchasing.purchase_order_transition(actor=keeper, order=po, to="closed")


def test_receiving_refuses_what_was_not_ordered_and_more_than_ordered_without_a_reason(order):
    po, keeper, oil, _pads, other = order
    purchasing.purchase_order_transition(actor=keeper, order=po, to="ordered")
    with pytest.raises(ApplicationError):
        purchasing.purchase_order_receive(actor=keeper, order=po, lines=[(other, "1", None)])
    with pytest.raises(ApplicationError) as error:
        purchasing.purchase_order_receive(actor=keeper, order=po, lines=[(oil, "21", None)])
    assert error.value.code == "over_receipt" and "20" in str(error.value.message)
    assert not StockMovement.objects.exists()
    purchasing.purchase_order_receive(
        actor=keeper, order=po, lines=[(oil, "21", None)], reason="供应商多送一个"
    )
    assert StockLevel.objects.get(part=oil).on_hand == D("21")


def test_a_move_the_state_does_not_allow_names_both_states(order):
    po, keeper, *_ = order
    purchasing.purchase_order_transition(actor=keeper, order=po, to="cancelled")
    with pytest.raises(ApplicationError) as error:
        purchasing.purchase_order_transition(actor=keeper, order=po, to="ordered")
    assert "已取消" in str(error.value.message) and "已订货" in str(error.value.message)
    assert PurchaseOrder.objects.get().status == "cancelled"


def test_suggestions_count_reservations_and_open_orders_and_become_an_order(login, store_a, make_staff):
    from django.urls import reverse

    from pitstop.parts.selectors import purchase_suggestions

    keeper = make_staff("warehouse", store_a)
    client = login(keeper)
    warehouse = WarehouseFactory(store=store_a)
    pads, oil = PartFactory(code="3Q0698151A"), PartFactory(code="06A115561B")
    supplier = Supplier.objects.create(code="HT", name="北京恒通汽配")
    services.stock_receive(actor=keeper, warehouse=warehouse, lines=[(pads, "6", "300"), (oil, "30", "30")])
    for part, minimum, maximum in ((pads, 5, 20), (oil, 10, 40)):
        part.levels.update(min_level=minimum, max_level=maximum)
    assert purchase_suggestions(user=keeper, store=store_a) == []
    services.reservation_create(
        actor=keeper,
        warehouse=warehouse,
        part=pads,
        quantity="2",
        reference=services.Reference("appointment", 1, "YY-1"),
    )
    (row,) = purchase_suggestions(user=keeper, store=store_a)  # available 4 < 5: fill up to 20
    assert (row.level.part, row.quantity) == (pads, D("16"))
    page = client.get(reverse("parts:suggestions")).content.decode()
    assert "3Q0698151A" in page and "06A115561B" not in page
    client.post(reverse("parts:suggestions"), {"level": [row.level.pk], "supplier": supplier.pk})
    po = PurchaseOrder.objects.get()
    assert (po.status, po.lines.get().part, po.lines.get().quantity) == ("draft", pads, D("16"))
    assert purchase_suggestions(user=keeper, store=store_a) == []  # on a draft order: not suggested twice
    purchasing.purchase_order_transition(actor=keeper, order=po, to="cancelled")
    assert len(purchase_suggestions(user=keeper, store=store_a)) == 1


def test_a_draft_is_changed_and_an_ordered_one_is_not(order):
    po, keeper, oil, pads, other = order
    other.cost_price = D("12.3400")
    other.save()
    purchasing.purchase_order_update(
        actor=keeper,
        order=po,
        supplier=po.supplier,
        warehouse=po.warehouse,
        lines=[(oil, "25", "31"), (other, "2", None)],  # no cost: the part's cost price
        note="加急",
    )
    po.refresh_from_db()
    assert [(x.part, x.quantity, x.unit_cost) for x in po.lines.all()] == [
        (oil, D("25"), D("31")),
        (other, D("2"), D("12.34")),
    ]
    assert po.note == "加急" and po.events.last().to_status == "draft"
    purchasing.purchase_order_transition(actor=keeper, order=po, to="ordered")
    with pytest.raises(ApplicationError) as error:
        purchasing.purchase_order_update(
            actor=keeper, order=po, supplier=po.supplier, warehouse=po.warehouse, lines=[(oil, "1", "1")]
        )
    assert "已订货" in str(error.value.message)
    assert po.lines.count() == 2


def test_a_draft_keeps_its_lines_when_the_change_is_refused(order, store_b):
    po, keeper, oil, *_ = order
    with pytest.raises(ApplicationError):
        purchasing.purchase_order_update(
            actor=keeper, order=po, supplier=po.supplier, warehouse=po.warehouse, lines=[(oil, "0", "1")]
        )
    with pytest.raises(ApplicationError):
        purchasing.purchase_order_update(
            actor=keeper,
            order=po,
            supplier=po.supplier,
            warehouse=WarehouseFactory(store=store_b),
            lines=[(oil, "1", "1")],
        )
    assert po.lines.count() == 2


@pytest.mark.parametrize(
    ("start", "to"),
    [
        ("draft", "closed"),
        ("draft", "received"),
        ("ordered", "draft"),
        ("ordered", "partly_received"),
        ("closed", "ordered"),
        ("cancelled", "closed"),
    ],
)
def test_moves_outside_allowed_are_refused_and_leave_no_event(order, start, to):
    po, keeper, *_ = order
    PurchaseOrder.objects.filter(pk=po.pk).update(status=start)
    events = po.events.count()
    with pytest.raises(ApplicationError) as error:
        purchasing.purchase_order_transition(actor=keeper, order=po, to=to)
    assert error.value.code == "transition"
    assert PurchaseOrder.objects.get(pk=po.pk).status == start and po.events.count() == events


@pytest.fixture
def stocked(order):
    po, keeper, oil, pads, _other = order
    purchasing.purchase_order_transition(actor=keeper, order=po, to="ordered")
    purchasing.purchase_order_receive(actor=keeper, order=po, lines=[(oil, "20", "30"), (pads, "4", None)])
    services.stock_receive(actor=keeper, warehouse=po.warehouse, lines=[(oil, "10", "33")])  # avg 31
    return po, keeper, oil, pads


def test_a_return_takes_parts_out_at_the_average_cost(stocked):
    po, keeper, oil, pads = stocked
    ret = purchasing.supplier_return_create(
        actor=keeper,
        store=po.store,
        supplier=po.supplier,
        warehouse=po.warehouse,
        lines=[(oil, "2"), (pads, "1"), (oil, "1")],  # a part scanned twice is one line
        reason="包装破损",
    )
    assert ret.number == "THBJ01000001"
    assert [(x.part, x.quantity, x.unit_cost, x.amount) for x in ret.lines.all()] == [
        (oil, D("3"), D("31.0000"), D("93.00")),
        (pads, D("1"), D("310.0000"), D("310.00")),
    ]
    assert StockLevel.objects.get(part=oil).on_hand == D("27")
    moved = StockMovement.objects.filter(kind="supplier_return").order_by("id")
    assert [(m.reference_type, m.reference_id, m.reference_no) for m in moved] == [
        ("supplier_return", ret.pk, "THBJ01000001")
    ] * 2


def test_returning_more_than_there_is_writes_nothing(stocked):
    po, keeper, oil, pads = stocked
    movements = StockMovement.objects.count()
    with pytest.raises(ApplicationError) as error:
        purchasing.supplier_return_create(
            actor=keeper,
            store=po.store,
            supplier=po.supplier,
            warehouse=po.warehouse,
            lines=[(oil, "1"), (pads, "5")],  # the first line is fine, the second is not
            reason="质量问题",
        )
    assert error.value.code == "insufficient_stock"
    assert not SupplierReturn.objects.exists() and not SupplierReturnLine.objects.exists()
    assert StockMovement.objects.count() == movements
    assert StockLevel.objects.get(part=oil).on_hand == D("30")
    ret = purchasing.supplier_return_create(  # the number was not used up by the refusal
        actor=keeper,
        store=po.store,
        supplier=po.supplier,
        warehouse=po.warehouse,
        lines=[(pads, "4")],
        reason="错货",
    )
    assert ret.number == "THBJ01000001"


def test_a_return_against_an_order_is_limited_to_what_the_order_brought(stocked, store_b):
    po, keeper, oil, pads = stocked
    common = {"actor": keeper, "store": po.store, "warehouse": po.warehouse, "reason": "质量问题"}
    with pytest.raises(ApplicationError) as error:
        purchasing.supplier_return_create(**common, supplier=po.supplier, order=po, lines=[(oil, "21")])
    assert "20" in str(error.value.message)
    purchasing.supplier_return_create(**common, supplier=po.supplier, order=po, lines=[(oil, "15")])
    with pytest.raises(ApplicationError):  # 5 left to return on this order
        purchasing.supplier_return_create(**common, supplier=po.supplier, order=po, lines=[(oil, "6")])
    other_supplier = Supplier.objects.create(code="BS", name="博世汽配")
    with pytest.raises(ApplicationError):
        purchasing.supplier_return_create(**common, supplier=other_supplier, order=po, lines=[(oil, "1")])
    with pytest.raises(ApplicationError):  # a warehouse of another store
        purchasing.supplier_return_create(
            **{**common, "warehouse": WarehouseFactory(store=store_b)},
            supplier=po.supplier,
            lines=[(oil, "1")],
        )
    with pytest.raises(ApplicationError):  # no reason
        purchasing.supplier_return_create(
            **{**common, "reason": " "}, supplier=po.supplier, lines=[(oil, "1")]
        )
    assert SupplierReturn.objects.count() == 1 and StockLevel.objects.get(part=oil).on_hand == D("15")
