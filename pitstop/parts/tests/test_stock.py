"""The stock ledger: receipts, issues, reservations, returns, transfers, counts, reversals."""

from decimal import Decimal

import pytest

from pitstop.core.exceptions import ApplicationError
from pitstop.parts import services
from pitstop.parts.models import StockLevel, StockMovement
from pitstop.parts.services import Reference

from .factories import PartFactory, WarehouseFactory

D = Decimal
JOB = Reference("work_order", 7, "WO-0007")


@pytest.fixture
def shelf(store_a):
    return WarehouseFactory(store=store_a), PartFactory()


def level(part, warehouse) -> StockLevel:
    return StockLevel.objects.get(part=part, warehouse=warehouse)


def test_receipts_make_a_moving_average_and_issues_take_it(shelf, advisor):
    warehouse, part = shelf
    services.stock_receive(actor=advisor, warehouse=warehouse, lines=[(part, "10", "30")])
    services.stock_receive(actor=advisor, warehouse=warehouse, lines=[(part, "5", D("36.10"))])
    stock = level(part, warehouse)
    assert (stock.on_hand, stock.average_cost, stock.value) == (D("15"), D("32.0333"), D("480.50"))
    (out,) = services.stock_issue(
        actor=advisor, warehouse=warehouse, lines=[(part, "4")], reference=JOB, taken_by="赵磊"
    )
    stock.refresh_from_db()
    assert (out.quantity, out.unit_cost, out.value, out.taken_by) == (
        D("-4"),
        D("32.0333"),
        D("-128.13"),
        "赵磊",
    )
    assert (stock.on_hand, stock.value) == (D("11"), D("352.37"))
    ledger = StockMovement.objects.filter(part=part, warehouse=warehouse)
    assert sum(m.value for m in ledger) == stock.value and sum(m.quantity for m in ledger) == stock.on_hand


def test_nothing_goes_out_that_is_not_there_and_nothing_is_written(shelf, advisor):
    warehouse, part = shelf
    services.stock_receive(actor=advisor, warehouse=warehouse, lines=[(part, "2", "30")])
    with pytest.raises(ApplicationError) as error:
        services.stock_issue(actor=advisor, warehouse=warehouse, lines=[(part, "1"), (part, "2")])
    assert error.value.code == "insufficient_stock" and "2" in str(error.value.message)
    for bad in ("0", "-1", "abc"):
        with pytest.raises(ApplicationError):
            services.stock_issue(actor=advisor, warehouse=warehouse, lines=[(part, bad)])
    assert level(part, warehouse).on_hand == D("2")
    assert StockMovement.objects.count() == 1


def test_reserved_stock_is_kept_for_its_job(shelf, advisor):
    warehouse, part = shelf
    services.stock_receive(actor=advisor, warehouse=warehouse, lines=[(part, "3", "30")])
    reservation = services.reservation_create(
        actor=advisor, warehouse=warehouse, part=part, quantity="2", reference=JOB
    )
    assert level(part, warehouse).available == D("1")
    with pytest.raises(ApplicationError):
        services.stock_issue(actor=advisor, warehouse=warehouse, lines=[(part, "2")])  # someone else's job
    services.stock_issue(
        actor=advisor, warehouse=warehouse, lines=[(part, "2")], reference=JOB, reservation=reservation
    )
    reservation.refresh_from_db()
    stock = level(part, warehouse)
    assert (reservation.status, stock.on_hand, stock.reserved) == ("issued", D("1"), D("0"))
    with pytest.raises(ApplicationError):
        services.reservation_create(
            actor=advisor, warehouse=warehouse, part=part, quantity="2", reference=JOB
        )
    other = services.reservation_create(
        actor=advisor, warehouse=warehouse, part=part, quantity="1", reference=JOB
    )
    services.reservation_release(actor=advisor, reservation=other)
    assert level(part, warehouse).reserved == D("0")


def test_a_return_comes_back_at_the_cost_it_went_out_at_and_not_more_than_went_out(shelf, advisor):
    warehouse, part = shelf
    services.stock_receive(actor=advisor, warehouse=warehouse, lines=[(part, "4", "30")])
    services.stock_issue(actor=advisor, warehouse=warehouse, lines=[(part, "3")], reference=JOB)
    services.stock_receive(
        actor=advisor, warehouse=warehouse, lines=[(part, "1", "50")]
    )  # average moves to 40
    back = services.stock_return(actor=advisor, warehouse=warehouse, part=part, quantity="2", reference=JOB)
    assert back.unit_cost == D("30.0000")
    with pytest.raises(ApplicationError):
        services.stock_return(actor=advisor, warehouse=warehouse, part=part, quantity="2", reference=JOB)


def test_transfer_moves_quantity_and_value_together(shelf, advisor, store_a):
    source, part = shelf
    target = WarehouseFactory(store=store_a)
    services.stock_receive(actor=advisor, warehouse=source, lines=[(part, "6", "20")])
    services.stock_transfer(actor=advisor, source=source, target=target, lines=[(part, "4")])
    assert (level(part, source).on_hand, level(part, target).on_hand) == (D("2"), D("4"))
    assert level(part, target).value == D("80.00") and level(part, source).value == D("40.00")
    with pytest.raises(ApplicationError):
        services.stock_transfer(actor=advisor, source=source, target=target, lines=[(part, "3")])
    assert level(part, target).on_hand == D("4")


def test_a_count_posts_the_difference_at_average_cost(shelf, advisor):
    warehouse, part = shelf
    services.stock_receive(actor=advisor, warehouse=warehouse, lines=[(part, "10", "12.5")])
    loss = services.stock_count(
        actor=advisor,
        warehouse=warehouse,
        part=part,
        counted="8",
        reference=Reference("stocktake", 1, "PD-1"),
    )
    assert (loss.kind, loss.quantity, loss.value) == ("stocktake_loss", D("-2"), D("-25.00"))
    assert (
        services.stock_count(
            actor=advisor,
            warehouse=warehouse,
            part=part,
            counted="8",
            reference=Reference("stocktake", 1, "PD-1"),
        )
        is None
    )


def test_the_ledger_is_never_edited_only_reversed(shelf, advisor):
    warehouse, part = shelf
    (receipt,) = services.stock_receive(actor=advisor, warehouse=warehouse, lines=[(part, "5", "10")])
    with pytest.raises(RuntimeError):
        receipt.note = "changed"
        receipt.save()
    with pytest.raises(RuntimeError):
        receipt.delete()
    services.stock_issue(actor=advisor, warehouse=warehouse, lines=[(part, "4")])
    with pytest.raises(ApplicationError):  # 4 of the 5 received have gone out
        services.movement_reverse(actor=advisor, movement=receipt, reason="录错")
    issue = StockMovement.objects.get(kind="issue")
    undo = services.movement_reverse(actor=advisor, movement=issue, reason="领错了")
    assert undo.reversal_of == issue and undo.quantity == D("4")
    assert level(part, warehouse).on_hand == D("5")
    with pytest.raises(ApplicationError):
        services.movement_reverse(actor=advisor, movement=issue, reason="again")
