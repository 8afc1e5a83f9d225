"""Pre-settlement and settlement of a repair order (F-6.1, F-6.2, F-6.5, F-6.7).

The bill is built from what was really done and used:
- labour: the order's approved labour lines (hours × rate, the order's discount);
- parts: what the stock ledger says went out to the job, returns and exchanges netted, priced
  as on the order (or at the sale price with the tier's parts discount for a part that was not
  on it); parts the customer brought are listed at no charge;
- fees entered by the advisor: management fee, auxiliary materials, contract work, rescue and
  towing, other.

Prices include VAT (Chinese retail prices do): a line's tax is the part of its amount that is
tax, amount × rate / (100 + rate), rounded half-up to the cent. Each line is rounded, then the
lines are summed.

Who pays: the business type decides the default payer of every line (warranty → the
manufacturer, insurance → the insurer, internal → the store); the owner pays the rest. A
posted settlement is never edited: `settlement_reverse` posts its negative and the bill is
prepared again."""

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from pitstop.accounts.models import Store, User
from pitstop.core.events import record_event
from pitstop.core.exceptions import ApplicationError
from pitstop.core.money import to_money, to_quantity
from pitstop.core.numbering import next_code
from pitstop.parts.models import StockMovement
from pitstop.parts.services import Reference
from pitstop.service.models import Approval, BusinessType, OrderLabour, OrderPart, RepairOrder

from .models import (
    FEE_KINDS,
    ZERO,
    BillingSettings,
    LineKind,
    Payer,
    Settlement,
    SettlementLine,
)
from .payments import MAX_MONEY, carry_in, carry_out, owner_amounts
from .receivables import receivables_post, receivables_reverse

HUNDRED = Decimal("100")
Status = Settlement.Status
# The ledger kinds that move parts between the warehouse and a job.
JOB_KINDS = (
    StockMovement.Kind.ISSUE,
    StockMovement.Kind.RETURN,
    StockMovement.Kind.EXCHANGE_IN,
    StockMovement.Kind.EXCHANGE_OUT,
)
# A bill can be prepared once the work is under way; it is posted when the car is ready.
PREPARABLE = (
    RepairOrder.Status.IN_PROGRESS,
    RepairOrder.Status.WAITING_PARTS,
    RepairOrder.Status.WAITING_APPROVAL,
    RepairOrder.Status.CHECKING,
    RepairOrder.Status.WASHING,
    RepairOrder.Status.READY,
)
DEFAULT_PAYER = {
    BusinessType.WARRANTY: Payer.WARRANTY,
    BusinessType.INSURANCE: Payer.INSURER,
    BusinessType.INTERNAL: Payer.INTERNAL,
}


# ---------------------------------------------------------------- the arithmetic


@dataclass(frozen=True)
class Priced:
    due: Decimal
    discount: Decimal
    amount: Decimal
    tax: Decimal


def tax_within(amount: Decimal, rate: Decimal) -> Decimal:
    """The VAT inside a tax-inclusive amount: amount × rate / (100 + rate), to the cent."""
    return to_money(amount * rate / (HUNDRED + rate)) if rate and amount else ZERO


def discount_limit(settings_row: BillingSettings, owner_lines: Decimal) -> Decimal:
    """The manual discount the store allows on the owner's lines without the manager."""
    return to_money(owner_lines * settings_row.manual_discount_limit / HUNDRED)


def price_line(*, quantity: Decimal, unit_price: Decimal, discount_pct: Decimal, tax_rate: Decimal) -> Priced:
    """One line: due = quantity × price, the discount off it, the amount, and the tax within
    the amount; each rounded half-up to the cent."""
    due = to_money(quantity * unit_price)
    discount = to_money(due * discount_pct / HUNDRED)
    amount = due - discount
    tax = tax_within(amount, tax_rate)
    return Priced(due=due, discount=discount, amount=amount, tax=tax)


