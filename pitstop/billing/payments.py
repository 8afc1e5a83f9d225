"""Payments at the cash desk (F-6.3): cash with change given, bank card, WeChat Pay, Alipay and
transfers with their reference numbers, stored value, points, coupons, package cards and
company credit (挂账) — several in one settlement — and refunds.

Two cashiers taking the same bill at the same moment: every payment first locks the
settlement's row (SELECT … FOR UPDATE), then reads what is still outstanding, so the second
one waits and sees the first one's money — never more than is due is collected. A payment
from a loyalty balance moves that ledger inside the same transaction (the ledger locks its
own balance row and never lets it go below zero), so the bill and the balance agree.

An `idempotency_key` (the API's Idempotency-Key header) makes a retried request harmless: the
same key answers with the payment it first made, and never takes the money twice.

Money that is not a bill's — a membership fee, a top-up, a package card sold, a receivable
collected — is taken by `payment_take`, so that the cashier's day close counts every yuan in
the drawer. Once a cashier's day is closed, that cashier takes no more money that day.

A reversed bill's money is not handed back and taken again: `carry_out` moves what was
received off the reversed bill (method "carried over", no money moves) and `carry_in` puts it
on the bill made again when that is posted."""

from collections import defaultdict
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from pitstop.accounts.models import Store, User
from pitstop.core.exceptions import ApplicationError
from pitstop.core.money import to_money
from pitstop.parts.services import Reference

from .models import ZERO, CreditAccount, DayClose, Payer, Payment, Settlement, SettlementLine, loyalty_kind

Method = Payment.Method
Purpose = Payment.Purpose


# ---------------------------------------------------------------- checks


# The largest amount a money column holds (12 digits, 2 places).
MAX_MONEY = Decimal("9999999999.99")


def _amount(value, field: str = "amount") -> Decimal:
    try:
        amount = to_money(value if isinstance(value, (Decimal, int)) else str(value or "").strip())
    except (InvalidOperation, TypeError, ValueError):
        raise ApplicationError(_("Enter an amount."), field=field, code="amount") from None
    if amount <= 0:
        raise ApplicationError(_("The amount must be more than zero."), field=field, code="amount")
    if amount > MAX_MONEY:
        raise ApplicationError(_("The amount is too large."), field=field, code="amount")
    return amount


def day_is_closed(*, store: Store, cashier: User, day) -> bool:
    return DayClose.objects.filter(store=store, cashier=cashier, business_date=day).exists()


def _check_day_open(store: Store, cashier: User) -> None:
    # The lock day_close takes: a payment never slips in between its totals and the close.
    User.objects.select_for_update().filter(pk=cashier.pk).first()
    if day_is_closed(store=store, cashier=cashier, day=timezone.localdate()):
        raise ApplicationError(_("Your day is closed; no more money can be taken today."), code="day_closed")


def _replay(store_id: int, key: str, *, settlement_id, purpose: str, method: str, amount) -> Payment | None:
    """The payment an earlier request with this key made, or None. The same key for another
    bill, method or amount is a client error, not a replay."""
    first = Payment.objects.filter(store_id=store_id, idempotency_key=key).first()
    if first is None:
        return None
    same = (
        first.settlement_id == settlement_id
        and first.purpose == purpose
        and first.method == method
        and (amount is None or first.amount == amount)
    )
    if not same:
        raise ApplicationError(
            _("This Idempotency-Key was already used for another payment."),
            field="idempotency_key",
            code="idempotency_conflict",
        )
    return first


def _cash(method: str, amount: Decimal, tendered) -> tuple[Decimal | None, Decimal]:
    """What the customer handed over and the change given back (cash only)."""
    if method != Method.CASH or tendered in (None, ""):
        return None, ZERO
    tendered = _amount(tendered, "tendered")
    if tendered < amount:
        raise ApplicationError(
            _("¥%(tendered)s tendered is less than ¥%(amount)s.") % {"tendered": tendered, "amount": amount},
            field="tendered",
            code="tendered",
        )
    return tendered, tendered - amount


