"""Work-order pages: the list (search, state filter, fixed queries), the hub with its estimate
partials, adding and changing lines, signing, the printed estimate and work order; a role
without the change permission gets 403 on writes, another store's order 404."""

from decimal import Decimal

import pytest
from django.urls import reverse

from pitstop.customers.tests.factories import CustomerFactory, VehicleFactory
from pitstop.parts.services import stock_receive
from pitstop.parts.tests.factories import PartFactory, WarehouseFactory
from pitstop.service import estimates
from pitstop.service.models import OrderLabour, OrderPart, RepairOrder, RepairOrderEvent

from .booking import workshop
from .factories import CannedJobFactory, CannedJobLineFactory, LabourOperationFactory, RepairOrderFactory
from .test_estimates import PNG

pytestmark = pytest.mark.django_db
Status = RepairOrder.Status
HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def order(store_a, advisor):
    workshop(store_a)
    owner = CustomerFactory(store=store_a, name="张伟")
    return RepairOrderFactory(vehicle=VehicleFactory(owner=owner, plate="京A12345"), advisor=advisor)


@pytest.fixture
def part(store_a):
    part = PartFactory(code="06L115562", name="机油滤清器", sale_price=Decimal("58.00"))
    warehouse = WarehouseFactory(store=store_a, code="W01")
    stock_receive(actor=None, warehouse=warehouse, lines=[(part, Decimal("4"), Decimal("30"))])
    return part


def url(name, *args):
    return reverse(f"service:{name}", args=args)


# --- list ------------------------------------------------------------------------------------


def test_the_list_searches_by_plate_and_number_and_filters_by_state(login, advisor, order, store_a):
    other = RepairOrderFactory(
        advisor=advisor, vehicle=VehicleFactory(owner=order.customer, plate="京B99999"), status=Status.READY
    )
    client = login(advisor)
    response = client.get(url("order_list"), {"q": "a123"})
    assert response.status_code == 200
    assert f'data-order="{order.pk}"' in response.text and f'data-order="{other.pk}"' not in response.text
    response = client.get(url("order_list"), {"q": other.number})
    assert f'data-order="{other.pk}"' in response.text and f'data-order="{order.pk}"' not in response.text
    response = client.get(url("order_list"), {"status": "open"}, **HX, HTTP_HX_TARGET="order-table")
    assert 'id="order-table"' in response.text and "<nav" not in response.text.split('id="order-table"')[0]
    assert f'data-order="{order.pk}"' in response.text and f'data-order="{other.pk}"' not in response.text


def test_the_list_takes_a_fixed_number_of_queries(login, advisor, order, django_assert_max_num_queries):
    client = login(advisor)
    client.get(url("order_list"))
    for _n in range(30):
        RepairOrderFactory(advisor=advisor, vehicle=VehicleFactory(owner=order.customer))
    with django_assert_max_num_queries(12):
        response = client.get(url("order_list"))
    assert response.text.count("data-order=") == 25


def test_the_list_hides_another_stores_orders(login, advisor_b, order):
    response = login(advisor_b).get(url("order_list"))
    assert response.status_code == 200 and f'data-order="{order.pk}"' not in response.text


# --- hub -------------------------------------------------------------------------------------


def test_the_hub_shows_the_order_and_offers_the_moves(login, advisor, order):
    response = login(advisor).get(url("order_detail", order.pk))
    assert response.status_code == 200
    text = response.text
    assert order.number in text and "京A12345" in text
    assert 'data-status="draft"' in text and 'id="estimate-tools"' in text and 'id="cancel-form"' in text
    assert url("order_sign", order.pk) in text and url("order_print", order.pk) in text


def test_another_store_gets_404_everywhere(login, advisor_b, order):
    client = login(advisor_b)
    for name in ("order_detail", "order_sign", "order_print", "estimate_print"):
        assert client.get(url(name, order.pk)).status_code == 404
    assert client.post(url("order_labour_add", order.pk), {"name": "检查", "hours": "1"}).status_code == 404
    assert not OrderLabour.objects.exists()


def test_a_role_without_change_may_look_but_not_edit(login, make_staff, store_a, order):
    client = login(make_staff("cashier", store_a))
    response = client.get(url("order_detail", order.pk))
    assert response.status_code == 200 and 'id="estimate-tools"' not in response.text
    assert client.post(url("order_labour_add", order.pk), {"name": "检查", "hours": "1"}).status_code == 403
    assert client.get(url("order_sign", order.pk)).status_code == 403
    assert client.post(url("order_status", order.pk), {"to": "cancelled", "note": "x"}).status_code == 403
    assert not OrderLabour.objects.exists()
    order.refresh_from_db()
    assert order.status == Status.DRAFT