@dataclass(frozen=True)
class Totals:
    labour_due: Decimal
    labour_discount: Decimal
    labour_charged: Decimal
    parts_due: Decimal
    parts_discount: Decimal
    parts_charged: Decimal
    fees: Decimal
    total: Decimal
    tax: Decimal
    owner_total: Decimal


def totals_of(lines) -> Totals:
    """Seed 002's amounts from the lines (anything with kind, amount_due, discount, amount, tax,
    payer): the sums of the rounded lines."""
    sums: dict[str, Decimal] = defaultdict(lambda: ZERO)
    tax = owner = ZERO
    for line in lines:
        group = line.kind if line.kind in (LineKind.LABOUR, LineKind.PART) else "fees"
        sums[f"{group}_due"] += line.amount_due
        sums[f"{group}_discount"] += line.discount
        sums[f"{group}_charged"] += line.amount
        tax += line.tax
        if line.payer == Payer.OWNER:
            owner += line.amount
    total = sums["labour_charged"] + sums["part_charged"] + sums["fees_charged"]
    return Totals(
        labour_due=sums["labour_due"],
        labour_discount=sums["labour_discount"],
        labour_charged=sums["labour_charged"],
        parts_due=sums["part_due"],
        parts_discount=sums["part_discount"],
        parts_charged=sums["part_charged"],
        fees=sums["fees_charged"],
        total=total,
        tax=tax,
        owner_total=owner,
    )


# ---------------------------------------------------------------- selectors


def billing_settings(store: Store) -> BillingSettings:
    row, created = BillingSettings.objects.get_or_create(store=store)
    if created:
        row.refresh_from_db()
    return row


def issued_to_job(order: RepairOrder) -> dict[int, Decimal]:
    """Net quantity of each part that went out to the job: issues and exchanges out, less
    returns and exchanges back (reversals carry the same reference and net themselves out)."""
    return {part_id: quantity for part_id, (quantity, _cost) in _issued_with_cost(order).items()}


def _issued_with_cost(order: RepairOrder) -> dict[int, tuple[Decimal, Decimal]]:
    """Per part: the net quantity out to the job and what it cost the store (the ledger's
    quantity × unit cost, netted the same way)."""
    rows = (
        StockMovement.objects.filter(
            reference_type="repair_order", reference_id=order.pk, kind__in=JOB_KINDS, store_id=order.store_id
        )
        .values("part_id")
        .annotate(moved=Sum("quantity"), cost=Sum(F("quantity") * F("unit_cost")))
    )
    return {
        row["part_id"]: (-row["moved"], to_money(-(row["cost"] or ZERO)))
        for row in rows
        if row["moved"] and row["moved"] < 0
    }


def live_settlement(order: RepairOrder) -> Settlement | None:
    """The order's posted bill that counts (neither reversed nor a reversal), if any."""
    return order.settlements.filter(status=Status.POSTED, reverses__isnull=True).order_by("-id").first()


def open_settlement(order: RepairOrder) -> Settlement | None:
    """The live bill, else the pre-settlement being prepared."""
    return live_settlement(order) or order.settlements.filter(status=Status.DRAFT).first()


# ---------------------------------------------------------------- services


def _fee_lines(fees) -> list[dict]:
    cleaned = []
    for fee in fees or ():
        kind = fee.get("kind")
        if kind not in FEE_KINDS:
            raise ApplicationError(_("Choose the kind of fee."), field="kind", code="fee_kind")
        try:
            amount = to_money(str(fee.get("amount") or "0"))
        except (InvalidOperation, TypeError, ValueError):
            raise ApplicationError(_("Enter the fee as an amount."), field="amount", code="amount") from None
        if amount <= 0:
            raise ApplicationError(_("A fee is more than zero."), field="amount", code="amount")
        if amount > MAX_MONEY:
            raise ApplicationError(_("The amount is too large."), field="amount", code="amount")
        cleaned.append(
            {"kind": kind, "name": (fee.get("name") or LineKind(kind).label)[:100], "amount": amount}
        )
    return cleaned


