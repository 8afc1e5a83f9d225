"""Receivables (应收账款, F-6.2, F-6.3): what somebody other than the paying owner owes for a
settlement — the insurer, the manufacturer under warranty, the store itself (internal jobs) or
a company that pays on account (挂账) within its credit limit — and their ageing (账龄).

The hooks below are called by the settlement and payment services inside their transactions:
- `receivables_post` when a bill is posted: one receivable per non-owner payer;
- `receivable_for_credit` when the cashier puts (part of) a bill on a company's account;
- `receivables_reverse` when a posted bill is reversed: each receivable is reversed by a row
  of its own (negative amount, same due date, `reverses` naming it), so the pair nets to zero
  in every sum and in the same ageing column, and both stay on record.

A receivable's open amount is `amount − collected`. The lists and the ageing show only live
receivables (neither reversed nor a reversal); sums over all rows give the same open totals,
because a receivable with money collected on it cannot be reversed until that is refunded."""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Case, Count, DecimalField, F, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from pitstop.accounts.models import Store, User
from pitstop.core.audit import audit_record, snapshot
from pitstop.core.exceptions import ApplicationError
from pitstop.core.money import to_money
from pitstop.core.scoping import scoped

from .models import ZERO, CreditAccount, Payer, Payment, Receivable, Settlement, SettlementLine

Debtor = Receivable.Debtor
# An insurer or the manufacturer pays within a month of the claim; the store settles itself
# at once.
CLAIM_TERMS_DAYS = 30
PAYER_DEBTOR = {
    Payer.INSURER: Debtor.INSURER,
    Payer.WARRANTY: Debtor.WARRANTY,
    Payer.INTERNAL: Debtor.INTERNAL,
}
MONEY_FIELD = DecimalField(max_digits=14, decimal_places=2)
VIEW_PERM = "billing.view_receivable"


# ---------------------------------------------------------------- hooks


def _posted_on(settlement: Settlement) -> date:
    return timezone.localdate(settlement.posted_at) if settlement.posted_at else timezone.localdate()


def _debtor_name(settlement: Settlement, payer: str) -> str:
    if payer == Payer.INSURER:
        return settlement.insurer or _("insurer")
    if payer == Payer.WARRANTY:
        order = settlement.order if settlement.order_id else None
        vehicle = getattr(order, "vehicle", None)
        return (getattr(vehicle, "brand", "") or "").strip() or _("manufacturer")
    return settlement.store.name


def receivables_post(*, settlement: Settlement) -> list[Receivable]:
    """One receivable for each payer other than the owner with something to pay. The insurer
    owes its lines less the excess (the owner pays the excess). Called inside
    `settlement_post`'s transaction, after the bill is marked posted."""
    sums: dict[str, Decimal] = {}
    rows = (
        SettlementLine.objects.filter(settlement=settlement)
        .exclude(payer=Payer.OWNER)
        .values("payer")
        .annotate(total=Sum("amount"))
    )
    for row in rows:
        sums[row["payer"]] = row["total"] or ZERO
    if Payer.INSURER in sums:
        sums[Payer.INSURER] -= settlement.excess or ZERO
    posted_on = _posted_on(settlement)
    made = []
    for payer in (Payer.INSURER, Payer.WARRANTY, Payer.INTERNAL):
        amount = to_money(sums.get(payer, ZERO))
        if amount <= 0:
            continue
        terms = 0 if payer == Payer.INTERNAL else CLAIM_TERMS_DAYS
        made.append(
            Receivable(
                store_id=settlement.store_id,
                settlement=settlement,
                debtor=PAYER_DEBTOR[payer],
                debtor_name=_debtor_name(settlement, payer)[:100],
                amount=amount,
                due_on=posted_on + timedelta(days=terms),
                note=(settlement.claim_no if payer == Payer.INSURER else "")[:200],
            )
        )
    for receivable in made:
        receivable.save()
    return made


def credit_available(account: CreditAccount) -> Decimal:
    """The limit less what the account still owes (reversed pairs net to zero)."""
    owed = account.receivables.aggregate(
        owed=Coalesce(Sum(F("amount") - F("collected")), Value(ZERO), output_field=MONEY_FIELD)
    )["owed"]
    return to_money(account.limit - owed)


def receivable_for_credit(*, payment: Payment, account: CreditAccount) -> Receivable:
    """Put a payment on a company's account (挂账): the account must be active, of the bill's
    store, and have the credit left. The account row is locked first, so two cashiers cannot
    both spend its last credit. Called inside `payment_record`'s transaction."""
    account = (
        CreditAccount.objects.select_for_update(of=("self",)).select_related("customer").get(pk=account.pk)
    )
    if not account.is_active or account.store_id != payment.store_id:
        raise ApplicationError(
            _("This company account cannot take charges."), field="credit_account", code="credit_inactive"
        )
    available = credit_available(account)
    if payment.amount > available:
        raise ApplicationError(
            _("Only ¥%(available)s of credit is left on this account; ¥%(amount)s is more than that.")
            % {"available": available, "amount": payment.amount},
            field="amount",
            code="credit_limit",
        )
    return Receivable.objects.create(
        store_id=payment.store_id,
        settlement_id=payment.settlement_id,
        debtor=Debtor.CREDIT,
        debtor_name=account.customer.name[:100],
        credit_account=account,
        amount=payment.amount,
        due_on=timezone.localdate() + timedelta(days=account.terms_days),
        note=(payment.note or "")[:200],
    )


