import datetime
from decimal import Decimal

import pytest

from pitstop.core.exceptions import ApplicationError
from pitstop.customers.tests.factories import CustomerFactory, VehicleFactory
from pitstop.loyalty import services
from pitstop.loyalty.models import (
    Coupon,
    CouponType,
    PackageCard,
    PackageCardEntry,
    PackageCardType,
    PackageCardTypeItem,
    PointsAccount,
    PointsEntry,
    PointsRule,
    PointsSettings,
)
from pitstop.service.tests.factories import CannedJobFactory, LabourOperationFactory

pytestmark = pytest.mark.django_db
D = Decimal
DAY = datetime.date(2025, 3, 1)
JOB = services.Reference("settlement", 9, "JS0009")


# --- points ----------------------------------------------------------------------------------


@pytest.fixture
def point_rules(store_a):
    PointsRule.objects.create(store=store_a, line_kind="labour", points_per_yuan=D("2"))
    PointsRule.objects.create(store=store_a, line_kind="parts", points_per_yuan=D("1"))
    PointsSettings.objects.create(store=store_a, points_per_yuan=100, expiry_months=12)


def test_points_earned_by_line_kind_rounded_down(point_rules, store_a, customer, cashier):
    entry = services.points_earn(
        actor=cashier,
        store=store_a,
        customer=customer,
        amounts={"labour": "100.40", "parts": "50.99", "other": "999"},
        reference=JOB,
        on=DAY,
    )
    assert entry.points == 251  # 200.8 + 50.99 = 251.79, no rule for other
    assert entry.expires_on == datetime.date(2026, 3, 1)
    assert PointsAccount.objects.get(customer=customer).balance == 251


def test_unknown_line_kind_is_refused(point_rules, store_a, customer, cashier):
    with pytest.raises(ApplicationError) as error:
        services.points_earn(actor=cashier, store=store_a, customer=customer, amounts={"paint": "10"})
    assert error.value.code == "invalid_line_kind"


def test_points_pay_at_the_store_rate(point_rules, store_a, customer, cashier):
    services.points_earn(actor=cashier, store=store_a, customer=customer, points=1000, on=DAY)
    entry = services.points_spend(actor=cashier, store=store_a, customer=customer, points=250, on=DAY)
    assert entry.value == D("2.50") and entry.balance_after == 750
    assert services.points_needed(store=store_a, amount="3.34") == 334
    with pytest.raises(ApplicationError) as error:
        services.points_spend(actor=cashier, store=store_a, customer=customer, points=751, on=DAY)
    assert error.value.code == "insufficient_points"
    for bad in (0, -1, D("1.5"), True):
        with pytest.raises(ApplicationError) as error:
            services.points_spend(actor=cashier, store=store_a, customer=customer, points=bad)
        assert error.value.code == "invalid_points"
    assert PointsAccount.objects.get(customer=customer).balance == 750


def test_points_expire_fifo_and_never_spent_ones(point_rules, store_a, customer, cashier):
    services.points_earn(actor=cashier, store=store_a, customer=customer, points=300, on=DAY)
    services.points_earn(actor=cashier, store=store_a, customer=customer, points=200, on=DAY.replace(month=6))
    services.points_spend(
        actor=cashier, store=store_a, customer=customer, points=250, on=DAY.replace(month=7)
    )
    assert services.points_expire(now=datetime.date(2026, 3, 1)) == 50  # 300 − 250 spent from the first lot
    assert services.points_expire(now=datetime.date(2026, 3, 2)) == 0  # nothing twice
    assert PointsAccount.objects.get(customer=customer).balance == 200
    assert services.points_expire(now=datetime.date(2026, 6, 1)) == 200
    account = PointsAccount.objects.get(customer=customer)
    assert account.balance == 0 == sum(e.points for e in account.entries.all())


def test_spend_writes_off_due_points_first(point_rules, store_a, customer, cashier):
    services.points_earn(actor=cashier, store=store_a, customer=customer, points=300, on=DAY)
    with pytest.raises(ApplicationError) as error:
        services.points_spend(
            actor=cashier, store=store_a, customer=customer, points=10, on=datetime.date(2026, 4, 1)
        )
    assert error.value.code == "insufficient_points"