def _part_price(order: RepairOrder, part) -> tuple[Decimal, Decimal]:
    """The unit price and discount the order agreed for the part, or the sale price with the
    tier's parts discount for a part that was not on it."""
    line = (
        OrderPart.objects.filter(order=order, part=part, approval=Approval.APPROVED, customer_supplied=False)
        .order_by("id")
        .first()
    )
    if line is not None:
        return line.unit_price, line.discount_pct
    tier = getattr(order.customer, "tier", None)
    return part.sale_price, (tier.parts_discount_pct if tier else ZERO)


@transaction.atomic
def settlement_prepare(*, actor: User, order: RepairOrder, fees=()) -> Settlement:
    """The pre-settlement (预结算) of the order, made again from scratch each time it is
    prepared; only one open pre-settlement per order, and none once one is posted."""
    order = (
        RepairOrder.objects.select_for_update(of=("self",))
        .select_related("store", "customer")
        .get(pk=order.pk)
    )
    if order.status not in PREPARABLE:
        raise ApplicationError(
            _("A work order that is %(status)s cannot be settled yet.")
            % {"status": RepairOrder.Status(order.status).label},
            code="order_status",
        )
    if order.settlements.filter(status=Status.POSTED, reverses__isnull=True).exists():
        raise ApplicationError(
            _("This work order is settled; reverse the settlement to prepare it again."), code="posted"
        )
    fee_rows = _fee_lines(fees)
    settings_row = billing_settings(order.store)
    payer = DEFAULT_PAYER.get(order.business_type, Payer.OWNER)
    settlement = order.settlements.filter(status=Status.DRAFT).first()
    if settlement is None:
        settlement = Settlement.objects.create(
            store=order.store,
            number=next_code("JS", order.store.code),
            order=order,
            customer=order.customer,
            prepared_by=actor,
        )
        record_event(settlement, actor, "", Status.DRAFT, order.number)
    settlement.lines.all().delete()

    rows: list[SettlementLine] = []

    def add(kind, name, quantity, unit_price, discount_pct, **extra):
        priced = price_line(
            quantity=quantity,
            unit_price=unit_price,
            discount_pct=discount_pct,
            tax_rate=settings_row.vat_for(kind),
        )
        rows.append(
            SettlementLine(
                settlement=settlement,
                position=len(rows),
                kind=kind,
                name=name[:100],
                quantity=quantity,
                unit_price=unit_price,
                amount_due=priced.due,
                discount_pct=discount_pct,
                discount=priced.discount,
                amount=priced.amount,
                tax_rate=settings_row.vat_for(kind) if priced.amount else ZERO,
                tax=priced.tax,
                payer=payer,
                **extra,
            )
        )

    for labour in OrderLabour.objects.filter(order=order, approval=Approval.APPROVED).order_by(
        "position", "id"
    ):
        if labour.hours and labour.rate and labour.price == to_money(labour.hours * labour.rate):
            quantity, unit_price = labour.hours, labour.rate
        else:  # a fixed price (by system or symptom): one item at that price
            quantity, unit_price = Decimal("1"), labour.price
        add(
            LineKind.LABOUR,
            labour.name,
            quantity,
            unit_price,
            labour.discount_pct,
            code=labour.code,
            labour_line=labour,
        )

    issued = _issued_with_cost(order)
    parts = {p.pk: p for p in _parts(issued)}
    for part_id, (quantity, cost) in sorted(issued.items()):
        part = parts[part_id]
        unit_price, discount_pct = _part_price(order, part)
        add(
            LineKind.PART,
            part.name,
            to_quantity(quantity),
            unit_price,
            discount_pct,
            code=part.code,
            unit=part.unit,
            part=part,
            cost=cost,
        )
    for brought in OrderPart.objects.filter(order=order, approval=Approval.APPROVED, customer_supplied=True):
        add(
            LineKind.PART,
            brought.name,
            brought.quantity,
            ZERO,
            ZERO,
            code=brought.code,
            unit=brought.unit,
            part=brought.part,
            customer_supplied=True,
        )
    for fee in fee_rows:
        add(fee["kind"], fee["name"], Decimal("1"), fee["amount"], ZERO)
    SettlementLine.objects.bulk_create(rows)
    _store_totals(settlement, rows, settings_row)
    return settlement


