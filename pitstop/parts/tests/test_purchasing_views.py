"""The purchasing pages as people use them: a keeper orders, receives in parts, prints; other
stores get 404, roles without the permission 403."""

import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from pitstop.parts import purchasing, services
from pitstop.parts.models import (
    PurchaseOrder,
    StockLevel,
    StockMovement,
    Supplier,
    SupplierReturn,
)

from .factories import PartFactory, WarehouseFactory

D = Decimal


@pytest.fixture
def shop(store_a, make_staff):
    keeper = make_staff("warehouse", store_a)
    warehouse = WarehouseFactory(store=store_a, code="PJ", name="朝阳配件库")
    supplier = Supplier.objects.create(
        code="HT", name="北京恒通汽配", contact="王经理", phone="010-88886666", payment_terms_days=45
    )
    oil = PartFactory(code="06A115561B", name="机油滤清器", cost_price=D("32.5000"))
    pads = PartFactory(code="3Q0698151A", name="前刹车片", unit="套", barcode="6901234567892")
    return keeper, warehouse, supplier, oil, pads


def _order(shop, status="ordered"):
    keeper, warehouse, supplier, oil, pads = shop
    po = purchasing.purchase_order_create(
        actor=keeper,
        store=warehouse.store,
        supplier=supplier,
        warehouse=warehouse,
        lines=[(oil, "20", "32.5"), (pads, "4", "310")],
    )
    if status != "draft":
        purchasing.purchase_order_transition(actor=keeper, order=po, to="ordered")
    return po


def _lines(rows: list[tuple], prefix="line", total=None) -> dict:
    data = {
        f"{prefix}-TOTAL_FORMS": str(total or len(rows)),
        f"{prefix}-INITIAL_FORMS": "0",
    }
    for i, row in enumerate(rows):
        for name, value in zip(("part", "quantity", "unit_cost"), row, strict=False):
            data[f"{prefix}-{i}-{name}"] = value
    return data


def test_a_keeper_creates_a_draft_by_code_and_barcode(login, shop):
    keeper, warehouse, supplier, oil, pads = shop
    client = login(keeper)
    page = client.get(reverse("parts:purchase_order_new"), {"supplier": supplier.pk})
    assert page.status_code == 200 and "line-7-part" in page.content.decode()
    response = client.post(
        reverse("parts:purchase_order_new"),
        {
            "supplier": supplier.pk,
            "warehouse": warehouse.pk,
            "expected_on": "2026-12-01",
            "note": "",
            **_lines([("06a115561b", "10", ""), ("6901234567892", "2", "305.5"), ("", "", "")]),
        },
    )
    po = PurchaseOrder.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "parts:purchase_order", args=[po.pk]
    )
    assert [(x.part, x.quantity, x.unit_cost) for x in po.lines.all()] == [
        (oil, D("10"), D("32.5")),  # no cost given: the part's cost price
        (pads, D("2"), D("305.5")),
    ]
    detail = client.get(response["Location"]).content.decode()
    assert "CGBJ01000001" in detail and "¥936.00" in detail  # 325.00 + 611.00
    assert reverse("parts:purchase_order_edit", args=[po.pk]) in detail


def test_a_bad_line_keeps_the_form_and_writes_nothing(login, shop):
    keeper, warehouse, supplier, *_ = shop
    client = login(keeper)
    response = client.post(
        reverse("parts:purchase_order_new"),
        {"supplier": supplier.pk, "warehouse": warehouse.pk, **_lines([("NOSUCHPART", "1", "")])},
    )
    assert response.status_code == 400 and "NOSUCHPART" in response.content.decode()
    response = client.post(
        reverse("parts:purchase_order_new"),
        {"supplier": supplier.pk, "warehouse": warehouse.pk, **_lines([("", "", "")])},
    )
    body = response.content.decode()
    assert response.status_code == 400 and ("至少" in body or "Add at least" in body)
    assert not PurchaseOrder.objects.exists()


