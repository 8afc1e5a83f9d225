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


def test_an_exchange_takes_one_part_back_and_issues_the_other_together(store_a, advisor):
    warehouse = WarehouseFactory(store=store_a)
    wrong, right = PartFactory(code="BP-L"), PartFactory(code="BP-R")
    services.stock_receive(actor=advisor, warehouse=warehouse, lines=[(wrong, "2", "50"), (right, "1", "60")])
    job = Reference("work_order", 7, "WO7")
    services.stock_issue(
        actor=advisor, warehouse=warehouse, lines=[(wrong, "1")], reference=job, taken_by="李师傅"
    )

    back, out = services.stock_exchange(
        actor=advisor,
        warehouse=warehouse,
        back=(wrong, "1"),
        out=(right, "1"),
        reference=job,
        taken_by="李师傅",
    )

    assert (back.kind, back.quantity, back.unit_cost) == ("exchange_in", Decimal("1.000"), Decimal("50.0000"))
    assert (out.kind, out.quantity, out.taken_by) == ("exchange_out", Decimal("-1.000"), "李师傅")
    assert wrong.levels.get().on_hand == 2 and right.levels.get().on_hand == 0
    # Nothing more of the wrong part was issued to the job, so a second swap is refused, whole.
    with pytest.raises(ApplicationError):
        services.stock_exchange(
            actor=advisor, warehouse=warehouse, back=(wrong, "1"), out=(right, "1"), reference=job
        )
    assert StockMovement.objects.filter(reference_no="WO7").count() == 3


def test_an_exchange_refused_for_want_of_stock_writes_nothing(store_a, advisor):
    warehouse = WarehouseFactory(store=store_a)
    wrong, right = PartFactory(), PartFactory()
    services.stock_receive(actor=advisor, warehouse=warehouse, lines=[(wrong, "1", "50")])
    job = Reference("work_order", 8, "WO8")
    services.stock_issue(actor=advisor, warehouse=warehouse, lines=[(wrong, "1")], reference=job)

    with pytest.raises(ApplicationError) as refused:
        services.stock_exchange(
            actor=advisor, warehouse=warehouse, back=(wrong, "1"), out=(right, "1"), reference=job
        )

    assert refused.value.code == "insufficient_stock"
    assert wrong.levels.get().on_hand == 0
    assert StockMovement.objects.filter(reference_no="WO8").count() == 1


def test_adjusting_by_a_difference_keeps_movements_made_since_the_count(store_a, advisor):
    warehouse = WarehouseFactory(store=store_a)
    part = PartFactory()
    services.stock_receive(actor=advisor, warehouse=warehouse, lines=[(part, "10", "5")])
    # Counted 9 while the book said 10; then 3 went out before the count was posted.
    services.stock_issue(actor=advisor, warehouse=warehouse, lines=[(part, "3")])
    movement = services.stock_adjust(
        actor=advisor,
        warehouse=warehouse,
        part=part,
        difference="-1",
        reference=Reference("stocktake", 1, "PD1"),
    )

    assert movement.kind == "stocktake_loss"
    assert part.levels.get().on_hand == 6


def test_a_price_type_price_wins_over_the_sale_price(db):
    from pitstop.parts.models import PartPrice
    from pitstop.parts.selectors import sale_prices

    member, plain_part = PartFactory(sale_price=D("100.00")), PartFactory(sale_price=D("80.00"))
    PartPrice.objects.create(part=member, price_type="member", price=D("90.00"))

    assert sale_prices([member, plain_part], "member") == {member.pk: D("90.00"), plain_part.pk: D("80.00")}
    assert sale_prices([member], "retail") == {member.pk: D("100.00")}
