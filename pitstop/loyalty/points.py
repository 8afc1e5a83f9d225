"""Points (积分): earned by rules (points per yuan by line kind, per store), spent as payment
at the store's rate (100 points = ¥1 by default), expiring after N months.

Balance: PointsAccount.balance under select_for_update, PointsEntry rows only inserted,
balance == sum of the entries' points, never below zero (check constraint).

Expiry is FIFO and computed from the ledger alone: the entries that add points (earned, or a
reversal giving points back) are lots with an expiry date; everything taken (spent, expired,
a reversal taking points back) is consumed from the lots in the order they expire (then in
order of entry). A lot past its date keeps only what was not consumed, and that remainder is
what `points_expire` writes off — one expiry entry per lot, referring to it — so points that
were spent are never expired. A spend first writes off what is due, so expired points are
never spent."""

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_UP, Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from pitstop.accounts.models import Store, User
from pitstop.core.exceptions import ApplicationError
from pitstop.core.money import to_money
from pitstop.customers.models import Customer

from .common import NO_REFERENCE, Reference, add_months, by, lock_row, today
from .models import LineKind, PointsAccount, PointsEntry, PointsRule, PointsSettings

Kind = PointsEntry.Kind
LOT_REFERENCE = "points_entry"


@dataclass(frozen=True)
class PointsTerms:
    points_per_yuan: int  # how many points pay ¥1
    expiry_months: int | None  # None: never expire


def points_terms(store: Store) -> PointsTerms:
    row = PointsSettings.objects.filter(store=store).first()
    if row is not None:
        return PointsTerms(row.points_per_yuan, row.expiry_months)
    return PointsTerms(
        getattr(settings, "LOYALTY_POINTS_PER_YUAN", 100),
        getattr(settings, "LOYALTY_POINTS_EXPIRY_MONTHS", 24),
    )


def points_for(*, store: Store, amounts: Mapping[str, object]) -> int:
    """Points a payment earns: Σ amount × the store's rate for its line kind, rounded down."""
    rates = {
        rule.line_kind: rule.points_per_yuan
        for rule in PointsRule.objects.filter(store=store, is_active=True)
    }
    total = Decimal(0)
    for kind, amount in amounts.items():
        if kind not in LineKind.values:
            raise ApplicationError(
                _("Unknown line kind %(kind)s.") % {"kind": kind}, field="amounts", code="invalid_line_kind"
            )
        total += max(to_money(amount), Decimal(0)) * rates.get(kind, Decimal(0))
    return int(total.to_integral_value(rounding=ROUND_DOWN))


def points_value(*, store: Store, points: int) -> Decimal:
    """What `points` pay, in yuan, rounded half-up to the cent."""
    return to_money(Decimal(points) / points_terms(store).points_per_yuan)


def points_needed(*, store: Store, amount) -> int:
    """The points that pay `amount` (rounded up to a whole point)."""
    rate = points_terms(store).points_per_yuan
    return int((to_money(amount) * rate).to_integral_value(rounding=ROUND_UP))


def _account(store: Store, customer: Customer) -> PointsAccount:
    if customer.store_id != store.pk:
        raise ApplicationError(
            _("This customer belongs to another store."), field="customer", code="wrong_store"
        )
    return lock_row(PointsAccount, store_id=store.pk, customer_id=customer.pk)


def _post(
    account: PointsAccount,
    *,
    kind: str,
    points: int,
    actor: User | None,
    reference: Reference,
    expires_on: datetime.date | None = None,
    value: Decimal = Decimal("0.00"),
    reversal_of: PointsEntry | None = None,
    note: str = "",
) -> PointsEntry:
    balance = account.balance + points
    if balance < 0:
        raise ApplicationError(
            _("Only %(balance)s points are available; %(wanted)s cannot be taken.")
            % {"balance": account.balance, "wanted": -points},
            field="points",
            code="insufficient_points",
        )
    account.balance = balance
    account.save(update_fields=["balance", "updated_at"])
    return PointsEntry.objects.create(
        store_id=account.store_id,
        account=account,
        kind=kind,
        points=points,
        balance_after=balance,
        expires_on=expires_on,
        value=value,
        reversal_of=reversal_of,
        reference_type=reference.type,
        reference_id=reference.id,
        reference_no=reference.no,
        created_by=by(actor),
        note=(note or "")[:200],
    )


def open_lots(account: PointsAccount) -> list[tuple[PointsEntry, int]]:
    """The lots of an account with what is left of each after FIFO consumption."""
    entries = list(PointsEntry.objects.filter(account=account).order_by("id"))
    consumed = -sum(e.points for e in entries if e.points < 0)
    lots = sorted(
        (e for e in entries if e.points > 0), key=lambda e: (e.expires_on or datetime.date.max, e.id)
    )
    left = []
    for lot in lots:
        taken = min(lot.points, consumed)
        consumed -= taken
        left.append((lot, lot.points - taken))
    return left


