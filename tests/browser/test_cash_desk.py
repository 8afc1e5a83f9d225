"""As the cashier at the cash desk, in a real browser: settle a job of a member with a tier
discount, take part of the bill from the stored value and the rest by WeChat Pay, print the
statement and the exit pass, reverse the bill and settle it again with the money carried over,
and close the day."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from pitstop.billing.models import Payment, Settlement
from pitstop.customers.tests.factories import CustomerFactory, TierFactory, VehicleFactory
from pitstop.loyalty import services as loyalty
from pitstop.loyalty.models import TopUpRule
from pitstop.parts.services import Reference, stock_issue, stock_receive
from pitstop.parts.tests.factories import PartFactory, WarehouseFactory
from pitstop.service.tests.factories import OrderLabourFactory, OrderPartFactory, RepairOrderFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def ready_job(store_a, make_staff):
    """A member's car, ready: brake pads changed (1.5 h at ¥120, 10% off labour), pads and a
    filter issued by the warehouse (5% off parts), and ¥500 + ¥50 bonus of stored value."""
    keeper = make_staff("warehouse", store_a)
    advisor = make_staff("advisor", store_a, full_name="王建国")
    tier = TierFactory(
        store=store_a, name="金卡会员", labour_discount_pct=Decimal("10"), parts_discount_pct=Decimal("5")
    )
    owner = CustomerFactory(store=store_a, tier=tier, name="李建华")
    vehicle = VehicleFactory(owner=owner, plate="京A12345")
    order = RepairOrderFactory(vehicle=vehicle, status="ready", repair_category="minor", advisor=advisor)
    warehouse = WarehouseFactory(store=store_a)
    pads = PartFactory(code="3Q0698151A", name="前刹车片", unit="套", sale_price=Decimal("420.00"))
    oil_filter = PartFactory(code="06A115561B", name="机油滤清器", unit="个", sale_price=Decimal("58.00"))
    stock_receive(actor=keeper, warehouse=warehouse, lines=[(pads, "4", "300"), (oil_filter, "10", "30")])
    OrderLabourFactory(
        order=order,
        name="更换前刹车片",
        hours=Decimal("1.5"),
        rate=Decimal("120.00"),
        price=Decimal("180.00"),
        discount_pct=Decimal("10"),
    )
    OrderPartFactory(
        order=order, part=pads, quantity=Decimal("1"), unit_price=Decimal("420.00"), discount_pct=Decimal("5")
    )
    stock_issue(
        actor=keeper,
        warehouse=warehouse,
        lines=[(pads, "1"), (oil_filter, "1")],
        reference=Reference("repair_order", order.pk, order.number),
    )
    TopUpRule.objects.create(
        store=store_a, name="充500送50", pay_at_least=Decimal("500"), bonus=Decimal("50")
    )
    loyalty.stored_value_top_up(actor=keeper, store=store_a, customer=owner, amount="500")
    return order


def test_cashier_settles_pays_two_ways_prints_reverses_redoes_and_closes_the_day(
    page_for, shot, live_server, store_a, make_staff, ready_job
):
    cashier = make_staff("cashier", store_a, full_name="郑丽")
    page = page_for(cashier)
    page.goto(f"{live_server.url}/cash-desk/")
    expect(page.locator("#ready")).to_contain_text("京A12345")
    shot(page, "cash-desk-01-queue")

    # The bill is prepared from the work order: labour 162.00, pads 399.00, filter 55.10.
    page.click("#ready a[href$='/bill/']")
    page.click("main form button[type=submit]")
    expect(page.locator("#owner-total")).to_have_text("¥616.10")
    expect(page.locator("#labour-lines")).to_contain_text("1.5")
    expect(page.locator("#labour-lines")).to_contain_text("¥120.00")
    shot(page, "cash-desk-02-pre-settlement")

    page.click("#post-bill")
    expect(page.locator("#bill-status")).to_have_text("已结算")
    # ¥300 from the stored value, the rest by WeChat Pay with its transaction number.
    page.select_option("#pay-method", "stored_value")
    page.fill("#pay-amount", "300")
    page.click("#pay")
    expect(page.locator("#outstanding")).to_have_text("¥316.10")
    page.select_option("#pay-method", "wechat")
    page.fill("#pay-amount", "316.10")
    page.click("#pay")
    expect(page.locator(".alert-danger, .alert-error").first).to_be_visible()  # no reference number
    expect(page.locator("#outstanding")).to_have_text("¥316.10")
    page.select_option("#pay-method", "wechat")
    page.fill("#pay-amount", "316.10")
    page.fill("#pay-reference", "4200002026112412345")
    page.click("#pay")
    expect(page.locator("#outstanding")).to_have_text("¥0.00")
    shot(page, "cash-desk-03-paid")
    bill = Settlement.objects.get(order=ready_job, status="posted")
    assert loyalty.stored_value_balance(store=store_a, customer=ready_job.customer).balance == Decimal(
        "250.00"
    )

    page.click("main a[href$='/statement/']")
    expect(page.locator("body")).to_contain_text("¥616.10")
    expect(page.locator("body")).to_contain_text("4200002026112412345")
    shot(page, "cash-desk-04-statement")
    page.goto(f"{live_server.url}/settlements/{bill.pk}/")
    page.click("main a[href$='/exit-pass/']")
    expect(page.locator("body")).to_contain_text("京A12345")
    shot(page, "cash-desk-05-exit-pass")

    # The auxiliary materials were forgotten: reverse the bill, prepare it again with them;
    # the money already taken is carried over and only the difference is paid, in cash.
    page.goto(f"{live_server.url}/settlements/{bill.pk}/")
    page.click("#reverse summary")
    page.fill("#reverse-reason", "漏收辅料费")
    page.click("#reverse button[type=submit]")
    page.select_option("select[name='fee-0-kind']", "auxiliary")
    page.fill("input[name='fee-0-amount']", "15")
    page.click("main form button[type=submit]")
    expect(page.locator("#owner-total")).to_have_text("¥631.10")
    page.click("#post-bill")
    expect(page.locator("#outstanding")).to_have_text("¥15.00")
    page.select_option("#pay-method", "cash")
    page.fill("#pay-amount", "15")
    page.fill("#pay-tendered", "20")
    page.click("#pay")
    expect(page.locator(".alert-success").first).to_contain_text("¥5.00")  # the change to give
    expect(page.locator("#outstanding")).to_have_text("¥0.00")
    shot(page, "cash-desk-06-redone")
    assert Settlement.objects.filter(order=ready_job).count() == 3
    money = Payment.objects.filter(method__in=Payment.MONEY_METHODS).order_by("id")
    assert [p.amount for p in money] == [Decimal("316.10"), Decimal("15.00")]

    # The day's close: ¥15 cash expected; ¥10 counted needs an explanation, then it closes.
    page.goto(f"{live_server.url}/billing/closing/")
    expect(page.locator("#cash-expected")).to_have_text("¥15.00")
    expect(page.locator("#day-totals")).to_contain_text("¥316.10")  # WeChat Pay
    shot(page, "cash-desk-07-my-day")
    page.fill("#id_cash_counted", "10")
    page.click("#day-close-form button[type=submit]")
    expect(page.locator("#day-close-form")).to_be_visible()
    page.fill("#id_cash_counted", "10")
    page.fill("#id_explanation", "找零多找了5元")
    page.click("#day-close-form button[type=submit]")
    expect(page.locator("#close-difference")).to_have_text("¥-5.00")
    shot(page, "cash-desk-08-day-closed")
