"""As a service advisor on a tablet, in a real browser: open a draft work order, add a canned
job and a part from the catalogue (stock shown), change a line, let the owner sign on the
canvas, and print the work order with the signature."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from pitstop.customers.tests.factories import CustomerFactory, TierFactory, VehicleFactory
from pitstop.parts.services import stock_receive
from pitstop.parts.tests.factories import PartFactory, WarehouseFactory
from pitstop.service.models import OrderLabour, OrderPart, RepairOrder
from pitstop.service.orders import order_open
from pitstop.service.tests.booking import workshop
from pitstop.service.tests.factories import CannedJobFactory, CannedJobLineFactory, LabourOperationFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
TABLET = (1024, 768)


def test_advisor_writes_the_estimate_and_the_owner_signs_on_the_tablet(
    page_for, shot, live_server, store_a, make_staff
):
    advisor = make_staff("advisor", store_a, full_name="陈静")
    workshop(store_a, maintenance=2)
    gold = TierFactory(
        store=store_a, name="白金会员", labour_discount_pct=Decimal("10"), parts_discount_pct=Decimal("5")
    )
    zhang = CustomerFactory(store=store_a, name="张伟", gender="male", mobile="13812345678", tier=gold)
    passat = VehicleFactory(owner=zhang, plate="京A12345", brand="大众", series="帕萨特", model_name="330TSI")
    warehouse = WarehouseFactory(store=store_a, code="W01", name="配件总库")
    oil = PartFactory(code="SVW-0W20-4L", name="全合成机油 0W-20 4L", sale_price=Decimal("298.00"))
    filt = PartFactory(code="06L115562", name="机油滤清器", sale_price=Decimal("58.00"))
    pads = PartFactory(code="5QD698151", name="前刹车片", sale_price=Decimal("420.00"), quality="aftermarket")
    stock_receive(
        actor=None,
        warehouse=warehouse,
        lines=[
            (oil, Decimal("10"), Decimal("180")),
            (filt, Decimal("6"), Decimal("30")),
            (pads, Decimal("2"), Decimal("260")),
        ],
    )
    change_oil = LabourOperationFactory(code="BY001", name="更换机油机滤", standard_hours=Decimal("0.5"))
    LabourOperationFactory(code="ZD010", name="更换前刹车片", standard_hours=Decimal("1.2"))
    job = CannedJobFactory(code="TC01", name="常规保养（1万公里）")
    CannedJobLineFactory(job=job, labour=change_oil, quantity=Decimal("0.5"))
    CannedJobLineFactory(job=job, labour=None, part=oil, quantity=Decimal("1"))
    CannedJobLineFactory(job=job, labour=None, part=filt, quantity=Decimal("1"))
    order = order_open(actor=advisor, store=store_a, vehicle=passat, owner_description="保养，前刹车异响")
    RepairOrder.objects.filter(pk=order.pk).update(mileage=31250)

    page = page_for(advisor, viewport=TABLET)
    page.goto(f"{live_server.url}/orders/")
    expect(page.locator(f'tr[data-order="{order.pk}"]')).to_contain_text("京A12345")
    shot(page, "estimate-01-order-list")
    page.click(f'tr[data-order="{order.pk}"] a')
    expect(page.locator("#order-header")).to_contain_text(order.number)

    # The canned job in one click.
    page.select_option("#job-select", str(job.pk))
    page.click("#add-job")
    expect(page.locator("#labour-lines")).to_contain_text("更换机油机滤")
    expect(page.locator("#part-lines")).to_contain_text("机油滤清器")

    # A part from the catalogue by its number, stock shown.
    page.fill("#part-search", "5QD")
    expect(page.locator('[data-add-part="5QD698151"]')).to_be_visible()
    expect(page.locator("#part-results")).to_contain_text("2")
    shot(page, "estimate-02-part-search")
    page.click('[data-add-part="5QD698151"]')
    expect(page.locator("#part-lines")).to_contain_text("前刹车片")
    assert OrderPart.objects.filter(order=order).count() == 3

    # The brake pads need labour: from the catalogue, then the hours adjusted.
    page.fill("#labour-search", "ZD0")
    page.click('[data-add-operation="ZD010"]')
    expect(page.locator("#labour-lines")).to_contain_text("更换前刹车片")
    brake = OrderLabour.objects.get(order=order, code="ZD010")
    hours = page.locator(f'input[form="edit-labour-{brake.pk}"][name="hours"]')
    hours.fill("1.5")
    page.locator(f"#edit-labour-{brake.pk} button").click()
    expect(page.locator('[data-total="hours"]')).to_have_text("2")
    brake.refresh_from_db()
    assert brake.hours == Decimal("1.500") and brake.amount == Decimal("162.00")  # 1.5 × 120 less 10 %
    order.refresh_from_db()
    # labour 0.5 h 54.00 + 162.00; parts 283.10 + 55.10 + 399.00 (5 % off each)
    assert order.labour_total == Decimal("216.00") and order.parts_total == Decimal("737.20")
    expect(page.locator('[data-total="total"]')).to_have_text("¥953.20")
    for supply in page.locator("#part-lines [data-supply]").all():
        expect(supply).to_have_attribute("data-supply", "reserved")
    page.locator("#estimate-lines").scroll_into_view_if_needed()
    shot(page, "estimate-03-hub-with-lines")

    # The owner signs on the tablet.
    page.click("#sign-link")
    page.select_option("#id_payment_method", "mobile")
    page.select_option("#id_old_parts", "take")
    box = page.locator("#signature-pad").bounding_box()
    x, y, w, h = box["x"], box["y"], box["width"], box["height"]
    page.mouse.move(x + w * 0.1, y + h * 0.6)
    page.mouse.down()
    for step in range(1, 31):
        page.mouse.move(x + w * (0.1 + step * 0.025), y + h * (0.45 if step % 2 else 0.7), steps=3)
    page.mouse.up()
    shot(page, "estimate-04-signature")
    page.click("#sign-submit")
    expect(page.locator("#signed-at")).to_be_visible()
    order.refresh_from_db()
    assert order.status == RepairOrder.Status.CONFIRMED
    assert order.signature.startswith("data:image/png;base64,") and order.promised_at is not None
    shot(page, "estimate-05-signed")

    page.click("#print-order")
    expect(page.locator("#printed-form")).to_have_attribute("data-form", "order")
    expect(page.locator("#printed-signature")).to_be_visible()
    expect(page.locator("#printed-parts")).to_contain_text("5QD698151")
    shot(page, "estimate-06-work-order-print")
    page.emulate_media(media="print")
    shot(page, "estimate-07-work-order-print-media")
