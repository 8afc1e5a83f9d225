"""The cashier's day close (日结, F-6.6) and the day's voucher for the accounting system.

Every payment carries its cashier and business day, so a cashier's day is simply what their
payments of that day add up to: money by method (cash, bank card, WeChat Pay, Alipay,
transfer) listed apart from what is not money (stored value, points, coupons, package cards,
credit, carried over), refunds, and the cash that should be in the drawer — the sum of the
cash payments' amounts: a payment's amount is what stays, the change was handed back at once.

Closing the day snapshots those totals with the cash counted; a difference needs an
explanation. Once a day is closed `payments.day_is_closed` makes the cash desk refuse any more
money from that cashier that day (payment_record, payment_take and payment_refund check it),
so nothing of a closed day changes. The cashier closes their own day; a manager who may
approve settlements (billing.approve_settlement) closes another cashier's.

The voucher (记账凭证) of a store's day, for the accounting system: see `day_voucher_lines`."""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import NamedTuple

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from pitstop.accounts.models import Store, User
from pitstop.core.audit import audit_record
from pitstop.core.exceptions import ApplicationError
from pitstop.core.money import to_money
from pitstop.core.scoping import has_perm_in_store

from .models import BillingSettings, DayClose, LineKind, Payer, Payment, Settlement, SettlementLine
from .payments import MAX_MONEY, day_is_closed
from .settlement import tax_within

ZERO = Decimal("0.00")  # shown as ¥0.00, kept as "0.00" in a close's totals
Method = Payment.Method
Purpose = Payment.Purpose
MONEY_METHODS: tuple[str, ...] = tuple(Payment.MONEY_METHODS)
OTHER_METHODS: tuple[str, ...] = tuple(m for m in Method.values if m not in MONEY_METHODS)
CLOSE_OWN = "billing.add_dayclose"
CLOSE_OTHERS = "billing.approve_settlement"

# The chain's chart of accounts (企业会计准则 codes); settings.BILLING_ACCOUNTS overrides any of
# them for the whole chain, a store's BillingSettings.accounts for that store. Keys named after
# a payment method are what that method debits.
DEFAULT_ACCOUNTS: dict[str, str] = {
    "cash": "1001",  # 库存现金
    "card": "1002",  # 银行存款 (POS settles to the bank)
    "transfer": "1002",  # 银行存款
    "wechat": "1012.01",  # 其他货币资金-微信
    "alipay": "1012.02",  # 其他货币资金-支付宝
    "stored_value": "2203",  # 预收账款 (储值): the customer's money spent
    "stored_value_bonus": "6601.03",  # 销售费用-储值赠送: the bonus part of a stored-value spend
    "points": "6601.01",  # 销售费用-积分抵现
    "coupon": "6601.02",  # 销售费用-优惠券
    "package_card": "2203",  # 预收账款 (套餐卡): a prepaid service used
    "credit": "1122",  # 应收账款: a company on account (挂账)
    "receivable": "1122",  # 应收账款: what the owner owes for a bill, and what is collected
    "receivable_insurer": "1122",  # 应收账款-保险公司
    "receivable_warranty": "1122",  # 应收账款-厂家三包
    "receivable_internal": "1122",  # 内部结算
    "top_up": "2203",  # 预收账款: stored value topped up
    "package_card_sale": "2203",  # 预收账款: a package card sold
    "membership": "6051",  # 其他业务收入: membership fees
    "revenue_labour": "6001.01",  # 主营业务收入-工时
    "revenue_parts": "6001.02",  # 主营业务收入-配件
    "revenue_fees": "6001.03",  # 主营业务收入-其他费用
    "revenue_discount": "6001.09",  # 主营业务收入-销售折让: manual discounts (credited negative)
    "output_vat": "2221.01.01",  # 应交税费-应交增值税(销项税额)
}
PAYER_ACCOUNT = {
    Payer.OWNER: "receivable",
    Payer.INSURER: "receivable_insurer",
    Payer.WARRANTY: "receivable_warranty",
    Payer.INTERNAL: "receivable_internal",
}
PURPOSE_ACCOUNT = {
    Purpose.SETTLEMENT: "receivable",
    Purpose.RECEIVABLE: "receivable",
    Purpose.TOP_UP: "top_up",
    Purpose.PACKAGE_CARD: "package_card_sale",
}


# ---------------------------------------------------------------- the day's summary


