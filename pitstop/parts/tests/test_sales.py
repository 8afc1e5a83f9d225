"""Counter sales (F-5.9): pricing by the customer's tier, amounts rounded per line, posting
through the ledger, the cash-desk hook, cancelling, and the pages with their permissions."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from pitstop.core.exceptions import ApplicationError
from pitstop.core.export import XLSX_TYPE
from pitstop.customers.tests.factories import CustomerFactory, TierFactory
from pitstop.parts import sales, services
from pitstop.parts.models import CounterSale, CounterSaleLine, PartPrice, StockLevel, StockMovement

from .factories import PartFactory, WarehouseFactory

D = Decimal
Status = CounterSale.Status


@pytest.fixture
def keeper(make_staff, store_a):
    return make_staff("warehouse", store_a)


@pytest.fixture
def warehouse(store_a):
    return WarehouseFactory(store=store_a, code="PJ", name="朝阳配件库")


@pytest.fixture
def oil_filter():
    return PartFactory(code="06A115561B", name="机油滤清器", sale_price=D("58.00"), cost_price=D("35"))


@pytest.fixture
def pads():
    return PartFactory(
        code="3Q0698151A", name="前刹车片", unit="套", barcode="6901234567892", sale_price=D("420.00")
    )


@pytest.fixture
def stocked(keeper, warehouse, oil_filter, pads):
    """10 oil filters at ¥30 and 4 sets of pads at ¥300 in the store's warehouse."""
    services.stock_receive(
        actor=keeper, warehouse=warehouse, lines=[(oil_filter, "10", "30"), (pads, "4", "300")]
    )
    return warehouse


def _level(part, warehouse) -> Decimal:
    return StockLevel.objects.get(part=part, warehouse=warehouse).on_hand


def _walk_in_sale(keeper, store, warehouse, lines, **kwargs) -> CounterSale:
    return sales.counter_sale_create(
        actor=keeper,
        store=store,
        warehouse=warehouse,
        buyer_name="王师傅",
        buyer_phone="13812345678",
        lines=[sales.SaleLine(*line) for line in lines],
        **kwargs,
    )


# --- amounts -------------------------------------------------------------------------------

prices = st.decimals(min_value=D("0"), max_value=D("99999.99"), places=2)
quantities = st.decimals(min_value=D("0.001"), max_value=D("9999.999"), places=3)
rates = st.decimals(min_value=D("0"), max_value=D("1"), places=4)


@given(st.lists(st.tuples(quantities, prices, rates), min_size=1, max_size=12))
def test_totals_are_the_sum_of_lines_rounded_each_to_the_cent(lines):
    totals = sales.sale_totals(lines)
    amounts = [sales.line_amounts(q, p, r) for q, p, r in lines]
    assert totals.total == sum((amount for _gross, amount in amounts), D(0))
    assert totals.subtotal == sum((gross for gross, _amount in amounts), D(0))
    assert totals.discount == totals.subtotal - totals.total
    assert totals.discount >= 0
    for value in [totals.total, totals.subtotal, totals.discount, *(a for pair in amounts for a in pair)]:
        assert value.as_tuple().exponent == -2


def test_a_line_is_rounded_half_up_before_summing():
    # 3 × 9.99 × 0.85 = 25.4745 → 25.47; twice → 50.94 (not round(50.949) = 50.95)
    totals = sales.sale_totals([(D("3"), D("9.99"), D("0.15"))] * 2)
    assert (totals.subtotal, totals.discount, totals.total) == (D("59.94"), D("9.00"), D("50.94"))


# --- drafts --------------------------------------------------------------------------------


def test_walk_in_buyer_pays_retail_without_discount(keeper, store_a, stocked, oil_filter, pads):
    sale = _walk_in_sale(keeper, store_a, stocked, [(oil_filter, "2"), (pads, "1")])
    assert sale.number == "XSBJ01000001" and sale.status == Status.DRAFT and sale.price_type == "retail"
    lines = list(sale.lines.order_by("id"))
    assert [(line.unit_price, line.discount_rate, line.amount) for line in lines] == [
        (D("58.00"), D("0"), D("116.00")),
        (D("420.00"), D("0"), D("420.00")),
    ]
    assert (sale.subtotal, sale.discount, sale.total) == (D("536.00"), D("0.00"), D("536.00"))
    assert list(sale.events.values_list("from_status", "to_status")) == [("", "draft")]
    assert not StockMovement.objects.filter(kind=StockMovement.Kind.COUNTER_SALE).exists()