def receivables_reverse(*, actor: User, settlement: Settlement, reversal: Settlement) -> None:
    """Reverse each receivable of a reversed bill by a negative one on the reversal, with the
    same debtor and due date so the pair cancels in every total and ageing column. Money
    already collected on a receivable must be refunded first."""
    originals = list(
        Receivable.objects.select_for_update()
        .filter(settlement=settlement, reverses__isnull=True)
        .order_by("pk")
    )
    ids = [r.pk for r in originals]
    done = set(Receivable.objects.filter(reverses__in=ids).values_list("reverses_id", flat=True))
    originals = [r for r in originals if r.pk not in done]
    for original in originals:
        if original.collected != 0:
            raise ApplicationError(
                _("¥%(collected)s was already collected from %(debtor)s; refund it before reversing.")
                % {"collected": original.collected, "debtor": original.debtor_name},
                code="receivable_collected",
            )
    Receivable.objects.bulk_create(
        Receivable(
            store_id=original.store_id,
            settlement=reversal,
            debtor=original.debtor,
            debtor_name=original.debtor_name,
            credit_account_id=original.credit_account_id,
            amount=-original.amount,
            collected=ZERO,
            due_on=original.due_on,
            reverses=original,
            note=_("reversed by %(number)s") % {"number": reversal.number},
        )
        for original in originals
    )


# ---------------------------------------------------------------- collections


@transaction.atomic
def receivable_collect(
    *,
    actor: User,
    receivable: Receivable,
    method: str,
    amount,
    reference: str = "",
    tendered=None,
    idempotency_key: str = "",
) -> Payment:
    """Money received against a receivable (回款): at most what is still open, taken at the
    cash desk like any payment so the cashier's day close counts it."""
    from .payments import _amount, payment_take

    amount = _amount(amount)
    receivable = (
        Receivable.objects.select_for_update(of=("self",))
        .select_related("store", "credit_account")
        .get(pk=receivable.pk)
    )
    key = (idempotency_key or "").strip()[:80]
    if key:
        first = Payment.objects.filter(store_id=receivable.store_id, idempotency_key=key).first()
        if first is not None:
            if first.receivable_id != receivable.pk or first.amount != amount or first.method != method:
                raise ApplicationError(
                    _("This Idempotency-Key was already used for another payment."),
                    field="idempotency_key",
                    code="idempotency_conflict",
                )
            return first
    if receivable.reverses_id is not None or Receivable.objects.filter(reverses=receivable).exists():
        raise ApplicationError(
            _("This receivable was reversed; nothing is owed on it."), code="receivable_reversed"
        )
    open_amount = receivable.amount - receivable.collected
    if amount > open_amount:
        raise ApplicationError(
            _("Only ¥%(open)s is still owed; ¥%(amount)s is more than that.")
            % {"open": open_amount, "amount": amount},
            field="amount",
            code="overpaid",
        )
    payment = payment_take(
        actor=actor,
        store=receivable.store,
        purpose=Payment.Purpose.RECEIVABLE,
        method=method,
        amount=amount,
        customer=receivable.credit_account.customer if receivable.credit_account_id else None,
        receivable=receivable,
        tendered=tendered,
        reference=reference,
        note=receivable.debtor_name[:200],
        idempotency_key=key,
    )
    Receivable.objects.filter(pk=receivable.pk).update(collected=F("collected") + amount)
    return payment


def receivable_refunded(*, payment: Payment, amount: Decimal) -> None:
    """Money collected on a receivable given back (called by `payment_refund` for a payment
    whose purpose is a receivable): it is owed again."""
    if payment.receivable_id is None:
        return
    Receivable.objects.select_for_update().filter(pk=payment.receivable_id).update(
        collected=F("collected") - amount
    )


# ---------------------------------------------------------------- credit accounts

ACCOUNT_FIELDS = ["customer", "limit", "terms_days", "is_active", "note"]