def _parts(issued):
    from pitstop.parts.models import Part

    return Part.objects.filter(pk__in=list(issued))


def _store_totals(settlement: Settlement, lines, settings_row: BillingSettings | None = None) -> None:
    """The seed-002 totals of the lines, less the manual discount (taken off the owner's share,
    its tax in proportion), plus the insurance excess the owner pays instead of the insurer.
    Whether the manager must approve is decided again, and any earlier approval lapses."""
    settings_row = settings_row or billing_settings(settlement.store)
    totals = totals_of(lines)
    for field, value in totals.__dict__.items():
        setattr(settlement, field, value)
    owner_lines = totals.owner_total
    manual = min(settlement.manual_discount, owner_lines)
    settlement.manual_discount = manual
    owner_tax = sum((line.tax for line in lines if line.payer == Payer.OWNER), ZERO)
    discount_tax = to_money(owner_tax * manual / owner_lines) if owner_lines else ZERO
    insured = sum((line.amount for line in lines if line.payer == Payer.INSURER), ZERO)
    settlement.excess = min(settlement.excess, insured)
    settlement.total = totals.total - manual
    settlement.tax = totals.tax - discount_tax
    settlement.owner_total = owner_lines - manual + settlement.excess
    limit = discount_limit(settings_row, owner_lines)
    below_cost = settings_row.below_cost_needs_approval and any(line.below_cost for line in lines)
    settlement.needs_approval = manual > limit or below_cost
    settlement.approved_by = None
    settlement.approved_at = None
    settlement.save()


def approval_reasons(settlement: Settlement) -> list[str]:
    """Why the manager must approve this bill, in words."""
    reasons = []
    settings_row = billing_settings(settlement.store)
    owner_lines = settlement.owner_total - settlement.excess + settlement.manual_discount
    limit = discount_limit(settings_row, owner_lines)
    if settlement.manual_discount > limit:
        reasons.append(
            _("A manual discount of ¥%(amount)s is above the ¥%(limit)s allowed without approval.")
            % {"amount": settlement.manual_discount, "limit": limit}
        )
    if settings_row.below_cost_needs_approval:
        for line in settlement.lines.filter(kind=LineKind.PART, cost__isnull=False):
            if line.below_cost:
                reasons.append(
                    _("%(item)s is sold at ¥%(amount)s, below its cost of ¥%(cost)s.")
                    % {"item": line.name, "amount": line.amount, "cost": line.cost}
                )
    return reasons


def _draft(settlement: Settlement) -> Settlement:
    settlement = (
        Settlement.objects.select_for_update(of=("self",)).select_related("store").get(pk=settlement.pk)
    )
    if settlement.status != Status.DRAFT:
        raise ApplicationError(
            _("A settlement that is %(status)s cannot be changed; reverse it instead.")
            % {"status": Status(settlement.status).label},
            code="transition",
        )
    return settlement


@transaction.atomic
def settlement_discount(*, actor: User, settlement: Settlement, amount, reason: str = "") -> Settlement:
    """A manual discount off what the owner pays, with its reason; above the store's limit it
    waits for the manager's approval."""
    settlement = _draft(settlement)
    try:
        amount = to_money(str(amount if amount not in (None, "") else "0").strip())
    except (InvalidOperation, TypeError, ValueError):
        raise ApplicationError(_("Enter the discount as an amount."), field="amount", code="amount") from None
    reason = (reason or "").strip()
    if amount < 0:
        raise ApplicationError(_("A discount cannot be negative."), field="amount", code="amount")
    lines = list(settlement.lines.all())
    owner_lines = totals_of(lines).owner_total
    if amount > owner_lines:
        raise ApplicationError(
            _("The discount cannot be more than the owner's ¥%(total)s.") % {"total": owner_lines},
            field="amount",
            code="amount",
        )
    if amount and not reason:
        raise ApplicationError(_("Give the reason for the discount."), field="reason", code="reason")
    settlement.manual_discount = amount
    settlement.manual_discount_reason = reason[:200] if amount else ""
    _store_totals(settlement, lines)
    record_event(
        settlement,
        actor,
        Status.DRAFT,
        Status.DRAFT,
        _("Manual discount ¥%(amount)s: %(reason)s") % {"amount": amount, "reason": reason},
    )
    return settlement


