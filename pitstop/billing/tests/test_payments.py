"""Payments: several methods for one bill, never more than is outstanding, change for cash,
reference numbers for card and mobile payments, refunds at most what was paid, a retried
request with the same Idempotency-Key never charging twice; and two cashiers at once on
PostgreSQL."""

import threading
from decimal import Decimal

import pytest
from django.db import connection, connections, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pitstop.billing.models import Payment, Settlement
from pitstop.billing.payments import payment_record, payment_refund
from pitstop.core.exceptions import ApplicationError
from pitstop.customers.tests.factories import VehicleFactory
from pitstop.service.tests.factories import RepairOrderFactory

Method = Payment.Method


def _bill(store, advisor, total="1000.00", status=Settlement.Status.POSTED):
    order = RepairOrderFactory(vehicle=VehicleFactory(owner__store=store), advisor=advisor, status="ready")
    return Settlement.objects.create(
        store=store,
        number=f"JS{order.pk:06d}",
        status=status,
        order=order,
        customer=order.customer,
        prepared_by=advisor,
        total=Decimal(total),
        owner_total=Decimal(total),
    )


@pytest.fixture
def cashier(make_staff, store_a):
    return make_staff("cashier", store_a)


@pytest.fixture
def bill(db, store_a, advisor):
    return _bill(store_a, advisor)


def test_a_bill_is_paid_by_several_methods_until_nothing_is_outstanding(bill, cashier):
    payment_record(actor=cashier, settlement=bill, method=Method.WECHAT, amount="600", reference="4200001234")
    cash = payment_record(actor=cashier, settlement=bill, method=Method.CASH, amount="400", tendered="500")
    bill.refresh_from_db()
    assert bill.received == Decimal("1000.00") and bill.outstanding == Decimal("0")
    assert cash.change == Decimal("100.00") and cash.tendered == Decimal("500.00")
    with pytest.raises(ApplicationError) as refused:
        payment_record(actor=cashier, settlement=bill, method=Method.CASH, amount="0.01")
    assert refused.value.code == "overpaid"


@pytest.mark.parametrize(
    "method,amount,extra,code",
    [
        (Method.CASH, "1000.01", {}, "overpaid"),
        (Method.CASH, "0", {}, "amount"),
        (Method.CASH, "abc", {}, "amount"),
        (Method.CASH, "100", {"tendered": "50"}, "tendered"),
        (Method.WECHAT, "100", {}, "reference"),
        (Method.CARD, "100", {"reference": "  "}, "reference"),
        ("bitcoin", "100", {}, "method"),
    ],
)
def test_a_wrong_payment_is_refused_and_takes_nothing(bill, cashier, method, amount, extra, code):
    with pytest.raises(ApplicationError) as refused:
        payment_record(actor=cashier, settlement=bill, method=method, amount=amount, **extra)
    assert refused.value.code == code
    bill.refresh_from_db()
    assert bill.received == Decimal("0") and not Payment.objects.exists()


def test_only_a_posted_bill_is_paid(store_a, advisor, cashier):
    draft = _bill(store_a, advisor, status=Settlement.Status.DRAFT)
    with pytest.raises(ApplicationError) as refused:
        payment_record(actor=cashier, settlement=draft, method=Method.CASH, amount="10")
    assert refused.value.code == "settlement_status"


def test_the_same_idempotency_key_replays_the_first_payment(bill, cashier):
    first = payment_record(
        actor=cashier,
        settlement=bill,
        method=Method.ALIPAY,
        amount="300",
        reference="A1",
        idempotency_key="k-1",
    )
    again = payment_record(
        actor=cashier,
        settlement=bill,
        method=Method.ALIPAY,
        amount="300",
        reference="A1",
        idempotency_key="k-1",
    )
    assert again.pk == first.pk and Payment.objects.count() == 1
    bill.refresh_from_db()
    assert bill.received == Decimal("300.00")
    with pytest.raises(ApplicationError) as conflict:
        payment_record(
            actor=cashier,
            settlement=bill,
            method=Method.ALIPAY,
            amount="200",
            reference="A2",
            idempotency_key="k-1",
        )
    assert conflict.value.code == "idempotency_conflict"


