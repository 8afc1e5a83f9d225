"""Stored value (储值): top-up with bonus rules, spending, refund, reversal.

A customer has one account per store, kept as **principal** (money paid in) and **bonus**
(money given by a top-up rule). Every change writes a StoredValueEntry (only ever inserted)
and updates the account under select_for_update; the database refuses a negative principal
or bonus (check constraints) even if a service forgot.

Spending order — proportional. A spend takes principal and bonus in the ratio of the current
balance: bonus part = amount × bonus / balance, rounded half-up to the cent, the rest from
principal (a spend of the whole balance takes exactly both). Why: every yuan spent then carries
the same discount the top-up gave (pay 1,000 get 100: each ¥1.10 spent is ¥1.00 of the
customer's money), so revenue is recognised evenly, and neither side can game a refund —
with "bonus first" a customer could spend the bonus and take all the principal back; with
"principal first" a refund after a small spend would return nearly nothing.

Refund — only unspent principal is paid back. The bonus is forfeited in the same proportion:
refunding part of the principal forfeits that part's share of the bonus, refunding all the
principal forfeits all the bonus. The entry records both (principal −paid back, bonus
−forfeited).

Reversal — an entry is undone by a new entry of the opposite sign (kind reversal), never by
editing it; an entry is reversed at most once (unique constraint), and a reversal that would
take the balance below zero (a top-up already spent) is refused.

Several balances in one payment: take stored value first, then points, package cards and
coupons, so two payments never lock in opposite orders."""

import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from pitstop.accounts.models import Store, User
from pitstop.core.exceptions import ApplicationError
from pitstop.core.money import to_money
from pitstop.customers.models import Customer

from .common import NO_REFERENCE, Reference, by, clean_amount, lock_row, today
from .models import ZERO, StoredValueAccount, StoredValueEntry, TopUpRule

Kind = StoredValueEntry.Kind


def _check_customer(store: Store, customer: Customer) -> None:
    if customer.store_id != store.pk:
        raise ApplicationError(
            _("This customer belongs to another store."), field="customer", code="wrong_store"
        )


def _account(store: Store, customer: Customer) -> StoredValueAccount:
    _check_customer(store, customer)
    return lock_row(StoredValueAccount, store_id=store.pk, customer_id=customer.pk)


def _post(
    account: StoredValueAccount,
    *,
    kind: str,
    principal: Decimal,
    bonus: Decimal,
    actor: User | None,
    reference: Reference,
    rule: TopUpRule | None = None,
    reversal_of: StoredValueEntry | None = None,
    note: str = "",
) -> StoredValueEntry:
    """Apply signed amounts to a locked account and write the entry that explains them."""
    new_principal, new_bonus = account.principal + principal, account.bonus + bonus
    if new_principal < 0 or new_bonus < 0:
        raise ApplicationError(
            _("The stored-value balance is %(balance)s; %(wanted)s cannot be taken.")
            % {"balance": account.balance, "wanted": -(principal + bonus)},
            field="amount",
            code="insufficient_balance",
        )
    account.principal, account.bonus = new_principal, new_bonus
    account.save(update_fields=["principal", "bonus", "updated_at"])
    return StoredValueEntry.objects.create(
        store_id=account.store_id,
        account=account,
        kind=kind,
        principal=principal,
        bonus=bonus,
        principal_after=new_principal,
        bonus_after=new_bonus,
        rule=rule,
        reversal_of=reversal_of,
        reference_type=reference.type,
        reference_id=reference.id,
        reference_no=reference.no,
        created_by=by(actor),
        note=(note or "")[:200],
    )


def top_up_rule_for(*, store: Store, amount, on: datetime.date | None = None) -> TopUpRule | None:
    """The rule a top-up of `amount` earns: the active one valid that day with the highest
    threshold met (the bonus of the higher of two equal thresholds when both exist)."""
    day = today(on)
    return (
        TopUpRule.objects.filter(store=store, is_active=True, pay_at_least__lte=to_money(amount))
        .filter(Q(valid_from__isnull=True) | Q(valid_from__lte=day))
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=day))
        .order_by("-pay_at_least", "-bonus", "id")
        .first()
    )


