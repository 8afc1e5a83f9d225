"""Counter sales of parts (F-5.9, 配件销售): services and selectors.

A sale is drafted at the parts counter (a customer of the store, priced by the customer's tier,
or a walk-in buyer at retail), posted (the parts leave the warehouse through the ledger and
the sale waits at the cash desk), then paid there. Draft → posted ("awaiting payment") → paid,
or cancelled from draft or posted.

THE CASH-DESK HOOK. The settlement module (a later issue) takes the money; it calls only:
- `counter_sales_awaiting_payment(user, store)`: the posted sales it may collect, scoped to
  the stores where the user may see counter sales (the cashier has parts.view_countersale);
- `counter_sale_mark_paid(actor=, sale=, payment_reference=)`: posted → paid, with the
  payment's reference (receipt or transaction number) stored on the sale and in its events.
A refund of a paid sale belongs to the cash desk as well: this module never cancels a paid sale.

Money: a line's amount is to_money(quantity × unit price × (1 − discount rate)), rounded per
line, then summed; the subtotal is the sum of to_money(quantity × unit price) per line and the
discount is subtotal − total. Decimal only."""

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Case, IntegerField, Prefetch, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from pitstop.accounts.models import Store, User
from pitstop.core.events import record_event
from pitstop.core.exceptions import ApplicationError
from pitstop.core.money import to_money, to_rate
from pitstop.core.numbering import next_code
from pitstop.core.scoping import get_scoped_or_404, has_perm_in_store, scoped
from pitstop.customers.models import Customer

from . import selectors, services
from .models import (
    ZERO,
    CounterSale,
    CounterSaleEvent,
    CounterSaleLine,
    Part,
    StockLevel,
    StockMovement,
    Warehouse,
)

Status = CounterSale.Status
VIEW = "parts.view_countersale"
ADD = "parts.add_countersale"
CHANGE = "parts.change_countersale"
MOVE_STOCK = "parts.add_stockmovement"  # posting and cancelling a posted sale move stock
# Selling below cost is the store manager's call: a permission of its own, on the manager's role.
SELL_BELOW_COST = "parts.sell_below_cost"
REFERENCE_TYPE = "counter_sale"
RETAIL = "retail"
ONE = Decimal(1)
HUNDRED = Decimal(100)


# --- amounts ---------------------------------------------------------------------------------


def line_amounts(quantity: Decimal, unit_price: Decimal, discount_rate: Decimal) -> tuple[Decimal, Decimal]:
    """(gross, amount) of one line, each rounded to the cent."""
    gross = to_money(quantity * unit_price)
    amount = to_money(quantity * unit_price * (ONE - discount_rate))
    return gross, amount


@dataclass(frozen=True)
class Totals:
    subtotal: Decimal
    discount: Decimal
    total: Decimal


def sale_totals(lines) -> Totals:
    """Lines are (quantity, unit price, discount rate); each rounded, then summed."""
    subtotal = total = ZERO
    for quantity, unit_price, rate in lines:
        gross, amount = line_amounts(quantity, unit_price, rate)
        subtotal += gross
        total += amount
    subtotal, total = to_money(subtotal), to_money(total)
    return Totals(subtotal=subtotal, discount=subtotal - total, total=total)


def customer_terms(customer: Customer | None) -> tuple[str, Decimal]:
    """(price type, default discount rate) for a buyer: the customer's tier decides; a walk-in
    buyer or a customer without a tier pays retail without discount."""
    tier = customer.tier if customer is not None else None
    if tier is None:
        return RETAIL, ZERO
    return tier.price_type or RETAIL, to_rate(tier.parts_discount_pct / HUNDRED)


# --- services --------------------------------------------------------------------------------


@dataclass(frozen=True)
class SaleLine:
    """One line as the seller enters it. No price: the customer's price; no rate: the tier's."""

    part: Part
    quantity: object
    unit_price: object = None
    discount_rate: object = None


def _label(status: str) -> str:
    return str(Status(status).label) if status in Status.values else status


def _refuse_move(sale: CounterSale, to: str) -> None:
    if to not in CounterSale.ALLOWED.get(sale.status, set()):
        message = _("A sale that is %(from)s cannot become %(to)s.") % {
            "from": _label(sale.status),
            "to": _label(to),
        }
        if sale.status == Status.PAID and to == Status.CANCELLED:
            message += " " + _("A paid sale is refunded at the cash desk.")
        raise ApplicationError(message, field="status", code="transition")