def _reference(method: str, reference: str) -> str:
    reference = (reference or "").strip()
    if method in Payment.WITH_REFERENCE and not reference:
        raise ApplicationError(
            _("Enter the reference number of the %(method)s payment.") % {"method": Method(method).label},
            field="reference",
            code="reference",
        )
    return reference[:64]


def _lock(settlement: Settlement) -> Settlement:
    return (
        Settlement.objects.select_for_update(of=("self",))
        .select_related("store", "customer", "order")
        .get(pk=settlement.pk)
    )


# ---------------------------------------------------------------- loyalty methods


def owner_amounts(settlement: Settlement) -> dict[str, Decimal]:
    """The owner's lines by loyalty kind: what a coupon applies to and points are earned on."""
    sums: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for line in settlement.lines.filter(payer=Payer.OWNER):
        sums[loyalty_kind(line.kind)] += line.amount
    return dict(sums)


def _covered_by_card(settlement: Settlement, item) -> Decimal:
    """What a package card's item pays on this bill: the owner's labour lines of that labour
    operation, or of that canned job."""
    lines = SettlementLine.objects.filter(settlement=settlement, payer=Payer.OWNER, kind="labour")
    if item.labour_id:
        lines = lines.filter(labour_line__operation_id=item.labour_id)
    else:
        lines = lines.filter(labour_line__canned_job_id=item.canned_job_id)
    covered = lines.aggregate(total=Sum("amount"))["total"] or ZERO
    # What cards of the same item already paid on this bill (refunds are negative, so net).
    from pitstop.loyalty.models import PackageCardEntry

    same_item = PackageCardEntry.objects.filter(
        item__labour_id=item.labour_id, item__canned_job_id=item.canned_job_id
    ).values("pk")
    used = (
        Payment.objects.filter(
            settlement=settlement, method=Method.PACKAGE_CARD, loyalty_id__in=same_item
        ).aggregate(total=Sum("amount"))["total"]
        or ZERO
    )
    return max(ZERO, covered - used)


def _pay_from_loyalty(
    *,
    actor,
    settlement: Settlement,
    method: str,
    amount,
    outstanding: Decimal,
    points,
    coupon_code,
    card_item,
) -> tuple[Decimal, str, int | None, str, int | None]:
    """Move the loyalty ledger for a payment; returns (amount, loyalty type, loyalty id,
    reference, points)."""
    from pitstop.loyalty import services as loyalty

    customer = settlement.customer
    if customer is None:
        raise ApplicationError(
            _("A walk-in buyer has no loyalty balances; choose another way to pay."),
            field="method",
            code="no_customer",
        )
    reference = Reference("settlement", settlement.pk, settlement.number)
    store = settlement.store
    if method == Method.STORED_VALUE:
        amount = _amount(amount)
        _within(amount, outstanding)
        entry = loyalty.stored_value_spend(
            actor=actor, store=store, customer=customer, amount=amount, reference=reference
        )
        return amount, "stored_value", entry.pk, "", None
    if method == Method.POINTS:
        try:
            points = int(str(points or "").strip())
        except ValueError:
            raise ApplicationError(
                _("Enter the points as a whole number."), field="points", code="invalid_points"
            ) from None
        if points <= 0:
            raise ApplicationError(
                _("Enter the points as a whole number."), field="points", code="invalid_points"
            )
        amount = loyalty.points_value(store=store, points=points)
        if amount <= 0:
            raise ApplicationError(
                _("So few points are worth nothing yet."), field="points", code="invalid_points"
            )
        _within(amount, outstanding)
        entry = loyalty.points_spend(
            actor=actor, store=store, customer=customer, points=points, reference=reference
        )
        return entry.value, "points", entry.pk, "", points
    if method == Method.COUPON:
        code = (coupon_code or "").strip().upper()
        if not code:
            raise ApplicationError(_("Enter the coupon code."), field="coupon_code", code="coupon_code")
        quote = loyalty.coupon_redeem(
            actor=actor,
            store=store,
            code=code,
            amount=owner_amounts(settlement),
            reference=reference,
            customer=customer,
        )
        amount = min(quote.discount, outstanding)
        if amount <= 0:
            raise ApplicationError(
                _("Nothing is left to pay with a coupon."), field="amount", code="overpaid"
            )
        return amount, "coupon", quote.coupon.pk, code, None
    # a package card
    if card_item is None:
        raise ApplicationError(_("Choose the card and its item."), field="card_item", code="card_item")
    card = card_item.card
    if card.store_id != store.pk or card.customer_id != customer.pk:
        raise ApplicationError(
            _("This card belongs to another customer."), field="card_item", code="wrong_customer"
        )
    amount = min(_covered_by_card(settlement, card_item), outstanding)
    if amount <= 0:
        raise ApplicationError(
            _("No line of this bill is covered by this card."), field="card_item", code="not_covered"
        )
    vehicle = settlement.order.vehicle if settlement.order_id else None
    entry = loyalty.package_card_use(
        actor=actor, item=card_item, count=1, reference=reference, vehicle=vehicle
    )
    return amount, "package_card", entry.pk, card.card_no, None