@transaction.atomic
def settlement_insurance(
    *, actor: User, settlement: Settlement, insurer: str, claim_no: str, assessed_amount=None, excess=None
) -> Settlement:
    """The insurer's claim (F-9.6): who, the claim number, the assessed amount and the excess
    (免赔额) that the owner pays instead of the insurer."""
    settlement = _draft(settlement)
    insurer, claim_no = (insurer or "").strip(), (claim_no or "").strip()
    if not insurer:
        raise ApplicationError(_("Name the insurer."), field="insurer", code="insurer")
    if not claim_no:
        raise ApplicationError(_("Enter the claim number."), field="claim_no", code="claim_no")
    try:
        assessed = to_money(str(assessed_amount).strip()) if assessed_amount not in (None, "") else None
        excess_value = to_money(str(excess).strip()) if excess not in (None, "") else ZERO
    except (InvalidOperation, TypeError, ValueError):
        raise ApplicationError(_("Enter the amounts as numbers."), field="excess", code="amount") from None
    if excess_value < 0 or (assessed is not None and assessed < 0):
        raise ApplicationError(_("Amounts cannot be negative."), field="excess", code="amount")
    if excess_value > MAX_MONEY or (assessed is not None and assessed > MAX_MONEY):
        raise ApplicationError(_("The amount is too large."), field="excess", code="amount")
    lines = list(settlement.lines.all())
    insured = sum((line.amount for line in lines if line.payer == Payer.INSURER), ZERO)
    if excess_value > insured:
        raise ApplicationError(
            _("The excess cannot be more than the insurer's ¥%(total)s.") % {"total": insured},
            field="excess",
            code="amount",
        )
    settlement.insurer, settlement.claim_no = insurer[:60], claim_no[:40]
    settlement.assessed_amount, settlement.excess = assessed, excess_value
    _store_totals(settlement, lines)
    return settlement


@transaction.atomic
def settlement_line_payer(*, actor: User, settlement: Settlement, line_id: int, payer: str) -> Settlement:
    """Change who pays one line (the owner, the insurer, the manufacturer, the store)."""
    settlement = _draft(settlement)
    if payer not in Payer.values:
        raise ApplicationError(_("Choose who pays."), field="payer", code="payer")
    updated = SettlementLine.objects.filter(settlement=settlement, pk=line_id).update(payer=payer)
    if not updated:
        raise ApplicationError(_("No such line on this bill."), field="line", code="line")
    _store_totals(settlement, list(settlement.lines.all()))
    return settlement


@transaction.atomic
def settlement_approve(*, actor: User, settlement: Settlement, note: str = "") -> Settlement:
    """The manager approves the discount or the price below cost: who, when, why recorded."""
    from pitstop.core.scoping import has_perm_in_store

    settlement = _draft(settlement)
    if not has_perm_in_store(actor, "billing.approve_settlement", settlement.store_id):
        raise ApplicationError(_("Only a manager can approve this bill."), code="permission")
    if not settlement.needs_approval:
        raise ApplicationError(_("This bill needs no approval."), code="no_approval")
    note = (note or "").strip()
    if not note:
        raise ApplicationError(_("Say why you approve it."), field="note", code="reason")
    settlement.approved_by = actor
    settlement.approved_at = timezone.now()
    settlement.approval_note = note[:200]
    settlement.save(update_fields=["approved_by", "approved_at", "approval_note", "updated_at"])
    record_event(settlement, actor, Status.DRAFT, Status.DRAFT, _("Approved: %(note)s") % {"note": note})
    return settlement