def test_labour_search_returns_the_partial_with_store_prices(login, advisor, order):
    LabourOperationFactory(code="BY001", name="更换机油机滤", standard_hours=Decimal("0.5"))
    response = login(advisor).get(
        url("order_detail", order.pk), {"lq": "ghjy"}, **HX, HTTP_HX_TARGET="labour-results"
    )
    assert response.status_code == 200
    assert response.text.strip().startswith('<div id="labour-results">')
    assert 'data-add-operation="BY001"' in response.text and "¥60.00" in response.text


def test_part_search_shows_the_stock(login, advisor, order, part):
    response = login(advisor).get(
        url("order_detail", order.pk), {"pq": "06L"}, **HX, HTTP_HX_TARGET="part-results"
    )
    assert 'data-add-part="06L115562"' in response.text and 'data-available="4"' in response.text


def test_adding_labour_by_htmx_returns_the_estimate(login, advisor, order):
    operation = LabourOperationFactory(standard_hours=Decimal("1"))
    response = login(advisor).post(
        url("order_labour_add", order.pk), {"operation": operation.pk}, **HX, HTTP_HX_TARGET="estimate-lines"
    )
    assert response.status_code == 200 and response.text.strip().startswith('<div id="estimate-lines"')
    assert 'data-total="total">¥120.00' in response.text
    assert OrderLabour.objects.get().operation == operation


def test_bad_labour_shows_the_error_and_changes_nothing(login, advisor, order):
    response = login(advisor).post(
        url("order_labour_add", order.pk), {"name": "", "hours": "abc"}, **HX, HTTP_HX_TARGET="estimate-lines"
    )
    assert response.status_code == 400 and 'id="estimate-error"' in response.text
    assert not OrderLabour.objects.exists()


def test_adding_a_part_without_htmx_redirects_and_reserves(login, advisor, order, part):
    response = login(advisor).post(url("order_part_add", order.pk), {"part": part.pk, "quantity": "2"})
    assert response.status_code == 302
    line = OrderPart.objects.get()
    assert line.supply == OrderPart.Supply.RESERVED and line.amount == Decimal("116.00")


def test_a_customer_supplied_part_is_marked_on_the_page_and_the_print(login, advisor, order, part):
    client = login(advisor)
    client.post(
        url("order_part_add", order.pk),
        {"part": part.pk, "quantity": "1", "customer_supplied": "1", "quality": "aftermarket"},
    )
    line = OrderPart.objects.get()
    assert line.customer_supplied and not line.genuine and line.amount == 0
    assert "data-customer-supplied" in client.get(url("order_detail", order.pk)).text
    printed = client.get(url("order_print", order.pk)).text
    assert 'id="customer-parts-sentence"' in printed


def test_a_canned_job_in_one_click(login, advisor, order, part):
    job = CannedJobFactory(name="首保")
    CannedJobLineFactory(job=job, labour=LabourOperationFactory(standard_hours=Decimal("0.5")))
    CannedJobLineFactory(job=job, labour=None, part=part, quantity=Decimal("1"))
    response = login(advisor).post(
        url("order_job_add", order.pk), {"job": job.pk}, **HX, HTTP_HX_TARGET="estimate-lines"
    )
    assert response.status_code == 200
    assert OrderLabour.objects.count() == 1 and OrderPart.objects.count() == 1
    order.refresh_from_db()
    assert order.total == Decimal("178.00")  # 1 h × 120.00 + 58.00


def test_another_stores_job_is_not_found(login, advisor, order, store_b):
    job = CannedJobFactory(store=store_b)
    CannedJobLineFactory(job=job)
    response = login(advisor).post(url("order_job_add", order.pk), {"job": job.pk})
    assert response.status_code == 302 and not OrderLabour.objects.exists()


def test_editing_and_removing_lines(login, advisor, order):
    line = estimates.labour_line_add(actor=advisor, order=order, name="检查", hours="1")
    client = login(advisor)
    response = client.post(
        url("order_line_update", order.pk, "labour", line.pk),
        {"hours": "1.5", "price": "", "discount_pct": "0"},
        **HX,
        HTTP_HX_TARGET="estimate-lines",
    )
    assert response.status_code == 200
    line.refresh_from_db()
    assert line.hours == Decimal("1.500") and line.amount == Decimal("180.00")
    response = client.post(url("order_line_remove", order.pk, "labour", line.pk))
    assert response.status_code == 302 and not OrderLabour.objects.exists()