def _expire_due(account: PointsAccount, day: datetime.date, actor: User | None = None) -> list[PointsEntry]:
    written = []
    for lot, remaining in open_lots(account):
        if remaining > 0 and lot.expires_on is not None and lot.expires_on <= day:
            written.append(
                _post(
                    account,
                    kind=Kind.EXPIRE,
                    points=-remaining,
                    actor=actor,
                    reference=Reference(LOT_REFERENCE, lot.pk, ""),
                    expires_on=lot.expires_on,
                )
            )
    return written


def _expiry(store: Store, day: datetime.date) -> datetime.date | None:
    months = points_terms(store).expiry_months
    return add_months(day, months) if months else None


@transaction.atomic
def points_earn(
    *,
    actor: User | None,
    store: Store,
    customer: Customer,
    amounts: Mapping[str, object] | None = None,
    points: int | None = None,
    reference: Reference = NO_REFERENCE,
    on: datetime.date | None = None,
    note: str = "",
) -> PointsEntry | None:
    """Give points for a payment (`amounts` by line kind, by the store's rules) or a number of
    `points` outright. None when nothing is earned."""
    if (amounts is None) == (points is None):
        raise ApplicationError(_("Give either the amounts or the points."), field="points", code="invalid")
    if points is None:
        points = points_for(store=store, amounts=amounts or {})
    elif not isinstance(points, int) or points < 0:
        raise ApplicationError(_("Points must be a whole number."), field="points", code="invalid_points")
    account = _account(store, customer)
    if points == 0:
        return None
    day = today(on)
    return _post(
        account,
        kind=Kind.EARN,
        points=points,
        actor=actor,
        reference=reference,
        expires_on=_expiry(store, day),
        note=note,
    )


@transaction.atomic
def points_spend(
    *,
    actor: User | None,
    store: Store,
    customer: Customer,
    points: int,
    reference: Reference = NO_REFERENCE,
    on: datetime.date | None = None,
    note: str = "",
) -> PointsEntry:
    """积分抵现: pay with points at the store's rate; entry.value is the amount they paid.
    Points due to expire by `on` are written off first."""
    if not isinstance(points, int) or isinstance(points, bool) or points <= 0:
        raise ApplicationError(
            _("Points must be a whole number above zero."), field="points", code="invalid_points"
        )
    account = _account(store, customer)
    _expire_due(account, today(on), actor)
    return _post(
        account,
        kind=Kind.SPEND,
        points=-points,
        actor=actor,
        reference=reference,
        value=points_value(store=store, points=points),
        note=note,
    )


@transaction.atomic
def points_reverse(*, actor: User | None, entry: PointsEntry, reason: str, on=None) -> PointsEntry:
    """Undo an earn or a spend with an entry of the opposite sign. Points given back are a new
    lot expiring like newly earned points."""
    if not (reason or "").strip():
        raise ApplicationError(_("Say why the entry is reversed."), field="reason", code="reason_required")
    account = PointsAccount.objects.select_for_update().get(pk=entry.account_id)
    if entry.kind in (Kind.REVERSAL, Kind.EXPIRE) or PointsEntry.objects.filter(reversal_of=entry).exists():
        raise ApplicationError(
            _("This entry has already been reversed, or cannot be."), code="already_reversed"
        )
    points = -entry.points
    return _post(
        account,
        kind=Kind.REVERSAL,
        points=points,
        actor=actor,
        reference=Reference(entry.reference_type, entry.reference_id, entry.reference_no),
        expires_on=_expiry(account.store, today(on)) if points > 0 else None,
        value=entry.value,
        reversal_of=entry,
        note=reason,
    )


def points_expire(*, now: datetime.date | datetime.datetime | None = None, store: Store | None = None) -> int:
    """The job: write off every lot past its date, FIFO, one account per transaction, accounts
    in primary-key order. Returns the number of points expired."""
    day = today(now)
    due = PointsEntry.objects.filter(points__gt=0, expires_on__lte=day, account__balance__gt=0)
    if store is not None:
        due = due.filter(store=store)
    expired = 0
    for account_id in sorted(set(due.values_list("account_id", flat=True))):
        with transaction.atomic():
            account = PointsAccount.objects.select_for_update().get(pk=account_id)
            expired -= sum(e.points for e in _expire_due(account, day))
    return expired


def points_earned_total(*, store: Store, customer: Customer) -> int:
    """Points earned in a store over time, less earnings reversed: what tiers are ruled by."""
    earned = PointsEntry.objects.filter(store=store, account__customer=customer, kind=Kind.EARN)
    taken_back = PointsEntry.objects.filter(
        store=store, account__customer=customer, kind=Kind.REVERSAL, reversal_of__kind=Kind.EARN
    )
    return (earned.aggregate(n=Sum("points"))["n"] or 0) + (taken_back.aggregate(n=Sum("points"))["n"] or 0)
