"""The loyalty pages as the front desk, the cashier and the manager use them: every page opens
for who may use it, another store's record is a 404, a missing right a 403; every action moves
its ledger and takes its payment in one go, and a refused one changes nothing."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from pitstop.billing.models import Payment
from pitstop.core.exceptions import ApplicationError
from pitstop.customers.tests.factories import CustomerFactory, TierFactory, VehicleFactory
from pitstop.loyalty import services
from pitstop.loyalty.models import (
    Coupon,
    CouponType,
    Membership,
    PackageCard,
    PackageCardEntry,
    PackageCardType,
    PackageCardTypeItem,
    PointsEntry,
    PointsRule,
    PointsSettings,
    StoredValueAccount,
    StoredValueEntry,
    TopUpRule,
)
from pitstop.service.tests.factories import CannedJobFactory, LabourOperationFactory

pytestmark = pytest.mark.django_db
D = Decimal


# --- set-up ----------------------------------------------------------------------------------


@pytest.fixture
def shop(store_a, tiers, customer, cashier):
    """A member with stored value, points, a package card and a coupon in store A."""
    vehicle = VehicleFactory(owner=customer, plate="京A12345")
    TopUpRule.objects.create(store=store_a, pay_at_least=D("1000"), bonus=D("100"))
    TopUpRule.objects.create(store=store_a, pay_at_least=D("2000"), bonus=D("300"))
    membership = services.membership_join(
        actor=cashier, customer=customer, tier=tiers["platinum"], card_no="VIP0001", fee=D("0")
    )
    services.stored_value_top_up(actor=cashier, store=store_a, customer=customer, amount=D("1000"))
    services.points_earn(actor=cashier, store=store_a, customer=customer, points=1234)
    wash = LabourOperationFactory(code="XC-001", name="精致洗车")
    card_type = PackageCardType.objects.create(store=store_a, code="XC10", name="洗车10次卡", price=D("200"))
    PackageCardTypeItem.objects.create(card_type=card_type, labour=wash, count=10)
    card = services.package_card_sell(actor=cashier, card_type=card_type, customer=customer, vehicle=vehicle)
    coupon_type = CouponType.objects.create(
        store=store_a, code="MJ50", name="满500减50", value=D("50"), minimum_spend=D("500")
    )
    (coupon,) = services.coupons_issue(actor=cashier, coupon_type=coupon_type, customers=[customer])
    return {
        "customer": customer,
        "vehicle": vehicle,
        "membership": membership,
        "card_type": card_type,
        "card": card,
        "coupon_type": coupon_type,
        "coupon": coupon,
        "rule": TopUpRule.objects.get(store=store_a, pay_at_least=D("1000")),
    }


def _balance(customer) -> tuple[Decimal, Decimal]:
    account = StoredValueAccount.objects.filter(customer=customer).first()
    return (account.principal, account.bonus) if account else (D("0"), D("0"))


# --- pages open for who may use them --------------------------------------------------------


def test_every_page_opens_for_the_manager(login, manager, shop):
    client = login(manager)
    customer, membership = shop["customer"], shop["membership"]
    urls = [
        reverse("loyalty:member_list"),
        reverse("loyalty:customer", args=[customer.pk]),
        reverse("loyalty:card_detail", args=[shop["card"].pk]),
        reverse("loyalty:membership_renew", args=[membership.pk]),
        reverse("loyalty:membership_tier", args=[membership.pk]),
        reverse("loyalty:membership_leave", args=[membership.pk]),
        reverse("loyalty:membership_replace", args=[membership.pk]),
        reverse("loyalty:top_up", args=[customer.pk]),
        reverse("loyalty:refund", args=[customer.pk]),
        reverse("loyalty:card_sell", args=[customer.pk]),
        reverse("loyalty:coupon_give", args=[customer.pk]),
        reverse("loyalty:coupon_list"),
        reverse("loyalty:coupon_issue"),
        reverse("loyalty:top_up_rule_list"),
        reverse("loyalty:top_up_rule_create"),
        reverse("loyalty:top_up_rule_edit", args=[shop["rule"].pk]),
        reverse("loyalty:points_rules"),
        reverse("loyalty:card_type_list"),
        reverse("loyalty:card_type_create"),
        reverse("loyalty:card_type_edit", args=[shop["card_type"].pk]),
        reverse("loyalty:coupon_type_list"),
        reverse("loyalty:coupon_type_create"),
        reverse("loyalty:coupon_type_edit", args=[shop["coupon_type"].pk]),
    ]
    for url in urls:
        assert client.get(url).status_code == 200, url
    other = CustomerFactory(store=customer.store)
    assert client.get(reverse("loyalty:membership_join", args=[other.pk])).status_code == 200


def test_customer_page_shows_card_balances_ledgers_and_what_expires(login, cashier, shop):
    page = login(cashier).get(reverse("loyalty:customer", args=[shop["customer"].pk])).content.decode()
    assert "VIP0001" in page and "白金" in page
    assert "¥1100.00" in page and "¥1000.00" in page and "¥100.00" in page  # balance, principal, bonus
    assert ">1234<" in page  # points balance
    assert "洗车10次卡" in page and "XC-001" in page and "10" in page
    assert shop["coupon"].code in page
    expires = PointsEntry.objects.get().expires_on.strftime("%Y-%m-%d")
    assert expires in page  # what expires next
    for name in ["top_up", "card_sell", "coupon_give"]:
        assert reverse(f"loyalty:{name}", args=[shop["customer"].pk]) in page
    assert reverse("loyalty:membership_renew", args=[shop["membership"].pk]) in page
    assert reverse("loyalty:refund", args=[shop["customer"].pk]) not in page  # the manager's


def test_customer_page_ledger_partial_and_fixed_queries(login, cashier, shop, store_a):
    client = login(cashier)
    url = reverse("loyalty:customer", args=[shop["customer"].pk])
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    customer = shop["customer"]
    for _n in range(3):
        services.stored_value_top_up(actor=cashier, store=store_a, customer=customer, amount=D("10"))
        services.points_earn(actor=cashier, store=store_a, customer=customer, points=5)
        services.package_card_sell(actor=cashier, card_type=shop["card_type"], customer=customer)
        services.coupons_issue(actor=cashier, coupon_type=shop["coupon_type"], customers=[customer])
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(few)
    partial = client.get(
        url, {"all": "stored_value"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="stored-value-ledger"
    ).content.decode()
    assert partial.lstrip().startswith('<div id="stored-value-ledger">') and "1000.00" in partial


def test_member_list_finds_by_card_name_and_plate_with_fixed_queries(login, cashier, shop, store_a, tiers):
    client = login(cashier)
    url = reverse("loyalty:member_list")
    for query in ["VIP0001", "京A12345", shop["customer"].name]:
        page = client.get(url, {"q": query}).content.decode()
        assert "VIP0001" in page and "¥1100.00" in page, query
    assert "VIP0001" not in client.get(url, {"q": "NOSUCH99"}).content.decode()
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for index in range(4):
        other = CustomerFactory(store=store_a)
        VehicleFactory(owner=other)
        services.membership_join(actor=cashier, customer=other, tier=tiers["normal"], card_no=f"N{index}")
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert len(many) == len(few) and response.content.decode().count("N3") >= 1
    partial = client.get(
        url, {"q": "VIP"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="member-table"
    ).content.decode()
    assert partial.lstrip().startswith('<div id="member-table">')


def test_member_list_offers_customers_without_a_card(login, cashier, shop, store_a):
    other = CustomerFactory(store=store_a, name="欧阳修远")
    page = login(cashier).get(reverse("loyalty:member_list"), {"q": "欧阳修远"}).content.decode()
    assert reverse("loyalty:customer", args=[other.pk]) in page


# --- another store's records and missing rights ----------------------------------------------


def test_another_stores_records_are_not_found(client, shop, store_b, make_staff):
    intruder = make_staff("store_manager", store_b)
    client.force_login(intruder)
    customer, membership = shop["customer"], shop["membership"]
    for name, pk in [
        ("loyalty:customer", customer.pk),
        ("loyalty:membership_join", customer.pk),
        ("loyalty:top_up", customer.pk),
        ("loyalty:refund", customer.pk),
        ("loyalty:card_sell", customer.pk),
        ("loyalty:coupon_give", customer.pk),
        ("loyalty:card_detail", shop["card"].pk),
        ("loyalty:membership_renew", membership.pk),
        ("loyalty:membership_tier", membership.pk),
        ("loyalty:membership_leave", membership.pk),
        ("loyalty:membership_replace", membership.pk),
        ("loyalty:coupon_void", shop["coupon"].pk),
        ("loyalty:top_up_rule_edit", shop["rule"].pk),
        ("loyalty:card_type_edit", shop["card_type"].pk),
        ("loyalty:coupon_type_edit", shop["coupon_type"].pk),
    ]:
        url = reverse(name, args=[pk])
        assert client.get(url).status_code in (404, 405), url
        assert client.post(url, {"reason": "x", "amount": "1000", "method": "cash"}).status_code == 404, url
    assert Membership.objects.get(pk=membership.pk).status == "active"
    assert Coupon.objects.get(pk=shop["coupon"].pk).status == "issued"
    assert not Payment.objects.exists()
    for url in [reverse("loyalty:member_list"), reverse("loyalty:coupon_list")]:
        body = client.get(url).content.decode()
        assert "VIP0001" not in body and shop["coupon"].code not in body


def test_roles_without_the_right_get_403(login, make_staff, store_a, shop, advisor):
    technician = make_staff("technician", store_a)
    client = login(technician)
    assert client.get(reverse("loyalty:member_list")).status_code == 403
    assert client.get(reverse("loyalty:customer", args=[shop["customer"].pk])).status_code == 403
    assert client.get(reverse("loyalty:top_up_rule_list")).status_code == 403
    client = login(advisor)  # sells, but neither refunds, voids nor sets rules
    assert client.get(reverse("loyalty:refund", args=[shop["customer"].pk])).status_code == 403
    assert client.post(reverse("loyalty:coupon_void", args=[shop["coupon"].pk])).status_code == 403
    assert client.get(reverse("loyalty:top_up_rule_create")).status_code == 403
    assert client.get(reverse("loyalty:card_type_edit", args=[shop["card_type"].pk])).status_code == 403
    assert client.post(reverse("loyalty:points_rules"), {"points_per_yuan": "1"}).status_code == 403
    hq = make_staff("hq", store_a)  # head office reads, sells nothing
    client = login(hq)
    assert client.get(reverse("loyalty:customer", args=[shop["customer"].pk])).status_code == 200
    assert client.get(reverse("loyalty:top_up", args=[shop["customer"].pk])).status_code == 403
    assert client.get(reverse("loyalty:membership_renew", args=[shop["membership"].pk])).status_code == 403
    assert Coupon.objects.get(pk=shop["coupon"].pk).status == "issued"


# --- memberships -----------------------------------------------------------------------------


def test_join_takes_the_fee_with_the_membership(login, cashier, tiers, store_a):
    customer = CustomerFactory(store=store_a)
    response = login(cashier).post(
        reverse("loyalty:membership_join", args=[customer.pk]),
        {"tier": tiers["platinum"].pk, "card_no": "", "fee": "", "method": "wechat", "reference": "WX42"},
    )
    assert response.status_code == 302
    membership = Membership.objects.get(customer=customer)
    assert membership.status == "active" and membership.tier == tiers["platinum"]
    assert membership.fee_paid == D("200.00") and membership.card_no.startswith("HY")
    customer.refresh_from_db()
    assert customer.tier == tiers["platinum"]
    payment = Payment.objects.get()
    assert (payment.purpose, payment.method, payment.amount, payment.reference, payment.customer_id) == (
        "membership",
        "wechat",
        D("200.00"),
        "WX42",
        customer.pk,
    )


def test_join_at_a_free_tier_takes_no_payment(login, cashier, tiers, store_a):
    customer = CustomerFactory(store=store_a)
    response = login(cashier).post(
        reverse("loyalty:membership_join", args=[customer.pk]),
        {"tier": tiers["normal"].pk, "card_no": "a-01"},
    )
    assert response.status_code == 302
    assert Membership.objects.get(customer=customer).card_no == "A-01"
    assert not Payment.objects.exists()


def test_a_refused_join_changes_nothing(login, cashier, tiers, store_a, shop):
    customer = CustomerFactory(store=store_a)
    client = login(cashier)
    url = reverse("loyalty:membership_join", args=[customer.pk])
    no_reference = client.post(url, {"tier": tiers["platinum"].pk, "method": "wechat"})
    no_method = client.post(url, {"tier": tiers["platinum"].pk})
    card_taken = client.post(url, {"tier": tiers["platinum"].pk, "card_no": "VIP0001", "method": "cash"})
    assert {no_reference.status_code, no_method.status_code, card_taken.status_code} == {400}
    assert "VIP0001" in card_taken.content.decode()
    assert not Membership.objects.filter(customer=customer).exists()
    assert not Payment.objects.exists()
    customer.refresh_from_db()
    assert customer.tier_id is None


def test_renew_extends_the_card_and_takes_the_fee(login, cashier, shop):
    membership = shop["membership"]
    before = membership.expires_on
    response = login(cashier).post(
        reverse("loyalty:membership_renew", args=[membership.pk]),
        {"fee": "200", "method": "cash", "tendered": "300"},
    )
    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.expires_on.year == before.year + 1
    payment = Payment.objects.get()
    assert (payment.purpose, payment.amount, payment.change) == ("membership", D("200.00"), D("100.00"))


def test_upgrade_needs_the_tier_rule_and_a_downgrade_is_recorded(login, cashier, shop, tiers):
    membership = shop["membership"]
    client = login(cashier)
    url = reverse("loyalty:membership_tier", args=[membership.pk])
    page = client.get(url).content.decode()
    assert "1234" in page  # points earned, against each tier's rule
    refused = client.post(url, {"tier": tiers["diamond"].pk})
    assert refused.status_code == 400 and Membership.objects.get(pk=membership.pk).tier == tiers["platinum"]
    down = client.post(url, {"tier": tiers["normal"].pk, "note": "客户要求"})
    assert down.status_code == 302
    membership.refresh_from_db()
    assert membership.tier == tiers["normal"] and membership.customer.tier == tiers["normal"]
    assert membership.events.filter(kind="downgrade", note="客户要求").exists()
    up = client.post(url, {"tier": tiers["platinum"].pk})
    assert up.status_code == 302 and Membership.objects.get(pk=membership.pk).tier == tiers["platinum"]


def test_leave_and_replace_a_lost_card(login, cashier, shop, tiers):
    membership = shop["membership"]
    client = login(cashier)
    response = client.post(
        reverse("loyalty:membership_replace", args=[membership.pk]),
        {"card_no": "VIP0002", "fee": "20", "method": "alipay", "reference": "ALI9", "reason": "遗失"},
    )
    assert response.status_code == 302
    membership.refresh_from_db()
    new = Membership.objects.get(card_no="VIP0002")
    assert membership.status == "blocked" and membership.replaced_by == new and new.status == "active"
    assert Payment.objects.get().amount == D("20.00")
    with pytest.raises(ApplicationError):  # the blocked card number is refused
        services.membership_by_card(store=membership.store, card_no="VIP0001")
    assert _balance(shop["customer"]) == (D("1000.00"), D("100.00"))  # balances follow the customer
    blocked = client.get(reverse("loyalty:membership_leave", args=[membership.pk]))
    assert blocked.status_code == 302  # a blocked card has no actions
    response = client.post(reverse("loyalty:membership_leave", args=[new.pk]), {"reason": "搬家"})
    assert response.status_code == 302
    new.refresh_from_db()
    assert new.status == "left" and new.customer.tier == tiers["normal"]
    again = client.post(reverse("loyalty:membership_leave", args=[new.pk]), {"reason": "再退"})
    assert again.status_code == 302 and new.events.filter(kind="leave").count() == 1  # left once


# --- stored value ----------------------------------------------------------------------------


def test_top_up_shows_the_bonus_then_takes_the_money_once(login, cashier, shop):
    customer = shop["customer"]
    client = login(cashier)
    url = reverse("loyalty:top_up", args=[customer.pk])
    token = client.get(url).context["form"].initial["token"]
    data = {"amount": "2000", "method": "card", "reference": "POS778", "token": token}
    confirm = client.post(url, data)
    page = confirm.content.decode()
    assert confirm.status_code == 200 and "300.00" in page and "3400.00" in page  # bonus; 1100 + 2300
    assert _balance(customer) == (D("1000.00"), D("100.00")) and not Payment.objects.exists()
    done = client.post(url, {**data, "bonus_shown": "300.00", "confirm": "1"})
    assert done.status_code == 302
    assert _balance(customer) == (D("3000.00"), D("400.00"))
    entry = StoredValueEntry.objects.filter(kind="top_up").last()
    payment = Payment.objects.get()
    assert (payment.purpose, payment.method, payment.amount, payment.reference) == (
        "top_up",
        "card",
        D("2000.00"),
        "POS778",
    )
    assert (entry.reference_type, entry.reference_id, entry.bonus) == ("payment", payment.pk, D("300.00"))
    again = client.post(url, {**data, "bonus_shown": "300.00", "confirm": "1"})  # the back button
    assert again.status_code == 400
    assert Payment.objects.count() == 1 and _balance(customer) == (D("3000.00"), D("400.00"))


def test_top_up_bonus_preview_and_a_changed_rule(login, cashier, shop):
    customer = shop["customer"]
    client = login(cashier)
    url = reverse("loyalty:top_up", args=[customer.pk])
    partial = client.get(
        url, {"amount": "1500"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="bonus-preview"
    ).content.decode()
    assert (
        partial.lstrip().startswith('<div id="bonus-preview"')
        and "100.00" in partial
        and "2700.00" in partial
    )
    data = {"amount": "1000", "method": "cash", "bonus_shown": "50.00", "confirm": "1"}
    response = client.post(url, data)  # the bonus shown is not what the rule gives now
    assert response.status_code == 200 and "100.00" in response.content.decode()
    assert not Payment.objects.exists() and _balance(customer) == (D("1000.00"), D("100.00"))


def test_a_refused_top_up_changes_nothing(login, cashier, shop):
    customer = shop["customer"]
    client = login(cashier)
    url = reverse("loyalty:top_up", args=[customer.pk])
    for data in [
        {"amount": "0", "method": "cash"},
        {"amount": "abc", "method": "cash"},
        {"amount": "500", "method": ""},
        {"amount": "500", "method": "points"},
        {"amount": "500", "method": "wechat", "bonus_shown": "0.00", "confirm": "1"},  # no reference
        {"amount": "500", "method": "cash", "tendered": "100", "bonus_shown": "0.00", "confirm": "1"},
    ]:
        assert client.post(url, data).status_code == 400, data
    assert not Payment.objects.exists() and _balance(customer) == (D("1000.00"), D("100.00"))


def test_refund_pays_back_unspent_principal_and_forfeits_the_bonus(login, manager, shop):
    customer = shop["customer"]
    client = login(manager)
    url = reverse("loyalty:refund", args=[customer.pk])
    assert client.post(url, {"amount": "2000", "reason": "退卡", "method": "cash"}).status_code == 400
    assert client.post(url, {"amount": "500", "method": "cash"}).status_code == 400  # a reason is needed
    assert _balance(customer) == (D("1000.00"), D("100.00"))
    assert not Payment.objects.exists()
    response = client.post(url, {"amount": "500", "reason": "退卡", "method": "cash"}, follow=True)
    assert "500.00" in response.content.decode() and "50.00" in response.content.decode()
    assert _balance(customer) == (D("500.00"), D("50.00"))
    assert StoredValueEntry.objects.filter(kind="refund").get().principal == D("-500.00")
    # the money leaves the drawer: a negative cash row the day close counts
    (paid_out,) = Payment.objects.all()
    assert (paid_out.method, paid_out.amount, paid_out.cashier) == ("cash", D("-500.00"), manager)


# --- package cards ---------------------------------------------------------------------------


def test_sell_a_package_card_for_a_vehicle(login, cashier, shop, store_a):
    customer = shop["customer"]
    job = CannedJobFactory(store=None, code="SB", name="首保")
    first_service = PackageCardType.objects.create(
        store=store_a, code="SB", name="首保套餐", kind="maintenance", price=D("399"), valid_months=12
    )
    PackageCardTypeItem.objects.create(card_type=first_service, canned_job=job, count=1)
    client = login(cashier)
    response = client.post(
        reverse("loyalty:card_sell", args=[customer.pk]),
        {"card_type": first_service.pk, "vehicle": shop["vehicle"].pk, "method": "cash"},
    )
    card = PackageCard.objects.get(card_type=first_service)
    assert response.status_code == 302 and response["Location"] == reverse(
        "loyalty:card_detail", args=[card.pk]
    )
    assert card.vehicle == shop["vehicle"] and card.price_paid == D("399.00") and card.expires_on
    assert [(i.canned_job_id, i.remaining) for i in card.items.all()] == [(job.pk, 1)]
    assert PackageCardEntry.objects.filter(card=card, kind="sell", count=1).exists()
    payment = Payment.objects.get()
    assert (payment.purpose, payment.amount) == ("package_card", D("399.00"))
    page = client.get(response["Location"]).content.decode()
    assert card.card_no in page and "京A12345" in page and "首保" in page


def test_a_refused_card_sale_changes_nothing(login, cashier, shop, store_a):
    customer = shop["customer"]
    foreign_vehicle = VehicleFactory(owner=CustomerFactory(store=store_a))
    client = login(cashier)
    url = reverse("loyalty:card_sell", args=[customer.pk])
    before = PackageCard.objects.count()
    for data in [
        {"card_type": shop["card_type"].pk, "vehicle": foreign_vehicle.pk, "method": "cash"},
        {"card_type": shop["card_type"].pk, "price": "-5", "method": "cash"},
        {"card_type": shop["card_type"].pk},
        {"card_type": "", "method": "cash"},
    ]:
        assert client.post(url, data).status_code == 400, data
    assert PackageCard.objects.count() == before and not Payment.objects.exists()


# --- coupons ---------------------------------------------------------------------------------


def test_coupons_given_issued_in_a_batch_listed_and_voided(login, cashier, manager, shop, store_a):
    customer = shop["customer"]
    client = login(cashier)
    response = client.post(
        reverse("loyalty:coupon_give", args=[customer.pk]), {"coupon_type": shop["coupon_type"].pk}
    )
    assert response.status_code == 302 and customer.coupons.count() == 2
    response = client.post(
        reverse("loyalty:coupon_issue"), {"coupon_type": shop["coupon_type"].pk, "count": "5"}
    )
    batch = Coupon.objects.filter(customer__isnull=True)
    assert response.status_code == 302 and batch.count() == 5 and len({c.batch_no for c in batch}) == 1
    listed = client.get(response["Location"]).content.decode()
    assert all(c.code in listed for c in batch) and shop["coupon"].code not in listed
    assert (
        client.post(reverse("loyalty:coupon_issue"), {"coupon_type": shop["coupon_type"].pk}).status_code
        == 400
    )
    assert client.post(reverse("loyalty:coupon_issue"), {"coupon_type": "", "count": "2"}).status_code == 400
    assert Coupon.objects.count() == 7
    voided = batch.first()
    response = login(manager).post(reverse("loyalty:coupon_void", args=[voided.pk]))
    assert response.status_code == 302 and Coupon.objects.get(pk=voided.pk).status == "voided"
    listed = login(manager).get(reverse("loyalty:coupon_list"), {"status": "voided"}).content.decode()
    assert voided.code in listed and shop["coupon"].code not in listed
    login(manager).post(reverse("loyalty:coupon_void", args=[voided.pk]))  # once only
    assert Coupon.objects.get(pk=voided.pk).status == "voided"


# --- rules -----------------------------------------------------------------------------------


def test_manager_sets_top_up_rules(login, manager, store_a):
    client = login(manager)
    url = reverse("loyalty:top_up_rule_create")
    assert (
        client.post(url, {"name": "", "pay_at_least": "0", "bonus": "10", "is_active": "on"}).status_code
        == 400
    )
    assert not TopUpRule.objects.exists()
    response = client.post(
        url, {"name": "充3000送500", "pay_at_least": "3000", "bonus": "500", "is_active": "on"}
    )
    assert response.status_code == 302
    rule = TopUpRule.objects.get()
    assert (rule.store, rule.bonus) == (store_a, D("500.00"))
    client.post(
        reverse("loyalty:top_up_rule_edit", args=[rule.pk]),
        {"name": "充3000送600", "pay_at_least": "3000", "bonus": "600"},
    )
    rule.refresh_from_db()
    assert rule.bonus == D("600.00") and not rule.is_active
    assert "3000.00" in client.get(reverse("loyalty:top_up_rule_list")).content.decode()


def test_manager_sets_points(login, manager, store_a):
    client = login(manager)
    url = reverse("loyalty:points_rules")
    assert client.post(url, {"points_per_yuan": "0", "earn_labour": "1"}).status_code == 400
    assert not PointsRule.objects.exists() and not PointsSettings.objects.exists()
    response = client.post(
        url,
        {
            "points_per_yuan": "100",
            "expiry_months": "24",
            "earn_labour": "2",
            "earn_parts": "1",
            "earn_other": "",
        },
    )
    assert response.status_code == 302
    assert {(r.line_kind, r.points_per_yuan, r.is_active) for r in PointsRule.objects.all()} == {
        ("labour", D("2.0000"), True),
        ("parts", D("1.0000"), True),
    }
    assert (PointsSettings.objects.get().points_per_yuan, PointsSettings.objects.get().expiry_months) == (
        100,
        24,
    )
    client.post(url, {"points_per_yuan": "50", "expiry_months": "", "earn_labour": "0", "earn_parts": "1"})
    assert not PointsRule.objects.get(line_kind="labour").is_active
    assert PointsSettings.objects.get().expiry_months is None
    assert services.points_for(store=store_a, amounts={"labour": "100", "parts": "100"}) == 100


def test_manager_makes_a_package_card_type_with_items(login, manager, store_a):
    wash = LabourOperationFactory(code="XC-001", name="精致洗车")
    job = CannedJobFactory(store=None, code="SB", name="首保")
    client = login(manager)
    url = reverse("loyalty:card_type_create")
    base = {
        "code": "xc10",
        "name": "洗车10次卡",
        "kind": "count",
        "price": "200",
        "valid_months": "12",
        "is_active": "on",
    }
    management = {"item-TOTAL_FORMS": "3", "item-INITIAL_FORMS": "0"}
    no_items = client.post(url, {**base, **management})
    unknown = client.post(url, {**base, **management, "item-0-labour": "NOPE", "item-0-count": "10"})
    both = client.post(
        url,
        {**base, **management, "item-0-labour": "XC-001", "item-0-canned_job": job.pk, "item-0-count": "1"},
    )
    assert {no_items.status_code, unknown.status_code, both.status_code} == {400}
    assert not PackageCardType.objects.exists()
    response = client.post(
        url,
        {
            **base,
            **management,
            "item-0-labour": "xc-001",
            "item-0-count": "10",
            "item-1-canned_job": job.pk,
            "item-1-count": "1",
        },
    )
    assert response.status_code == 302
    card_type = PackageCardType.objects.get()
    assert card_type.code == "XC10" and card_type.store == store_a
    assert [(i.labour_id, i.canned_job_id, i.count) for i in card_type.items.all()] == [
        (wash.pk, None, 10),
        (None, job.pk, 1),
    ]
    taken = client.post(url, {**base, **management, "item-0-labour": "XC-001", "item-0-count": "10"})
    assert taken.status_code == 400 and PackageCardType.objects.count() == 1
    edit = reverse("loyalty:card_type_edit", args=[card_type.pk])
    form = client.get(edit).content.decode()
    assert "XC-001" in form
    client.post(edit, {**base, "price": "180", **management, "item-0-labour": "XC-001", "item-0-count": "8"})
    card_type.refresh_from_db()
    assert card_type.price == D("180.00") and [i.count for i in card_type.items.all()] == [8]


def test_manager_makes_coupon_types(login, manager, store_a):
    client = login(manager)
    url = reverse("loyalty:coupon_type_create")
    base = {"code": "ZK9", "name": "工时9折", "kind": "percent", "minimum_spend": "0", "is_active": "on"}
    assert client.post(url, {**base, "value": "120"}).status_code == 400
    assert (
        client.post(
            url, {**base, "value": "10", "valid_from": "2030-02-01", "valid_until": "2030-01-01"}
        ).status_code
        == 400
    )
    assert not CouponType.objects.exists()
    response = client.post(
        url, {**base, "value": "10", "max_discount": "100", "line_kinds": ["labour"], "valid_days": "30"}
    )
    assert response.status_code == 302
    coupon_type = CouponType.objects.get()
    assert (coupon_type.store, coupon_type.line_kinds, coupon_type.max_discount) == (
        store_a,
        ["labour"],
        D("100.00"),
    )
    assert "工时9折" in client.get(reverse("loyalty:coupon_type_list")).content.decode()


def test_rules_of_one_store_are_not_changed_from_another(login, make_staff, store_a, store_b):
    rule = TopUpRule.objects.create(store=store_a, pay_at_least=D("1000"), bonus=D("100"))
    other_tier = TierFactory(store=store_b)
    assert other_tier.store == store_b
    client = login(make_staff("store_manager", store_b))
    response = client.post(
        reverse("loyalty:top_up_rule_edit", args=[rule.pk]), {"pay_at_least": "1", "bonus": "999"}
    )
    assert response.status_code == 404 and TopUpRule.objects.get().bonus == D("100.00")
    assert "1000.00" not in client.get(reverse("loyalty:top_up_rule_list")).content.decode()