def test_a_customer_pays_the_tier_price_with_the_tier_discount(keeper, store_a, stocked, oil_filter):
    gold = TierFactory(store=store_a, name="白金", price_type="member", parts_discount_pct=D("10.00"))
    customer = CustomerFactory(store=store_a, name="张伟", tier=gold)
    PartPrice.objects.create(part=oil_filter, price_type="member", price=D("52.00"))
    sale = sales.counter_sale_create(
        actor=keeper,
        store=store_a,
        warehouse=stocked,
        customer=customer,
        lines=[sales.SaleLine(oil_filter, "3")],
    )
    line = sale.lines.get()
    assert (sale.price_type, line.unit_price, line.discount_rate) == ("member", D("52.00"), D("0.1000"))
    # 3 × 52 = 156.00; 10 % off → 140.40
    assert (line.amount, sale.subtotal, sale.discount, sale.total) == (
        D("140.40"),
        D("156.00"),
        D("15.60"),
        D("140.40"),
    )


def test_the_seller_may_lower_a_price_but_not_raise_it(keeper, store_a, stocked, oil_filter):
    sale = _walk_in_sale(keeper, store_a, stocked, [(oil_filter, "2", "50", "0.05")])
    line = sale.lines.get()
    assert (line.unit_price, line.discount_rate, line.amount) == (D("50.00"), D("0.0500"), D("95.00"))
    with translation.override("en"), pytest.raises(ApplicationError, match="above the price list's ¥58.00"):
        _walk_in_sale(keeper, store_a, stocked, [(oil_filter, "1", "60")])


def test_below_cost_is_refused_to_the_keeper_and_allowed_to_the_manager(
    keeper, manager, store_a, stocked, oil_filter
):
    # The filters cost ¥30 on average here: ¥32 with 10 % off is ¥28.80.
    with translation.override("en"), pytest.raises(ApplicationError) as refused:
        _walk_in_sale(keeper, store_a, stocked, [(oil_filter, "1", "32", "0.1")])
    assert "¥28.80 after discount is below its cost ¥30.00" in str(refused.value.message)
    assert "store manager" in str(refused.value.message)
    assert not CounterSale.objects.exists()
    sale = _walk_in_sale(manager, store_a, stocked, [(oil_filter, "1", "32", "0.1")])
    assert sale.total == D("28.80")


def test_a_customer_or_warehouse_of_another_store_is_refused(keeper, store_a, store_b, stocked, oil_filter):
    with pytest.raises(ApplicationError) as refused:
        sales.counter_sale_create(
            actor=keeper,
            store=store_a,
            warehouse=stocked,
            customer=CustomerFactory(store=store_b),
            lines=[sales.SaleLine(oil_filter, "1")],
        )
    assert refused.value.field == "customer"
    with pytest.raises(ApplicationError) as refused:
        _walk_in_sale(keeper, store_a, WarehouseFactory(store=store_b), [(oil_filter, "1")])
    assert refused.value.field == "warehouse"
    with pytest.raises(ApplicationError):
        _walk_in_sale(keeper, store_a, stocked, [])
    with pytest.raises(ApplicationError):
        _walk_in_sale(keeper, store_a, stocked, [(oil_filter, "0")])
    assert not CounterSale.objects.exists()


def test_a_draft_is_changed_as_a_whole_and_a_posted_sale_not(keeper, store_a, stocked, oil_filter, pads):
    sale = _walk_in_sale(keeper, store_a, stocked, [(oil_filter, "2")])
    sale = sales.counter_sale_update(
        actor=keeper, sale=sale, warehouse=stocked, buyer_name="李师傅", lines=[sales.SaleLine(pads, "1")]
    )
    assert list(sale.lines.values_list("part__code", flat=True)) == ["3Q0698151A"]
    assert (sale.buyer_name, sale.total) == ("李师傅", D("420.00"))
    sales.counter_sale_post(actor=keeper, sale=sale)
    with pytest.raises(ApplicationError) as refused:
        sales.counter_sale_update(
            actor=keeper, sale=sale, warehouse=stocked, lines=[sales.SaleLine(pads, "2")]
        )
    assert refused.value.code == "transition"
    assert sale.lines.get().quantity == 1