def test_points_reversal(point_rules, store_a, customer, cashier):
    earn = services.points_earn(actor=cashier, store=store_a, customer=customer, points=100, on=DAY)
    spend = services.points_spend(actor=cashier, store=store_a, customer=customer, points=100, on=DAY)
    with pytest.raises(ApplicationError) as error:
        services.points_reverse(actor=cashier, entry=earn, reason="wrong customer")
    assert error.value.code == "insufficient_points"
    back = services.points_reverse(actor=cashier, entry=spend, reason="settlement reversed", on=DAY)
    assert back.points == 100 and back.expires_on == datetime.date(2026, 3, 1)
    with pytest.raises(ApplicationError) as error:
        services.points_reverse(actor=cashier, entry=spend, reason="again")
    assert error.value.code == "already_reversed"
    assert PointsEntry.objects.filter(account__customer=customer).count() == 3


# --- memberships -----------------------------------------------------------------------------


def test_join_renew_and_leave(tiers, store_a, customer, cashier):
    membership = services.membership_join(
        actor=cashier, customer=customer, tier=tiers["platinum"], on=datetime.date(2025, 1, 31)
    )
    assert membership.card_no.startswith("HYBJ01") and membership.fee_paid == D("200.00")
    assert membership.expires_on == datetime.date(2026, 1, 31)
    customer.refresh_from_db()
    assert customer.tier == tiers["platinum"]
    with pytest.raises(ApplicationError) as error:
        services.membership_join(actor=cashier, customer=customer, tier=tiers["normal"])
    assert error.value.code == "already_member"
    membership = services.membership_renew(
        actor=cashier, membership=membership, fee="180", on=datetime.date(2025, 12, 1)
    )
    assert membership.expires_on == datetime.date(2027, 1, 31) and membership.fee_paid == D("380.00")
    membership = services.membership_leave(actor=cashier, membership=membership, reason="moved")
    customer.refresh_from_db()
    assert membership.status == "left" and customer.tier == tiers["normal"]
    assert [e.kind for e in membership.events.all()] == ["join", "renew", "leave"]
    with pytest.raises(ApplicationError) as error:
        services.membership_renew(actor=cashier, membership=membership)
    assert error.value.code == "not_active"


def test_tier_of_another_store_is_refused(tiers, store_b, cashier):
    other = CustomerFactory(store=store_b)
    with pytest.raises(ApplicationError) as error:
        services.membership_join(actor=cashier, customer=other, tier=tiers["normal"])
    assert error.value.code == "wrong_store"


def test_upgrade_by_rules(tiers, store_a, customer, cashier):
    membership = services.membership_join(actor=cashier, customer=customer, tier=tiers["normal"])
    with pytest.raises(ApplicationError) as error:
        services.membership_change_tier(actor=cashier, membership=membership, tier=tiers["platinum"])
    assert error.value.code == "not_qualified"
    # Automatic: nothing met beyond the current tier, nothing happens.
    assert services.membership_change_tier(actor=cashier, membership=membership).tier == tiers["normal"]
    # One visit of ¥3,000 qualifies for platinum.
    membership = services.membership_change_tier(actor=cashier, membership=membership, single_spend="3000")
    assert membership.tier == tiers["platinum"]
    # Points earned (not the balance) rule diamond.
    services.points_earn(actor=cashier, store=store_a, customer=customer, points=5000)
    services.points_spend(actor=cashier, store=store_a, customer=customer, points=4000)
    membership = services.membership_change_tier(actor=cashier, membership=membership)
    assert membership.tier == tiers["diamond"]
    customer.refresh_from_db()
    assert customer.tier == tiers["diamond"]


def test_downgrade(tiers, store_a, customer, cashier):
    membership = services.membership_join(actor=cashier, customer=customer, tier=tiers["diamond"])
    # Automatic downgrades only when asked (at renewal).
    assert services.membership_change_tier(actor=cashier, membership=membership).tier == tiers["diamond"]
    membership = services.membership_change_tier(
        actor=cashier, membership=membership, single_spend="3000", allow_downgrade=True
    )
    assert membership.tier == tiers["platinum"]
    membership = services.membership_change_tier(actor=cashier, membership=membership, tier=tiers["normal"])
    assert membership.tier == tiers["normal"]
    assert [e.kind for e in membership.events.all()] == ["join", "downgrade", "downgrade"]
    with pytest.raises(ApplicationError) as error:
        services.membership_change_tier(actor=cashier, membership=membership, tier=tiers["normal"])
    assert error.value.code == "same_tier"