def test_only_a_draft_is_edited(login, shop):
    keeper, warehouse, supplier, oil, pads = shop
    client = login(keeper)
    po = _order(shop, status="draft")
    url = reverse("parts:purchase_order_edit", args=[po.pk])
    page = client.get(url).content.decode()
    assert 'value="06A115561B"' in page and 'value="310"' in page
    client.post(
        url,
        {
            "supplier": supplier.pk,
            "warehouse": warehouse.pk,
            **_lines([("06A115561B", "12", "31"), ("", "", "")]),
        },
    )
    assert [(x.part, x.quantity) for x in po.lines.all()] == [(oil, D("12"))]
    purchasing.purchase_order_transition(actor=keeper, order=po, to="ordered")
    response = client.post(
        url,
        {"supplier": supplier.pk, "warehouse": warehouse.pk, **_lines([("3Q0698151A", "1", "1")])},
        follow=True,
    )
    assert "只有草稿" in response.content.decode() or "Only a draft" in response.content.decode()
    assert [(x.part, x.quantity) for x in po.lines.all()] == [(oil, D("12"))]


def test_moves_follow_the_state_and_a_refused_one_shows_why(login, shop):
    keeper = shop[0]
    client = login(keeper)
    po = _order(shop, status="draft")
    move = reverse("parts:purchase_order_move", args=[po.pk])
    detail = client.get(reverse("parts:purchase_order", args=[po.pk])).content.decode()
    assert 'value="ordered"' in detail and 'value="cancelled"' in detail and 'value="closed"' not in detail
    client.post(move, {"to": "ordered"})
    assert PurchaseOrder.objects.get().status == "ordered"
    client.post(move, {"to": "cancelled"})
    response = client.post(move, {"to": "ordered"}, follow=True)
    page = response.content.decode()
    assert "已取消" in page and "已订货" in page and "alert-danger" in page
    assert PurchaseOrder.objects.get().status == "cancelled"
    assert client.get(move).status_code == 405
    assert [e.to_status for e in po.events.all()] == ["draft", "ordered", "cancelled"]


def test_partial_receipts_each_get_their_own_note(login, shop):
    keeper, warehouse, _supplier, oil, pads = shop
    client = login(keeper)
    po = _order(shop)
    url = reverse("parts:purchase_order_receive", args=[po.pk])
    page = client.get(url).content.decode()
    assert 'value="20"' in page and 'value="4"' in page and 'value="32.5"' in page  # outstanding, order cost
    lines = list(po.lines.all())
    data = {
        "line-TOTAL_FORMS": "2",
        "line-INITIAL_FORMS": "2",
        "line-0-line": lines[0].pk,
        "line-0-quantity": "20",
        "line-0-unit_cost": "32.5",
        "line-1-line": lines[1].pk,
        "line-1-quantity": "1",
        "line-1-unit_cost": "300",
        "reason": "",
    }
    response = client.post(url, data)
    assert response.status_code == 302
    assert response["Location"] == reverse("parts:purchase_receipt", args=[po.pk, "RKBJ01000001"])
    po.refresh_from_db()
    assert po.status == "partly_received"
    note = client.get(response["Location"]).content.decode()
    assert "RKBJ01000001" in note and "CGBJ01000001" in note and "¥950.00" in note  # 650 + 300

    page = client.get(url).content.decode()
    assert 'value="3"' in page  # pads outstanding now
    data.update({"line-0-quantity": "", "line-1-quantity": "3", "line-1-unit_cost": "310"})
    response = client.post(url, data)
    assert response["Location"].endswith("/RKBJ01000002/")
    second = client.get(response["Location"]).content.decode()
    assert "¥930.00" in second and "机油滤清器" not in second  # exactly that delivery
    po.refresh_from_db()
    assert po.status == "received" and StockLevel.objects.get(part=pads).on_hand == D("4")
    # The generic slip address still answers for these numbers.
    slip = client.get(reverse("parts:slip", args=["RKBJ01000002"]))
    assert slip.status_code == 302 and slip["Location"] == response["Location"]
    detail = client.get(reverse("parts:purchase_order", args=[po.pk])).content.decode()
    assert "RKBJ01000001" in detail and "RKBJ01000002" in detail