@transaction.atomic
def settlement_post(*, actor: User, settlement: Settlement, invoice_no: str = "") -> Settlement:
    """Post the bill (结算): from now on it is never edited. The car must be ready."""
    settlement = (
        Settlement.objects.select_for_update(of=("self",)).select_related("order").get(pk=settlement.pk)
    )
    if settlement.status != Status.DRAFT:
        raise ApplicationError(
            _("A settlement that is %(status)s cannot be posted.")
            % {"status": Status(settlement.status).label},
            code="transition",
        )
    if settlement.order.status != RepairOrder.Status.READY:
        raise ApplicationError(
            _("The car is not ready yet; post the settlement when it is."), code="order_status"
        )
    if settlement.needs_approval and settlement.approved_by_id is None:
        raise ApplicationError(
            _("The manager has not approved the discount or the price below cost yet."), code="approval"
        )
    invoice_no = _invoice_no(invoice_no)
    settlement.status = Status.POSTED
    settlement.posted_by = actor
    settlement.posted_at = timezone.now()
    settlement.invoice_no = invoice_no
    settlement.save(update_fields=["status", "posted_by", "posted_at", "invoice_no", "updated_at"])
    record_event(settlement, actor, Status.DRAFT, Status.POSTED, invoice_no)
    receivables_post(settlement=settlement)
    carry_in(actor=actor, settlement=settlement)
    _earn_points(actor, settlement)
    return settlement


def _earn_points(actor: User, settlement: Settlement) -> None:
    """The owner earns points on what they pay, by line kind (the store's rules, F-7.2)."""
    from pitstop.loyalty import services as loyalty

    if settlement.customer_id is None:
        return
    amounts = owner_amounts(settlement)
    if settlement.manual_discount and amounts:
        # the discount comes off the largest kind: points are never earned on money not paid
        largest = max(amounts, key=amounts.get)
        amounts[largest] = max(ZERO, amounts[largest] - settlement.manual_discount)
    if any(value > 0 for value in amounts.values()):
        loyalty.points_earn(
            actor=actor,
            store=settlement.store,
            customer=settlement.customer,
            amounts=amounts,
            reference=Reference("settlement", settlement.pk, settlement.number),
        )


def _take_back_points(actor: User, settlement: Settlement, reason: str) -> None:
    from pitstop.loyalty import services as loyalty
    from pitstop.loyalty.models import PointsEntry

    earned = PointsEntry.objects.filter(
        reference_type="settlement", reference_id=settlement.pk, kind=PointsEntry.Kind.EARN
    ).first()
    if earned is None or PointsEntry.objects.filter(reversal_of=earned).exists():
        return
    try:
        loyalty.points_reverse(actor=actor, entry=earned, reason=reason)
    except ApplicationError as refused:
        if refused.code != "insufficient_points":
            raise
        # The owner has already spent them: the bill is still reversed, and the bill says so.
        record_event(
            settlement,
            actor,
            Status.POSTED,
            Status.REVERSED,
            _("%(points)s points earned on this bill were already spent and stay with the customer.")
            % {"points": earned.points},
        )


def _invoice_no(value: str) -> str:
    value = (value or "").strip()
    if value and not (value.isdigit() and len(value) == 20):
        raise ApplicationError(
            _("A fully digital e-invoice number has 20 digits."), field="invoice_no", code="invoice_no"
        )
    return value


@transaction.atomic
def settlement_invoice(*, actor: User, settlement: Settlement, invoice_no: str) -> Settlement:
    """Record the e-invoice issued for a posted bill. A wrong invoice is not edited: it is
    corrected by a red-letter invoice, which here means reversing the bill (the reversal
    carries the red-letter number) and settling it again with the new invoice."""
    settlement = Settlement.objects.select_for_update(of=("self",)).get(pk=settlement.pk)
    invoice_no = _invoice_no(invoice_no)
    if not invoice_no:
        raise ApplicationError(_("Enter the e-invoice number."), field="invoice_no", code="invoice_no")
    if not settlement.is_live:
        raise ApplicationError(_("Only a posted settlement takes an invoice."), code="settlement_status")
    if settlement.invoice_no:
        raise ApplicationError(
            _("This bill already has invoice %(no)s; a wrong invoice is corrected by a red-letter one.")
            % {"no": settlement.invoice_no},
            field="invoice_no",
            code="invoice_set",
        )
    settlement.invoice_no = invoice_no
    settlement.save(update_fields=["invoice_no", "updated_at"])
    record_event(settlement, actor, Status.POSTED, Status.POSTED, invoice_no)
    return settlement


