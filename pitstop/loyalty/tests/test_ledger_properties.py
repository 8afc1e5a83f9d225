"""Random sequences never break the loyalty ledgers: balance == Σ entries, never negative,
principal + bonus add up, points expire FIFO and never the spent ones, card counts add up."""

import contextlib
import datetime
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pitstop.core.exceptions import ApplicationError
from pitstop.customers.tests.factories import CustomerFactory
from pitstop.loyalty import services
from pitstop.loyalty.models import (
    PackageCardType,
    PackageCardTypeItem,
    PointsAccount,
    PointsSettings,
    StoredValueAccount,
    TopUpRule,
)
from pitstop.service.tests.factories import LabourOperationFactory

pytestmark = pytest.mark.django_db
EXAMPLES = settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("2000"), places=2)
stored_ops = st.lists(
    st.one_of(
        st.tuples(st.just("top_up"), amounts),
        st.tuples(st.just("spend"), amounts),
        st.tuples(st.just("refund"), amounts),
        st.tuples(st.just("reverse"), st.integers(0, 30)),
    ),
    max_size=15,
)


@EXAMPLES
@given(ops=stored_ops)
def test_stored_value_ledger(store_a, ops):
    if not TopUpRule.objects.filter(store=store_a).exists():
        TopUpRule.objects.create(store=store_a, pay_at_least=Decimal("100"), bonus=Decimal("7.77"))
        TopUpRule.objects.create(store=store_a, pay_at_least=Decimal("1000"), bonus=Decimal("150"))
    customer = CustomerFactory(store=store_a)
    entries = []
    for op, value in ops:
        with contextlib.suppress(ApplicationError):
            if op == "top_up":
                entries.append(
                    services.stored_value_top_up(actor=None, store=store_a, customer=customer, amount=value)
                )
            elif op == "spend":
                entry = services.stored_value_spend(
                    actor=None, store=store_a, customer=customer, amount=value
                )
                assert -(entry.principal + entry.bonus) == value  # the split adds up
                assert entry.principal <= 0 and entry.bonus <= 0
                entries.append(entry)
            elif op == "refund":
                entry = services.stored_value_refund(
                    actor=None, store=store_a, customer=customer, amount=value, reason="r"
                )
                assert -entry.principal == value
                entries.append(entry)
            elif entries:
                target = entries[value % len(entries)]
                entries.append(services.stored_value_reverse(actor=None, entry=target, reason="r"))
    account = StoredValueAccount.objects.filter(customer=customer).first()
    if account is None:
        return
    ledger = list(account.entries.order_by("id"))
    principal = bonus = Decimal("0.00")
    for entry in ledger:
        principal += entry.principal
        bonus += entry.bonus
        assert (entry.principal_after, entry.bonus_after) == (principal, bonus)
        assert principal >= 0 and bonus >= 0
    assert (account.principal, account.bonus) == (principal, bonus)


DAY0 = datetime.date(2025, 1, 1)
points_ops = st.lists(
    st.tuples(st.sampled_from(["earn", "spend", "expire"]), st.integers(1, 500), st.integers(0, 40)),
    max_size=20,
)


@EXAMPLES
@given(ops=points_ops)
def test_points_ledger_and_fifo_expiry(store_a, ops):
    """Compared with a plain model: lots expire after 1 month; spending takes the oldest lot
    first, after writing off what is due."""
    PointsSettings.objects.get_or_create(store=store_a, defaults={"expiry_months": 1})
    customer = CustomerFactory(store=store_a)
    lots: list[list] = []  # [expires_on, left]
    expired_model = expired = 0
    day = DAY0

    def expire_model(on):
        nonlocal expired_model
        for lot in lots:
            if lot[0] <= on and lot[1]:
                expired_model += lot[1]
                lot[1] = 0

    for op, number, step in ops:
        day += datetime.timedelta(days=step)
        if op == "earn":
            entry = services.points_earn(actor=None, store=store_a, customer=customer, points=number, on=day)
            lots.append([entry.expires_on, number])
        elif op == "spend":
            before = [list(lot) for lot in lots], expired_model
            expire_model(day)
            try:
                services.points_spend(actor=None, store=store_a, customer=customer, points=number, on=day)
            except ApplicationError as error:
                assert error.code == "insufficient_points"
                assert number > sum(left for _e, left in lots)
                lots, expired_model = before  # a refused spend changes nothing, not even expiry
            else:
                for lot in lots:
                    taken = min(lot[1], number)
                    lot[1] -= taken
                    number -= taken
                assert number == 0
        else:
            expire_model(day)
            services.points_expire(now=day, store=store_a)
    account = PointsAccount.objects.filter(customer=customer).first()
    if account is None:
        return
    ledger = list(account.entries.order_by("id"))
    running = 0
    for entry in ledger:
        running += entry.points
        assert entry.balance_after == running >= 0
    expired = -sum(e.points for e in ledger if e.kind == "expire")
    assert account.balance == running == sum(left for _e, left in lots)
    assert expired == expired_model


@EXAMPLES
@given(uses=st.lists(st.tuples(st.integers(0, 1), st.integers(1, 4)), max_size=12))
def test_package_card_ledger(store_a, uses):
    kind = PackageCardType.objects.filter(store=store_a, code="P").first()
    if kind is None:
        kind = PackageCardType.objects.create(store=store_a, code="P", name="次卡", price=Decimal("300"))
        PackageCardTypeItem.objects.create(card_type=kind, labour=LabourOperationFactory(), count=5)
        PackageCardTypeItem.objects.create(card_type=kind, labour=LabourOperationFactory(), count=3)
    card = services.package_card_sell(actor=None, card_type=kind, customer=CustomerFactory(store=store_a))
    items = list(card.items.all())
    entries = []
    for which, count in uses:
        with contextlib.suppress(ApplicationError):
            entries.append(services.package_card_use(actor=None, item=items[which], count=count))
        if entries and count == 4:
            with contextlib.suppress(ApplicationError):
                services.package_card_reverse(actor=None, entry=entries[0], reason="r")
    for item in card.items.all():
        total = sum(e.count for e in item.entries.all())
        assert item.remaining == total >= 0 and item.remaining <= item.count
