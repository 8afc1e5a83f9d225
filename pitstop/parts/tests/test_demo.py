from decimal import Decimal

from django.core.management import call_command

from pitstop.parts.models import Part, StockLevel, StockMovement


def test_demo_shop_has_parts_in_stock_once(db):
    call_command("load_demo", "--quiet-logins")
    call_command("load_demo", "--quiet-logins")
    assert Part.objects.count() == 16
    levels = StockLevel.objects.filter(warehouse__store__code="BJ01", warehouse__code="PJ")
    assert levels.count() == 16 and all(level.on_hand > 0 for level in levels)
    assert sum(m.value for m in StockMovement.objects.filter(warehouse__store__code="BJ01")) == sum(
        (level.value for level in levels), Decimal(0)
    )
    # A scanner can count the demo shelves: every part carries a valid EAN-13 barcode.
    from stdnum import ean

    assert all(ean.is_valid(code) for code in Part.objects.values_list("barcode", flat=True))
    assert len(set(Part.objects.values_list("barcode", flat=True))) == 16


def test_demo_parts_department_has_documents_in_every_state_and_the_ledger_agrees(db):
    from pitstop.parts.models import CounterSale, OldPart, PurchaseOrder, Stocktake, Transfer

    call_command("load_demo", "--quiet-logins")
    call_command("load_demo", "--quiet-logins")
    assert set(PurchaseOrder.objects.values_list("status", flat=True)) == {
        "draft",
        "ordered",
        "partly_received",
        "received",
    }
    assert Stocktake.objects.get().status == "posted"
    assert Transfer.objects.get().status == "in_transit"
    assert set(CounterSale.objects.values_list("status", flat=True)) == {"posted", "paid"}
    assert set(OldPart.objects.values_list("status", flat=True)) == {"collected", "stored"}
    for level in StockLevel.objects.all():
        moves = StockMovement.objects.filter(part=level.part_id, warehouse=level.warehouse_id)
        assert level.on_hand == sum((m.quantity for m in moves), Decimal(0))