def _cost_basis(warehouse: Warehouse, parts: list[Part]) -> dict[int, Decimal]:
    """What a unit of each part costs now in that warehouse: the moving average where stock
    is held, the catalogue's cost price otherwise."""
    averages = dict(
        StockLevel.objects.filter(warehouse=warehouse, part__in=parts, on_hand__gt=0).values_list(
            "part_id", "average_cost"
        )
    )
    return {part.pk: averages.get(part.pk) or part.cost_price for part in parts}


def _check_not_below_cost(*, actor, store: Store, part: Part, unit_price, rate, unit_cost) -> None:
    """The seller may lower a price (a price or a discount), but not below what the part cost
    us: a line whose price after discount is below the unit cost is refused, unless the seller
    is the store manager (SELL_BELOW_COST in the sale's store)."""
    net = unit_price * (ONE - rate)
    if unit_cost and net < unit_cost and not has_perm_in_store(actor, SELL_BELOW_COST, store.pk):
        raise ApplicationError(
            _(
                "%(part)s: ¥%(net)s after discount is below its cost ¥%(cost)s. "
                "Only the store manager may sell below cost."
            )
            % {"part": part, "net": to_money(net), "cost": to_money(unit_cost)},
            field="lines",
            code="below_cost",
        )


def _clean_lines(*, actor, store: Store, warehouse: Warehouse, customer, lines) -> tuple[str, list]:
    if not lines:
        raise ApplicationError(_("Add at least one line."), field="lines")
    price_type, default_rate = customer_terms(customer)
    parts = [line.part for line in lines]
    list_prices = selectors.sale_prices(parts, price_type)
    costs = _cost_basis(warehouse, parts)
    checked = []
    for line in lines:
        part = line.part
        if not part.is_active:
            raise ApplicationError(_("%(part)s is no longer sold.") % {"part": part}, field="lines")
        quantity = services.clean_quantity(line.quantity)
        list_price = to_money(list_prices[part.pk])
        unit_price = list_price if line.unit_price in (None, "") else _clean_price(line.unit_price, part)
        rate = default_rate if line.discount_rate in (None, "") else _clean_rate(line.discount_rate, part)
        # Prices go down, not up: the customer's price list is the most a counter sale asks.
        if list_price > 0 and unit_price > list_price:
            raise ApplicationError(
                _("%(part)s: the price ¥%(price)s is above the price list's ¥%(list)s.")
                % {"part": part, "price": unit_price, "list": list_price},
                field="lines",
                code="above_list_price",
            )
        _check_not_below_cost(
            actor=actor, store=store, part=part, unit_price=unit_price, rate=rate, unit_cost=costs[part.pk]
        )
        checked.append((part, quantity, unit_price, rate))
    return price_type, checked


def _clean_price(value, part: Part) -> Decimal:
    try:
        price = to_money(value)
    except (TypeError, ArithmeticError, ValueError):
        raise ApplicationError(_("The price must be a number."), field="lines") from None
    if price < 0:
        raise ApplicationError(_("%(part)s: a price cannot be negative.") % {"part": part}, field="lines")
    return price


def _clean_rate(value, part: Part) -> Decimal:
    try:
        rate = to_rate(value)
    except (TypeError, ArithmeticError, ValueError):
        raise ApplicationError(_("The discount must be a number."), field="lines") from None
    if not ZERO <= rate <= ONE:
        raise ApplicationError(
            _("%(part)s: a discount is between 0 and 100%%.") % {"part": part}, field="lines"
        )
    return rate


def _check_parties(store: Store, warehouse: Warehouse, customer: Customer | None) -> None:
    if warehouse.store_id != store.pk:
        raise ApplicationError(_("The warehouse belongs to another store."), field="warehouse")
    if not warehouse.is_active:
        raise ApplicationError(
            _("The warehouse %(name)s is closed.") % {"name": warehouse.name}, field="warehouse"
        )
    if customer is not None and customer.store_id != store.pk:
        raise ApplicationError(_("The customer belongs to another store."), field="customer")


def _write_lines(sale: CounterSale, checked: list) -> None:
    rows = []
    for part, quantity, unit_price, rate in checked:
        _gross, amount = line_amounts(quantity, unit_price, rate)
        rows.append(
            CounterSaleLine(
                sale=sale,
                part=part,
                quantity=quantity,
                unit_price=unit_price,
                discount_rate=rate,
                amount=amount,
            )
        )
    CounterSaleLine.objects.bulk_create(rows)
    totals = sale_totals((q, p, r) for _part, q, p, r in checked)
    sale.subtotal, sale.discount, sale.total = totals.subtotal, totals.discount, totals.total