def _within(amount: Decimal, outstanding: Decimal) -> None:
    if amount > outstanding:
        raise ApplicationError(
            _("Only ¥%(outstanding)s is outstanding; ¥%(amount)s is more than that.")
            % {"outstanding": outstanding, "amount": amount},
            field="amount",
            code="overpaid",
        )


# ---------------------------------------------------------------- services


@transaction.atomic
def payment_record(
    *,
    actor: User,
    settlement: Settlement,
    method: str,
    amount=None,
    tendered=None,
    reference: str = "",
    idempotency_key: str = "",
    note: str = "",
    points=None,
    coupon_code: str = "",
    card_item=None,
) -> Payment:
    """Take a payment for a posted settlement: at most what the owner still owes. Cash may be
    tendered above the amount (the change is recorded); card and mobile payments need their
    reference number; stored value, points, coupons and package cards move their ledgers;
    credit (挂账) needs the customer's credit account and room under its limit."""
    if method not in Method.values or method == Method.CARRY:
        raise ApplicationError(_("Choose how the customer pays."), field="method", code="method")
    key = (idempotency_key or "").strip()[:80]
    settlement = _lock(settlement)
    if key:
        wanted = None if method in (Method.POINTS, Method.COUPON, Method.PACKAGE_CARD) else _amount(amount)
        first = _replay(
            settlement.store_id,
            key,
            settlement_id=settlement.pk,
            purpose=Purpose.SETTLEMENT,
            method=method,
            amount=wanted,
        )
        if first is not None:
            return first
    if not settlement.is_live:
        raise ApplicationError(
            _("Only a posted settlement is paid; this one is %(status)s.")
            % {"status": Settlement.Status(settlement.status).label},
            code="settlement_status",
        )
    _check_day_open(settlement.store, actor)
    outstanding = settlement.owner_total - settlement.received
    loyalty_type, loyalty_id, used_points = "", None, None
    tendered_value, change = None, ZERO
    if method in Payment.LOYALTY_METHODS:
        amount, loyalty_type, loyalty_id, reference, used_points = _pay_from_loyalty(
            actor=actor,
            settlement=settlement,
            method=method,
            amount=amount,
            outstanding=outstanding,
            points=points,
            coupon_code=coupon_code,
            card_item=card_item,
        )
    else:
        amount = _amount(amount)
        _within(amount, outstanding)
        tendered_value, change = _cash(method, amount, tendered)
        reference = _reference(method, reference)
    try:
        with transaction.atomic():
            payment = Payment.objects.create(
                store_id=settlement.store_id,
                purpose=Purpose.SETTLEMENT,
                settlement=settlement,
                customer_id=settlement.customer_id,
                method=method,
                amount=amount,
                tendered=tendered_value,
                change=change,
                reference=reference,
                loyalty_type=loyalty_type,
                loyalty_id=loyalty_id,
                points=used_points,
                idempotency_key=key or None,
                business_date=timezone.localdate(),
                cashier=actor,
                note=(note or "")[:200],
            )
    except IntegrityError:  # the same key raced in from another request of the same client
        first = _replay(
            settlement.store_id,
            key,
            settlement_id=settlement.pk,
            purpose=Purpose.SETTLEMENT,
            method=method,
            amount=None,
        )
        if first is None:
            raise
        return first
    if method == Method.CREDIT:
        _charge_to_account(payment, settlement)
    Settlement.objects.filter(pk=settlement.pk).update(received=F("received") + amount)
    if settlement.counter_sale_id and amount == outstanding:
        _counter_sale_paid(actor, settlement, payment)
    return payment


