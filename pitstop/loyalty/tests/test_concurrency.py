"""Two cashiers at the same moment, on PostgreSQL with real threads (skipped on SQLite):
a stored-value balance is never overdrawn, a coupon is used once."""

import threading
from decimal import Decimal

import pytest
from django.db import connection, connections

from pitstop.core.exceptions import ApplicationError
from pitstop.customers.tests.factories import CustomerFactory
from pitstop.loyalty import services
from pitstop.loyalty.models import Coupon, CouponType, PointsAccount, StoredValueAccount, StoredValueEntry

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks; runs in `make test-postgres`")


def _in_threads(count, work):
    barrier = threading.Barrier(count)
    results, errors = [], []

    def run(index):
        try:
            barrier.wait()
            results.append(work(index))
        except Exception as error:  # collected and asserted by the test
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors


def test_two_spends_of_one_balance_never_overdraw(store_a):
    customer = CustomerFactory(store=store_a)
    services.stored_value_top_up(actor=None, store=store_a, customer=customer, amount="100")
    results, errors = _in_threads(
        2,
        lambda i: services.stored_value_spend(actor=None, store=store_a, customer=customer, amount="80"),
    )
    assert len(results) == 1
    assert len(errors) == 1 and isinstance(errors[0], ApplicationError)
    assert errors[0].code == "insufficient_balance"
    account = StoredValueAccount.objects.get(customer=customer)
    assert account.balance == Decimal("20.00")
    assert sum(e.amount for e in StoredValueEntry.objects.filter(account=account)) == Decimal("20.00")


def test_many_small_spends_add_up(store_a):
    customer = CustomerFactory(store=store_a)
    services.stored_value_top_up(actor=None, store=store_a, customer=customer, amount="50")
    results, errors = _in_threads(
        8, lambda i: services.stored_value_spend(actor=None, store=store_a, customer=customer, amount="10")
    )
    assert len(results) == 5 and len(errors) == 3
    assert all(getattr(e, "code", "") == "insufficient_balance" for e in errors)
    assert StoredValueAccount.objects.get(customer=customer).balance == Decimal("0.00")


def test_first_top_ups_at_once_make_one_account(store_a):
    customer = CustomerFactory(store=store_a)
    results, errors = _in_threads(
        4, lambda i: services.stored_value_top_up(actor=None, store=store_a, customer=customer, amount="25")
    )
    assert not errors and len(results) == 4
    assert StoredValueAccount.objects.get(customer=customer).balance == Decimal("100.00")


def test_two_points_spends_never_overdraw(store_a):
    customer = CustomerFactory(store=store_a)
    services.points_earn(actor=None, store=store_a, customer=customer, points=500)
    results, errors = _in_threads(
        2, lambda i: services.points_spend(actor=None, store=store_a, customer=customer, points=300)
    )
    assert len(results) == 1 and len(errors) == 1 and errors[0].code == "insufficient_points"
    assert PointsAccount.objects.get(customer=customer).balance == 200


def test_a_coupon_redeemed_twice_at_once_is_used_once(store_a):
    kind = CouponType.objects.create(store=store_a, code="C", name="减20", value=Decimal("20"))
    (coupon,) = services.coupons_issue(actor=None, coupon_type=kind, count=1)
    results, errors = _in_threads(
        2,
        lambda i: services.coupon_redeem(
            actor=None,
            store=store_a,
            code=coupon.code,
            amount="100",
            line_kinds=["labour"],
            reference=services.Reference("settlement", i + 1, f"JS{i + 1}"),
        ),
    )
    assert len(results) == 1
    assert len(errors) == 1 and isinstance(errors[0], ApplicationError) and errors[0].code == "coupon_used"
    coupon.refresh_from_db()
    assert coupon.status == Coupon.Status.REDEEMED
    assert coupon.reference_id == results[0].coupon.reference_id