# --- posting, paying, cancelling -----------------------------------------------------------


def test_posting_takes_the_parts_out_at_average_cost_and_waits_for_payment(
    keeper, store_a, stocked, oil_filter, pads
):
    sale = _walk_in_sale(keeper, store_a, stocked, [(oil_filter, "2", None, "0.1"), (pads, "1")])
    sale = sales.counter_sale_post(actor=keeper, sale=sale)
    assert sale.status == Status.POSTED and sale.posted_at is not None
    assert (_level(oil_filter, stocked), _level(pads, stocked)) == (8, 3)
    movements = StockMovement.objects.filter(reference_type="counter_sale", reference_id=sale.pk)
    assert {(m.kind, m.reference_no, m.quantity) for m in movements} == {
        ("counter_sale", "XSBJ01000001", D("-2")),
        ("counter_sale", "XSBJ01000001", D("-1")),
    }
    assert list(sale.lines.order_by("id").values_list("unit_cost", flat=True)) == [D("30"), D("300")]
    # 2 × 58 × 0.9 = 104.40 + 420 = 524.40; cost 2 × 30 + 300 = 360
    assert (sale.subtotal, sale.discount, sale.total, sale.cost) == (
        D("536.00"),
        D("11.60"),
        D("524.40"),
        D("360.00"),
    )
    assert sale.events.last().to_status == "posted"


def test_not_enough_stock_refuses_the_post_and_writes_nothing(keeper, store_a, stocked, oil_filter, pads):
    sale = _walk_in_sale(keeper, store_a, stocked, [(oil_filter, "2"), (pads, "5")])
    before = StockMovement.objects.count()
    with translation.override("en"), pytest.raises(ApplicationError) as refused:
        sales.counter_sale_post(actor=keeper, sale=sale)
    assert refused.value.code == "insufficient_stock" and "Only 4 of" in str(refused.value.message)
    sale.refresh_from_db()
    assert sale.status == Status.DRAFT and sale.posted_at is None and sale.cost == 0
    assert StockMovement.objects.count() == before and _level(oil_filter, stocked) == 10
    assert not sale.lines.filter(unit_cost__isnull=False).exists() and sale.events.count() == 1


def test_cost_rising_after_the_draft_refuses_the_keepers_post(keeper, store_a, stocked, oil_filter):
    sale = _walk_in_sale(keeper, store_a, stocked, [(oil_filter, "1", "40")])
    services.stock_receive(actor=keeper, warehouse=stocked, lines=[(oil_filter, "10", "56")])  # avg ¥43
    with pytest.raises(ApplicationError) as refused:
        sales.counter_sale_post(actor=keeper, sale=sale)
    assert refused.value.code == "below_cost"
    assert _level(oil_filter, stocked) == 20 and CounterSale.objects.get().status == Status.DRAFT


def test_the_cash_desk_marks_a_posted_sale_paid(keeper, make_staff, store_a, store_b, stocked, oil_filter):
    cashier = make_staff("cashier", store_a)
    other = WarehouseFactory(store=store_b)
    services.stock_receive(actor=None, warehouse=other, lines=[(oil_filter, "5", "30")])
    elsewhere = _walk_in_sale(make_staff("warehouse", store_b), store_b, other, [(oil_filter, "1")])
    sales.counter_sale_post(actor=None, sale=elsewhere)
    draft = _walk_in_sale(keeper, store_a, stocked, [(oil_filter, "1")])
    sale = sales.counter_sale_post(
        actor=keeper, sale=_walk_in_sale(keeper, store_a, stocked, [(oil_filter, "2")])
    )
    assert list(sales.counter_sales_awaiting_payment(cashier, store_a)) == [sale]
    assert list(sales.counter_sales_awaiting_payment(cashier, None)) == [sale]  # not store B's

    with pytest.raises(ApplicationError):
        sales.counter_sale_mark_paid(actor=cashier, sale=sale, payment_reference=" ")
    paid = sales.counter_sale_mark_paid(actor=cashier, sale=sale, payment_reference="SK20240501-0007")
    assert (paid.status, paid.payment_reference) == (Status.PAID, "SK20240501-0007") and paid.paid_at
    event = paid.events.last()
    assert (event.actor, event.from_status, event.to_status, event.note) == (
        cashier,
        "posted",
        "paid",
        "SK20240501-0007",
    )
    assert not sales.counter_sales_awaiting_payment(cashier, store_a).exists()
    with translation.override("en"), pytest.raises(ApplicationError, match="draft cannot become paid"):
        sales.counter_sale_mark_paid(actor=cashier, sale=draft, payment_reference="SK1")


