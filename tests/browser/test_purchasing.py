"""As a warehouse keeper, in a real browser: order parts, place the order, receive part of the
delivery, print the order and the receiving note."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from pitstop.parts.models import PurchaseOrder, StockLevel, Supplier
from pitstop.parts.tests.factories import PartFactory, WarehouseFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_keeper_orders_receives_part_and_prints(page_for, shot, live_server, store_a, make_staff):
    keeper = make_staff("warehouse", store_a, full_name="刘仓管")
    WarehouseFactory(store=store_a, code="PJ", name="北京朝阳店配件库")
    Supplier.objects.create(
        code="HT",
        name="北京恒通汽配有限公司",
        contact="王经理",
        phone="010-88886666",
        address="北京市朝阳区东三环中路1号",
        payment_terms_days=45,
        lead_time_days=2,
    )
    oil = PartFactory(code="06A115561B", name="机油滤清器", unit="个", cost_price=Decimal("32.5000"))
    pads = PartFactory(code="3Q0698151A", name="前刹车片", unit="套", barcode="6901234567892")
    page = page_for(keeper)

    page.goto(f"{live_server.url}/parts/purchase-orders/new/")
    page.select_option("#id_supplier", label="北京恒通汽配有限公司")
    page.fill("#id_expected_on", "2026-12-01")
    page.fill("#id_line-0-part", "06A115561B")
    page.fill("#id_line-0-quantity", "20")  # no cost: the part's cost price
    page.fill("#id_line-1-part", "6901234567892")  # a scanner types the barcode and Enter
    page.press("#id_line-1-part", "Enter")
    expect(page.locator("#id_line-1-quantity")).to_be_focused()
    page.keyboard.type("4")
    page.fill("#id_line-1-unit_cost", "310")
    shot(page, "purchasing-01-new-order")
    page.click("main button[type=submit]")
    expect(page.locator("#order-lines tfoot")).to_contain_text("¥1890.00")
    # The move to "ordered" (下单), found by what the form does rather than by its wording.
    page.click("form[action$='/move/']:has(input[name=to][value=ordered]) button[type=submit]")
    expect(page.locator("h1 .badge")).to_have_text("已订货")
    shot(page, "purchasing-02-order-placed")

    order = PurchaseOrder.objects.get()
    page.click(f"main a[href='/parts/purchase-orders/{order.pk}/receive/']")
    page.fill("#id_line-1-quantity", "1")  # oil filters all arrived, one set of pads of four
    shot(page, "purchasing-03-receive")
    page.click("main button[type=submit]")
    expect(page.locator(".slip h1")).to_have_text("入库单")
    expect(page.locator(".slip")).to_contain_text("CGBJ01000001")
    expect(page.locator(".slip")).to_contain_text("RKBJ01000001")
    expect(page.locator(".slip tfoot")).to_contain_text("¥960.00")  # 650.00 + 310.00
    shot(page, "purchasing-04-receiving-note")
    page.emulate_media(media="print")
    shot(page, "purchasing-05-receiving-note-print")
    page.emulate_media(media="screen")

    page.click(f"main .no-print a[href='/parts/purchase-orders/{order.pk}/']")  # back to the order
    expect(page.locator("h1 .badge")).to_have_text("部分到货")
    expect(page.locator("#order-lines")).to_contain_text("3")
    shot(page, "purchasing-06-order-partly-received")
    page.click("main a >> text=打印")
    expect(page.locator(".slip")).to_contain_text("王经理")
    expect(page.locator(".slip tfoot")).to_contain_text("¥1890.00")
    page.emulate_media(media="print")
    shot(page, "purchasing-07-order-print")

    order.refresh_from_db()
    assert order.status == "partly_received"
    assert StockLevel.objects.get(part=oil).on_hand == Decimal("20")
    assert StockLevel.objects.get(part=pads).on_hand == Decimal("1")
