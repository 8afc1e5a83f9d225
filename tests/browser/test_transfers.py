"""In a real browser: store A's warehouse keeper ships parts to store B; store B's keeper
receives them, one short, with a reason; the printed transfer note shows both sides."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from pitstop.parts import services
from pitstop.parts.models import StockLevel, Transfer
from pitstop.parts.tests.factories import PartFactory, WarehouseFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_keeper_ships_to_another_store_which_receives(
    page_for, shot, live_server, store_a, store_b, make_staff
):
    keeper_a = make_staff("warehouse", store_a)
    keeper_b = make_staff("warehouse", store_b)
    source = WarehouseFactory(store=store_a, code="PJ", name="朝阳配件库")
    target = WarehouseFactory(store=store_b, code="PJ", name="浦东配件库")
    oil_filter = PartFactory(code="06A115561B", name="机油滤清器", unit="个", barcode="6901234567892")
    pads = PartFactory(code="3Q0698151A", name="前刹车片", unit="套")
    services.stock_receive(actor=keeper_a, warehouse=source, lines=[(oil_filter, "10", "32.50")])
    services.stock_receive(actor=keeper_a, warehouse=source, lines=[(oil_filter, "10", "35.00")])
    services.stock_receive(actor=keeper_a, warehouse=source, lines=[(pads, "5", "310")])

    page = page_for(keeper_a)
    page.goto(f"{live_server.url}/parts/transfers/new/")
    page.select_option("#id_target_store", label="上海浦东店")  # its warehouses come in by HTMX
    expect(page.locator("#id_target")).to_contain_text("上海浦东店 / 浦东配件库")
    page.select_option("#id_target", label="上海浦东店 / 浦东配件库")
    page.fill("#id_note", "上海店急需机滤")
    page.fill("#id_line-0-part", "6901234567892")  # scanned
    page.press("#id_line-0-part", "Enter")
    page.keyboard.type("4")
    page.fill("#id_line-1-part", "3Q0698151A")
    page.fill("#id_line-1-quantity", "1")
    shot(page, "transfer-01-new")
    page.click("main button[type=submit]")
    expect(page.locator("h1")).to_contain_text("DBBJ01000001")
    shot(page, "transfer-02-draft")
    page.click("#transfer form[action$='/ship/'] button")
    expect(page.locator("#transfer .alert-warning")).to_be_visible()
    expect(page.locator("#transfer tfoot")).to_contain_text("¥445.00")  # 4 × 33.75 + 310
    shot(page, "transfer-03-in-transit")
    assert StockLevel.objects.get(part=oil_filter, warehouse=source).on_hand == 16

    page = page_for(keeper_b)
    page.goto(f"{live_server.url}/parts/transfers/?box=in")
    expect(page.locator("#in-transit")).to_contain_text("¥445.00")
    shot(page, "transfer-04-incoming-list")
    page.click("text=DBBJ01000001")
    transfer = Transfer.objects.get()
    line = transfer.lines.get(part=oil_filter)
    page.fill(f"[name=received-{line.pk}]", "3")
    page.click("#transfer button[type=submit]:not(.btn-sm)")
    expect(page.locator("#transfer .alert-danger")).to_be_visible()  # a shortage needs a reason
    shot(page, "transfer-05-shortage-refused")
    page.fill("#id_reason", "运输途中破损1个")
    page.click("#transfer button[type=submit]:not(.btn-sm)")
    expect(page.locator("#transfer .badge.text-bg-success")).to_be_visible()
    shot(page, "transfer-06-received")
    page.click("#transfer a[href$='/note/']")
    expect(page.locator(".slip")).to_contain_text("运输途中破损1个")
    shot(page, "transfer-07-note")
    assert StockLevel.objects.get(part=oil_filter, warehouse=target).on_hand == 3
    assert StockLevel.objects.get(part=oil_filter, warehouse=target).average_cost == Decimal("33.7500")
