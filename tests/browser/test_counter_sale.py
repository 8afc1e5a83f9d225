"""As the warehouse keeper at the parts counter, in a real browser: sell two parts to a walk-in
buyer, post the sale (parts out, awaiting payment) and print the sales slip."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from pitstop.parts import services
from pitstop.parts.models import CounterSale, StockLevel
from pitstop.parts.tests.factories import PartFactory, WarehouseFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_keeper_sells_two_parts_to_a_walk_in_buyer(page_for, shot, live_server, store_a, make_staff):
    keeper = make_staff("warehouse", store_a, full_name="孙建国")
    warehouse = WarehouseFactory(store=store_a, code="PJ", name="北京朝阳店配件库")
    oil_filter = PartFactory(code="06A115561B", name="机油滤清器", unit="个", sale_price=Decimal("58.00"))
    pads = PartFactory(
        code="3Q0698151A", name="前刹车片", unit="套", barcode="6901234567892", sale_price=Decimal("420.00")
    )
    services.stock_receive(
        actor=keeper, warehouse=warehouse, lines=[(oil_filter, "10", "30"), (pads, "4", "300")]
    )
    page = page_for(keeper)
    page.goto(f"{live_server.url}/parts/sales/")
    page.click("main a[href='/parts/sales/new/']")
    page.fill("#id_buyer_name", "王师傅")
    page.fill("#id_buyer_phone", "13812345678")
    page.fill("#id_line-0-part", "06A115561B")
    page.fill("#id_line-0-quantity", "2")
    page.fill("#id_line-0-discount_pct", "10")
    page.fill("#id_line-1-part", "6901234567892")  # a scanner types the barcode and Enter
    page.press("#id_line-1-part", "Enter")
    expect(page.locator("#id_line-1-quantity")).to_be_focused()
    page.keyboard.type("1")
    shot(page, "counter-sale-01-form")
    page.click("main button[type=submit]")

    expect(page.locator("h1")).to_contain_text("XSBJ01000001")
    expect(page.locator("tfoot")).to_contain_text("¥524.40")  # 2 × 58 less 10 % + 420
    shot(page, "counter-sale-02-draft")
    page.click("main form[action$='/post/'] button")
    expect(page.locator(".alert-success")).to_contain_text("¥524.40")
    shot(page, "counter-sale-03-posted")
    assert StockLevel.objects.get(part=oil_filter).on_hand == 8
    assert CounterSale.objects.get().status == CounterSale.Status.POSTED

    page.click("main a[href$='/slip/']")
    expect(page.locator(".slip")).to_contain_text("王师傅")
    expect(page.locator(".slip tfoot")).to_contain_text("¥524.40")
    shot(page, "counter-sale-04-slip")
    page.emulate_media(media="print")
    expect(page.locator("[data-print]")).to_be_hidden()
    shot(page, "counter-sale-05-slip-printed")

    page.emulate_media(media="screen")
    page.goto(f"{live_server.url}/parts/sales/")
    expect(page.locator("#sale-table tbody tr").first).to_contain_text("XSBJ01000001")
    shot(page, "counter-sale-06-list")