def test_cancelling_a_draft_moves_no_stock(keeper, store_a, stocked, oil_filter):
    sale = sales.counter_sale_cancel(
        actor=keeper, sale=_walk_in_sale(keeper, store_a, stocked, [(oil_filter, "1")])
    )
    assert sale.status == Status.CANCELLED and _level(oil_filter, stocked) == 10
    assert StockMovement.objects.filter(kind=StockMovement.Kind.COUNTER_SALE).count() == 0


def test_cancelling_a_posted_sale_puts_the_parts_back(keeper, store_a, stocked, oil_filter, pads):
    sale = _walk_in_sale(keeper, store_a, stocked, [(oil_filter, "2"), (pads, "1")])
    sales.counter_sale_post(actor=keeper, sale=sale)
    with pytest.raises(ApplicationError) as refused:
        sales.counter_sale_cancel(actor=keeper, sale=sale, reason="")
    assert refused.value.field == "reason"
    sale = sales.counter_sale_cancel(actor=keeper, sale=sale, reason="客户不要了")
    assert sale.status == Status.CANCELLED
    assert (_level(oil_filter, stocked), _level(pads, stocked)) == (10, 4)
    reversals = StockMovement.objects.filter(reversal_of__isnull=False)
    assert reversals.count() == 2 and all("客户不要了" in m.note for m in reversals)
    assert all(m.reference_no == sale.number for m in reversals)
    assert sale.events.last().note == "客户不要了"


def test_a_paid_sale_cannot_be_cancelled_here(keeper, store_a, stocked, oil_filter):
    sale = sales.counter_sale_post(
        actor=keeper, sale=_walk_in_sale(keeper, store_a, stocked, [(oil_filter, "1")])
    )
    sales.counter_sale_mark_paid(actor=None, sale=sale, payment_reference="SK1")
    with translation.override("en"), pytest.raises(ApplicationError) as refused:
        sales.counter_sale_cancel(actor=keeper, sale=sale, reason="退货")
    message = str(refused.value.message)
    assert "paid cannot become cancelled" in message and "cash desk" in message
    assert _level(oil_filter, stocked) == 9 and CounterSale.objects.get().status == Status.PAID


# --- pages ---------------------------------------------------------------------------------


def _form(header: dict, lines: list[dict]) -> dict:
    data = {"line-TOTAL_FORMS": str(len(lines)), "line-INITIAL_FORMS": "0", **header}
    for index, line in enumerate(lines):
        data.update({f"line-{index}-{key}": value for key, value in line.items()})
    return data


