from decimal import Decimal

import pytest

from pitstop.customers.tests.factories import CustomerFactory, TierFactory


@pytest.fixture
def cashier(make_staff, store_a):
    return make_staff("cashier", store_a)


@pytest.fixture
def customer(store_a):
    return CustomerFactory(store=store_a)


@pytest.fixture
def tiers(store_a):
    """一般 (default, free), 白金 (1,000 points or ¥3,000 in one visit), 钻石 (5,000 points)."""
    return {
        "normal": TierFactory(store=store_a, code="01", name="一般客户", rank=0, is_default=True),
        "platinum": TierFactory(
            store=store_a,
            code="02",
            name="白金",
            rank=1,
            fee=Decimal("200.00"),
            valid_months=12,
            points_required=1000,
            single_spend_threshold=Decimal("3000.00"),
        ),
        "diamond": TierFactory(
            store=store_a,
            code="03",
            name="钻石",
            rank=2,
            fee=Decimal("500.00"),
            valid_months=12,
            points_required=5000,
        ),
    }