NEGATED = (
    "labour_due",
    "labour_discount",
    "labour_charged",
    "parts_due",
    "parts_discount",
    "parts_charged",
    "fees",
    "manual_discount",
    "total",
    "tax",
    "owner_total",
)


@transaction.atomic
def settlement_reverse(
    *, actor: User, settlement: Settlement, reason: str, red_invoice_no: str = ""
) -> Settlement:
    """Reverse a posted settlement by posting its negative (F-6.7): both stay on record and in
    every report; the order can then be prepared and settled again. What was received is
    carried over to the bill made again; an invoice already issued is cancelled by the
    red-letter invoice whose number the reversal records."""
    settlement = (
        Settlement.objects.select_for_update(of=("self",)).select_related("store").get(pk=settlement.pk)
    )
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(_("Give the reason for the reversal."), field="reason", code="reason")
    red_invoice_no = _invoice_no(red_invoice_no)
    if settlement.invoice_no and not red_invoice_no:
        raise ApplicationError(
            _("Invoice %(no)s was issued for this bill: enter the red-letter invoice that cancels it.")
            % {"no": settlement.invoice_no},
            field="red_invoice_no",
            code="red_invoice",
        )
    if settlement.counter_sale_id:
        raise ApplicationError(
            _("A counter sale is returned at the parts counter, not reversed here."), code="counter_sale"
        )
    if settlement.order_id and settlement.order.status == RepairOrder.Status.DELIVERED:
        raise ApplicationError(
            _("The car has left; a delivered job's bill is corrected by the manager's credit note."),
            code="delivered",
        )
    if settlement.status != Status.POSTED or settlement.reverses_id is not None:
        raise ApplicationError(
            _("A settlement that is %(status)s cannot be reversed.")
            % {"status": Status(settlement.status).label},
            code="transition",
        )
    reversal = Settlement.objects.create(
        store_id=settlement.store_id,
        number=next_code("JS", settlement.store.code),
        status=Status.POSTED,
        order_id=settlement.order_id,
        customer_id=settlement.customer_id,
        reverses=settlement,
        prepared_by=actor,
        posted_by=actor,
        posted_at=timezone.now(),
        note=reason[:300],
        invoice_no=red_invoice_no,
        insurer=settlement.insurer,
        claim_no=settlement.claim_no,
        excess=-settlement.excess,
        **{field: -getattr(settlement, field) for field in NEGATED},
    )
    SettlementLine.objects.bulk_create(
        SettlementLine(
            settlement=reversal,
            position=line.position,
            kind=line.kind,
            code=line.code,
            name=line.name,
            unit=line.unit,
            quantity=-line.quantity,
            unit_price=line.unit_price,
            amount_due=-line.amount_due,
            discount_pct=line.discount_pct,
            discount=-line.discount,
            amount=-line.amount,
            tax_rate=line.tax_rate,
            tax=-line.tax,
            payer=line.payer,
            customer_supplied=line.customer_supplied,
            labour_line_id=line.labour_line_id,
            part_id=line.part_id,
            cost=-line.cost if line.cost is not None else None,
        )
        for line in settlement.lines.all()
    )
    record_event(reversal, actor, "", Status.POSTED, settlement.number)
    receivables_reverse(actor=actor, settlement=settlement, reversal=reversal)
    carry_out(actor=actor, settlement=settlement)
    _take_back_points(actor, settlement, reason)
    settlement.status = Status.REVERSED
    settlement.save(update_fields=["status", "updated_at"])
    record_event(settlement, actor, Status.POSTED, Status.REVERSED, reason)
    return reversal