@transaction.atomic
def credit_account_save(
    *,
    actor: User,
    store: Store,
    customer,
    limit,
    terms_days: int,
    is_active: bool = True,
    note: str = "",
    account: CreditAccount | None = None,
) -> CreditAccount:
    """Open or change a company's account (挂账户): its limit, payment terms and whether it may
    still take charges. A limit below what it already owes stops new charges, never old ones."""
    if account is not None:
        account = CreditAccount.objects.select_for_update().get(pk=account.pk)
        store = account.store
    else:
        account = CreditAccount(store=store)
    if customer is None or customer.store_id != store.pk:
        raise ApplicationError(_("Choose a customer of this store."), field="customer", code="customer")
    if CreditAccount.objects.filter(store=store, customer=customer).exclude(pk=account.pk).exists():
        raise ApplicationError(
            _("%(customer)s already has a credit account.") % {"customer": customer.name},
            field="customer",
            code="duplicate",
        )
    try:
        limit = to_money(limit if isinstance(limit, Decimal | int) else str(limit or "").strip())
    except (InvalidOperation, TypeError, ValueError):
        raise ApplicationError(_("Enter the limit as an amount."), field="limit", code="amount") from None
    if limit < 0:
        raise ApplicationError(_("A credit limit cannot be negative."), field="limit", code="amount")
    if terms_days is None or int(terms_days) < 0:
        raise ApplicationError(_("Enter the payment terms in days."), field="terms_days", code="terms")
    before = snapshot(account, ACCOUNT_FIELDS) if account.pk else {}
    account.customer = customer
    account.limit = limit
    account.terms_days = int(terms_days)
    account.is_active = bool(is_active)
    account.note = (note or "").strip()[:200]
    account.save()
    audit_record(
        actor=actor,
        instance=account,
        action="update" if before else "create",
        before=before,
        after=snapshot(account, ACCOUNT_FIELDS),
    )
    return account


# ---------------------------------------------------------------- selectors


def live(queryset: QuerySet) -> QuerySet:
    """Receivables that count: neither reversed nor a reversal."""
    return queryset.filter(reverses__isnull=True, reversal__isnull=True)


def receivables_for(
    user: User, store: Store | None = None, *, debtor: str = "", open_only: bool = False
) -> QuerySet:
    """The receivables the user may see (of one store when given), newest due last."""
    qs = scoped(Receivable.objects.all(), user, VIEW_PERM, store=store).select_related(
        "store", "settlement", "credit_account__customer", "reverses", "reversal"
    )
    if debtor:
        qs = qs.filter(debtor=debtor)
    if open_only:
        qs = live(qs).filter(amount__gt=F("collected"))
    return qs.order_by("due_on", "id")


def credit_accounts_for(user: User, store: Store | None = None) -> QuerySet:
    """Credit accounts with what each still owes (`owed`), in one query."""
    return (
        scoped(CreditAccount.objects.all(), user, "billing.view_creditaccount", store=store)
        .select_related("customer", "store")
        .annotate(
            owed=Coalesce(
                Sum(F("receivables__amount") - F("receivables__collected")),
                Value(ZERO),
                output_field=MONEY_FIELD,
            )
        )
        .order_by("customer__name", "id")
    )


BUCKETS = ("not_due", "d0_30", "d31_60", "d61_90", "over_90")


@dataclass
class AgeingRow:
    debtor: str
    debtor_name: str
    not_due: Decimal = ZERO
    d0_30: Decimal = ZERO
    d31_60: Decimal = ZERO
    d61_90: Decimal = ZERO
    over_90: Decimal = ZERO
    count: int = 0
    extra: dict = field(default_factory=dict)

    @property
    def total(self) -> Decimal:
        return self.not_due + self.d0_30 + self.d31_60 + self.d61_90 + self.over_90

    def buckets(self) -> list[Decimal]:
        return [getattr(self, name) for name in BUCKETS]


@dataclass
class Ageing:
    on: date
    rows: list[AgeingRow]
    totals: AgeingRow


def ageing(*, user: User, store: Store | None = None, on: date | None = None, debtor: str = "") -> Ageing:
    """Open receivables per debtor by days past their due date on `on` (账龄): not yet due,
    1–30, 31–60, 61–90 and over 90 days overdue. One query, summed in the database."""
    on = on or timezone.localdate()
    open_amount = F("amount") - F("collected")

    def bucket(condition: Q):
        return Coalesce(
            Sum(Case(When(condition, then=open_amount), default=Value(ZERO), output_field=MONEY_FIELD)),
            Value(ZERO),
            output_field=MONEY_FIELD,
        )

    qs = live(scoped(Receivable.objects.all(), user, VIEW_PERM, store=store)).filter(
        amount__gt=F("collected")
    )
    if debtor:
        qs = qs.filter(debtor=debtor)
    rows = (
        qs.values("debtor", "debtor_name")
        .annotate(
            not_due=bucket(Q(due_on__gte=on)),
            d0_30=bucket(Q(due_on__lt=on, due_on__gte=on - timedelta(days=30))),
            d31_60=bucket(Q(due_on__lt=on - timedelta(days=30), due_on__gte=on - timedelta(days=60))),
            d61_90=bucket(Q(due_on__lt=on - timedelta(days=60), due_on__gte=on - timedelta(days=90))),
            over_90=bucket(Q(due_on__lt=on - timedelta(days=90))),
            n=Count("id"),
        )
        .order_by("debtor", "debtor_name")
    )
    result = []
    totals = AgeingRow(debtor="", debtor_name="")
    for row in rows:
        line = AgeingRow(
            debtor=row["debtor"],
            debtor_name=row["debtor_name"],
            count=row["n"],
            **{name: to_money(row[name]) for name in BUCKETS},
        )
        result.append(line)
        totals.count += line.count
        for name in BUCKETS:
            setattr(totals, name, getattr(totals, name) + getattr(line, name))
    return Ageing(on=on, rows=result, totals=totals)