def _charge_to_account(payment: Payment, settlement: Settlement) -> None:
    from .receivables import receivable_for_credit

    account = (
        CreditAccount.objects.filter(store_id=settlement.store_id, customer_id=settlement.customer_id)
        .order_by("id")
        .first()
    )
    if account is None:
        raise ApplicationError(
            _("This customer has no credit account; only companies with one may pay on account."),
            field="method",
            code="no_credit_account",
        )
    receivable_for_credit(payment=payment, account=account)


def _counter_sale_paid(actor: User, settlement: Settlement, payment: Payment) -> None:
    from pitstop.parts import sales

    sales.counter_sale_mark_paid(
        actor=actor, sale=settlement.counter_sale, payment_reference=settlement.number
    )


@transaction.atomic
def payment_take(
    *,
    actor: User,
    store: Store,
    purpose: str,
    method: str,
    amount,
    customer=None,
    receivable=None,
    tendered=None,
    reference: str = "",
    note: str = "",
    idempotency_key: str = "",
) -> Payment:
    """Money taken for something that is not a bill: a membership fee, a stored-value top-up,
    a package card sold, a receivable collected. Money methods only."""
    if purpose not in Purpose.values or purpose == Purpose.SETTLEMENT:
        raise ApplicationError(_("Say what the money is for."), field="purpose", code="purpose")
    if method not in Payment.MONEY_METHODS:
        raise ApplicationError(_("Choose how the customer pays."), field="method", code="method")
    amount = _amount(amount)
    key = (idempotency_key or "").strip()[:80]
    if key:
        first = _replay(store.pk, key, settlement_id=None, purpose=purpose, method=method, amount=amount)
        if first is not None:
            return first
    _check_day_open(store, actor)
    tendered_value, change = _cash(method, amount, tendered)
    return Payment.objects.create(
        store=store,
        purpose=purpose,
        customer=customer,
        receivable=receivable,
        method=method,
        amount=amount,
        tendered=tendered_value,
        change=change,
        reference=_reference(method, reference),
        idempotency_key=key or None,
        business_date=timezone.localdate(),
        cashier=actor,
        note=(note or "")[:200],
    )


@transaction.atomic
def payment_pay_out(
    *,
    actor: User,
    store: Store,
    purpose: str,
    method: str,
    amount,
    customer=None,
    reference: str = "",
    note: str = "",
) -> Payment:
    """Money paid out of the drawer for something that is not a bill's refund — unspent stored
    value given back (退卡) — recorded as a negative row, so the day close counts it."""
    if purpose not in Purpose.values or purpose == Purpose.SETTLEMENT:
        raise ApplicationError(_("Say what the money is for."), field="purpose", code="purpose")
    if method not in Payment.MONEY_METHODS:
        raise ApplicationError(_("Choose how the money is paid back."), field="method", code="method")
    amount = _amount(amount)
    _check_day_open(store, actor)
    return Payment.objects.create(
        store=store,
        purpose=purpose,
        customer=customer,
        method=method,
        amount=-amount,
        reference=(reference or "").strip()[:64],
        business_date=timezone.localdate(),
        cashier=actor,
        note=(note or "")[:200],
    )


