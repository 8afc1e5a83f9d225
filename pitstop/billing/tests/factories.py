"""Factories for billing: a repair order ready to be billed (labour done, parts really issued
to the job through the stock ledger, the reception checklist filled in), and the same order
settled and paid through the real services (settlement_prepare → settlement_post →
payment_record), so that tests of delivery, prints, the day close and reports start from what
the cash desk would really see."""

from decimal import Decimal

from pitstop.billing.models import CreditAccount, Payment, Settlement
from pitstop.billing.payments import payment_record
from pitstop.billing.settlement import settlement_post, settlement_prepare
from pitstop.customers.tests.factories import CustomerFactory, VehicleFactory
from pitstop.parts.services import Reference, stock_issue, stock_receive
from pitstop.parts.tests.factories import PartFactory, WarehouseFactory
from pitstop.service.models import CERTIFIED_CATEGORIES, OrderPart, RepairCategory, RepairOrder
from pitstop.service.tests.factories import OrderLabourFactory, OrderPartFactory, RepairOrderFactory

# (name, hours, rate per hour): charged hours × rate.
LABOUR = (("更换前刹车片", "1.5", "120.00"),)
# (name, quantity, unit price): issued to the job from stock.
PARTS = (("前刹车片", "2", "400.00"),)
ITEMS = ("spare_wheel", "jack")
DOCUMENTS = ("driving_licence",)


def ready_order(
    *,
    store,
    advisor,
    status: str = RepairOrder.Status.READY,
    vehicle=None,
    customer=None,
    repair_category: str = RepairCategory.LEVEL_1,
    business_type: str = "maintenance",
    labour=LABOUR,
    parts=PARTS,
    items=ITEMS,
    documents=DOCUMENTS,
    valuables: str = "",
    key_tag: str = "K07",
    old_parts: str = RepairOrder.OldParts.TAKE,
    certificate: bool = True,
    mileage: int = 30000,
) -> RepairOrder:
    """A repair order in `status` (ready by default) with its labour lines and its parts issued
    to the job (received into a warehouse of the store first). A certified repair category
    gets its completion certificate number unless `certificate=False`."""
    if vehicle is None:
        owner = customer or CustomerFactory(store=store)
        vehicle = VehicleFactory(owner=owner)
    order = RepairOrderFactory(
        vehicle=vehicle,
        advisor=advisor,
        status=status,
        repair_category=repair_category,
        business_type=business_type,
        items_in_vehicle={code: True for code in items},
        documents_held=list(documents),
        valuables=valuables,
        key_tag=key_tag,
        old_parts=old_parts,
        mileage=mileage,
    )
    for position, (name, hours, rate) in enumerate(labour):
        price = (Decimal(hours) * Decimal(rate)).quantize(Decimal("0.01"))
        OrderLabourFactory(
            order=order,
            position=position,
            name=name,
            hours=Decimal(hours),
            rate=Decimal(rate),
            price=price,
            amount=price,
        )
    if parts:
        warehouse = WarehouseFactory(store=order.store)
        reference = Reference("repair_order", order.pk, order.number)
        for position, (name, quantity, unit_price) in enumerate(parts):
            part = PartFactory(name=name, sale_price=Decimal(unit_price))
            cost = (Decimal(unit_price) * Decimal("0.6")).quantize(Decimal("0.01"))  # never below cost
            stock_receive(actor=advisor, warehouse=warehouse, lines=[(part, quantity, cost)])
            stock_issue(actor=advisor, warehouse=warehouse, lines=[(part, quantity)], reference=reference)
            amount = (Decimal(quantity) * Decimal(unit_price)).quantize(Decimal("0.01"))
            OrderPartFactory(
                order=order,
                position=position,
                part=part,
                code=part.code,
                name=name,
                quantity=Decimal(quantity),
                unit_price=Decimal(unit_price),
                amount=amount,
                issued=Decimal(quantity),
                supply=OrderPart.Supply.ISSUED,
            )
    if certificate and repair_category in CERTIFIED_CATEGORIES:
        order.certificate_no = f"HG{order.store.code}{order.pk:06d}"
        order.save(update_fields=["certificate_no"])
    return order


def settle(
    order: RepairOrder,
    *,
    advisor,
    cashier,
    pay="all",
    method: str = Payment.Method.WECHAT,
    invoice_no: str = "",
    fees=(),
) -> Settlement:
    """Prepare and post the order's bill, then pay `pay` of it ("all", None for nothing, or an
    amount) by `method` (a card or mobile payment gets a reference number)."""
    settlement = settlement_prepare(actor=advisor, order=order, fees=fees)
    settlement = settlement_post(actor=cashier, settlement=settlement, invoice_no=invoice_no)
    settlement.refresh_from_db()
    amount = settlement.outstanding if pay == "all" else (Decimal(pay) if pay is not None else None)
    if amount:
        reference = f"42000{settlement.pk:010d}" if method in Payment.WITH_REFERENCE else ""
        payment_record(
            actor=cashier, settlement=settlement, method=method, amount=amount, reference=reference
        )
        settlement.refresh_from_db()
    return settlement


def settled_order(
    *, store, advisor, cashier, pay="all", method=Payment.Method.WECHAT, invoice_no="", **order_fields
):
    """A ready order with its bill posted and paid (all of it by default): (order, settlement)."""
    order = ready_order(store=store, advisor=advisor, **order_fields)
    settlement = settle(
        order, advisor=advisor, cashier=cashier, pay=pay, method=method, invoice_no=invoice_no
    )
    order.refresh_from_db()
    return order, settlement


def credit_account(*, store, customer, limit="50000.00", terms_days: int = 30) -> CreditAccount:
    """A company account that may pay on credit (挂账)."""
    return CreditAccount.objects.create(
        store=store, customer=customer, limit=Decimal(limit), terms_days=terms_days
    )