def test_over_receipt_needs_a_reason(login, shop):
    keeper, _warehouse, _supplier, oil, _pads = shop
    client = login(keeper)
    po = _order(shop)
    line = po.lines.get(part=oil)
    url = reverse("parts:purchase_order_receive", args=[po.pk])
    data = {
        "line-TOTAL_FORMS": "1",
        "line-INITIAL_FORMS": "1",
        "line-0-line": line.pk,
        "line-0-quantity": "21",
        "line-0-unit_cost": "32.5",
        "reason": "",
    }
    refused = client.post(url, data)
    assert refused.status_code == 400 and "20" in refused.content.decode()
    assert not StockMovement.objects.exists() and PurchaseOrder.objects.get().status == "ordered"
    data["reason"] = "供应商多送一个，已电话确认"
    assert client.post(url, data).status_code == 302
    assert StockLevel.objects.get(part=oil).on_hand == D("21")
    empty = client.post(url, {**data, "line-0-quantity": "0"})
    assert empty.status_code == 400


def test_a_draft_or_closed_order_is_not_received(login, shop):
    client = login(shop[0])
    po = _order(shop, status="draft")
    response = client.get(reverse("parts:purchase_order_receive", args=[po.pk]), follow=True)
    assert "alert-danger" in response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("parts:purchase_order", args=[po.pk])


def test_the_printed_order_rounds_each_line_then_sums(login, shop):
    keeper, warehouse, supplier, oil, pads = shop
    client = login(keeper)
    po = purchasing.purchase_order_create(
        actor=keeper,
        store=warehouse.store,
        supplier=supplier,
        warehouse=warehouse,
        lines=[(oil, "1", "0.125"), (pads, "1", "0.125")],
    )
    page = client.get(reverse("parts:purchase_order_print", args=[po.pk])).content.decode()
    assert "¥0.13" in page and "¥0.26" in page  # not 0.25
    assert "王经理" in page and "010-88886666" in page and "45" in page and "朝阳配件库" in page


def test_the_list_filters_exports_and_answers_htmx(login, shop, django_assert_max_num_queries):
    keeper, warehouse, supplier, oil, _pads = shop
    client = login(keeper)
    ordered = _order(shop)
    draft = _order(shop, status="draft")
    url = reverse("parts:purchase_order_list")
    with django_assert_max_num_queries(12):
        page = client.get(url, {"status": "draft"}).content.decode()
    assert draft.number in page and ordered.number not in page
    partial = client.get(
        url, {"status": "ordered"}, headers={"HX-Request": "true", "HX-Target": "order-table"}
    )
    body = partial.content.decode()
    assert partial.status_code == 200 and "<html" not in body and 'id="order-table"' in body
    assert ordered.number in body and draft.number not in body
    export = client.get(url, {"format": "xlsx", "supplier": supplier.pk})
    rows = list(load_workbook(io.BytesIO(export.content)).active.iter_rows(values_only=True))
    assert len(rows) == 3 and {r[0] for r in rows[1:]} == {ordered.number, draft.number}
    assert rows[1][-1] == 1890  # 650.00 + 1240.00


def test_suppliers_are_searched_and_show_this_stores_orders(login, shop, store_b, make_staff):
    keeper, _warehouse, supplier, *_ = shop
    Supplier.objects.create(code="BS", name="博世汽配")
    po = _order(shop)
    client = login(keeper)
    url = reverse("parts:supplier_list")
    partial = client.get(url, {"q": "恒通"}, headers={"HX-Request": "true", "HX-Target": "supplier-table"})
    assert "北京恒通汽配" in partial.content.decode() and "博世" not in partial.content.decode()
    page = client.get(reverse("parts:supplier_detail", args=[supplier.pk])).content.decode()
    assert po.number in page and "王经理" in page
    other = make_staff("warehouse", store_b)
    page = login(other).get(reverse("parts:supplier_detail", args=[supplier.pk])).content.decode()
    assert "北京恒通汽配" in page and po.number not in page  # chain-wide supplier, own store's orders