def spend_split(account: StoredValueAccount, amount: Decimal) -> tuple[Decimal, Decimal]:
    """(principal, bonus) a spend of `amount` takes: proportional, bonus rounded half-up."""
    balance = account.balance
    if amount >= balance:
        return account.principal, account.bonus
    bonus = min(account.bonus, to_money(amount * account.bonus / balance))
    principal = amount - bonus
    if principal > account.principal:  # cannot happen with cent amounts; kept as a guard
        principal, bonus = account.principal, amount - account.principal
    return principal, bonus


def stored_value_balance(*, store: Store, customer: Customer) -> StoredValueAccount | None:
    return StoredValueAccount.objects.filter(store=store, customer=customer).first()


@transaction.atomic
def stored_value_top_up(
    *,
    actor: User | None,
    store: Store,
    customer: Customer,
    amount,
    reference: Reference = NO_REFERENCE,
    on: datetime.date | None = None,
    note: str = "",
) -> StoredValueEntry:
    """充值: `amount` paid in becomes principal; the best top-up rule adds its bonus."""
    amount = clean_amount(amount)
    rule = top_up_rule_for(store=store, amount=amount, on=on)
    account = _account(store, customer)
    return _post(
        account,
        kind=Kind.TOP_UP,
        principal=amount,
        bonus=rule.bonus if rule else ZERO,
        actor=actor,
        reference=reference,
        rule=rule,
        note=note,
    )


@transaction.atomic
def stored_value_spend(
    *,
    actor: User | None,
    store: Store,
    customer: Customer,
    amount,
    reference: Reference = NO_REFERENCE,
    note: str = "",
) -> StoredValueEntry:
    """Pay `amount` from the balance (principal and bonus in proportion, see the module).
    Refused with code insufficient_balance when the balance is short; never below zero."""
    amount = clean_amount(amount)
    account = _account(store, customer)
    if amount > account.balance:
        raise ApplicationError(
            _("The stored-value balance is %(balance)s; %(wanted)s cannot be paid from it.")
            % {"balance": account.balance, "wanted": amount},
            field="amount",
            code="insufficient_balance",
        )
    principal, bonus = spend_split(account, amount)
    return _post(
        account,
        kind=Kind.SPEND,
        principal=-principal,
        bonus=-bonus,
        actor=actor,
        reference=reference,
        note=note,
    )


@transaction.atomic
def stored_value_refund(
    *,
    actor: User | None,
    store: Store,
    customer: Customer,
    amount=None,
    reference: Reference = NO_REFERENCE,
    reason: str,
) -> StoredValueEntry:
    """退卡/退款: pay back unspent principal (all of it when `amount` is None); the bonus's
    share is forfeited. The amount paid back is −entry.principal."""
    if not (reason or "").strip():
        raise ApplicationError(_("Say why the money is refunded."), field="reason", code="reason_required")
    account = _account(store, customer)
    if account.principal <= 0:
        raise ApplicationError(
            _("There is no unspent principal to refund."), field="amount", code="nothing_to_refund"
        )
    amount = account.principal if amount is None else clean_amount(amount)
    if amount > account.principal:
        raise ApplicationError(
            _("Only %(principal)s of paid-in money is unspent; the bonus is not refunded.")
            % {"principal": account.principal},
            field="amount",
            code="insufficient_balance",
        )
    forfeit = (
        account.bonus
        if amount == account.principal
        else min(account.bonus, to_money(account.bonus * amount / account.principal))
    )
    return _post(
        account,
        kind=Kind.REFUND,
        principal=-amount,
        bonus=-forfeit,
        actor=actor,
        reference=reference,
        note=reason,
    )


@transaction.atomic
def stored_value_reverse(*, actor: User | None, entry: StoredValueEntry, reason: str) -> StoredValueEntry:
    """Undo a posted entry with one of the opposite sign; both stay in the ledger."""
    if not (reason or "").strip():
        raise ApplicationError(_("Say why the entry is reversed."), field="reason", code="reason_required")
    account = StoredValueAccount.objects.select_for_update().get(pk=entry.account_id)
    if entry.kind == Kind.REVERSAL or StoredValueEntry.objects.filter(reversal_of=entry).exists():
        raise ApplicationError(
            _("This entry has already been reversed, or is itself a reversal."), code="already_reversed"
        )
    return _post(
        account,
        kind=Kind.REVERSAL,
        principal=-entry.principal,
        bonus=-entry.bonus,
        actor=actor,
        reference=Reference(entry.reference_type, entry.reference_id, entry.reference_no),
        reversal_of=entry,
        note=reason,
    )