@dataclass(frozen=True)
class MethodTotal:
    method: str
    label: str
    amount: Decimal  # net: refunds already taken off
    count: int  # payments taken (refunds not counted)
    refunded: Decimal  # given back, as a positive amount
    refunds: int


@dataclass(frozen=True)
class PurposeTotal:
    purpose: str
    label: str
    amount: Decimal  # every method
    money: Decimal  # money methods only
    cash: Decimal
    count: int


@dataclass
class DaySummary:
    store: Store
    cashier: User | None  # None: every cashier of the store (store_day's totals)
    day: datetime.date
    money: list[MethodTotal]
    other: list[MethodTotal]
    purposes: list[PurposeTotal]
    money_total: Decimal
    other_total: Decimal
    payments_count: int
    refunds_count: int
    refunds_total: Decimal
    cash_expected: Decimal
    change_given: Decimal
    close: DayClose | None = None

    @property
    def closed(self) -> bool:
        return self.close is not None

    def totals_by_method(self) -> dict[str, str]:
        """What DayClose.totals keeps: every method used that day (and every money method),
        net of refunds, as text so the JSON holds the exact cents."""
        return {row.method: str(row.amount) for row in [*self.money, *self.other]}


def _cents(value) -> Decimal:
    """A database sum as money: SQLite hands back Decimal("1300") for 1300.00."""
    return ZERO if value is None else to_money(value)


def _day_rows(**filters) -> list[dict]:
    refund = Q(refund_of__isnull=False)
    return list(
        Payment.objects.filter(**filters)
        .order_by()
        .values("cashier_id", "method", "purpose")
        .annotate(
            net=Sum("amount"),
            taken=Count("id", filter=~refund),
            refunded=Sum("amount", filter=refund),
            refunds=Count("id", filter=refund),
            change_sum=Sum("change"),
        )
    )


def _summary(store: Store, cashier: User | None, day: datetime.date, rows, close=None) -> DaySummary:
    by_method: dict[str, dict] = {}
    by_purpose: dict[str, dict] = {}
    change = ZERO
    for row in rows:
        amount = _cents(row["net"])
        method = by_method.setdefault(
            row["method"], {"amount": ZERO, "count": 0, "refunded": ZERO, "refunds": 0}
        )
        method["amount"] += amount
        method["refunded"] -= _cents(row["refunded"])
        method["refunds"] += row["refunds"]
        if row["method"] != Method.CARRY:  # moved between bills, not taken
            method["count"] += row["taken"]
        purpose = by_purpose.setdefault(
            row["purpose"], {"amount": ZERO, "money": ZERO, "cash": ZERO, "count": 0}
        )
        purpose["amount"] += amount
        purpose["count"] += row["taken"] if row["method"] != Method.CARRY else 0
        if row["method"] in MONEY_METHODS:
            purpose["money"] += amount
        if row["method"] == Method.CASH:
            purpose["cash"] += amount
        change += _cents(row["change_sum"])

    def total(method: str) -> MethodTotal:
        values = by_method.get(method, {"amount": ZERO, "count": 0, "refunded": ZERO, "refunds": 0})
        return MethodTotal(method=method, label=str(Method(method).label), **values)

    money = [total(method) for method in MONEY_METHODS]
    other = [total(method) for method in OTHER_METHODS if method in by_method]
    purposes = [
        PurposeTotal(purpose=purpose, label=str(Purpose(purpose).label), **by_purpose[purpose])
        for purpose in Purpose.values
        if purpose in by_purpose
    ]
    return DaySummary(
        store=store,
        cashier=cashier,
        day=day,
        money=money,
        other=other,
        purposes=purposes,
        money_total=sum((row.amount for row in money), ZERO),
        other_total=sum((row.amount for row in other), ZERO),
        payments_count=sum(row.count for row in [*money, *other]),
        refunds_count=sum(row.refunds for row in [*money, *other]),
        refunds_total=sum((row.refunded for row in [*money, *other]), ZERO),
        cash_expected=by_method.get(Method.CASH, {}).get("amount", ZERO),
        change_given=change,
        close=close,
    )


def day_summary(*, store: Store, cashier: User, day: datetime.date) -> DaySummary:
    """One cashier's day: totals by method (money apart from the rest), by purpose, refunds,
    and the cash expected in the drawer. Two queries whatever the number of payments."""
    rows = _day_rows(store=store, cashier=cashier, business_date=day)
    close = DayClose.objects.filter(store=store, cashier=cashier, business_date=day).first()
    return _summary(store, cashier, day, rows, close)