def test_a_wrong_kind_of_line_is_an_error_not_a_500(login, advisor, order):
    response = login(advisor).post(url("order_line_remove", order.pk, "wheel", 1))
    assert response.status_code == 302


def test_the_promised_time_can_be_changed_before_signing(login, advisor, order):
    response = login(advisor).post(url("order_promised", order.pk), {"promised_at": "2031-05-06T16:30"})
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.promised_at.isoformat().startswith("2031-05-06T08:30")  # 16:30 in Shanghai, UTC stored
    login(advisor).post(url("order_promised", order.pk), {"promised_at": "nonsense"})
    order.refresh_from_db()
    assert order.promised_at.isoformat().startswith("2031-05-06T08:30")


# --- moves -----------------------------------------------------------------------------------


def test_cancelling_needs_a_reason(login, advisor, order):
    client = login(advisor)
    client.post(url("order_status", order.pk), {"to": "cancelled", "note": ""})
    order.refresh_from_db()
    assert order.status == Status.DRAFT
    client.post(url("order_status", order.pk), {"to": "cancelled", "note": "车主改期"})
    order.refresh_from_db()
    assert order.status == Status.CANCELLED and order.cancel_reason == "车主改期"


def test_a_step_move_is_refused_by_the_plain_button(login, advisor, order):
    estimates.labour_line_add(actor=advisor, order=order, name="检查", hours="1")
    login(advisor).post(url("order_status", order.pk), {"to": "confirmed"})
    order.refresh_from_db()
    assert order.status == Status.DRAFT


def test_reopening_clears_the_signature(login, advisor, order):
    estimates.labour_line_add(actor=advisor, order=order, name="检查", hours="1")
    estimates.order_sign(actor=advisor, order=order, signature=PNG)
    client = login(advisor)
    assert 'id="reopen-form"' in client.get(url("order_detail", order.pk)).text
    client.post(url("order_status", order.pk), {"to": "draft", "note": "车主加项目"})
    order.refresh_from_db()
    assert order.status == Status.DRAFT and order.signature == "" and order.signed_at is None


# --- signing ---------------------------------------------------------------------------------


def test_signing_on_the_page(login, advisor, order):
    estimates.labour_line_add(actor=advisor, order=order, name="保养", hours="1")
    client = login(advisor)
    page = client.get(url("order_sign", order.pk))
    assert page.status_code == 200 and "data-signature-pad" in page.text and "signature.js" in page.text
    response = client.post(
        url("order_sign", order.pk),
        {
            "signature": PNG,
            "payment_method": "card",
            "old_parts": "take",
            "free_wash": "1",
            "promised_at": "2031-05-06T16:30",
        },
    )
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == Status.CONFIRMED and order.signature == PNG and order.payment_method == "card"
    assert RepairOrderEvent.objects.filter(order=order, to_status=Status.CONFIRMED).exists()
    printed = client.get(url("order_print", order.pk))
    assert 'id="printed-signature"' in printed.text and order.number in printed.text


def test_a_bad_signature_shows_the_error_and_changes_nothing(login, advisor, order):
    estimates.labour_line_add(actor=advisor, order=order, name="保养", hours="1")
    response = login(advisor).post(
        url("order_sign", order.pk),
        {"signature": "data:image/png;base64,@@@", "payment_method": "cash", "old_parts": "take"},
    )
    assert response.status_code == 400 and 'data-code="signature"' in response.text
    order.refresh_from_db()
    assert order.status == Status.DRAFT and order.signed_at is None and order.payment_method == "mobile"


def test_signing_on_paper(login, advisor, order):
    estimates.labour_line_add(actor=advisor, order=order, name="保养", hours="1")
    login(advisor).post(
        url("order_sign", order.pk), {"on_paper": "1", "payment_method": "cash", "old_parts": "take"}
    )
    order.refresh_from_db()
    assert order.status == Status.CONFIRMED and order.signed_on_paper


# --- printed forms ---------------------------------------------------------------------------


def test_the_printed_estimate_lists_the_lines(login, advisor, order, part):
    estimates.labour_line_add(actor=advisor, order=order, name="更换机油机滤", hours="0.5")
    estimates.part_line_add(actor=advisor, order=order, part=part, quantity="1")
    response = login(advisor).get(url("estimate_print", order.pk))
    assert response.status_code == 200
    text = response.text
    assert 'data-form="estimate"' in text and "更换机油机滤" in text and "06L115562" in text
    assert order.store.name in text and "¥118.00" in text
