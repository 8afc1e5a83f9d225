"""As a warehouse keeper, in a real browser: receive a delivery, print the note, issue to a job."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from pitstop.parts.models import StockLevel
from pitstop.parts.tests.factories import PartFactory, WarehouseFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_keeper_receives_and_issues(page_for, shot, live_server, store_a, make_staff):
    keeper = make_staff("warehouse", store_a)
    WarehouseFactory(store=store_a, code="PJ", name="北京朝阳店配件库")
    oil_filter = PartFactory(code="06A115561B", name="机油滤清器", unit="个")
    PartFactory(code="3Q0698151A", name="前刹车片", unit="套", barcode="6901234567892")
    page = page_for(keeper)
    page.click(".app-sidebar >> text=配件入库")
    page.fill("#id_supplier", "北京恒通汽配")
    page.fill("#id_line-0-part", "06A115561B")
    page.fill("#id_line-0-quantity", "10")
    page.fill("#id_line-0-unit_cost", "32.50")
    page.fill("#id_line-1-part", "6901234567892")  # a scanner types the barcode and Enter
    page.press("#id_line-1-part", "Enter")
    expect(page.locator("#id_line-1-quantity")).to_be_focused()  # Enter moved on, nothing was posted
    page.keyboard.type("2")
    page.fill("#id_line-1-unit_cost", "310")
    shot(page, "warehouse-01-receive-form")
    page.click("main button[type=submit]")
    expect(page.locator("h1")).to_have_text("入库单")
    expect(page.locator("tfoot")).to_contain_text("¥945.00")
    shot(page, "warehouse-02-receiving-note")

    page.click(".app-sidebar >> text=维修领料")
    page.fill("#id_work_order", "WO-0088")
    page.fill("#id_taken_by", "赵磊")
    page.fill("#id_line-0-part", "06A115561B")
    page.fill("#id_line-0-quantity", "12")  # more than there is
    page.click("main button[type=submit]")
    expect(page.locator(".alert-danger")).to_contain_text("可用只有 10")
    shot(page, "warehouse-03-issue-refused")
    page.fill("#id_line-0-quantity", "2")
    page.click("main button[type=submit]")
    expect(page.locator(".slip")).to_contain_text("赵磊")
    shot(page, "warehouse-04-issue-slip")
    assert StockLevel.objects.get(part=oil_filter).on_hand == Decimal("8")
    slip_number = page.locator(".slip strong").first.inner_text()

    # 退料: one filter was not needed and comes back against the same slip.
    page.click(".app-sidebar >> text=维修退料")
    page.fill("#id_slip", slip_number)
    page.fill("#id_taken_by", "赵磊")
    page.fill("#id_line-0-part", "06A115561B")
    page.fill("#id_line-0-quantity", "1")
    page.click("main button[type=submit]")
    expect(page.locator(".slip")).to_contain_text("维修退料")
    expect(page.locator(".slip tfoot")).to_contain_text("¥32.50")  # two out, one back
    shot(page, "warehouse-05-slip-with-return")
    assert StockLevel.objects.get(part=oil_filter).on_hand == Decimal("9")

    # The day's work on the home page: below-minimum parts are counted there.
    StockLevel.objects.filter(part=oil_filter).update(min_level=Decimal("20"))
    page.click(".app-sidebar >> text=今日工作")
    expect(page.locator("[data-todo=low] .badge")).to_have_text("1")
    shot(page, "warehouse-06-home")


def test_keeper_counts_a_bin_by_scanner_and_manager_posts(page_for, shot, live_server, store_a, make_staff):
    """盘点: the keeper makes a count sheet for bin A-01, scans codes into the focused field as a
    scanner does (code + Enter), types one quantity and submits; the manager approves and posts."""
    from django.urls import reverse

    from pitstop.parts import services
    from pitstop.parts.levels import level_settings_update

    keeper = make_staff("warehouse", store_a)
    manager = make_staff("store_manager", store_a)
    warehouse = WarehouseFactory(store=store_a, code="PJ", name="北京朝阳店配件库")
    oil = PartFactory(code="06A115561B", name="机油滤清器", unit="个", barcode="6901234567892")
    pads = PartFactory(code="3Q0698151A", name="前刹车片", unit="套")
    plugs = PartFactory(code="101000033AA", name="火花塞", unit="个")
    services.stock_receive(
        actor=keeper, warehouse=warehouse, lines=[(oil, "3", "32.50"), (pads, "2", "310"), (plugs, "8", "18")]
    )
    for part, bin_code in ((oil, "A-01"), (pads, "A-01"), (plugs, "B-02")):
        level_settings_update(
            actor=keeper,
            level=StockLevel.objects.get(part=part, warehouse=warehouse),
            bin=bin_code,
            min_level=0,
            max_level=0,
        )

    page = page_for(keeper)
    page.goto(live_server.url + reverse("parts:stocktake_create"))
    page.fill("#id_bins", "A-01")
    page.click("main button[type=submit]")
    scan = page.locator("#scan-code")
    expect(scan).to_be_focused()
    shot(page, "stocktake-01-count-page")
    # The scanner types the code and Enter, four times; the field is cleared and keeps the focus.
    for code, count in (
        ("06A115561B", "1"),
        ("6901234567892", "2"),
        ("06A115561B", "3"),
        ("06A115561B", "4"),
    ):
        page.keyboard.type(code)
        page.keyboard.press("Enter")
        expect(page.locator("#last-scan .last-scan-count")).to_have_text(count)
        expect(scan).to_be_focused()
        expect(scan).to_have_value("")
    expect(page.locator("#last-scan")).to_contain_text("机油滤清器")
    for _ in range(3):  # a fast burst: the scans queue up, none is lost
        page.keyboard.type("3Q0698151A")
        page.keyboard.press("Enter")
    expect(page.locator("#last-scan .last-scan-count")).to_have_text("3")
    page.keyboard.type("XX-404")
    page.keyboard.press("Enter")
    expect(page.locator("#last-scan .alert-danger")).to_contain_text("XX-404")
    # A part from another bin turns up on this shelf: added to the sheet, and said so.
    page.keyboard.type("101000033AA")
    page.keyboard.press("Enter")
    expect(page.locator("#last-scan .alert-warning")).to_be_visible()
    expect(page.locator("#count-rows")).to_contain_text("火花塞")
    # A typed quantity for the brake pads: one box of 1 set is all there is.
    pads_row = page.locator("#count-rows tr", has_text="3Q0698151A")
    pads_row.locator("input[name=counted]").fill("1")
    pads_row.locator("input[name=counted]").press("Enter")
    expect(page.locator("#count-rows tr", has_text="3Q0698151A")).to_contain_text("-1")
    expect(scan).to_be_focused()
    expect(page.locator("#count-progress")).to_have_text("3 / 3")
    shot(page, "stocktake-02-counting")
    page.goto(page.url.split("?")[0].rstrip("/") + "/sheet/")
    expect(page.locator(".count-sheet")).to_contain_text("前刹车片")
    page.emulate_media(media="print")
    shot(page, "stocktake-03-printed-sheet")
    page.emulate_media(media="screen")
    page.go_back()
    page.click("form[action$='/submit/'] button[type=submit]")  # counting done: submit for approval
    expect(page.locator("h1")).to_contain_text("PDBJ01000001")
    page.close()

    page = page_for(manager)
    page.goto(live_server.url + reverse("parts:stocktake_list"))
    shot(page, "stocktake-00-list")
    page.click("text=PDBJ01000001")
    expect(page.locator("#difference-table")).to_contain_text("+1")  # 4 oil filters, 3 on the book
    shot(page, "stocktake-04-differences")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("form[action$='/post/'] button[type=submit]")  # approve and post
    expect(page.locator(".slip h1")).to_be_visible()
    expect(page.locator("tfoot")).to_contain_text("¥32.50")  # the gain
    expect(page.locator("tfoot")).to_contain_text("¥-436.00")  # a set of pads and 7 plugs lost
    shot(page, "stocktake-05-report")
    page.emulate_media(media="print")
    shot(page, "stocktake-06-report-printed")
    assert StockLevel.objects.get(part=oil, warehouse=warehouse).on_hand == Decimal("4")
    assert StockLevel.objects.get(part=pads, warehouse=warehouse).on_hand == Decimal("1")
    assert StockLevel.objects.get(part=plugs, warehouse=warehouse).on_hand == Decimal("1")