def day_payments(*, store: Store, cashier: User, day: datetime.date):
    """The payments of a cashier's day, oldest first, with what the list shows."""
    return (
        Payment.objects.filter(store=store, cashier=cashier, business_date=day)
        .select_related("settlement", "customer", "receivable")
        .order_by("at", "id")
    )


@dataclass
class StoreDay:
    store: Store
    day: datetime.date
    cashiers: list[DaySummary]
    totals: DaySummary
    cash_counted: Decimal = ZERO
    difference: Decimal = ZERO
    open_cashiers: list[User] = field(default_factory=list)

    @property
    def all_closed(self) -> bool:
        return not self.open_cashiers


def store_day(*, store: Store, day: datetime.date) -> StoreDay:
    """Every cashier of the store that day — those who took money and those who closed — with
    the store's totals; a fixed number of queries."""
    rows = _day_rows(store=store, business_date=day)
    closes = {
        close.cashier_id: close
        for close in DayClose.objects.filter(store=store, business_date=day).select_related("cashier")
    }
    ids = {row["cashier_id"] for row in rows} | set(closes)
    people = {user.pk: user for user in User.objects.filter(pk__in=ids)}
    cashiers = sorted(
        (
            _summary(store, people[pk], day, [r for r in rows if r["cashier_id"] == pk], closes.get(pk))
            for pk in ids
        ),
        key=lambda summary: (str(summary.cashier), summary.cashier.pk),
    )
    return StoreDay(
        store=store,
        day=day,
        cashiers=cashiers,
        totals=_summary(store, None, day, rows),
        cash_counted=sum((close.cash_counted for close in closes.values()), ZERO),
        difference=sum((close.difference for close in closes.values()), ZERO),
        open_cashiers=[summary.cashier for summary in cashiers if summary.close is None],
    )


# ---------------------------------------------------------------- closing


def _counted(value) -> Decimal:
    try:
        amount = to_money(value if isinstance(value, (Decimal, int)) else str(value or "").strip())
    except (InvalidOperation, TypeError, ValueError):
        raise ApplicationError(
            _("Enter the cash counted."), field="cash_counted", code="cash_counted"
        ) from None
    if amount < 0:
        raise ApplicationError(
            _("The cash counted cannot be less than zero."), field="cash_counted", code="cash_counted"
        )
    if amount > MAX_MONEY:
        raise ApplicationError(_("The amount is too large."), field="cash_counted", code="cash_counted")
    return amount


@transaction.atomic
def day_close(
    *,
    actor: User,
    store: Store,
    day: datetime.date,
    cash_counted,
    explanation: str = "",
    cashier: User | None = None,
) -> DayClose:
    """Close a cashier's day (their own by default): snapshot the totals, compare the cash
    counted with the cash expected, and refuse a difference nobody explained.

    The cashier's user row is locked first, so two closes of the same day queue up (and the
    second is refused); a payment that checks `day_is_closed` under the same lock can never
    slip in between the totals and the close."""
    cashier = cashier or actor
    own = cashier.pk == actor.pk
    if not has_perm_in_store(actor, CLOSE_OWN if own else CLOSE_OTHERS, store.pk):
        raise ApplicationError(
            _("You may close your own day only.")
            if not own and has_perm_in_store(actor, CLOSE_OWN, store.pk)
            else _("Your role cannot close a cashier's day."),
            code="permission",
        )
    if day > timezone.localdate():
        raise ApplicationError(_("A day to come cannot be closed."), field="day", code="future")
    counted = _counted(cash_counted)
    explanation = (explanation or "").strip()
    cashier = User.objects.select_for_update().get(pk=cashier.pk)
    if day_is_closed(store=store, cashier=cashier, day=day):
        raise ApplicationError(_("This day is closed already."), code="already_closed")
    summary = day_summary(store=store, cashier=cashier, day=day)
    difference = counted - summary.cash_expected
    if difference and not explanation:
        raise ApplicationError(
            _("The cash counted is ¥%(difference)s off the cash expected; explain the difference.")
            % {"difference": difference},
            field="explanation",
            code="explanation",
        )
    try:
        with transaction.atomic():
            close = DayClose.objects.create(
                store=store,
                cashier=cashier,
                business_date=day,
                totals=summary.totals_by_method(),
                payments_count=summary.payments_count,
                cash_expected=summary.cash_expected,
                cash_counted=counted,
                difference=difference,
                explanation=explanation[:300],
            )
    except IntegrityError:  # closed at the same moment elsewhere
        raise ApplicationError(_("This day is closed already."), code="already_closed") from None
    audit_record(
        actor=actor,
        instance=close,
        action="create",
        store=store,
        after={
            "cashier": str(cashier),
            "business_date": str(day),
            "cash_expected": str(summary.cash_expected),
            "cash_counted": str(counted),
            "difference": str(difference),
        },
        note=explanation,
    )
    return close


