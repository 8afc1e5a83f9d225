"""In a real browser: the advisor hands a settled car back against the reception checklist and
prints the exit pass and the quality-guarantee card; the cashier tops up a member's stored
value with the bonus shown before the money is taken."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from pitstop.billing.tests.factories import settled_order
from pitstop.customers.tests.factories import CustomerFactory
from pitstop.loyalty import services as loyalty
from pitstop.loyalty.models import TopUpRule
from pitstop.service.models import RepairOrder

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_advisor_hands_the_car_over_and_prints_the_exit_pass_and_guarantee(
    page_for, shot, live_server, store_a, make_staff
):
    advisor = make_staff("advisor", store_a, full_name="王建国")
    cashier = make_staff("cashier", store_a, full_name="郑丽")
    order, _bill = settled_order(store=store_a, advisor=advisor, cashier=cashier, repair_category="minor")
    page = page_for(advisor)
    page.goto(f"{live_server.url}/orders/{order.pk}/delivery/")
    shot(page, "delivery-01-checklist")
    # A spare wheel left unticked: refused, naming it; nothing changes.
    page.check("#delivery-checklist input[name='keys_returned']")
    page.check("#delivery-checklist input[value='jack']")
    page.check("#delivery-checklist input[value='driving_licence']")
    page.click("#deliver")
    expect(page.locator("#delivery-checklist")).to_contain_text("备胎")
    order.refresh_from_db()
    assert order.status == RepairOrder.Status.READY
    page.check("#delivery-checklist input[value='spare_wheel']")
    page.click("#deliver")
    expect(page.locator("#exit-pass-no")).to_contain_text("CM")
    shot(page, "delivery-02-handed-over")
    order.refresh_from_db()
    assert order.status == RepairOrder.Status.DELIVERED

    page.click("#print-exit-pass")
    expect(page.locator("body")).to_contain_text(order.vehicle.plate)
    shot(page, "delivery-03-exit-pass")
    page.goto(f"{live_server.url}/orders/{order.pk}/guarantee/")
    expect(page.locator("body")).to_contain_text("质量保证")
    shot(page, "delivery-04-guarantee-card")


def test_cashier_tops_up_stored_value_with_the_bonus_shown_first(
    page_for, shot, live_server, store_a, make_staff
):
    cashier = make_staff("cashier", store_a, full_name="郑丽")
    member = CustomerFactory(store=store_a, name="李建华")
    TopUpRule.objects.create(
        store=store_a, name="充1000送100", pay_at_least=Decimal("1000"), bonus=Decimal("100")
    )
    page = page_for(cashier)
    page.goto(f"{live_server.url}/loyalty/customers/{member.pk}/top-up/")
    page.fill("#id_amount", "1000")
    page.select_option("select[name='method']", "cash")
    page.fill("input[name='tendered']", "1000")
    page.click("main form button[type=submit]")
    expect(page.locator("[data-testid='confirm-bonus']")).to_have_text("+¥100.00")
    shot(page, "loyalty-01-top-up-confirm")
    page.click("button[name='confirm']")
    balance = loyalty.stored_value_balance(store=store_a, customer=member)
    expect(page.locator("main")).to_contain_text("1100.00")
    assert balance is not None and balance.balance == Decimal("1100.00")
    shot(page, "loyalty-02-customer-page")