def test_keeper_sells_to_a_walk_in_posts_and_prints_the_slip(
    login, keeper, store_a, stocked, oil_filter, pads
):
    client = login(keeper)
    assert client.get(reverse("parts:counter_sale_create")).status_code == 200
    response = client.post(
        reverse("parts:counter_sale_create"),
        _form(
            {"warehouse": stocked.pk, "buyer_name": "王师傅", "buyer_phone": "13812345678"},
            [
                {"part": "06a115561b", "quantity": "2", "discount_pct": "10"},
                {"part": "6901234567892", "quantity": "1"},  # by barcode
                {"part": "", "quantity": ""},
            ],
        ),
    )
    sale = CounterSale.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/parts/sales/{sale.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert "王师傅" in page and "¥524.40" in page and "10%" in page
    assert "138****5678" in page  # the keeper does not see phones in full
    assert reverse("parts:counter_sale_post", args=[sale.pk]) in page
    response = client.post(reverse("parts:counter_sale_post", args=[sale.pk]))
    assert response.status_code == 302 and _level(oil_filter, stocked) == 8
    slip = client.get(reverse("parts:counter_sale_slip", args=[sale.pk])).content.decode()
    assert "XSBJ01000001" in slip and "北京朝阳店" in slip and "¥524.40" in slip and "前刹车片" in slip
    assert "data-print" in slip and "138****5678" in slip and "13812345678" not in slip


def test_the_form_names_what_is_wrong_and_saves_nothing(login, keeper, store_a, stocked, oil_filter):
    client = login(keeper)
    url = reverse("parts:counter_sale_create")
    response = client.post(
        url, _form({"warehouse": stocked.pk}, [{"part": "06A115561B", "quantity": "1", "unit_price": "20"}])
    )
    assert response.status_code == 400 and "¥20.00" in response.content.decode()
    response = client.post(url, _form({"warehouse": stocked.pk}, [{"part": "NOPE", "quantity": "1"}]))
    assert response.status_code == 400 and "NOPE" in response.content.decode()
    response = client.post(
        url,
        _form({"warehouse": stocked.pk, "customer": "KH-NONE"}, [{"part": "06A115561B", "quantity": "1"}]),
    )
    assert response.status_code == 400 and "KH-NONE" in response.content.decode()
    assert not CounterSale.objects.exists()


def test_a_store_customer_is_picked_by_code_and_priced_by_tier(login, keeper, store_a, stocked, oil_filter):
    tier = TierFactory(store=store_a, name="钻石", parts_discount_pct=D("5.00"))
    customer = CustomerFactory(store=store_a, name="刘强", tier=tier)
    response = login(keeper).post(
        reverse("parts:counter_sale_create"),
        _form(
            {"warehouse": stocked.pk, "customer": customer.code}, [{"part": "06A115561B", "quantity": "2"}]
        ),
    )
    sale = CounterSale.objects.get()
    assert response.status_code == 302 and sale.customer == customer
    assert sale.total == D("110.20")  # 2 × 58 less 5 %


def test_a_draft_is_edited_and_the_edit_form_shows_its_lines(
    login, keeper, store_a, stocked, oil_filter, pads
):
    sale = _walk_in_sale(keeper, store_a, stocked, [(oil_filter, "2")])
    client = login(keeper)
    url = reverse("parts:counter_sale_edit", args=[sale.pk])
    assert 'value="06A115561B"' in client.get(url).content.decode()
    response = client.post(
        url,
        _form({"warehouse": stocked.pk, "buyer_name": "王师傅"}, [{"part": "3Q0698151A", "quantity": "2"}]),
    )
    assert response.status_code == 302
    assert list(CounterSaleLine.objects.values_list("part__code", "quantity")) == [("3Q0698151A", D("2"))]


def test_not_enough_stock_shows_a_message_on_the_sale(login, keeper, store_a, stocked, pads):
    sale = _walk_in_sale(keeper, store_a, stocked, [(pads, "6")])
    client = login(keeper)
    page = client.post(reverse("parts:counter_sale_post", args=[sale.pk]), follow=True).content.decode()
    assert "alert-danger" in page and "前刹车片" in page
    assert CounterSale.objects.get().status == Status.DRAFT and _level(pads, stocked) == 4


def test_cancel_through_the_page_puts_parts_back(login, keeper, store_a, stocked, oil_filter):
    sale = sales.counter_sale_post(
        actor=keeper, sale=_walk_in_sale(keeper, store_a, stocked, [(oil_filter, "3")])
    )
    client = login(keeper)
    client.post(reverse("parts:counter_sale_cancel", args=[sale.pk]), {"reason": ""})
    assert CounterSale.objects.get().status == Status.POSTED
    client.post(reverse("parts:counter_sale_cancel", args=[sale.pk]), {"reason": "开错了"})
    assert CounterSale.objects.get().status == Status.CANCELLED and _level(oil_filter, stocked) == 10
    assert client.get(reverse("parts:counter_sale_cancel", args=[sale.pk])).status_code == 405


def test_list_puts_awaiting_payment_first_filters_and_answers_htmx(
    login, keeper, store_a, stocked, oil_filter
):
    waiting = sales.counter_sale_post(
        actor=keeper, sale=_walk_in_sale(keeper, store_a, stocked, [(oil_filter, "1")])
    )
    draft = _walk_in_sale(keeper, store_a, stocked, [(oil_filter, "1")], note="后开的草稿")
    client = login(keeper)
    page = client.get(reverse("parts:counter_sale_list")).content.decode()
    assert page.index(waiting.number) < page.index(draft.number)
    partial = client.get(
        reverse("parts:counter_sale_list"),
        {"status": "draft"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="sale-table",
    ).content.decode()
    assert partial.lstrip().startswith('<div id="sale-table">') and "<html" not in partial
    assert draft.number in partial and waiting.number not in partial
    response = client.get(reverse("parts:counter_sale_list"), {"format": "xlsx"})
    assert response.status_code == 200 and response["Content-Type"] == XLSX_TYPE


def test_list_and_sale_page_queries_do_not_grow_with_rows(login, keeper, store_a, stocked, oil_filter, pads):
    client = login(keeper)
    customer = CustomerFactory(store=store_a)

    def counted(url):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    sale = _walk_in_sale(keeper, store_a, stocked, [(oil_filter, "1")], customer=customer)
    few = (
        counted(reverse("parts:counter_sale_list")),
        counted(reverse("parts:counter_sale_detail", args=[sale.pk])),
    )
    for _ in range(4):
        _walk_in_sale(keeper, store_a, stocked, [(oil_filter, "1")], customer=customer)
    sales.counter_sale_update(
        actor=keeper,
        sale=sale,
        warehouse=stocked,
        customer=customer,
        lines=[sales.SaleLine(oil_filter, "1"), sales.SaleLine(pads, "1"), sales.SaleLine(oil_filter, "2")],
    )
    many = (
        counted(reverse("parts:counter_sale_list")),
        counted(reverse("parts:counter_sale_detail", args=[sale.pk])),
    )
    assert few == many


def test_cashier_sees_the_sales_but_cannot_sell(login, make_staff, keeper, store_a, stocked, oil_filter):
    sale = sales.counter_sale_post(
        actor=keeper, sale=_walk_in_sale(keeper, store_a, stocked, [(oil_filter, "1")])
    )
    draft = _walk_in_sale(keeper, store_a, stocked, [(oil_filter, "1")])
    cashier = make_staff("cashier", store_a)
    client = login(cashier)
    page = client.get(reverse("parts:counter_sale_list"), {"status": "posted"}).content.decode()
    assert sale.number in page and reverse("parts:counter_sale_create") not in page
    detail = client.get(reverse("parts:counter_sale_detail", args=[draft.pk])).content.decode()
    assert reverse("parts:counter_sale_post", args=[draft.pk]) not in detail
    detail = client.get(reverse("parts:counter_sale_detail", args=[sale.pk])).content.decode()
    assert "¥58.00" in detail and "¥30.0000" not in detail  # no costs at the cash desk
    keeper_sees = login(keeper).get(reverse("parts:counter_sale_detail", args=[sale.pk])).content.decode()
    assert "¥30.0000" in keeper_sees
    client = login(cashier)
    assert client.get(reverse("parts:counter_sale_slip", args=[sale.pk])).status_code == 200
    assert client.get(reverse("parts:counter_sale_create")).status_code == 403
    assert client.get(reverse("parts:counter_sale_edit", args=[draft.pk])).status_code == 403
    assert client.post(reverse("parts:counter_sale_post", args=[draft.pk])).status_code == 403
    assert (
        client.post(reverse("parts:counter_sale_cancel", args=[sale.pk]), {"reason": "x"}).status_code == 403
    )
    assert CounterSale.objects.get(pk=draft.pk).status == Status.DRAFT


def test_roles_without_counter_sales_are_refused(login, advisor):
    assert login(advisor).get(reverse("parts:counter_sale_list")).status_code == 403
    assert login(advisor).get(reverse("parts:counter_sale_create")).status_code == 403


def test_another_stores_sale_is_not_found(login, make_staff, store_a, store_b, oil_filter):
    keeper_b = make_staff("warehouse", store_b)
    warehouse_b = WarehouseFactory(store=store_b)
    services.stock_receive(actor=keeper_b, warehouse=warehouse_b, lines=[(oil_filter, "5", "30")])
    sale = sales.counter_sale_post(
        actor=keeper_b, sale=_walk_in_sale(keeper_b, store_b, warehouse_b, [(oil_filter, "1")])
    )
    client = login(make_staff("warehouse", store_a))
    for name in ("counter_sale_detail", "counter_sale_edit", "counter_sale_slip"):
        assert client.get(reverse(f"parts:{name}", args=[sale.pk])).status_code == 404
    for name in ("counter_sale_post", "counter_sale_cancel"):
        assert client.post(reverse(f"parts:{name}", args=[sale.pk]), {"reason": "x"}).status_code == 404
    assert sale.number not in client.get(reverse("parts:counter_sale_list")).content.decode()
    assert CounterSale.objects.get().status == Status.POSTED and _level(oil_filter, warehouse_b) == 4