def test_another_store_gets_404_everywhere(login, shop, store_b, make_staff):
    keeper, warehouse, supplier, oil, _pads = shop
    po = _order(shop)
    purchasing.purchase_order_receive(actor=keeper, order=po, lines=[(oil, "5", None)])
    ret = purchasing.supplier_return_create(
        actor=keeper,
        store=po.store,
        supplier=supplier,
        warehouse=warehouse,
        lines=[(oil, "1")],
        reason="损坏",
    )
    client = login(make_staff("store_manager", store_b))
    for name, args in [
        ("parts:purchase_order", [po.pk]),
        ("parts:purchase_order_edit", [po.pk]),
        ("parts:purchase_order_receive", [po.pk]),
        ("parts:purchase_order_print", [po.pk]),
        ("parts:purchase_receipt", [po.pk, "RKBJ01000001"]),
        ("parts:supplier_return", [ret.pk]),
    ]:
        assert client.get(reverse(name, args=args)).status_code == 404, name
    assert (
        client.post(reverse("parts:purchase_order_move", args=[po.pk]), {"to": "closed"}).status_code == 404
    )
    assert client.get(reverse("parts:slip", args=["RKBJ01000001"])).status_code == 404
    assert po.number not in client.get(reverse("parts:purchase_order_list")).content.decode()
    assert ret.number not in client.get(reverse("parts:supplier_return_list")).content.decode()
    assert PurchaseOrder.objects.get().status == "partly_received"


def test_roles_without_the_permission_get_403(login, shop, advisor, make_staff, store_a, hq_store):
    po = _order(shop)
    client = login(advisor)
    for name, args in [
        ("parts:supplier_list", []),
        ("parts:purchase_order_list", []),
        ("parts:purchase_order_new", []),
        ("parts:supplier_return_list", []),
        ("parts:supplier_return_new", []),
    ]:
        assert client.get(reverse(name, args=args)).status_code == 403, name
    # Head office reads every store's orders and changes none.
    hq = login(make_staff("hq", hq_store))
    assert hq.get(reverse("parts:purchase_order", args=[po.pk])).status_code == 200
    assert hq.get(reverse("parts:purchase_order_receive", args=[po.pk])).status_code == 403
    assert hq.post(reverse("parts:purchase_order_move", args=[po.pk]), {"to": "closed"}).status_code == 403
    assert hq.get(reverse("parts:purchase_order_new")).status_code == 403
    assert PurchaseOrder.objects.get().status == "ordered"


def test_a_return_page_posts_the_return_and_prints_it(login, shop):
    keeper, warehouse, supplier, oil, pads = shop
    services.stock_receive(actor=keeper, warehouse=warehouse, lines=[(oil, "10", "30"), (pads, "2", "300")])
    client = login(keeper)
    url = reverse("parts:supplier_return_new")
    header = {"supplier": supplier.pk, "warehouse": warehouse.pk, "order": "", "reason": "包装破损"}
    refused = client.post(url, {**header, **_lines([("06A115561B", "2"), ("3Q0698151A", "3")])})
    assert refused.status_code == 400 and "3" in refused.content.decode()
    assert not SupplierReturn.objects.exists() and StockLevel.objects.get(part=oil).on_hand == D("10")
    response = client.post(url, {**header, **_lines([("06A115561B", "2"), ("6901234567892", "1")])})
    ret = SupplierReturn.objects.get()
    assert response["Location"] == reverse("parts:supplier_return", args=[ret.pk])
    note = client.get(response["Location"]).content.decode()
    assert "THBJ01000001" in note and "包装破损" in note and "¥360.00" in note  # 60 + 300
    assert StockLevel.objects.get(part=oil).on_hand == D("8")
    listing = client.get(
        reverse("parts:supplier_return_list"), headers={"HX-Request": "true", "HX-Target": "return-table"}
    )
    assert "THBJ01000001" in listing.content.decode() and "<html" not in listing.content.decode()


def test_a_return_against_an_order_is_prefilled_from_it(login, shop):
    keeper, warehouse, supplier, oil, _pads = shop
    po = _order(shop)
    purchasing.purchase_order_receive(actor=keeper, order=po, lines=[(oil, "5", None)])
    client = login(keeper)
    detail = client.get(reverse("parts:purchase_order", args=[po.pk])).content.decode()
    url = f"{reverse('parts:supplier_return_new')}?order={po.pk}"
    assert url.replace("&", "&amp;") in detail or url in detail
    page = client.get(url).content.decode()
    assert f'<option value="{po.pk}" selected>' in page
    response = client.post(
        url,
        {
            "supplier": supplier.pk,
            "warehouse": warehouse.pk,
            "order": po.pk,
            "reason": "错货",
            **_lines([("06A115561B", "6")]),
        },
    )
    assert response.status_code == 400 and "5" in response.content.decode()
    assert not SupplierReturn.objects.exists()
