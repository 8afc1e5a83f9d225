import datetime
from decimal import Decimal

import pytest

from pitstop.customers.tests.factories import CustomerFactory, VehicleFactory
from pitstop.loyalty import selectors, services
from pitstop.loyalty.models import Coupon, CouponType, PointsSettings

pytestmark = pytest.mark.django_db
D = Decimal
DAY = datetime.date(2025, 3, 1)


def test_members_found_by_card_name_plate_only_in_permitted_stores(
    store_a, store_b, tiers, cashier, make_staff
):
    zhang = CustomerFactory(store=store_a, name="张三丰")
    VehicleFactory(owner=zhang, plate="京N88888")
    services.membership_join(actor=cashier, customer=zhang, tier=tiers["normal"], card_no="HY-1")
    services.stored_value_top_up(actor=cashier, store=store_a, customer=zhang, amount="300")
    services.points_earn(actor=cashier, store=store_a, customer=zhang, points=70)
    li = CustomerFactory(store=store_a, name="李四光")
    left = services.membership_join(actor=cashier, customer=li, tier=tiers["normal"], card_no="HY-2")
    services.membership_leave(actor=cashier, membership=left)

    def cards(query="", status="active", user=cashier):
        return [m.card_no for m in selectors.member_list(user=user, store=None, query=query, status=status)]

    assert cards() == ["HY-1"] and cards(status="") == ["HY-2", "HY-1"]
    assert cards("hy-1") == ["HY-1"] and cards("88888") == ["HY-1"] and cards("张三丰") == ["HY-1"]
    assert cards("李四光", status="left") == ["HY-2"]
    (member,) = selectors.member_list(user=cashier, store=None)
    assert member.stored_value == D("300") and member.points == 70
    assert cards(user=make_staff("store_manager", store_b), status="") == []
    found = selectors.customers_without_card(user=cashier, store=None, query="李四光")
    assert found == [li]  # left the club: may join again
    assert selectors.customers_without_card(user=cashier, store=None, query="张三丰") == []


def test_next_expiry_is_the_earliest_lot_still_held(store_a, customer, cashier):
    PointsSettings.objects.create(store=store_a, points_per_yuan=100, expiry_months=12)
    services.points_earn(actor=cashier, store=store_a, customer=customer, points=100, on=DAY)
    services.points_earn(
        actor=cashier, store=store_a, customer=customer, points=50, on=DAY + datetime.timedelta(days=40)
    )
    services.points_spend(actor=cashier, store=store_a, customer=customer, points=30, on=DAY)
    account = customer.points_accounts.get()
    expiry = selectors.next_points_expiry(account)
    assert (expiry.day, expiry.points) == (datetime.date(2026, 3, 1), 70)
    services.points_spend(actor=cashier, store=store_a, customer=customer, points=70, on=DAY)
    expiry = selectors.next_points_expiry(account)
    assert (expiry.day, expiry.points) == (datetime.date(2026, 4, 10), 50)


def test_tier_options_say_which_rules_are_met(store_a, tiers, customer, cashier):
    membership = services.membership_join(actor=cashier, customer=customer, tier=tiers["normal"])
    options = {o.tier.code: (o.met, o.current) for o in selectors.tier_options(membership, points=1200)}
    assert options == {"01": (True, True), "02": (True, False), "03": (False, False)}
    by_spend = selectors.tier_options(membership, points=0, single_spend=D("3000"))
    assert [o.met for o in by_spend] == [True, True, False]


def test_coupon_list_filters_expired_and_by_batch(store_a, cashier):
    kind = CouponType.objects.create(store=store_a, code="MJ", name="满减", value=D("10"), valid_days=10)
    old = services.coupons_issue(actor=cashier, coupon_type=kind, count=2, on=DAY)
    new = services.coupons_issue(
        actor=cashier, coupon_type=kind, count=1, on=DAY + datetime.timedelta(days=30)
    )
    today = DAY + datetime.timedelta(days=31)
    expired = selectors.coupon_list(user=cashier, store=store_a, status=selectors.EXPIRED, today=today)
    assert set(expired) == set(old)
    assert list(selectors.coupon_list(user=cashier, store=store_a, batch=new[0].batch_no)) == new
    services.coupon_void(actor=cashier, coupon=old[0])
    assert list(selectors.coupon_list(user=cashier, store=store_a, status=Coupon.Status.VOIDED)) == [old[0]]
    assert list(selectors.coupon_list(user=cashier, store=store_a, query=new[0].code[:6].lower())) == new