def test_replace_lost_card(tiers, store_a, customer, cashier):
    old = services.membership_join(actor=cashier, customer=customer, tier=tiers["platinum"], card_no="A001")
    services.stored_value_top_up(actor=cashier, store=store_a, customer=customer, amount="500")
    new = services.membership_replace_card(actor=cashier, membership=old, card_no="A002", fee="10")
    old.refresh_from_db()
    assert old.status == "blocked" and old.replaced_by == new
    assert (new.tier, new.expires_on, new.status) == (old.tier, old.expires_on, "active")
    with pytest.raises(ApplicationError) as error:
        services.membership_by_card(store=store_a, card_no="A001")
    assert error.value.code == "card_blocked" and error.value.extra["replaced_by"] == "A002"
    found = services.membership_by_card(store=store_a, card_no="A002")
    assert services.stored_value_balance(store=store_a, customer=found.customer).balance == D("500.00")
    with pytest.raises(ApplicationError) as error:
        services.membership_replace_card(actor=cashier, membership=old)
    assert error.value.code == "not_active"


def test_replacement_card_number_taken(tiers, store_a, customer, cashier):
    services.membership_join(
        actor=cashier, customer=CustomerFactory(store=store_a), tier=tiers["normal"], card_no="B9"
    )
    old = services.membership_join(actor=cashier, customer=customer, tier=tiers["normal"], card_no="B1")
    with pytest.raises(ApplicationError) as error:
        services.membership_replace_card(actor=cashier, membership=old, card_no="B9")
    assert error.value.code == "card_taken"


# --- package cards ---------------------------------------------------------------------------


@pytest.fixture
def card_type(store_a):
    kind = PackageCardType.objects.create(
        store=store_a, code="SB", name="首保二保套餐", kind="maintenance", price=D("680"), valid_months=12
    )
    PackageCardTypeItem.objects.create(card_type=kind, labour=LabourOperationFactory(), count=2)
    PackageCardTypeItem.objects.create(card_type=kind, canned_job=CannedJobFactory(), count=1)
    return kind


def test_sell_and_use_a_card(card_type, store_a, customer, cashier):
    vehicle = VehicleFactory(owner=customer)
    card = services.package_card_sell(
        actor=cashier, card_type=card_type, customer=customer, vehicle=vehicle, on=DAY
    )
    assert card.expires_on == datetime.date(2026, 3, 1) and card.price_paid == D("680.00")
    labour_item, job_item = card.items.all()
    assert services.card_item_for(card, labour=labour_item.labour) == labour_item
    entry = services.package_card_use(
        actor=cashier, item=labour_item, count=1, reference=JOB, vehicle=vehicle, on=DAY
    )
    assert entry.remaining_after == 1 and entry.reference_no == "JS0009"
    with pytest.raises(ApplicationError) as error:
        services.package_card_use(actor=cashier, item=labour_item, count=2, on=DAY)
    assert error.value.code == "card_exhausted"
    with pytest.raises(ApplicationError) as error:
        services.package_card_use(
            actor=cashier, item=job_item, vehicle=VehicleFactory(owner=customer), on=DAY
        )
    assert error.value.code == "wrong_vehicle"
    with pytest.raises(ApplicationError) as error:
        services.package_card_use(actor=cashier, item=job_item, on=datetime.date(2026, 3, 2))
    assert error.value.code == "card_expired"
    with pytest.raises(ApplicationError) as error:
        services.package_card_use(actor=cashier, item=job_item, count=0)
    assert error.value.code == "invalid_count"
    back = services.package_card_reverse(actor=cashier, entry=entry, reason="reversed")
    assert back.remaining_after == 2
    assert services.package_cards_expire(now=datetime.date(2026, 3, 2)) == 3
    for item in card.items.all():
        assert item.remaining == 0 == sum(e.count for e in item.entries.all())


def test_card_refusals_at_sale(card_type, store_b, customer, cashier):
    with pytest.raises(ApplicationError) as error:
        services.package_card_sell(
            actor=cashier, card_type=card_type, customer=CustomerFactory(store=store_b)
        )
    assert error.value.code == "wrong_store"
    card_type.is_active = False
    card_type.save()
    with pytest.raises(ApplicationError) as error:
        services.package_card_sell(actor=cashier, card_type=card_type, customer=customer)
    assert error.value.code == "not_on_sale"
    assert not PackageCard.objects.exists() and not PackageCardEntry.objects.exists()


