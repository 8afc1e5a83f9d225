"""As a warehouse keeper, in a real browser: register two old parts, store them, pack them into
a return batch to the supplier by scanning their numbers, send it and print the list."""

import pytest
from playwright.sync_api import expect

from pitstop.customers.tests.factories import VehicleFactory
from pitstop.parts.models import OldPart, OldPartBatch, Supplier, Warehouse
from pitstop.parts.tests.factories import PartFactory, WarehouseFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def settled(page) -> None:
    """htmx has swapped and processed the new packing panel (it focuses the scan field at
    once but wires the new form up some milliseconds later; a scan in between would be sent
    as a plain form, which works too but reloads the page)."""
    page.wait_for_function("() => !document.querySelector('.htmx-request, .htmx-settling, .htmx-added')")


def test_keeper_returns_old_parts_to_the_supplier(page_for, shot, live_server, store_a, make_staff):
    keeper = make_staff("warehouse", store_a)
    WarehouseFactory(store=store_a, code="JJ", name="旧件库", kind=Warehouse.Kind.OLD_PARTS)
    Supplier.objects.create(code="HT01", name="北京恒通汽配", contact="王经理", phone="010-85551234")
    PartFactory(code="3Q0698151A", name="前刹车片", unit="套")
    vehicle = VehicleFactory(store=store_a, owner__store=store_a, plate="京A12345")
    page = page_for(keeper)

    # Two old parts by hand: one from the catalogue, one described.
    page.goto(f"{live_server.url}/parts/old-parts/new/")
    expect(page.locator("#id_part")).to_be_focused()
    page.fill("#id_part", "3Q0698151A")
    page.fill("#id_quantity", "2")
    page.fill("#id_plate", "京A12345")
    page.fill("#id_reference_no", "WXBJ01000088")
    shot(page, "old-parts-01-register")
    page.click("main button[name=another]")
    expect(page.locator(".alert-success")).to_contain_text("JWBJ01000001")
    page.select_option("#id_source", "claim")
    page.fill("#id_description", "三元催化器(索赔旧件)")
    page.fill("#id_plate", "京N8888X")
    page.fill("#id_reference_no", "SPBJ01000007")
    page.click("main button[type=submit]:not([name])")
    expect(page.locator("h1")).to_contain_text("JWBJ01000002")

    # Store both in the old-parts warehouse.
    for number, bin_code in (("JWBJ01000002", "A-02"), ("JWBJ01000001", "A-01")):
        item = OldPart.objects.get(number=number)
        page.goto(f"{live_server.url}/parts/old-parts/{item.pk}/")
        page.fill("#id_bin", bin_code)
        if number == "JWBJ01000001":
            shot(page, "old-parts-02-old-part-page")
        page.click("form:has(input[value=stored]) button[type=submit]")
        expect(page.locator(".alert-success")).to_contain_text(number)
        expect(page.locator("#old-part-history li")).to_have_count(2)
    shot(page, "old-parts-03-stored-with-history")
    assert OldPart.objects.get(number="JWBJ01000001").vehicle == vehicle

    page.goto(f"{live_server.url}/parts/old-parts/")
    expect(page.locator("#old-part-table tbody tr")).to_have_count(2)
    shot(page, "old-parts-04-list")

    # A batch to the supplier; the numbers are scanned into the focused field.
    page.goto(f"{live_server.url}/parts/old-part-batches/new/")
    page.select_option("#id_supplier", label="北京恒通汽配")
    shot(page, "old-parts-05a-new-batch")
    page.click("main button[type=submit]")
    expect(page.locator("h1")).to_contain_text("QTBJ01000001")
    expect(page.locator("#id_number")).to_be_focused()
    page.keyboard.type("JWBJ01000001")
    page.keyboard.press("Enter")
    expect(page.locator("#batch-lines tbody")).to_contain_text("前刹车片")
    expect(page.locator("#id_number")).to_be_focused()  # ready for the next scan
    settled(page)
    page.keyboard.type("JWBJ01000099")
    page.keyboard.press("Enter")
    expect(page.locator("#batch-parts .invalid-feedback")).to_contain_text("JWBJ01000099")
    shot(page, "old-parts-05-scan-refused")
    settled(page)
    page.fill("#id_number", "JWBJ01000002")
    page.keyboard.press("Enter")
    expect(page.locator("#batch-lines tbody tr")).to_have_count(2)
    expect(page.locator("#batch-candidates tbody td[colspan]")).to_have_count(1)  # none left to pack
    shot(page, "old-parts-06-batch-packed")

    page.click("#send-batch")
    expect(page.locator(".alert-success")).to_contain_text("QTBJ01000001")
    shot(page, "old-parts-07-batch-sent")
    batch = OldPartBatch.objects.get()
    assert batch.status == OldPartBatch.Status.SENT
    assert set(OldPart.objects.values_list("status", flat=True)) == {OldPart.Status.RETURNED}

    page.click(f"a[href='/parts/old-part-batches/{batch.pk}/print/']")
    slip = page.locator(".slip")
    for text in ("北京恒通汽配", "JWBJ01000001", "3Q0698151A", "三元催化器", "京A12345", "SPBJ01000007"):
        expect(slip).to_contain_text(text)
    shot(page, "old-parts-08-printed-list")
    page.emulate_media(media="print")
    shot(page, "old-parts-09-print-preview")
    page.emulate_media(media="screen")
    page.goto(f"{live_server.url}/parts/old-part-batches/")
    expect(page.locator("#batch-table tbody")).to_contain_text("QTBJ01000001")
    shot(page, "old-parts-10-batch-list")