@transaction.atomic
def counter_sale_create(
    *,
    actor: User | None,
    store: Store,
    warehouse: Warehouse,
    lines: list[SaleLine],
    customer: Customer | None = None,
    buyer_name: str = "",
    buyer_phone: str = "",
    note: str = "",
) -> CounterSale:
    """A draft sale: priced, nothing taken from stock yet."""
    _check_parties(store, warehouse, customer)
    price_type, checked = _clean_lines(
        actor=actor, store=store, warehouse=warehouse, customer=customer, lines=lines
    )
    sale = CounterSale.objects.create(
        store=store,
        number=next_code("XS", store.code),
        warehouse=warehouse,
        customer=customer,
        buyer_name=buyer_name.strip()[:60],
        buyer_phone=buyer_phone.strip()[:30],
        price_type=price_type,
        note=note[:200],
        created_by=actor if actor and actor.pk else None,
    )
    _write_lines(sale, checked)
    sale.save(update_fields=["subtotal", "discount", "total"])
    record_event(sale, actor, "", Status.DRAFT)
    return sale


@transaction.atomic
def counter_sale_update(
    *,
    actor: User | None,
    sale: CounterSale,
    warehouse: Warehouse,
    lines: list[SaleLine],
    customer: Customer | None = None,
    buyer_name: str = "",
    buyer_phone: str = "",
    note: str = "",
) -> CounterSale:
    """Change a draft: its buyer, warehouse and lines (replaced as a whole)."""
    sale = CounterSale.objects.select_for_update(of=("self",)).select_related("store").get(pk=sale.pk)
    if sale.status != Status.DRAFT:
        raise ApplicationError(
            _("A sale that is %(status)s cannot be changed.") % {"status": _label(sale.status)},
            field="status",
            code="transition",
        )
    _check_parties(sale.store, warehouse, customer)
    price_type, checked = _clean_lines(
        actor=actor, store=sale.store, warehouse=warehouse, customer=customer, lines=lines
    )
    sale.lines.all().delete()
    sale.warehouse, sale.customer, sale.price_type = warehouse, customer, price_type
    sale.buyer_name, sale.buyer_phone, sale.note = (
        buyer_name.strip()[:60],
        buyer_phone.strip()[:30],
        note[:200],
    )
    _write_lines(sale, checked)
    sale.save(
        update_fields=[
            "warehouse",
            "customer",
            "price_type",
            "buyer_name",
            "buyer_phone",
            "note",
            "subtotal",
            "discount",
            "total",
            "updated_at",
        ]
    )
    return sale


@transaction.atomic
def counter_sale_post(*, actor: User | None, sale: CounterSale) -> CounterSale:
    """Take the parts out of the warehouse at their average cost and send the sale to the cash
    desk. Not enough stock, or a price below the cost now, refuses it and writes nothing."""
    sale = (
        CounterSale.objects.select_for_update(of=("self",))
        .select_related("store", "warehouse")
        .get(pk=sale.pk)
    )
    _refuse_move(sale, Status.POSTED)
    lines = list(sale.lines.select_related("part"))
    if not lines:
        raise ApplicationError(_("Add at least one line."), field="lines")
    movements = services.stock_issue(
        actor=actor,
        warehouse=sale.warehouse,
        lines=[(line.part, line.quantity) for line in lines],
        kind=StockMovement.Kind.COUNTER_SALE,
        reference=services.Reference(REFERENCE_TYPE, sale.pk, sale.number),
        taken_by=sale.buyer_name or (sale.customer.name if sale.customer_id else ""),
    )
    cost = ZERO
    for line, movement in zip(lines, movements, strict=True):
        # Checked again at the cost the parts actually went out at; a refusal undoes the issue.
        _check_not_below_cost(
            actor=actor,
            store=sale.store,
            part=line.part,
            unit_price=line.unit_price,
            rate=line.discount_rate,
            unit_cost=movement.unit_cost,
        )
        line.unit_cost = movement.unit_cost
        line.amount = line_amounts(line.quantity, line.unit_price, line.discount_rate)[1]
        cost += to_money(line.quantity * movement.unit_cost)
    CounterSaleLine.objects.bulk_update(lines, ["unit_cost", "amount"])
    totals = sale_totals((line.quantity, line.unit_price, line.discount_rate) for line in lines)
    previous = sale.status
    sale.subtotal, sale.discount, sale.total = totals.subtotal, totals.discount, totals.total
    sale.cost = to_money(cost)
    sale.status = Status.POSTED
    sale.posted_at = timezone.now()
    sale.save(update_fields=["subtotal", "discount", "total", "cost", "status", "posted_at", "updated_at"])
    record_event(sale, actor, previous, Status.POSTED)
    return sale


