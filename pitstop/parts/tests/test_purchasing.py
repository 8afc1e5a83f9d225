from decimal import Decimal

import pytest

from pitstop.core.exceptions import ApplicationError
from pitstop.parts import purchasing
from pitstop.parts.models import PurchaseOrder, StockLevel, StockMovement, Supplier

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
    assert [m.reference_no for m in movements] == ["CGBJ01000001"] * 2
    assert StockLevel.objects.get(part=pads).average_cost == D("300.0000")
    purchasing.purchase_order_receive(actor=keeper, order=po, lines=[(pads, "3", None)])
    po.refresh_from_db()
    assert po.status == "received" and StockLevel.objects.get(part=oil).on_hand == D("20")
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

    from pitstop.parts import services
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
