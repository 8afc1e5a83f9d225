"""The printed documents of the handover: the settlement statement (labour and parts apart,
hours and rates, tax, who pays, payments; a reversal printed red-letter naming the original),
the exit pass (only for a car handed over that is settled or on account), the quality
guarantee card (km and days of the repair category) and the after-sales service card; each
only in its own store."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from pitstop.billing.delivery import order_deliver
from pitstop.billing.models import Payment
from pitstop.billing.payments import payment_record
from pitstop.billing.settlement import settlement_reverse
from pitstop.customers.tests.factories import CustomerFactory, VehicleFactory
from pitstop.service.catalogue import add_months
from pitstop.service.tests.factories import MaintenancePlanFactory, MaintenancePlanItemFactory

from .factories import credit_account, ready_order, settle, settled_order

HANDBACK = {
    "keys_returned": True,
    "items_returned": ["spare_wheel", "jack"],
    "documents_returned": ["driving_licence"],
}
INVOICE = "25110000000000012345"


@pytest.fixture
def cashier(make_staff, store_a):
    return make_staff("cashier", store_a)


@pytest.fixture
def settled(store_a, advisor, cashier):
    store_a.address, store_a.phone = "北京市朝阳区东三环北路8号", "010-65550000"
    store_a.save()
    return settled_order(
        store=store_a,
        advisor=advisor,
        cashier=cashier,
        labour=(("更换前刹车片", "1.5", "120.00"),),
        parts=(("前刹车片", "2", "400.00"),),
        invoice_no=INVOICE,
    )


def _cells(body: str, marker: str, end: str = "</") -> str:
    """The text after `marker` up to `end` (the element's closing tag; "</tr>" for a row)."""
    start = body.index(marker)
    return body[start : body.index(end, start)]


def test_the_statement_lists_labour_and_parts_apart_with_hours_rates_and_tax(login, settled, cashier):
    order, settlement = settled
    page = login(cashier).get(reverse("billing:print_statement", args=[settlement.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    labour = body[body.index('id="statement-labour"') : body.index('id="statement-parts"')]
    assert (
        "更换前刹车片" in labour
        and "1.5" in _cells(labour, "data-hours")
        and "120.00" in _cells(labour, "data-rate")
    )
    assert "180.00" in labour and "前刹车片" not in labour.replace("更换前刹车片", "")
    parts = body[body.index('id="statement-parts"') : body.index('id="statement-totals"')]
    assert "前刹车片" in parts and "400.00" in parts and "800.00" in parts
    # Prices include VAT at 13%: 180 × 13/113 = 20.71, 800 × 13/113 = 92.04.
    assert settlement.tax == Decimal("112.75")
    assert "¥112.75" in _cells(body, 'id="tax"') and "¥980.00" in _cells(body, 'id="total"')
    assert 'data-tax-rate="13"' in body
    assert "¥980.00" in _cells(body, 'id="received"') and "¥0.00" in _cells(body, 'id="outstanding"')
    assert INVOICE in body and f"42000{settlement.pk:010d}" in body  # the WeChat reference
    assert order.vehicle.plate in body and order.vehicle.vin in body and order.number in body
    assert "北京市朝阳区东三环北路8号" in body and "010-65550000" in body


def test_a_reversal_prints_as_such_naming_the_original(login, settled, cashier, manager):
    _order, settlement = settled
    reversal = settlement_reverse(
        actor=manager, settlement=settlement, reason="发票抬头错误", red_invoice_no="25110000000000099999"
    )
    client = login(cashier)
    body = client.get(reverse("billing:print_statement", args=[reversal.pk])).content.decode()
    assert "data-reversal" in body and settlement.number in _cells(body, 'id="reverses"')
    assert "¥-980.00" in _cells(body, 'id="total"') and "发票抬头错误" in body
    assert "25110000000000099999" in _cells(body, 'id="invoice-no"')
    original = client.get(reverse("billing:print_statement", args=[settlement.pk])).content.decode()
    assert reversal.number in _cells(original, 'id="reversed-by"')


def test_the_statement_shows_who_pays_what(login, store_a, advisor, cashier):
    order = ready_order(store=store_a, advisor=advisor, business_type="warranty")
    settlement = settle(order, advisor=advisor, cashier=cashier, pay=None)
    body = login(cashier).get(reverse("billing:print_statement", args=[settlement.pk])).content.decode()
    assert 'data-payer="warranty"' in body and "¥980.00" in _cells(body, 'data-payer="warranty"', "</tr>")
    assert "¥0.00" in _cells(body, 'data-payer="owner"', "</tr>")


def test_the_exit_pass_needs_the_handover_of_a_settled_car(login, settled, advisor):
    order, _settlement = settled
    client = login(advisor)
    url = reverse("billing:print_exit_pass", args=[order.pk])
    refused = client.get(url)
    assert refused.status_code == 409 and 'id="print-refused"' in refused.content.decode()
    delivery = order_deliver(actor=advisor, order=order, **HANDBACK)
    body = client.get(url).content.decode()
    assert delivery.exit_pass_no in _cells(body, 'id="pass-no"')
    assert order.vehicle.plate in body and order.vehicle.vin in body and order.customer.name in body
    assert str(advisor) in _cells(body, 'id="pass-released-by"')


def test_the_exit_pass_of_a_car_on_credit(login, store_a, advisor, cashier):
    order = ready_order(store=store_a, advisor=advisor)
    credit_account(store=store_a, customer=order.customer)
    settle(order, advisor=advisor, cashier=cashier, method=Payment.Method.CREDIT)
    order_deliver(actor=advisor, order=order, **HANDBACK)
    page = login(advisor).get(reverse("billing:print_exit_pass", args=[order.pk]))
    assert page.status_code == 200 and 'id="pass-payment"' in page.content.decode()


@pytest.mark.parametrize(
    "category,vehicle_category,km,days",
    [
        ("level_1", "car", 2000, 10),
        ("level_2", "car", 5000, 30),
        ("whole_vehicle", "car", 20000, 100),
        ("assembly", "motorcycle", 7000, 80),
        ("minor", "other", 700, 7),
    ],
)
def test_the_guarantee_card_gives_the_categorys_km_and_days_from_the_handover(
    login, store_a, advisor, cashier, category, vehicle_category, km, days
):
    vehicle = VehicleFactory(owner=CustomerFactory(store=store_a), category=vehicle_category)
    order, _settlement = settled_order(
        store=store_a,
        advisor=advisor,
        cashier=cashier,
        vehicle=vehicle,
        repair_category=category,
        mileage=41000,
    )
    order_deliver(actor=advisor, order=order, **HANDBACK)
    order.refresh_from_db()
    body = login(advisor).get(reverse("billing:print_guarantee", args=[order.pk])).content.decode()
    assert f'data-km="{km}"' in body and f'data-days="{days}"' in body
    start = timezone.localdate(order.delivered_at)
    assert start.isoformat() in _cells(body, 'id="guarantee-from"')
    until = _cells(body, 'id="guarantee-until"')
    assert (start + datetime.timedelta(days=days)).isoformat() in until and f"{41000 + km} km" in until
    assert "更换前刹车片" in _cells(body, 'id="guarantee-work"')


def test_no_guarantee_card_before_the_work_is_done(login, store_a, advisor):
    order = ready_order(store=store_a, advisor=advisor, status="in_progress")
    assert login(advisor).get(reverse("billing:print_guarantee", args=[order.pk])).status_code == 409


def test_the_service_card_gives_the_store_the_advisor_and_the_next_service(login, settled, advisor):
    order, _settlement = settled
    plan = MaintenancePlanFactory(brand=order.vehicle.brand)
    MaintenancePlanItemFactory(plan=plan, every_km=10000, every_months=None, job__name="常规保养")
    MaintenancePlanItemFactory(plan=plan, every_km=None, every_months=24, job__name="更换刹车油")
    bought = timezone.localdate() - datetime.timedelta(days=400)
    order.vehicle.purchase_date = bought
    order.vehicle.save(update_fields=["purchase_date"])
    body = login(advisor).get(reverse("billing:print_service_card", args=[order.pk])).content.decode()
    assert "010-65550000" in _cells(body, 'id="store-phone"') and str(advisor) in body
    # Never done: counted from the purchase at 0 km, the next after 30,000 km is 40,000 km; the
    # brake fluid 24 months after the purchase; whichever comes first.
    due = _cells(body, 'id="next-service"', "</td>")
    assert "40000" in due and add_months(bought, 24).isoformat() in due and "常规保养" in due
    assert order.vehicle.plate in body


@pytest.mark.parametrize("name", ["print_exit_pass", "print_guarantee", "print_service_card", "delivery"])
def test_order_prints_are_another_stores_404(client, settled, advisor, advisor_b, name):
    order, _settlement = settled
    order_deliver(actor=advisor, order=order, **HANDBACK)
    client.force_login(advisor_b)
    assert client.get(reverse(f"billing:{name}", args=[order.pk])).status_code == 404


def test_the_statement_is_another_stores_404_and_a_technicians_403(
    client, settled, advisor_b, make_staff, store_a
):
    order, settlement = settled
    url = reverse("billing:print_statement", args=[settlement.pk])
    client.force_login(advisor_b)
    assert client.get(url).status_code == 404
    client.force_login(make_staff("technician", store_a))
    assert client.get(url).status_code == 403  # no billing.view_settlement
    assert client.get(reverse("billing:print_exit_pass", args=[order.pk])).status_code == 403


def test_the_statement_reads_a_fixed_number_of_queries(client, store_a, advisor, cashier):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _small_order, small = settled_order(store=store_a, advisor=advisor, cashier=cashier)
    _big_order, big = settled_order(
        store=store_a,
        advisor=advisor,
        cashier=cashier,
        pay="100.00",
        labour=(
            ("更换机油机滤", "0.5", "120.00"),
            ("四轮定位", "1", "150.00"),
            ("更换前刹车片", "1.5", "120.00"),
        ),
        parts=(("机油滤清器", "1", "58.00"), ("前刹车片", "2", "400.00"), ("雨刮片", "2", "88.00")),
    )
    for _ in range(2):
        payment_record(actor=cashier, settlement=big, method=Payment.Method.CASH, amount="50.00")
    client.force_login(cashier)
    counts = []
    for settlement in (small, big):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("billing:print_statement", args=[settlement.pk])).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