# --- coupons ---------------------------------------------------------------------------------


@pytest.fixture
def coupon_type(store_a):
    return CouponType.objects.create(
        store=store_a,
        code="Q50",
        name="满300减50",
        kind="amount",
        value=D("50"),
        minimum_spend=D("300"),
        line_kinds=["labour"],
        valid_days=30,
    )


def test_issue_in_a_batch_and_to_customers(coupon_type, store_a, customer, cashier):
    batch = services.coupons_issue(actor=cashier, coupon_type=coupon_type, count=20, on=DAY)
    assert len({c.code for c in batch}) == 20 and len({c.batch_no for c in batch}) == 1
    assert all(c.expires_on == datetime.date(2025, 3, 31) and c.customer is None for c in batch)
    (own,) = services.coupons_issue(actor=cashier, coupon_type=coupon_type, customers=[customer], on=DAY)
    assert own.customer == customer
    for bad in (0, 5001, None):
        with pytest.raises(ApplicationError):
            services.coupons_issue(actor=cashier, coupon_type=coupon_type, count=bad)
    assert Coupon.objects.count() == 21


def test_coupon_conditions(coupon_type, store_a, store_b, customer, cashier):
    (coupon,) = services.coupons_issue(actor=cashier, coupon_type=coupon_type, customers=[customer], on=DAY)
    check = services.coupon_check

    def refused(**kwargs):
        args = {
            "store": store_a,
            "code": coupon.code,
            "amount": "400",
            "line_kinds": ["labour"],
            "customer": customer,
            "on": DAY,
        } | kwargs
        with pytest.raises(ApplicationError) as error:
            check(**args)
        return error.value.code

    assert check(
        store=store_a,
        code=coupon.code.lower(),
        amount="400",
        line_kinds=["labour"],
        customer=customer,
        on=DAY,
    ).discount == D("50.00")
    # By kind: only labour counts towards the minimum spend.
    assert refused(amount={"labour": "200", "parts": "500"}) == "below_minimum_spend"
    assert check(
        store=store_a, code=coupon.code, amount={"labour": "300", "parts": "5"}, customer=customer, on=DAY
    ).eligible == D("300.00")
    assert refused(amount="299.99") == "below_minimum_spend"
    assert refused(line_kinds=["parts"]) == "wrong_line_kinds"
    assert refused(customer=CustomerFactory(store=store_a)) == "wrong_customer"
    assert refused(on=datetime.date(2025, 4, 1)) == "coupon_expired"
    assert refused(store=store_b) == "not_found"
    assert refused(code="NOPE") == "not_found"


def test_percent_coupon_capped(store_a, cashier):
    kind = CouponType.objects.create(
        store=store_a, code="P", name="工时9折", kind="percent", value=D("10"), max_discount=D("30")
    )
    (coupon,) = services.coupons_issue(actor=cashier, coupon_type=kind, count=1)
    assert services.coupon_check(
        store=store_a, code=coupon.code, amount="123.45", line_kinds=["parts"]
    ).discount == D("12.35")
    assert services.coupon_check(
        store=store_a, code=coupon.code, amount="1000", line_kinds=["parts"]
    ).discount == D("30.00")


def test_redeem_once(coupon_type, store_a, customer, cashier):
    (coupon,) = services.coupons_issue(actor=cashier, coupon_type=coupon_type, count=1, on=DAY)
    quote = services.coupon_redeem(
        actor=cashier,
        store=store_a,
        code=coupon.code,
        amount="400",
        line_kinds=["labour"],
        reference=JOB,
        customer=customer,
        on=DAY,
    )
    coupon.refresh_from_db()
    assert quote.discount == D("50.00") and coupon.status == "redeemed" and coupon.reference_no == "JS0009"
    assert coupon.customer == customer and coupon.redeemed_by == cashier
    with pytest.raises(ApplicationError) as error:
        services.coupon_redeem(
            actor=cashier, store=store_a, code=coupon.code, amount="400", line_kinds=["labour"], on=DAY
        )
    assert error.value.code == "coupon_used"
    services.coupon_reinstate(actor=cashier, coupon=coupon)
    services.coupon_void(actor=cashier, coupon=coupon)
    with pytest.raises(ApplicationError) as error:
        services.coupon_check(store=store_a, code=coupon.code, amount="400", line_kinds=["labour"], on=DAY)
    assert error.value.code == "coupon_void"