# ---------------------------------------------------------------- the voucher


class VoucherLine(NamedTuple):
    date: datetime.date
    account: str
    debit: Decimal
    credit: Decimal
    memo: str


def accounts_for(store: Store) -> dict[str, str]:
    """The account codes for a store: the defaults, then settings.BILLING_ACCOUNTS, then the
    store's own BillingSettings.accounts (a key left empty keeps the code above it)."""
    accounts = dict(DEFAULT_ACCOUNTS)
    accounts.update({k: str(v) for k, v in (getattr(settings, "BILLING_ACCOUNTS", None) or {}).items() if v})
    own = BillingSettings.objects.filter(store=store).values_list("accounts", flat=True).first()
    accounts.update({k: str(v) for k, v in (own or {}).items() if v})
    return accounts


def _vat_fees(store: Store) -> Decimal:
    rate = BillingSettings.objects.filter(store=store).values_list("vat_fees", flat=True).first()
    return Decimal("13") if rate is None else rate


def _day_bounds(day: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    zone = timezone.get_current_timezone()
    start = datetime.datetime.combine(day, datetime.time.min, tzinfo=zone)
    return start, start + datetime.timedelta(days=1)


def _stored_value_bonus(payments) -> Decimal:
    """The bonus (赠送) part of the day's stored-value payments: a spend takes principal and
    bonus in proportion (loyalty.stored_value), and the entry it wrote says how much of each;
    a refund gives the same entry's share back."""
    from pitstop.loyalty.models import StoredValueEntry

    rows = [(amount, entry_id) for amount, entry_id in payments if entry_id]
    bonus_of = dict(
        StoredValueEntry.objects.filter(pk__in={entry_id for _amount, entry_id in rows}).values_list(
            "pk", "bonus"
        )
    )
    total = ZERO
    for amount, entry_id in rows:
        bonus = -bonus_of.get(entry_id, ZERO)  # a spend's bonus is negative in the ledger
        if amount < 0:
            bonus = -bonus
        if abs(bonus) <= abs(amount):
            total += bonus
    return total


def day_voucher_lines(*, store: Store, day: datetime.date) -> list[VoucherLine]:
    """The store's day as voucher lines (date, account, debit, credit, memo), debits first.

    Revenue comes from the bills posted that day (a reversal posted that day counts negative,
    红字): each bill debits what is owed for it (应收账款, by who pays the line) and credits
    revenue by line kind net of tax, and the output VAT. Money comes from the day's payments of
    every cashier: each debits where the money (or value) went — cash, bank, WeChat/Alipay
    clearing, 预收账款 for stored value and package cards used, 应收账款 for a company on
    credit, expense accounts for points and coupons, the stored-value bonus apart — and
    credits what it was for: a bill's payment or a receivable collected 应收账款, a top-up
    预收账款. Money carried from a reversed bill to the bill made again moves nothing and is
    left out.

    Membership fees and package cards sold — the choice made: a package card is a prepayment
    for services still owed, so its sale credits 预收账款 (2203) and becomes revenue when a
    bill is paid with it (that payment debits 2203 against the bill's revenue); this also keeps
    VAT where the invoice is issued, at the service. A membership fee buys the member's rights
    at once and nothing is owed back, so it is revenue the day it is paid (其他业务收入, 6051),
    net of output VAT at the store's rate for fees.

    Every group of lines balances by construction, so the day's debits equal its credits."""
    accounts = accounts_for(store)
    debits: dict[tuple[str, str], Decimal] = {}
    credits: dict[tuple[str, str], Decimal] = {}

    def put(side: dict, key: str, memo: str, amount: Decimal) -> None:
        side[(accounts[key], memo)] = side.get((accounts[key], memo), ZERO) + amount

    # Bills posted that day.
    start, end = _day_bounds(day)
    lines = (
        SettlementLine.objects.filter(
            settlement__store=store, settlement__posted_at__gte=start, settlement__posted_at__lt=end
        )
        .exclude(settlement__status=Settlement.Status.DRAFT)
        .order_by()
        .values("kind", "payer")
        .annotate(net=Sum("amount"), tax_sum=Sum("tax"))
    )
    revenue_memo = {
        "revenue_labour": _("Revenue: labour"),
        "revenue_parts": _("Revenue: parts"),
        "revenue_fees": _("Revenue: fees"),
    }
    for row in lines:
        amount, tax = _cents(row["net"]), _cents(row["tax_sum"])
        payer = row["payer"] if row["payer"] in PAYER_ACCOUNT else Payer.OWNER
        put(
            debits,
            PAYER_ACCOUNT[payer],
            _("Bills settled: %(payer)s") % {"payer": Payer(payer).label},
            amount,
        )
        kind = {LineKind.LABOUR: "revenue_labour", LineKind.PART: "revenue_parts"}.get(
            row["kind"], "revenue_fees"
        )
        put(credits, kind, revenue_memo[kind], amount - tax)
        put(credits, "output_vat", _("Output VAT"), tax)

    # A manual discount comes off the owner's debt and off the revenue (its tax off the VAT);
    # an insurance excess moves from the insurer's debt to the owner's. Reversals carry both
    # negated, so they undo themselves.
    adjusted = (
        Settlement.objects.filter(store=store, posted_at__gte=start, posted_at__lt=end)
        .exclude(status=Settlement.Status.DRAFT)
        .exclude(manual_discount=0, excess=0)
        .annotate(line_tax=Sum("lines__tax"))
    )
    for bill in adjusted:
        discount_tax = _cents(bill.line_tax) - bill.tax
        owner = _("Bills settled: %(payer)s") % {"payer": Payer.OWNER.label}
        insurer = _("Bills settled: %(payer)s") % {"payer": Payer.INSURER.label}
        put(debits, "receivable", owner, bill.excess - bill.manual_discount)
        put(debits, "receivable_insurer", insurer, -bill.excess)
        put(credits, "revenue_discount", _("Manual discounts"), -(bill.manual_discount - discount_tax))
        put(credits, "output_vat", _("Output VAT"), -discount_tax)

    # Money and value taken that day.
    payments = Payment.objects.filter(store=store, business_date=day).exclude(method=Method.CARRY).order_by()
    for row in payments.values("method", "purpose").annotate(net=Sum("amount")):
        amount = _cents(row["net"])
        method, purpose = row["method"], row["purpose"]
        memo = _("%(method)s: %(purpose)s") % {
            "method": Method(method).label,
            "purpose": Purpose(purpose).label,
        }
        if method == Method.STORED_VALUE:
            bonus = _stored_value_bonus(
                payments.filter(method=method, purpose=purpose).values_list("amount", "loyalty_id")
            )
            put(debits, "stored_value_bonus", _("Stored-value bonus spent"), bonus)
            amount -= bonus
        put(debits, method, memo, amount)
        amount = _cents(row["net"])
        if purpose == Purpose.MEMBERSHIP:
            rate = _vat_fees(store)
            tax = tax_within(amount, rate)
            put(credits, "membership", Purpose(purpose).label, amount - tax)
            put(credits, "output_vat", _("Output VAT"), tax)
        else:
            put(credits, PURPOSE_ACCOUNT.get(purpose, "receivable"), _purpose_memo(purpose), amount)

    result = [
        VoucherLine(day, account, amount, ZERO, memo) for (account, memo), amount in debits.items() if amount
    ]
    result += [
        VoucherLine(day, account, ZERO, amount, memo) for (account, memo), amount in credits.items() if amount
    ]
    return result


def _purpose_memo(purpose: str) -> str:
    return {
        Purpose.SETTLEMENT: _("Payments for bills"),
        Purpose.RECEIVABLE: _("Receivables collected"),
        Purpose.TOP_UP: _("Stored value topped up"),
        Purpose.PACKAGE_CARD: _("Package cards sold"),
    }.get(purpose, str(Purpose(purpose).label))


def voucher_totals(lines: list[VoucherLine]) -> tuple[Decimal, Decimal]:
    return sum((line.debit for line in lines), ZERO), sum((line.credit for line in lines), ZERO)