def refundable(payment: Payment) -> Decimal:
    refunded = payment.refunds.aggregate(total=Sum("amount"))["total"] or ZERO
    return payment.amount + refunded  # refunds are negative


def _give_back_loyalty(actor: User, payment: Payment, reason: str) -> None:
    """A loyalty payment is refunded whole: its ledger entry is reversed (balance, points or
    card use given back, the coupon reinstated)."""
    from pitstop.loyalty import services as loyalty
    from pitstop.loyalty.models import Coupon, PackageCardEntry, PointsEntry, StoredValueEntry

    if payment.method == Method.STORED_VALUE:
        loyalty.stored_value_reverse(
            actor=actor, entry=StoredValueEntry.objects.get(pk=payment.loyalty_id), reason=reason
        )
    elif payment.method == Method.POINTS:
        loyalty.points_reverse(
            actor=actor, entry=PointsEntry.objects.get(pk=payment.loyalty_id), reason=reason
        )
    elif payment.method == Method.COUPON:
        loyalty.coupon_reinstate(actor=actor, coupon=Coupon.objects.get(pk=payment.loyalty_id))
    elif payment.method == Method.PACKAGE_CARD:
        loyalty.package_card_reverse(
            actor=actor, entry=PackageCardEntry.objects.get(pk=payment.loyalty_id), reason=reason
        )


@transaction.atomic
def payment_refund(*, actor: User, payment: Payment, amount, reason: str) -> Payment:
    """Give money back the way it came, at most what that payment has not refunded yet. A
    loyalty payment goes back whole to its balance; credit is undone by reversing the bill."""
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(_("Give the reason for the refund."), field="reason", code="reason")
    amount = _amount(amount)
    settlement = _lock(payment.settlement) if payment.settlement_id else None
    payment = Payment.objects.get(pk=payment.pk)
    if payment.refund_of_id is not None or payment.amount <= 0:
        raise ApplicationError(_("A refund cannot be refunded."), code="refund_of_refund")
    if payment.purpose in (Purpose.TOP_UP, Purpose.PACKAGE_CARD, Purpose.MEMBERSHIP):
        raise ApplicationError(
            _("Stored value, package cards and memberships are given back on the loyalty page."),
            code="not_refundable",
        )
    if payment.method in (Method.CREDIT, Method.CARRY):
        raise ApplicationError(
            _("A payment on account is undone by reversing the settlement."), code="not_refundable"
        )
    if settlement is not None and not settlement.is_live:
        raise ApplicationError(
            _("The settlement is reversed; its money was carried over to the bill made again."),
            code="settlement_status",
        )
    _check_day_open(payment.store, actor)
    left = refundable(payment)
    if amount > left:
        raise ApplicationError(
            _("Only ¥%(left)s of this payment can still be refunded.") % {"left": left},
            field="amount",
            code="over_refund",
        )
    if payment.method in Payment.LOYALTY_METHODS:
        if amount != left:
            raise ApplicationError(
                _("A payment from stored value, points, a coupon or a card is refunded whole: ¥%(left)s.")
                % {"left": left},
                field="amount",
                code="loyalty_whole",
            )
        _give_back_loyalty(actor, payment, reason)
    refund = Payment.objects.create(
        store_id=payment.store_id,
        purpose=payment.purpose,
        settlement_id=payment.settlement_id,
        receivable_id=payment.receivable_id,
        customer_id=payment.customer_id,
        method=payment.method,
        amount=-amount,
        reference=payment.reference,
        loyalty_type=payment.loyalty_type,
        loyalty_id=payment.loyalty_id,
        refund_of=payment,
        business_date=timezone.localdate(),
        cashier=actor,
        note=reason[:200],
    )
    if settlement is not None:
        Settlement.objects.filter(pk=settlement.pk).update(received=F("received") - amount)
    if payment.receivable_id:
        from .receivables import receivable_refunded

        receivable_refunded(payment=payment, amount=amount)
    return refund


# ---------------------------------------------------------------- a reversed bill's money