def test_a_refund_gives_back_at_most_what_the_payment_took(bill, cashier):
    paid = payment_record(actor=cashier, settlement=bill, method=Method.CARD, amount="500", reference="POS88")
    refund = payment_refund(actor=cashier, payment=paid, amount="200", reason="多收")
    assert refund.amount == Decimal("-200.00") and refund.refund_of == paid and refund.method == Method.CARD
    with pytest.raises(ApplicationError) as refused:
        payment_refund(actor=cashier, payment=paid, amount="300.01", reason="再退")
    assert refused.value.code == "over_refund"
    with pytest.raises(ApplicationError):
        payment_refund(actor=cashier, payment=refund, amount="1", reason="x")
    with pytest.raises(ApplicationError) as no_reason:
        payment_refund(actor=cashier, payment=paid, amount="1", reason="")
    assert no_reason.value.code == "reason"
    bill.refresh_from_db()
    assert bill.received == Decimal("300.00") and bill.outstanding == Decimal("700.00")


# --- two cashiers at once (PostgreSQL row locks) ------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_cashiers_paying_the_same_bill_at_once_never_collect_more_than_is_due(
    store_a, advisor, make_staff
):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks; runs in `make test-postgres`")
    bill = _bill(store_a, advisor, total="1000.00")
    cashiers = [make_staff("cashier", store_a) for _ in range(4)]
    barrier = threading.Barrier(len(cashiers))
    paid, refused = [], []

    def pay(cashier):
        try:
            barrier.wait()
            paid.append(payment_record(actor=cashier, settlement=bill, method=Method.CASH, amount="600"))
        except ApplicationError as error:
            refused.append(error.code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=pay, args=(c,)) for c in cashiers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    bill.refresh_from_db()
    assert len(paid) == 1 and refused == ["overpaid"] * 3
    assert (
        bill.received == Decimal("600.00") == sum(p.amount for p in Payment.objects.filter(settlement=bill))
    )


payment_step = st.one_of(
    st.tuples(
        st.just("pay"),
        st.sampled_from([Method.CASH, Method.CARD, Method.WECHAT]),
        st.decimals(min_value=Decimal("0.01"), max_value=Decimal("600"), places=2),
    ),
    st.tuples(
        st.just("refund"),
        st.integers(min_value=0, max_value=5),
        st.decimals(min_value=Decimal("0.01"), max_value=Decimal("600"), places=2),
    ),
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    total=st.decimals(min_value=Decimal("0.01"), max_value=Decimal("2000"), places=2),
    steps=st.lists(payment_step, max_size=8),
)
def test_outstanding_is_always_the_total_less_the_payments_and_never_below_zero(
    store_a, advisor, cashier, total, steps
):
    with transaction.atomic():
        bill = _bill(store_a, advisor, total=str(total))
        for kind, what, amount in steps:
            try:
                if kind == "pay":
                    payment_record(actor=cashier, settlement=bill, method=what, amount=amount, reference="R1")
                else:
                    paid = list(Payment.objects.filter(settlement=bill, amount__gt=0))
                    if paid:
                        payment_refund(
                            actor=cashier, payment=paid[what % len(paid)], amount=amount, reason="退"
                        )
            except ApplicationError:
                pass  # refused: more than outstanding or refundable; nothing may have moved
            bill.refresh_from_db()
            taken = sum((p.amount for p in Payment.objects.filter(settlement=bill)), Decimal("0"))
            assert bill.received == taken
            assert bill.outstanding == bill.owner_total - taken
            assert Decimal("0") <= bill.outstanding <= bill.owner_total
        transaction.set_rollback(True)