@transaction.atomic
def counter_sale_mark_paid(*, actor: User | None, sale: CounterSale, payment_reference: str) -> CounterSale:
    """THE CASH-DESK HOOK: the cash desk took the money for a posted sale."""
    reference = (payment_reference or "").strip()
    if not reference:
        raise ApplicationError(_("Give the payment's reference."), field="payment_reference")
    sale = CounterSale.objects.select_for_update().get(pk=sale.pk)
    _refuse_move(sale, Status.PAID)
    previous = sale.status
    sale.status = Status.PAID
    sale.paid_at = timezone.now()
    sale.payment_reference = reference[:60]
    sale.save(update_fields=["status", "paid_at", "payment_reference", "updated_at"])
    record_event(sale, actor, previous, Status.PAID, reference)
    return sale


@transaction.atomic
def counter_sale_cancel(*, actor: User | None, sale: CounterSale, reason: str = "") -> CounterSale:
    """A draft is simply cancelled. A posted (unpaid) sale puts its parts back: each of its
    movements is reversed in the ledger, with the reason. A paid sale is refused (refunds are
    the cash desk's)."""
    sale = CounterSale.objects.select_for_update().get(pk=sale.pk)
    _refuse_move(sale, Status.CANCELLED)
    reason = (reason or "").strip()
    previous = sale.status
    if previous == Status.POSTED:
        if not reason:
            raise ApplicationError(_("Say why the sale is cancelled."), field="reason")
        movements = StockMovement.objects.filter(
            reference_type=REFERENCE_TYPE,
            reference_id=sale.pk,
            kind=StockMovement.Kind.COUNTER_SALE,
            reversal_of__isnull=True,
            reversals__isnull=True,
        ).select_related("part", "warehouse")
        for movement in movements.order_by("pk"):
            services.movement_reverse(
                actor=actor,
                movement=movement,
                reason=_("Sale %(number)s cancelled: %(reason)s") % {"number": sale.number, "reason": reason},
            )
    sale.status = Status.CANCELLED
    sale.save(update_fields=["status", "updated_at"])
    record_event(sale, actor, previous, Status.CANCELLED, reason)
    return sale


# --- selectors -------------------------------------------------------------------------------


def counter_sales_for(user, store: Store | None = None) -> QuerySet[CounterSale]:
    return scoped(CounterSale.objects.all(), user, VIEW, store=store).select_related(
        "store", "warehouse", "customer", "created_by"
    )


def counter_sale_list(
    *,
    user,
    store: Store | None,
    status: str = "",
    query: str = "",
) -> QuerySet[CounterSale]:
    """Awaiting payment first (what the cash desk and the counter chase), then newest first."""
    sales = counter_sales_for(user, store)
    if status in Status.values:
        sales = sales.filter(status=status)
    text = (query or "").strip()
    if text:
        sales = sales.filter(
            Q(number__icontains=text)
            | Q(buyer_name__icontains=text)
            | Q(customer__name__icontains=text)
            | Q(payment_reference=text)
        )
    waiting_first = Case(
        When(status=Status.POSTED, then=Value(0)), default=Value(1), output_field=IntegerField()
    )
    return sales.annotate(waiting_first=waiting_first).order_by("waiting_first", "-id")


def counter_sales_awaiting_payment(user, store: Store | None) -> QuerySet[CounterSale]:
    """THE CASH-DESK HOOK: posted sales waiting to be paid, oldest first, in the stores where
    the user may see counter sales (narrowed to `store` when given)."""
    return counter_sales_for(user, store).filter(status=Status.POSTED).order_by("posted_at", "id")


def counter_sale_detail(*, user, pk: int) -> CounterSale:
    """One sale with its lines and events; 404 when the user may not see its store."""
    return get_scoped_or_404(
        CounterSale.objects.select_related(
            "store", "warehouse", "customer", "customer__tier", "created_by"
        ).prefetch_related(
            Prefetch("lines", queryset=CounterSaleLine.objects.select_related("part")),
            Prefetch("events", queryset=CounterSaleEvent.objects.select_related("actor")),
        ),
        user,
        VIEW,
        pk=pk,
    )