def _book(actor: User, settlement: Settlement, method: str, amount: Decimal, note: str) -> Payment:
    """A row that moves what a bill has received without money changing hands (carried over,
    or a charge on account cancelled), and the bill's `received` with it."""
    _check_day_open(settlement.store, actor)
    payment = Payment.objects.create(
        store_id=settlement.store_id,
        settlement=settlement,
        customer_id=settlement.customer_id,
        method=method,
        amount=amount,
        business_date=timezone.localdate(),
        cashier=actor,
        note=note,
    )
    Settlement.objects.filter(pk=settlement.pk).update(received=F("received") + amount)
    settlement.received += amount
    return payment


def carry_out(*, actor: User, settlement: Settlement) -> Payment | None:
    """Called by settlement_reverse under the settlement's lock: what was received moves off
    the reversed bill, to be carried onto the bill made again (no money moves)."""
    # What was put on a company's account is not carried: reversing the bill cancels that
    # receivable, and the bill made again goes on the account anew.
    on_account = (
        settlement.payments.filter(method=Method.CREDIT).aggregate(total=Sum("amount"))["total"] or ZERO
    )
    if on_account:
        _book(
            actor,
            settlement,
            Method.CREDIT,
            -on_account,
            _("The charge on account is cancelled with the bill."),
        )
    if settlement.received <= 0:
        return None
    return _book(actor, settlement, Method.CARRY, -settlement.received, _("Carried to the bill made again."))


def advance_of(settlement: Settlement) -> Decimal:
    """Money of the order's reversed bills not yet carried onto a bill made again."""
    others = Payment.objects.filter(method=Method.CARRY)
    if settlement.order_id:
        others = others.filter(settlement__order_id=settlement.order_id)
    else:
        others = others.filter(settlement__counter_sale_id=settlement.counter_sale_id)
    carried = others.aggregate(total=Sum("amount"))["total"] or ZERO
    return -carried


def carry_in(*, actor: User, settlement: Settlement) -> Payment | None:
    """Called by settlement_post: the order's carried money pays the new bill, up to what the
    owner owes; what is left stays as the order's advance (shown at the cash desk)."""
    amount = min(advance_of(settlement), settlement.owner_total - settlement.received)
    if amount <= 0:
        return None
    return _book(actor, settlement, Method.CARRY, amount, _("Carried from the reversed bill."))


@transaction.atomic
def advance_pay_back(
    *, actor: User, settlement: Settlement, method: str, amount, reference: str = ""
) -> Payment:
    """Money of a reversed bill that the bill made again did not need (it came out smaller),
    paid back to the customer: the carried money leaves the order's advance and the money
    leaves the drawer, both written on the reversed bill it came from (its received nets to
    nothing), and the day close counts the money paid out."""
    if method not in Payment.MONEY_METHODS:
        raise ApplicationError(_("Choose how the money is paid back."), field="method", code="method")
    amount = _amount(amount)
    source = (
        Settlement.objects.select_for_update(of=("self",))
        .filter(order_id=settlement.order_id, status=Settlement.Status.REVERSED)
        .order_by("-id")
        .first()
        if settlement.order_id
        else None
    )
    if source is None:
        raise ApplicationError(_("This order holds no money of a reversed bill."), code="no_advance")
    advance = advance_of(source)
    if amount > advance:
        raise ApplicationError(
            _("Only ¥%(advance)s of a reversed bill is held for this order.") % {"advance": advance},
            field="amount",
            code="over_refund",
        )
    reference = _reference(method, reference)
    note = _("Paid back: the bill made again came out smaller.")
    _book(actor, source, Method.CARRY, amount, note)
    paid = Payment.objects.create(
        store_id=source.store_id,
        settlement=source,
        customer_id=source.customer_id,
        method=method,
        amount=-amount,
        reference=reference,
        business_date=timezone.localdate(),
        cashier=actor,
        note=note,
    )
    Settlement.objects.filter(pk=source.pk).update(received=F("received") - amount)
    return paid
